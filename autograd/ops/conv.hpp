// Convolution and pooling over images (NCHW) and sequences (NCL), as PyTorch's F.conv2d,
// F.conv1d, F.max_pool2d, F.avg_pool2d and F.adaptive_avg_pool2d (no groups, no ceil_mode).
//
// conv2d: y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] x[n, c, i s_h - p_h + u d_h,
// j s_w - p_w + v d_w] (x read as 0 outside the image), so
//   H_out = (H + 2 p_h - d_h (k_h - 1) - 1) / s_h + 1   (floor; the same for W).
// Computed per image as one GEMM over the unfolded input (im2col: [C k_h k_w, H_out W_out]):
//   y_n = W [C_out, C k_h k_w] cols_n;   dW += dy_n cols_n^T;   dcols = W^T dy_n, folded back
//   (col2im) into dx_n;   db = sum of dy over n, i, j.
// The backward unfolds the input again rather than keeping every image's columns (memory
// k_h k_w times the input's).
#pragma once

#include <array>
#include <cstddef>

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

struct conv2d_options
{
    std::array<std::size_t, 2> stride{1, 1};   // s_h, s_w >= 1
    std::array<std::size_t, 2> padding{0, 0};  // zeros on both sides
    std::array<std::size_t, 2> dilation{1, 1}; // d_h, d_w >= 1
};

// x [N, C, H, W] (or [C, H, W]: one image, the result then [C_out, H_out, W_out]), w [C_out, C,
// k_h, k_w], bias [C_out] or undefined -> [N, C_out, H_out, W_out]. Throws shape_error naming the
// op and the shapes when ranks or C differ, or the padded input is smaller than the dilated
// kernel; value_error for a zero stride or dilation, or dtypes that differ.
Variable conv2d(const Variable& x, const Variable& w, const Variable& bias = Variable(),
                const conv2d_options& o = {});

struct conv1d_options
{
    std::size_t stride = 1, padding = 0, dilation = 1;
};

// x [N, C, L] (or [C, L]), w [C_out, C, k], bias [C_out] -> [N, C_out, L_out], L_out as H_out
// above. Acoustic frames [N, features, T] or character embeddings [N, dim, chars]. Throws as
// conv2d, naming conv1d.
Variable conv1d(const Variable& x, const Variable& w, const Variable& bias = Variable(),
                const conv1d_options& o = {});

struct pool2d_options
{
    std::array<std::size_t, 2> kernel{2, 2};
    std::array<std::size_t, 2> stride{0, 0};  // 0: the kernel size (PyTorch's default)
    std::array<std::size_t, 2> padding{0, 0}; // at most half the kernel, as PyTorch
};

// The largest value of each k_h x k_w window (padding reads as -inf). x [N, C, H, W] or
// [C, H, W] -> [N, C, H_out, W_out]. dL/dx: each output's gradient goes to the first largest
// element of its window (row-major order, as PyTorch's CPU kernel; NaN counts as largest).
// Throws shape_error when the window does not fit, value_error for a zero kernel or a padding
// above half the kernel.
Variable max_pool2d(const Variable& x, const pool2d_options& o);

// The mean of each window. count_include_pad (PyTorch's default): padded zeros count in the
// divisor (k_h k_w); otherwise only the window's cells inside the image. dL/dx: each output's
// gradient divided by that count, spread over its window.
Variable avg_pool2d(const Variable& x, const pool2d_options& o, bool count_include_pad = true);

// The mean over an adaptive grid of out_h x out_w cells: cell (i, j) covers rows
// [floor(i H / out_h), ceil((i + 1) H / out_h)) and the same for columns (PyTorch's rule; cells
// may overlap when H is not a multiple). x [N, C, H, W] or [C, H, W] -> [N, C, out_h, out_w].
// Throws value_error for a zero size.
Variable adaptive_avg_pool2d(const Variable& x, std::size_t out_h, std::size_t out_w);

} // namespace xgrad
