// Named tensors in the safetensors format (the format PyTorch and Hugging Face use for weights).
// Module-level save/load, with PyTorch's parameter names, is in layers/weights.hpp.
//
// Format: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name to
// {"dtype": "F32"|"F64", "shape": [...], "data_offsets": [begin, end]} (plus an optional
// "__metadata__" object of strings), then the raw little-endian data, offsets relative to its
// start. xgrad reads and writes F32, F64, I64 and I32. Entries of the format's other dtypes (BF16,
// F16, U8, BOOL, ...) are validated like the rest but not loaded: they are listed in
// tensor_file::unsupported, and only asking for one of them is an error.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "xgrad/autograd/tensor.hpp"

namespace xgrad::io
{

struct tensor_file
{
    std::map<std::string, Tensor> tensors;
    std::map<std::string, std::string> metadata;
    // Entries whose dtype xgrad cannot hold: name -> safetensors dtype code ("BF16").
    std::map<std::string, std::string> unsupported;

    // The tensor `name`; throws value_error naming it and its dtype when it is in `unsupported`,
    // value_error "no tensor named" when the file has no such entry.
    const Tensor& at(const std::string& name) const;
    // Throws that same value_error if `name` is an unsupported entry; does nothing otherwise.
    void check_supported(const std::string& name) const;
};

// Writes atomically (temporary file in the same folder, then rename). Throws value_error, before
// anything is written, for an undefined tensor, a tensor named "__metadata__" (the format's
// reserved key), or a tensor name, metadata key or metadata value that is not valid UTF-8 (the
// header is UTF-8 JSON); io_error when the file cannot be written.
void save_tensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                  const std::map<std::string, std::string>& metadata = {});

// Reads and validates the whole file: header length within the file, a UTF-8 header holding
// well-formed JSON (RFC 8259), dtypes the format defines, shapes that match their byte ranges,
// ranges that tile the data exactly.
// Anything else throws io_error naming the file and the problem; no read ever goes past the
// file's end. Entries of dtypes xgrad cannot hold go to `unsupported` (not an error here).
// A path that cannot be read throws io_error "load_tensors: cannot open '<path>': <reason>"
// (a directory: "it is a directory"); a FIFO or pipe is read to its end.
tensor_file load_tensors(const std::string& path);

// The same validation of a whole file already in memory (what load_tensors does after reading
// it): for callers that hold the bytes, and for the fuzz targets. `name` only labels the errors.
tensor_file parse_tensors(std::string_view bytes, const std::string& name);

} // namespace xgrad::io
