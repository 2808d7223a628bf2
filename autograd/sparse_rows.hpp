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
        if (!sorted_)
        {
            std::sort(rows_.begin(), rows_.end());
            rows_.erase(std::unique(rows_.begin(), rows_.end()), rows_.end());
            sorted_ = true;
        }
        return &rows_;
    }

    // Whether the hint describes `grad`.
    bool covers(const Tensor& grad) const
    {
        return grad.defined() && of_ != 0 && of_ == grad.storage_id();
    }

    // A dense contribution arrived (or the gradient was replaced): forget the rows.
    void drop() { of_ = 0; }

    // A kernel is about to add into `rows` of `grad`. `fresh`: grad was absent before this
    // contribution (the list starts anew); `was_sparse`: the hint covered grad before it (it
    // may have been copied since). Anything else means rows were added to a dense gradient,
    // which stays dense.
    void add(const Tensor& grad, const std::vector<std::int64_t>& rows, bool fresh, bool was_sparse)
    {
        if (!fresh && !was_sparse)
        {
            drop();
            return;
        }
        if (fresh)
            rows_.clear();
        rows_.insert(rows_.end(), rows.begin(), rows.end());
        of_ = grad.storage_id();
        sorted_ = false;
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
            spare_ = std::move(grad);
        }
        grad = Tensor();
        rows_.clear();
        drop();
    }

    // Gives an absent gradient the zeroed spare buffer, if there is one of the value's shape
    // and dtype; returns whether it did.
    bool reuse_spare(Tensor& grad, const Tensor& data)
    {
        if (grad.defined() || !spare_.defined())
            return false;
        if (spare_.shape() != data.shape() || spare_.dtype() != data.dtype())
        {
            spare_ = Tensor();
            return false;
        }
        grad = std::move(spare_);
        spare_ = Tensor();
        return true;
    }

private:
    std::vector<std::int64_t> rows_;
    std::uint64_t of_ = 0; // storage_id() of the gradient the rows describe (0: none)
    bool sorted_ = false;
    Tensor spare_; // a zeroed buffer kept by release() for the next backward
};

} // namespace xgrad::detail
