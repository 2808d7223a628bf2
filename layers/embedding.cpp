#include "xgrad/layers/embedding.hpp"

#include <algorithm>

#include "xgrad/autograd/ops/layout.hpp"
#include "xgrad/autograd/scratch.hpp"
#include "xgrad/layers/init.hpp"

namespace xgrad::nn
{

Embedding::Embedding(std::size_t num, std::size_t dim, generator& g) : num_(num), dim_(dim)
{
    if (num == 0 || dim == 0)
        fail<value_error>("Embedding: sizes must be positive, got num={} dim={}", num, dim);
    weight = register_parameter("weight", Tensor::empty({num, dim}));
    init::normal(weight, 0.0, 1.0, g);
}

Embedding::Embedding(std::size_t num, std::size_t dim, std::int64_t padding_idx, generator& g)
    : Embedding(num, dim, g)
{
    const auto n = static_cast<std::int64_t>(num);
    if (padding_idx < -n || padding_idx >= n)
        fail<value_error>("Embedding({}, {}): padding_idx {} is outside [{}, {})", num, dim,
                          padding_idx, -n, n);
    padding_ = static_cast<std::size_t>(padding_idx < 0 ? padding_idx + n : padding_idx);
    // As PyTorch: the table is drawn whole (same generator draws), then the row is zeroed.
    Tensor w = weight.data();
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        std::fill_n(w.data<T>() + *padding_ * dim_, dim_, T(0));
    });
}

Variable Embedding::forward(const std::vector<std::int64_t>& ids) const
{
    const auto pad = padding_ ? static_cast<std::int64_t>(*padding_) : -1;
    if (!padding_ || std::find(ids.begin(), ids.end(), pad) == ids.end())
        return index_select(weight, ids, 0);
    // The other ids go through one differentiable gather, whose scatter-add backward touches
    // (and lists as row-sparse) only their rows; padding positions read the row detached, so no
    // gradient can reach it. A second gather puts both in the order of ids.
    scratch_vector<std::int64_t> kept_s, order_s, pad_s; // pooled: no allocation per call
    std::vector<std::int64_t>&kept = *kept_s, &order = *order_s, &pad_id = *pad_s;
    order.resize(ids.size());
    pad_id.assign(1, pad);
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] != pad)
        {
            order[i] = static_cast<std::int64_t>(kept.size());
            kept.push_back(ids[i]);
        }
    const auto pad_at = static_cast<std::int64_t>(kept.size());
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] == pad)
            order[i] = pad_at;
    const Variable pad_row = index_select(weight.detach(), pad_id, 0);
    const Variable rows =
        kept.empty() ? pad_row : concat({index_select(weight, kept, 0), pad_row}, 0);
    return index_select(rows, order, 0);
}

Variable Embedding::forward(const std::vector<std::int64_t>& ids, const shape_t& shape) const
{
    if (numel(shape) != ids.size())
        fail<shape_error>("Embedding: {} ids do not fill shape {}", ids.size(), to_string(shape));
    shape_t out = shape;
    out.push_back(dim_);
    return reshape(forward(ids), out);
}

std::string Embedding::describe() const
{
    if (padding_)
        return fmt::format("Embedding({}, {}, padding_idx={})", num_, dim_, *padding_);
    return fmt::format("Embedding({}, {})", num_, dim_);
}

} // namespace xgrad::nn
