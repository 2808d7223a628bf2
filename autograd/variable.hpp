// Variable: the differentiable value. A cheap handle (one pointer) to a tensor, its gradient and
// the tape node that produced it. Copies of a handle refer to the same value, as in PyTorch.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "xgrad/autograd/sparse_rows.hpp"
#include "xgrad/autograd/tensor.hpp"

namespace xgrad
{

class tape;
class grad_context;

namespace detail
{
struct var_impl;
struct var_extras;
struct node;
} // namespace detail

class Variable
{
public:
    // An undefined variable (defined() is false).
    Variable() noexcept = default;
    // A leaf holding `data`; with requires_grad its gradient accumulates in grad(). Throws
    // value_error "integer tensors cannot require gradients" for requires_grad on an int64/int32
    // tensor (integer values are data, e.g. indices: they carry no derivative).
    Variable(Tensor data, bool requires_grad = false);
    template <class E>
    Variable(const xt::xexpression<E>& e, bool requires_grad = false)
        : Variable(Tensor::from(e), requires_grad)
    {}
    Variable(const Variable& o) noexcept;
    Variable(Variable&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    Variable& operator=(const Variable& o) noexcept;
    Variable& operator=(Variable&& o) noexcept;
    ~Variable();

    bool defined() const { return p_ != nullptr; }

    // The value. Writable: optimizers update parameters in place.
    Tensor& data() const;
    // dL/d(this), accumulated by backward(); undefined until a backward reaches this leaf.
    // Intermediate (non-leaf) values do not keep their gradient after backward, as in PyTorch,
    // unless retain_grad() was called on them.
    Tensor& grad() const;
    bool has_grad() const { return p_ && grad().defined(); }
    // Drops the gradient (the next backward starts it afresh), like PyTorch's set_to_none. A
    // row-sparse gradient (see grad_rows) is instead zeroed in its touched rows and kept aside
    // for the next backward, which then needs no new buffer.
    void zero_grad() const;
    // For a gradient that only index_select along axis 0 wrote (an embedding lookup): the rows
    // that may be non-zero, sorted and distinct; every other row of grad() is zero. nullptr
    // when the gradient is dense or absent. Optimizers use it to update only those rows.
    const std::vector<std::int64_t>* grad_rows() const;

    // On the output of an op: keep its gradient dL/d(this) after backward, readable through
    // grad(), as PyTorch's retain_grad(). It is captured when the sweep reaches the node that
    // produced this value (so it is complete, and includes any replacement made by a hook), and
    // accumulates across backward calls like a leaf's until zero_grad(). On a leaf it does
    // nothing (leaves keep their gradient anyway). Must be called before backward().
    void retain_grad() const;
    // Whether retain_grad() was called on this non-leaf value.
    bool retains_grad() const;

    bool requires_grad() const;
    // Only on leaves; throws graph_error on the output of an op, value_error when turning it on
    // for an integer tensor.
    Variable& set_requires_grad(bool on = true);
    bool is_leaf() const;
    // Name of the op that produced this value, or "leaf".
    const char* op_name() const;

    xgrad::dtype dtype() const { return data().dtype(); }
    const shape_t& shape() const { return data().shape(); }
    std::size_t dim() const { return data().dim(); }
    std::size_t size(int axis) const { return data().size(axis); }
    std::size_t numel() const { return data().numel(); }
    double item() const { return data().item(); }

    // Same data, no history, requires_grad false: gradients stop here (truncated BPTT).
    Variable detach() const;

    // Reverse sweep from this value. Without a seed the value must have one element (seed 1).
    // Throws graph_error when nothing requires grad, when the graph was already released (pass
    // retain_graph = true to the first call to backward twice) -- also when only a part of it
    // was, e.g. y = f(x); g(y).backward(); h(y).backward() fails since f's node is gone -- or
    // when the graph was recorded on another thread; shape_error when the seed's shape differs
    // from this value's, value_error when its dtype does (a seed is never converted). Every
    // one of these is thrown before any gradient changes.
    void backward(bool retain_graph = false) const;
    void backward(const Tensor& seed, bool retain_graph = false) const;

    detail::var_impl* impl() const { return p_; }
    // Adopts one reference to p (used by the tape).
    static Variable adopt(detail::var_impl* p) noexcept
    {
        Variable v;
        v.p_ = p;
        return v;
    }

private:
    detail::var_impl* p_ = nullptr;
};

namespace detail
{

struct var_impl
{
    var_impl();
    ~var_impl();
    var_impl(const var_impl&) = delete;
    var_impl& operator=(const var_impl&) = delete;

    std::atomic<std::uint32_t> refs{1};
    bool requires_grad = false;
    Tensor data;
    // For a leaf its accumulated gradient; for an op's output, dL/d(output) during the sweep
    // only (dropped when its node has run).
    Tensor grad;
    // Row-sparsity hint of grad (see Variable::grad_rows) and its spare buffer.
    sparse_rows sparse;
    // Gradient hooks and retain_grad() state (autograd/tape.hpp); null for almost every value,
    // so the sweep pays one pointer test per output.
    std::unique_ptr<var_extras> extras;
    // The producing node: its id on `owner` (0 for leaves). Ids are never reused, so a stale id
    // is recognised as "released" instead of pointing at another node.
    std::uint64_t node_id = 0;
    tape* owner = nullptr;
    std::uint64_t tape_serial = 0; // owner's serial: a new tape at the same address differs

    // Small objects created by every op: recycled through a per-thread free list.
    static void* operator new(std::size_t n);
    static void operator delete(void* p) noexcept;
};

inline void retain(var_impl* p) noexcept
{
    if (p)
        p->refs.fetch_add(1, std::memory_order_relaxed);
}
void release(var_impl* p) noexcept;

} // namespace detail

} // namespace xgrad
