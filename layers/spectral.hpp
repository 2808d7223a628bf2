// Spectral quantities of a recurrent weight, to check the theory of vanishing and exploding
// gradients against what a gradient_probe measures. Backpropagating through h_t = f(W h_{t-1} +
// ...) multiplies the gradient by diag(f'(.)) W^T at every step, so with |f'| <= gamma its norm
// shrinks at least geometrically when sigma_max(W) < 1 / gamma (sufficient for vanishing, Pascanu
// et al. 2013); the spectral radius rho(W) <= sigma_max(W) gives the asymptotic rate of W^k.
//
// Both work on a plain 2-D float32 or float64 matrix (computing in double) and record nothing.
// For the stacked gates of an LSTM or GRU (weight_hh [G*H, H]) take one gate's block first,
// e.g. narrow(cell.weight_hh, 0, g * H, H) under no_grad.
#pragma once

#include <cstddef>
#include <cstdint>

#include "xgrad/autograd/variable.hpp"

namespace xgrad::nn
{

struct spectral_options
{
    // Power iterations (largest_singular_value) or squarings (spectral_radius, which uses at most
    // min(max_iterations, 64): W^(2^64) is already far beyond what double can resolve).
    std::size_t max_iterations = 1000;
    // Stop when two successive estimates differ by at most tolerance * estimate.
    double tolerance = 1e-12;
    std::uint64_t seed = 5489; // the power iteration's random start vector
};

struct spectral_estimate
{
    double value = 0;           // the estimate
    std::size_t iterations = 0; // iterations (or squarings) run
    bool converged = false;     // the tolerance was met within max_iterations
};

// sigma_max(W), the largest singular value (the spectral norm ||W||_2) of W [m, n], by power
// iteration on W^T W from a random unit vector v: v <- W^T W v / ||W^T W v||, estimate ||W v||.
// Every estimate is a lower bound of sigma_max; the error falls like (sigma_2 / sigma_1)^(2k),
// slowly when the two largest singular values are close (converged then reports whether the
// estimates had settled, not a proven error bound). A zero matrix gives 0, converged. Throws
// shape_error naming the shape unless W is 2-D and non-empty, value_error for an integer dtype,
// a tolerance that is not > 0 or max_iterations 0.
spectral_estimate largest_singular_value(const Tensor& w, const spectral_options& options = {});
spectral_estimate largest_singular_value(const Variable& w, const spectral_options& options = {});

// rho(W) = max |lambda_i|, the spectral radius of a square W [n, n], by Gelfand's formula
// rho(W) = lim ||W^k||^(1/k) with k = 2^j: W is squared j times, each square rescaled to
// Frobenius norm 1 with the logarithms of the scales summed (so nothing overflows), and the
// estimate is exp(log ||W^k||_F / k). Unlike power iteration on W, this needs no dominant real
// eigenvalue: a complex pair, a rotation or several eigenvalues of equal modulus are handled
// alike. Every estimate is an upper bound (rho(W)^k = rho(W^k) <= ||W^k||_F) and approaches rho
// like C^(1/k) (C depends on W's eigenvectors; for a Jordan block, on k polynomially), so the
// relative error roughly halves per squaring. Costs O(n^3) per squaring (one GEMM). A nilpotent
// W gives 0 once a power is exactly zero. Throws shape_error naming the shape unless W is
// square and non-empty; value_error as largest_singular_value.
spectral_estimate spectral_radius(const Tensor& w, const spectral_options& options = {});
spectral_estimate spectral_radius(const Variable& w, const spectral_options& options = {});

} // namespace xgrad::nn
