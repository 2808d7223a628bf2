// sparse_rows: the row-sparsity hint of one gradient, and its spare buffer. An embedding lookup's
// backward adds into a few rows of a large table's gradient (grad_context::slot_rows); the hint
// lists those rows so that plain SGD updates, and zero_grad() clears, only them. The gradient
// itself is always a valid dense tensor: the hint is only ever an optimisation, and it is
// dropped the moment any dense contribution arrives.
//
// The hint belongs to one particular buffer: it is valid only while the gradient is the tensor
// it was recorded for (the same storage acquisition), so replacing or copying the gradient
// anywhere invalidates it without anyone having to remember to.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xgrad::detail
{

class sparse_rows
{
public:
    // The rows of `grad` that may be non-zero (sorted, distinct), or nullptr when `grad` is not
    // the row-sparse buffer the hint was recorded for (dense, absent or replaced).
    const std::vector<std::int64_t>* rows(const Tensor& grad)
    {
        if (!covers(grad))
            return nullptr;
        if (!s_->sorted)
        {
            std::sort(s_->rows.begin(), s_->rows.end());
            s_->rows.erase(std::unique(s_->rows.begin(), s_->rows.end()), s_->rows.end());
            s_->sorted = true;
        }
        return &s_->rows;
    }

    // Whether the hint describes `grad`.
    bool covers(const Tensor& grad) const
    {
        return s_ && grad.defined() && s_->of != 0 && s_->of == grad.storage_id();
    }

    // A dense contribution arrived (or the gradient was replaced): forget the rows.
    void drop()
    {
        if (s_)
            s_->of = 0;
    }

    // A kernel is about to add into `rows` of `grad`. `fresh`: grad was absent before this
    // contribution (the list starts anew); `was_sparse`: the hint covered grad before it (it
    // may have been copied since). Anything else means rows were added to a dense gradient,
    // which stays dense.
    void add(const Tensor& grad, const std::int64_t* rows, std::size_t n_rows, bool fresh,
             bool was_sparse)
    {
        if (!fresh && !was_sparse)
        {
            drop();
            return;
        }
        if (!s_)
            s_ = std::make_unique<state>();
        if (fresh)
            s_->rows.clear();
        s_->rows.insert(s_->rows.end(), rows, rows + n_rows);
        s_->of = grad.storage_id();
        s_->sorted = false;
    }

    // zero_grad(): a row-sparse, unshared gradient is zeroed in its touched rows and kept as
    // the spare buffer for the next backward (cheaper than a fresh zero-filled one); `grad` is
    // left undefined either way and the hint dropped.
    void release(Tensor& grad)
    {
        const auto* touched = rows(grad);
        if (touched && grad.is_unique() && grad.dim() >= 1 && grad.shape()[0] > 0)
        {
            const std::size_t width = grad.nbytes() / grad.shape()[0];
            char* base = static_cast<char*>(grad.raw_data());
            for (std::int64_t r : *touched)
                std::memset(base + static_cast<std::size_t>(r) * width, 0, width);
            s_->spare = std::move(grad);
        }
        grad = Tensor();
        if (s_)
            s_->rows.clear();
        drop();
    }

    // Gives an absent gradient the zeroed spare buffer, if there is one of the value's shape
    // and dtype; returns whether it did.
    bool reuse_spare(Tensor& grad, const Tensor& data)
    {
        if (grad.defined() || !s_ || !s_->spare.defined())
            return false;
        if (s_->spare.shape() != data.shape() || s_->spare.dtype() != data.dtype())
        {
            s_->spare = Tensor();
            return false;
        }
        grad = std::move(s_->spare);
        s_->spare = Tensor();
        return true;
    }

private:
    // Allocated by the first row-sparse contribution: every value carries a sparse_rows, few
    // (embedding tables) ever use it, and one pointer keeps each value small (a graph of
    // 10^6 ops is 10^6 of them).
    struct state
    {
        std::vector<std::int64_t> rows;
        std::uint64_t of = 0; // storage_id() of the gradient the rows describe (0: none)
        bool sorted = false;
        Tensor spare; // a zeroed buffer kept by release() for the next backward
    };
    std::unique_ptr<state> s_;
};

} // namespace xgrad::detail
