#include "xgrad/optim/distributed/gradient_reducer.hpp"

#include <chrono>
#include <cstring>

#include "xgrad/autograd/shape.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad::distributed
{

gradient_reducer::gradient_reducer(const environment& env, std::vector<Variable> params,
                                   const reducer_options& o)
    : env_(env), params_(std::move(params))
{
    for (std::size_t i = 0; i < params_.size(); ++i)
    {
        const Variable& p = params_[i];
        if (!p.defined() || (p.dtype() != f32 && p.dtype() != f64))
            fail<distributed_error>("gradient_reducer: parameter {} is {}; f32 or f64 only", i,
                                    p.defined() ? dtype_name(p.dtype()) : "undefined");
    }
    // Buckets in parameter order, per dtype, up to bucket_bytes each.
    for (const dtype dt : {f32, f64})
    {
        bucket open;
        open.dt = dt;
        const std::size_t width = dt == f32 ? 4 : 8;
        const auto close = [&] {
            if (!open.members.empty())
                buckets_.push_back(std::move(open));
            open = bucket{};
            open.dt = dt;
        };
        for (std::size_t i = 0; i < params_.size(); ++i)
        {
            if (params_[i].dtype() != dt)
                continue;
            const std::size_t n = params_[i].numel();
            if (!open.members.empty() && (open.numel + n) * width > o.bucket_bytes)
                close();
            open.members.push_back(i);
            open.numel += n;
        }
        close();
    }
    for (bucket& b : buckets_)
        if (b.members.size() > 1)
            b.buffer = Tensor::empty({b.numel}, b.dt);
    // Every rank must have built the same buckets: compare the parameter count and sizes.
    std::map<std::string, Tensor> shapes;
    for (std::size_t i = 0; i < params_.size(); ++i)
        shapes[fmt::format("{:06}", i)] = params_[i].data();
    env_.check_same_model(shapes);
    present_.resize(params_.size());
    for (const Variable& p : params_)
        stats_.bytes += p.numel() * (p.dtype() == f32 ? 4 : 8);
}

void gradient_reducer::reduce(double scale)
{
    const auto t0 = std::chrono::steady_clock::now();
    no_grad quiet;
    // Which parameters have a gradient anywhere (one small allreduce).
    for (std::size_t i = 0; i < params_.size(); ++i)
        present_[i] = params_[i].has_grad() ? 1.0 : 0.0;
    env_.allreduce_sum(present_.data(), present_.size());
    for (std::size_t i = 0; i < params_.size(); ++i)
    {
        Variable& p = params_[i];
        if (present_[i] == 0)
            continue;
        if (!p.has_grad())
            p.grad() = Tensor::zeros(p.shape(), p.dtype());
        else if (p.grad_rows() || !p.grad().is_unique())
            // Reduced whole, the rows the ranks touched differ: a copy drops the row hint (it
            // belongs to the old buffer), and the optimizer sees a dense gradient.
            p.grad() = p.grad().clone();
    }
    for (bucket& b : buckets_)
    {
        // A parameter alone in its bucket is reduced in place; without a gradient on any rank
        // (every rank knows) there is nothing to reduce.
        if (b.members.size() == 1 && present_[b.members[0]] == 0)
            continue;
        Tensor& buf = b.members.size() == 1 ? params_[b.members[0]].grad() : b.buffer;
        const std::size_t width = b.dt == f32 ? 4 : 8;
        if (b.members.size() > 1)
        {
            auto* dst = static_cast<char*>(buf.raw_data());
            for (std::size_t i : b.members)
            {
                const std::size_t bytes = params_[i].numel() * width;
                if (params_[i].has_grad())
                    std::memcpy(dst, params_[i].grad().raw_data(), bytes);
                else
                    std::memset(dst, 0, bytes);
                dst += bytes;
            }
        }
        env_.allreduce_sum(buf);
        ++stats_.allreduces;
        // Unpack and scale (one pass).
        dispatch(b.dt, [&](auto tag) {
            using T = decltype(tag);
            const T s = static_cast<T>(scale);
            const T* src = static_cast<const T*>(buf.raw_data());
            for (std::size_t i : b.members)
            {
                const std::size_t n = params_[i].numel();
                if (present_[i] == 0)
                {
                    src += n;
                    continue;
                }
                T* g = params_[i].grad().template data<T>();
                for (std::size_t k = 0; k < n; ++k)
                    g[k] = src[k] * s;
                src += n;
            }
        });
    }
    ++stats_.calls;
    stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace xgrad::distributed
