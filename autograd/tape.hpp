// The tape: a flat, per-thread list of nodes in creation order. Every op on values that require
// gradients appends one node (its inputs, its output, and a backward function). backward() sweeps
// the list once in reverse, so a 100,000-step chain needs no recursion; nodes live in an arena
// that is reset when the tape empties, so recording allocates nothing in the steady state.
//
// Writing an op (the whole contract):
//
//   Variable square(const Variable& x)
//   {
//       Tensor y = ...;                                   // forward on x.data()
//       return record("square", y, {x}, [](grad_context& g) {
//           // d(x^2)/dx = 2x, so dL/dx = 2 x dL/dy
//           g.accumulate(0, 2 * g.input(0) * g.grad());     // (schematic)
//       });
//   }
//
// record() appends a node only if grad mode is on and some input requires grad; otherwise it
// returns the plain value. An integer output (an argmax, a mask of indices) is never recorded:
// it is a plain value with requires_grad false, as in PyTorch. The lambda is stored in the arena:
// capture by value what backward needs (tensors are shared handles, so capturing the output costs
// no copy).
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xgrad/autograd/var_list.hpp"
#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

// What a node's backward function sees: dL/d(output), the inputs, and where to add dL/d(input).
class grad_context
{
    friend class tape;

public:
    explicit grad_context(detail::node& n) : n_(n) {}

    // dL/d(output k); same shape and dtype as that output. An output that received no gradient
    // (it does not lead to the loss) reads as zeros.
    const Tensor& grad(std::size_t k = 0) const;
    // Whether output k received a gradient (for ops with several outputs).
    bool has_grad(std::size_t k) const;
    // The data of input i.
    const Tensor& input(std::size_t i) const;
    std::size_t num_inputs() const;
    // Whether input i wants a gradient; skip computing it otherwise.
    bool needs(std::size_t i) const;
    // Adds g to input i's gradient (no copy when it is the first contribution). g must have the
    // input's shape: a mismatch is a bug in the op and throws shape_error naming it.
    void accumulate(std::size_t i, const Tensor& g);
    // Input i's gradient buffer, zero-filled if it had none and unshared: kernels add into it in
    // place (e.g. a GEMM with beta = 1).
    // With `overwrite` given, a new buffer is left uninitialised and *overwrite set to true:
    // the caller must then write every element (a GEMM with beta = 0) instead of adding, which
    // saves zero-filling it.
    Tensor& slot(std::size_t i, bool* overwrite = nullptr);
    // slot() for a kernel that adds only into the given rows (axis 0) of input i: the gradient
    // stays row-sparse (Variable::grad_rows) if it was, or was absent.
    Tensor& slot_rows(std::size_t i, const std::int64_t* rows, std::size_t n_rows);
    Tensor& slot_rows(std::size_t i, const std::vector<std::int64_t>& rows)
    {
        return slot_rows(i, rows.data(), rows.size());
    }
    // Name of the op whose backward is running (for error messages).
    const char* op() const;
    // For an op that runs a backward of its own (recompute.hpp): moves out the gradient input
    // i has accumulated so far in this sweep (undefined if none), so that the inner sweep adds
    // to it in the order an unsegmented graph would; put_accumulated() hands it back (a
    // replacement, not an addition; it must have the input's shape and dtype).
    Tensor take_accumulated(std::size_t i);
    void put_accumulated(std::size_t i, Tensor g);

private:
    // The value input i's gradient goes to (prepared for a leaf with hooks, see register_hook).
    detail::var_impl& target(std::size_t i);
    detail::node& n_;
};

// A gradient hook: called with dL/dv; returning a tensor replaces the gradient, std::nullopt
// keeps it. See register_hook.
using grad_hook_fn = std::function<std::optional<Tensor>(const Tensor& grad)>;

namespace detail
{

struct grad_hook
{
    std::uint64_t id;
    std::string name;
    grad_hook_fn fn;
};

// What few values need: hooks and retain_grad() (Variable holds it through var_impl::extras).
struct var_extras
{
    std::vector<grad_hook> hooks;
    bool retains_grad = false;
    Tensor retained; // a non-leaf's kept gradient (retain_grad)
    // A leaf with hooks during a backward pass: the gradient it held before this pass (the pass
    // collects its own contribution apart, runs the hooks on it, then adds the two).
    Tensor before_pass;
    std::uint64_t pass = 0; // the pass that stashed before_pass
};

extern thread_local bool anomaly_mode;

struct node
{
    const char* name = "";
    std::uint64_t id = 0;
    var_impl** outputs = nullptr; // strong references, n_outputs of them, in the arena
    var_impl** inputs = nullptr;  // strong references, n_inputs of them, in the arena
    std::uint32_t n_outputs = 0, n_inputs = 0;

    virtual void backward(grad_context& ctx) = 0;
    virtual ~node();
};

template <class F>
struct lambda_node final : node
{
    template <class G>
    explicit lambda_node(G&& g) : fn(std::forward<G>(g))
    {}
    void backward(grad_context& ctx) override { fn(ctx); }
    F fn;
};

// A bump allocator over retained blocks; reset() makes all of it free again.
class arena
{
public:
    void* allocate(std::size_t bytes, std::size_t align);
    void reset();
    std::size_t capacity() const;

private:
    std::vector<std::unique_ptr<char[]>> blocks_;
    std::vector<std::size_t> sizes_;
    std::size_t current_ = 0, offset_ = 0;
};

} // namespace detail

class tape
{
public:
    tape();
    ~tape();
    tape(const tape&) = delete;
    tape& operator=(const tape&) = delete;

    // The calling thread's tape.
    static tape& current();

    // Nodes still recorded (0 after a backward() that released its whole graph).
    std::size_t size() const { return live_; }
    // Unique over the process's lifetime (a thread's tape may reuse a dead thread's address).
    std::uint64_t serial() const { return serial_; }
    // Bytes reserved by the node arena.
    std::size_t arena_bytes() const { return arena_.capacity(); }
    // Drops every recorded node: gradients can no longer flow through existing values.
    void clear();
    // Drops nodes whose output nobody can reach any more (a graph built and abandoned without
    // backward). Runs by itself as the tape grows.
    void collect();

    template <class F>
    Variable record(const char* name, Tensor out, const Variable* inputs, std::size_t n, F&& bw);
    // An op with several outputs (a fused LSTM step gives h and c): one node, whose backward
    // runs when any output received a gradient.
    // outs[0 .. n_outs) are moved into the results.
    template <class F>
    var_list record_multi(const char* name, Tensor* outs, std::size_t n_outs,
                          const Variable* inputs, std::size_t n, F&& bw);

    // Throws graph_error (before any gradient changes) when the root's graph, or any part of
    // it the sweep would reach, was released by an earlier backward() or clear(); value_error
    // when seed's dtype differs from root's; shape_error when its shape does.
    // If a backward function throws, the exception propagates and the nodes not yet visited
    // keep no partial gradients; leaves may hold part of this backward's contributions (call
    // zero_grad() before retrying).
    void backward(const Variable& root, const Tensor& seed, bool retain_graph);
    // Several roots in one sweep, roots[k] seeded with seeds[k] (PyTorch's
    // torch.autograd.backward(tensors, grad_tensors)); a value reached from several roots gets
    // the sum. Each root is checked as above before any gradient changes; an undefined root
    // throws graph_error.
    void backward(const Variable* roots, const Tensor* seeds, std::size_t n, bool retain_graph);

    // Name of the op of node `id`, or "released" when it is gone.
    const char* op_name(std::uint64_t id) const;

    // Anomaly detection: throws anomaly_error if out (the forward output of op `name`) holds a
    // NaN or infinity. Called by record() while detect_anomaly is active.
    void check_forward(const char* name, const Tensor* outs, std::size_t n_outs,
                       const Variable* inputs, std::size_t n) const;

private:
    friend class grad_context;
    friend class tape_scope;
    void check_root(const Variable& root, const Tensor& seed) const;
    // register_hook support: a leaf with hooks gets its own gradient for this pass.
    void stash_leaf(detail::var_impl& v);
    // Runs the hooks of every leaf stashed in this pass (when run is true) and adds each pass's
    // gradient to what the leaf held before; releases the list.
    void finish_leaves(bool run);
    // Before a node's backward: the hooks and retain_grad() of its outputs.
    void prepare_outputs(detail::node& n);
    void check_backward(const detail::node& n, std::size_t index) const;
    // Throws graph_error when a value the sweep from root would reach was produced by a node
    // already released (its contribution would be lost silently).
    void check_graph_intact(const Variable* roots, std::size_t n);
    // "tanh (#12), matmul (#11), ..." for the live nodes just before index (most recent first).
    std::string preceding(std::size_t index, std::size_t count) const;

    void* allocate_node(std::size_t bytes, std::size_t align);
    void push(detail::node* n, Tensor* outs, Variable* results, std::size_t n_outs,
              const Variable* inputs, std::size_t count);
    // Grad mode is on and some input requires grad.
    static bool wants_record(const Variable* inputs, std::size_t n);
    detail::node* find(std::uint64_t id) const;
    void destroy(std::size_t index);
    void trim();

    detail::arena arena_;
    std::vector<detail::node*> nodes_; // nodes_[i] has id first_id_ + i; nullptr once released
    std::uint64_t first_id_ = 1, next_id_ = 1;
    std::size_t live_ = 0;
    std::size_t collect_at_ = 1 << 14;
    // A sweep left nodes its caller still held (a step's final states, kept in the step's
    // output): collect them when recording resumes, by which time the handles are usually gone.
    bool collect_pending_ = false;
    std::uint64_t serial_;
    std::uint64_t pass_ = 0; // counts backward passes (leaf hooks know their pass by it)
    bool sweeping_ = false;  // a backward is running (backward inside a hook is refused)
    std::vector<detail::var_impl*> hooked_leaves_; // leaves stashed this pass (strong refs)
    std::vector<char> reach_; // check_graph_intact's marks, kept to reuse the buffer

    static thread_local tape* current_;   // a tape_scope's tape, or null for the thread's own
    static thread_local tape* leaf_owner; // the outermost tape sweeping on this thread
};

// Makes a fresh, empty tape the calling thread's current tape while it lives; scopes nest. For
// a backward function that records and sweeps a graph of its own in the middle of a sweep
// (recompute.hpp). Values recorded in the scope belong to its tape: do not let them escape it
// (the scope clears its tape on exit). A backward run inside the scope during an enclosing
// backward is part of that pass: hooks of leaves run once, at the end of the outer pass.
// The tapes are kept per nesting depth, so their arenas are reused.
class tape_scope
{
public:
    tape_scope();
    ~tape_scope();
    tape_scope(const tape_scope&) = delete;
    tape_scope& operator=(const tape_scope&) = delete;
    tape& get() { return *mine_; }

private:
    tape* prev_;
    tape* mine_;
};

// Grad mode of the calling thread: while false, ops record nothing.
bool is_grad_enabled();
void set_grad_enabled(bool on);

// Scope guard: nothing is recorded while it lives (evaluation, optimizer updates).
class no_grad
{
public:
    no_grad() : prev_(is_grad_enabled()) { set_grad_enabled(false); }
    ~no_grad() { set_grad_enabled(prev_); }
    no_grad(const no_grad&) = delete;
    no_grad& operator=(const no_grad&) = delete;

private:
    bool prev_;
};

// ---- gradient hooks -------------------------------------------------------------------------

// Removes a hook registered by register_hook. Holds a reference to the hooked value until
// remove() or its destruction (destroying the handle does not remove the hook, as in PyTorch).
class hook_handle
{
public:
    hook_handle() = default;
    hook_handle(Variable v, std::uint64_t id) : v_(std::move(v)), id_(id) {}
    // Unregisters the hook; returns whether it was still registered (false on a second call).
    bool remove();
    std::uint64_t id() const { return id_; }

private:
    Variable v_;
    std::uint64_t id_ = 0;
};

// Registers fn to be called with dL/dv during backward, once per backward pass in which v gets
// a gradient, with that pass's complete gradient of v:
//  - v the output of an op: when the reverse sweep reaches the node that produced v, after
//    every later use of v has contributed and before that node's backward runs. A returned
//    tensor replaces dL/dv for the rest of the sweep (what the node's backward propagates, and
//    what retain_grad() keeps).
//  - v a leaf: once after the sweep, with the sum of every contribution of this pass (not per
//    contribution as PyTorch does). A returned tensor replaces this pass's contribution; the
//    result is then added to the gradient v already held from earlier passes.
// Several hooks on one value run in registration order, each seeing the previous one's result.
// Hooks run without recording (no_grad); they may read the gradient but must not change the
// tensor they are given in place, and may not call backward(). A replacement of another shape
// throws shape_error naming the hook (`name`, or "#<id>"), the value's op and both shapes; one
// of another float dtype is converted. Throws graph_error when v does not require grad.
hook_handle register_hook(const Variable& v, grad_hook_fn fn, std::string name = "");

// ---- anomaly detection ----------------------------------------------------------------------

// Whether NaN/inf checking is on for the calling thread.
inline bool is_anomaly_enabled()
{
    return detail::anomaly_mode;
}
void set_anomaly_enabled(bool on);

// Scope guard (thread-local, restores the previous setting on exit): while it lives, every op's
// forward output (recorded or not) and every gradient a backward function produces (each
// input's gradient after its node ran, and each hook's result) is checked for NaN and
// infinity. The first one throws anomaly_error naming the op, forward or backward, the input
// it concerns, the shapes, the node's id on the tape and the ops recorded just before it.
// Off, it costs one branch per op and per node.
class detect_anomaly
{
public:
    explicit detect_anomaly(bool on = true) : prev_(is_anomaly_enabled())
    {
        set_anomaly_enabled(on);
    }
    ~detect_anomaly() { set_anomaly_enabled(prev_); }
    detect_anomaly(const detect_anomaly&) = delete;
    detect_anomaly& operator=(const detect_anomaly&) = delete;

private:
    bool prev_;
};

template <class F>
Variable tape::record(const char* name, Tensor out, const Variable* inputs, std::size_t n, F&& bw)
{
    if (is_anomaly_enabled())
        check_forward(name, &out, 1, inputs, n);
    if (!wants_record(inputs, n) || !is_floating(out.dtype()))
        return Variable(std::move(out));
    using node_t = detail::lambda_node<std::decay_t<F>>;
    void* mem = allocate_node(sizeof(node_t), alignof(node_t));
    auto* nd = new (mem) node_t(std::forward<F>(bw));
    nd->name = name;
    Variable result;
    push(nd, &out, &result, 1, inputs, n);
    return result;
}

template <class F>
var_list tape::record_multi(const char* name, Tensor* outs, std::size_t n_outs,
                            const Variable* inputs, std::size_t n, F&& bw)
{
    if (is_anomaly_enabled())
        check_forward(name, outs, n_outs, inputs, n);
    var_list results(n_outs);
    if (!wants_record(inputs, n))
    {
        for (std::size_t k = 0; k < n_outs; ++k)
            results[k] = Variable(std::move(outs[k]));
        return results;
    }
    using node_t = detail::lambda_node<std::decay_t<F>>;
    void* mem = allocate_node(sizeof(node_t), alignof(node_t));
    auto* nd = new (mem) node_t(std::forward<F>(bw));
    nd->name = name;
    push(nd, outs, results.data(), n_outs, inputs, n);
    return results;
}

// Records an op on the calling thread's tape (see the contract at the top of this file).
template <class F>
Variable record(const char* name, Tensor out, std::initializer_list<Variable> inputs, F&& bw)
{
    return tape::current().record(name, std::move(out), inputs.begin(), inputs.size(),
                                  std::forward<F>(bw));
}
template <class F>
Variable record(const char* name, Tensor out, const std::vector<Variable>& inputs, F&& bw)
{
    return tape::current().record(name, std::move(out), inputs.data(), inputs.size(),
                                  std::forward<F>(bw));
}
// The same for an op with several outputs; grad_context::grad(k) is output k's gradient.
// The results are a var_list (inline up to four: no heap allocation for the list).
template <class F>
var_list record_multi(const char* name, std::vector<Tensor> outs,
                      std::initializer_list<Variable> inputs, F&& bw)
{
    return tape::current().record_multi(name, outs.data(), outs.size(), inputs.begin(),
                                        inputs.size(), std::forward<F>(bw));
}
template <class F>
var_list record_multi(const char* name, std::initializer_list<Tensor> outs,
                      std::initializer_list<Variable> inputs, F&& bw)
{
    // Tensor copies share storage: copying out of the initializer_list costs a reference count.
    std::array<Tensor, var_list::inline_capacity> held;
    if (outs.size() > held.size())
        return record_multi(name, std::vector<Tensor>(outs), inputs, std::forward<F>(bw));
    std::copy(outs.begin(), outs.end(), held.begin());
    return tape::current().record_multi(name, held.data(), outs.size(), inputs.begin(),
                                        inputs.size(), std::forward<F>(bw));
}

} // namespace xgrad
