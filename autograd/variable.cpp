#include "xgrad/autograd/variable.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace detail
{
namespace
{

// Per-thread free list of var_impl-sized blocks: every op creates one, so recycling them keeps
// malloc out of the steady state.
struct impl_cache
{
    std::vector<void*> free;
    ~impl_cache()
    {
        for (void* p : free)
            ::operator delete(p);
        alive = false;
    }
    static thread_local bool alive;
};
thread_local bool impl_cache::alive = true;

impl_cache& cache()
{
    thread_local impl_cache c;
    return c;
}

} // namespace

void* var_impl::operator new(std::size_t n)
{
    if (impl_cache::alive && n == sizeof(var_impl))
    {
        auto& c = cache();
        if (!c.free.empty())
        {
            void* p = c.free.back();
            c.free.pop_back();
            return p;
        }
    }
    return ::operator new(n);
}

void var_impl::operator delete(void* p) noexcept
{
    if (impl_cache::alive)
    {
        auto& c = cache();
        if (c.free.size() < (1u << 16))
        {
            try
            {
                c.free.push_back(p);
                return;
            }
            catch (...)
            {}
        }
    }
    ::operator delete(p);
}

var_impl::var_impl() = default;
var_impl::~var_impl() = default; // var_extras is complete here

void release(var_impl* p) noexcept
{
    if (p && p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
        delete p;
}

} // namespace detail

namespace
{
detail::var_impl& must(detail::var_impl* p)
{
    if (!p)
        fail<value_error>("variable: use of an undefined Variable");
    return *p;
}

void check_can_require_grad(const Tensor& data, const char* where)
{
    if (data.defined() && !is_floating(data.dtype()))
        fail<value_error>("{}: integer tensors cannot require gradients (this one is {} of shape "
                          "{}); only float32 and float64 values are differentiable",
                          where, dtype_name(data.dtype()), to_string(data.shape()));
}
} // namespace

Variable::Variable(Tensor data, bool requires_grad)
{
    if (requires_grad)
        check_can_require_grad(data, "Variable");
    p_ = new detail::var_impl;
    p_->data = std::move(data);
    p_->requires_grad = requires_grad;
}

Variable::Variable(const Variable& o) noexcept : p_(o.p_)
{
    detail::retain(p_);
}

Variable& Variable::operator=(const Variable& o) noexcept
{
    detail::retain(o.p_);
    detail::release(p_);
    p_ = o.p_;
    return *this;
}

Variable& Variable::operator=(Variable&& o) noexcept
{
    if (this != &o)
    {
        detail::release(p_);
        p_ = o.p_;
        o.p_ = nullptr;
    }
    return *this;
}

Variable::~Variable()
{
    detail::release(p_);
}

Tensor& Variable::data() const
{
    return must(p_).data;
}
Tensor& Variable::grad() const
{
    auto& v = must(p_);
    if (v.node_id != 0 && v.extras && v.extras->retains_grad)
        return v.extras->retained;
    return v.grad;
}

void Variable::zero_grad() const
{
    auto& v = must(p_);
    if (v.node_id != 0 && v.extras && v.extras->retains_grad)
        v.extras->retained = Tensor();
    else
        v.sparse.release(v.grad);
}

const std::vector<std::int64_t>* Variable::grad_rows() const
{
    auto& v = must(p_);
    if (v.node_id != 0 && v.extras && v.extras->retains_grad)
        return nullptr; // grad() is the retained copy, which carries no row hint
    return v.sparse.rows(v.grad);
}

void Variable::retain_grad() const
{
    auto& v = must(p_);
    if (v.node_id == 0)
        return; // a leaf keeps its gradient anyway
    if (!v.extras)
        v.extras = std::make_unique<detail::var_extras>();
    v.extras->retains_grad = true;
}

bool Variable::retains_grad() const
{
    const auto& v = must(p_);
    return v.node_id != 0 && v.extras && v.extras->retains_grad;
}
bool Variable::requires_grad() const
{
    return must(p_).requires_grad;
}
bool Variable::is_leaf() const
{
    return must(p_).node_id == 0;
}

Variable& Variable::set_requires_grad(bool on)
{
    if (!is_leaf())
        fail<graph_error>("set_requires_grad: only leaves can change requires_grad; this value is "
                          "the output of '{}' (use detach() to get a leaf)",
                          op_name());
    if (on)
        check_can_require_grad(p_->data, "set_requires_grad");
    p_->requires_grad = on;
    return *this;
}

const char* Variable::op_name() const
{
    const auto& v = must(p_);
    if (v.node_id == 0)
        return "leaf";
    if (v.owner != &tape::current() || v.tape_serial != tape::current().serial())
        return "op on another thread";
    return v.owner->op_name(v.node_id);
}

Variable Variable::detach() const
{
    return Variable(must(p_).data, false);
}

void Variable::backward(bool retain_graph) const
{
    const auto& v = must(p_);
    if (v.data.numel() != 1)
        fail<graph_error>("backward: the output has shape {}; backward() without a seed needs a "
                          "single value (reduce it with sum/mean, or pass a seed of that shape)",
                          to_string(v.data.shape()));
    backward(Tensor::ones(v.data.shape(), v.data.dtype()), retain_graph);
}

void Variable::backward(const Tensor& seed, bool retain_graph) const
{
    must(p_);
    tape::current().backward(*this, seed, retain_graph);
}

} // namespace xgrad
