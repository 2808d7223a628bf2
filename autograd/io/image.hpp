// Images as tensors: PNG (libpng's simplified API, when xgrad was built with libpng) and binary
// PGM/PPM (P5/P6, 8 or 16 bits; no library needed). An image is a float32 tensor [C, H, W]
// with values in [0, 1], channels first as PyTorch's torchvision.io.read_image / ToTensor.
#pragma once

#include <cstddef>
#include <string>

#include "xgrad/autograd/tensor.hpp"

namespace xgrad::io
{

struct image_options
{
    // 0: as stored (PNG: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA; PGM 1; PPM 3); 1: gray
    // (luminance, alpha composed away); 3: RGB (gray replicated, alpha dropped); 4: RGBA.
    std::size_t channels = 0;
};

// Whether this build reads and writes PNG (false without libpng: PNG calls throw io_error).
bool png_supported();

// Reads a PNG, PGM (P5) or PPM (P6) file, recognised by its first bytes, not its name.
// Throws io_error naming the path and what is wrong: unreadable, not an image of these kinds
// (ASCII P2/P3 are refused by name), truncated data, a PNG libpng rejects (with its message),
// a maxval outside 1..65535, sizes beyond 2^15 per side; value_error for channels not in
// {0, 1, 3, 4}.
Tensor read_image(const std::string& path, const image_options& o = {});
// The same from bytes in memory; `what` names them in messages.
Tensor decode_image(const std::string& bytes, const std::string& what, const image_options& o = {});

// Writes img [C, H, W] (C 1, 2, 3 or 4; [H, W] as gray), values clamped to [0, 1] and rounded
// to 8 bits, atomically (io/atomic_file.hpp). write_pnm writes P5 for C = 1, P6 for C = 3.
// Throws shape_error for another shape, value_error for a non-float tensor, io_error on a
// failed write.
void write_png(const std::string& path, const Tensor& img);
void write_pnm(const std::string& path, const Tensor& img);

} // namespace xgrad::io
