// Saving and loading a translator: model.safetensors (weights; the configuration, both
// vocabularies' checksums and how the data was split, in its metadata), src_vocab.txt and
// tgt_vocab.txt, as files of one checkpoint generation.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "examples/translate/model.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"

namespace mt
{

struct translator
{
    vocab src, tgt;
    std::unique_ptr<Seq2Seq> model;
    std::map<std::string, std::string> metadata; // of model.safetensors
};

// Writes the three files into a transaction (the caller commits). `split` goes into the
// model's metadata (data checksum, seed, reverse, held-out counts) for `evaluate`.
void save_translator(xgrad::io::checkpoint_dir::transaction& tx, const translator& t,
                     const std::map<std::string, std::string>& split);

// From a checkpoint folder (verified against its manifest) or a plain folder holding the three
// files. Throws std::runtime_error / io_error naming the file for anything missing, corrupt or
// inconsistent (vocabularies other than the ones the weights were trained with).
translator load_translator(const std::string& dir);

} // namespace mt
