#include "examples/translate/store.hpp"

#include <fmt/core.h>

#include "xgrad/autograd/io/safetensors.hpp"

namespace mt
{

void save_translator(xgrad::io::checkpoint_dir::transaction& tx, const translator& t,
                     const std::map<std::string, std::string>& split)
{
    auto meta = t.model->metadata();
    meta["src_vocab_fnv1a64"] = fmt::format("{:016x}", t.src.checksum());
    meta["tgt_vocab_fnv1a64"] = fmt::format("{:016x}", t.tgt.checksum());
    for (const auto& [k, v] : split)
        meta["split." + k] = v;
    xgrad::io::save_tensors(tx.file("model.safetensors"), t.model->state_dict(), meta);
    t.src.save(tx.file("src_vocab.txt"));
    t.tgt.save(tx.file("tgt_vocab.txt"));
}

translator load_translator(const std::string& dir)
{
    const xgrad::io::checkpoint_dir ckpt(dir);
    const std::string d =
        ckpt.exists() ? ckpt.verify({"model.safetensors", "src_vocab.txt", "tgt_vocab.txt"}) : dir;
    const std::string wpath = d + "/model.safetensors";
    auto w = xgrad::io::load_tensors(wpath);
    translator t;
    t.src = vocab::load(d + "/src_vocab.txt");
    t.tgt = vocab::load(d + "/tgt_vocab.txt");
    for (auto [key, v] : {std::pair{"src_vocab_fnv1a64", &t.src}, {"tgt_vocab_fnv1a64", &t.tgt}})
    {
        const auto it = w.metadata.find(key);
        if (it == w.metadata.end() || it->second != fmt::format("{:016x}", v->checksum()))
            throw std::runtime_error(
                fmt::format("'{}': {} is not the vocabulary the weights in '{}' were trained with",
                            d, std::string(key).substr(0, 9) + ".txt", wpath));
    }
    model_config c = config_from_metadata(w.metadata, wpath);
    if (c.src_vocab != t.src.size() || c.tgt_vocab != t.tgt.size())
        throw std::runtime_error(fmt::format("'{}': vocabulary sizes do not match the model", d));
    c.dropout = 0;
    xgrad::generator g(0);
    t.model = std::make_unique<Seq2Seq>(c, g);
    t.model->load_state_dict(w.tensors);
    t.model->eval();
    t.metadata = w.metadata;
    return t;
}

} // namespace mt
