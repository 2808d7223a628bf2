#include "xgrad/autograd/tape.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>

namespace xgrad
{

namespace detail
{
thread_local bool anomaly_mode = false;
}

void set_anomaly_enabled(bool on)
{
    detail::anomaly_mode = on;
}

namespace
{
thread_local bool grad_mode = true;

// a += b elementwise; both contiguous with equal sizes and dtypes. The one place gradients are
// summed.
void add_into(Tensor& a, const Tensor& b)
{
    dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* __restrict pa = a.data<T>();
        const T* __restrict pb = b.data<T>();
        const std::size_t n = a.numel();
        for (std::size_t i = 0; i < n; ++i)
            pa[i] += pb[i];
    });
}
} // namespace

bool is_grad_enabled()
{
    return grad_mode;
}
void set_grad_enabled(bool on)
{
    grad_mode = on;
}

// ---- grad_context ---------------------------------------------------------------------------

const Tensor& grad_context::grad(std::size_t k) const
{
    detail::var_impl& out = *n_.outputs[k];
    if (!out.grad.defined())
        out.grad = Tensor::zeros(out.data.shape(), out.data.dtype());
    return out.grad;
}

bool grad_context::has_grad(std::size_t k) const
{
    return k < n_.n_outputs && n_.outputs[k]->grad.defined();
}
const Tensor& grad_context::input(std::size_t i) const
{
    return n_.inputs[i]->data;
}
std::size_t grad_context::num_inputs() const
{
    return n_.n_inputs;
}
const char* grad_context::op() const
{
    return n_.name;
}

bool grad_context::needs(std::size_t i) const
{
    return i < n_.n_inputs && n_.inputs[i] && n_.inputs[i]->requires_grad;
}

detail::var_impl& grad_context::target(std::size_t i)
{
    detail::var_impl& in = *n_.inputs[i];
    if (in.extras && in.node_id == 0 && tape::leaf_owner)
        tape::leaf_owner->stash_leaf(in);
    return in;
}

namespace
{
// A gradient someone replaced with one of another shape or dtype would make kernels write out
// of bounds: refuse it.
void check_grad_buffer(const grad_context& c, std::size_t i, const detail::var_impl& in)
{
    if (in.grad.defined() &&
        (in.grad.shape() != in.data.shape() || in.grad.dtype() != in.data.dtype()))
        fail<shape_error>("{} backward: input {} holds a {} gradient of shape {} for a {} value "
                          "of shape {}",
                          c.op(), i, dtype_name(in.grad.dtype()), to_string(in.grad.shape()),
                          dtype_name(in.data.dtype()), to_string(in.data.shape()));
}

// Adds g (same shape and dtype) to a gradient: adopted without a copy when there is none yet
// (slot() copies a shared buffer before anyone writes into it), added in place otherwise.
void add_gradient(Tensor& acc, const Tensor& g)
{
    if (!acc.defined())
    {
        acc = g;
        return;
    }
    if (!acc.is_unique())
        acc = acc.clone();
    add_into(acc, g);
}
} // namespace

void grad_context::accumulate(std::size_t i, const Tensor& g)
{
    if (!needs(i))
        return;
    detail::var_impl& in = target(i);
    if (g.shape() != in.data.shape())
        fail<shape_error>("{} backward: gradient of shape {} for input {} of shape {}", n_.name,
                          to_string(g.shape()), i, to_string(in.data.shape()));
    const Tensor gg = g.dtype() == in.data.dtype() ? g : g.to(in.data.dtype());
    in.sparse.drop(); // a dense contribution
    check_grad_buffer(*this, i, in);
    add_gradient(in.grad, gg);
}

Tensor grad_context::take_accumulated(std::size_t i)
{
    detail::var_impl& in = target(i);
    check_grad_buffer(*this, i, in);
    in.sparse.drop(); // the inner sweep treats it as dense
    Tensor g = std::move(in.grad);
    in.grad = Tensor();
    return g;
}

void grad_context::put_accumulated(std::size_t i, Tensor g)
{
    detail::var_impl& in = target(i);
    if (g.defined() && (g.shape() != in.data.shape() || g.dtype() != in.data.dtype()))
        fail<shape_error>("{} backward: a {} gradient of shape {} for input {}, a {} of shape {}",
                          n_.name, dtype_name(g.dtype()), to_string(g.shape()), i,
                          dtype_name(in.data.dtype()), to_string(in.data.shape()));
    in.sparse.drop();
    in.grad = std::move(g);
}

Tensor& grad_context::slot(std::size_t i, bool* overwrite)
{
    detail::var_impl& in = target(i);
    in.sparse.drop(); // a dense contribution
    check_grad_buffer(*this, i, in);
    if (overwrite)
        *overwrite = false;
    if (!in.grad.defined() && !in.sparse.reuse_spare(in.grad, in.data))
    {
        if (overwrite)
        {
            in.grad = Tensor::empty(in.data.shape(), in.data.dtype());
            *overwrite = true;
        }
        else
            in.grad = Tensor::zeros(in.data.shape(), in.data.dtype());
    }
    else if (!in.grad.is_unique())
        in.grad = in.grad.clone();
    return in.grad;
}

Tensor& grad_context::slot_rows(std::size_t i, const std::int64_t* rows, std::size_t n_rows)
{
    detail::var_impl& in = target(i);
    check_grad_buffer(*this, i, in);
    const bool was_sparse = in.sparse.covers(in.grad);
    const bool fresh = !in.grad.defined();
    if (fresh && !in.sparse.reuse_spare(in.grad, in.data))
        in.grad = Tensor::zeros(in.data.shape(), in.data.dtype());
    if (!in.grad.is_unique())
        in.grad = in.grad.clone(); // a copy of a row-sparse gradient is still row-sparse
    // Only a leaf's hint is ever read (an optimizer's sparse update, zero_grad): an intermediate
    // (a gather from the step's own activations) records none, which also keeps its backward
    // free of the hint's heap list.
    if (in.node_id == 0)
        in.sparse.add(in.grad, rows, n_rows, fresh, was_sparse);
    else
        in.sparse.drop();
    return in.grad;
}

// ---- node and arena -------------------------------------------------------------------------

namespace detail
{

node::~node()
{
    for (std::uint32_t k = 0; k < n_outputs; ++k)
        release(outputs[k]);
    for (std::uint32_t i = 0; i < n_inputs; ++i)
        release(inputs[i]);
}

void* arena::allocate(std::size_t bytes, std::size_t align)
{
    while (current_ < blocks_.size())
    {
        std::size_t at = (offset_ + align - 1) / align * align;
        if (at + bytes <= sizes_[current_])
        {
            offset_ = at + bytes;
            return blocks_[current_].get() + at;
        }
        ++current_;
        offset_ = 0;
    }
    // new[] of char is aligned for any fundamental type; nodes need nothing stricter.
    const std::size_t size = std::max<std::size_t>(bytes + align, std::size_t{64} << 10);
    blocks_.emplace_back(new char[size]);
    sizes_.push_back(size);
    current_ = blocks_.size() - 1;
    offset_ = 0;
    return allocate(bytes, align);
}

void arena::reset()
{
    current_ = 0;
    offset_ = 0;
}

std::size_t arena::capacity() const
{
    std::size_t n = 0;
    for (std::size_t s : sizes_)
        n += s;
    return n;
}

} // namespace detail

// ---- tape -----------------------------------------------------------------------------------

namespace
{
std::atomic<std::uint64_t> next_tape_serial{1};
}

tape::tape() : serial_(next_tape_serial.fetch_add(1))
{}

tape::~tape()
{
    clear();
}

thread_local tape* tape::leaf_owner = nullptr;
thread_local tape* tape::current_ = nullptr;

tape& tape::current()
{
    thread_local tape t;
    return current_ ? *current_ : t;
}

namespace
{
// Tapes of tape_scope, one per nesting depth, kept so that their arenas are reused.
thread_local std::vector<std::unique_ptr<tape>> scoped_tapes;
thread_local std::size_t scope_depth = 0;
} // namespace

tape_scope::tape_scope() : prev_(tape::current_)
{
    if (scoped_tapes.size() == scope_depth)
        scoped_tapes.push_back(std::make_unique<tape>());
    mine_ = scoped_tapes[scope_depth++].get();
    tape::current_ = mine_;
}

tape_scope::~tape_scope()
{
    mine_->clear(); // what the scope recorded and did not sweep cannot outlive it
    tape::current_ = prev_;
    --scope_depth;
}

bool tape::wants_record(const Variable* inputs, std::size_t n)
{
    if (!is_grad_enabled())
        return false;
    for (std::size_t i = 0; i < n; ++i)
        if (inputs[i].defined() && inputs[i].requires_grad())
            return true;
    return false;
}

void* tape::allocate_node(std::size_t bytes, std::size_t align)
{
    if (collect_pending_ || nodes_.size() >= collect_at_)
        collect();
    return arena_.allocate(bytes, align);
}

void tape::push(detail::node* n, Tensor* outs, Variable* results, std::size_t n_outs,
                const Variable* inputs, std::size_t count)
{
    // Everything that can fail comes first; the node takes its id and joins the list last, so a
    // failure leaves the tape as it was (the node, holding nothing yet, is destroyed).
    try
    {
        for (std::size_t i = 0; i < count; ++i)
        {
            const detail::var_impl* in = inputs[i].impl();
            if (in && in->node_id != 0 && in->tape_serial != serial_)
            {
                if (current_ == this)
                    fail<graph_error>("{}: input {} was computed outside the recompute() segment "
                                      "being recomputed; pass it to recompute() as an input",
                                      n->name, i);
                fail<graph_error>("{}: input {} was computed on another thread's tape; gradients "
                                  "cannot flow between threads (detach() it first)",
                                  n->name, i);
            }
        }
        // Room for the push_back below (so that it cannot throw), grown geometrically:
        // reserve(size + 1) reallocates on every push and made long graphs quadratic.
        if (nodes_.size() == nodes_.capacity())
            nodes_.reserve(std::max<std::size_t>(64, 2 * nodes_.capacity()));
        auto** in_arr = static_cast<detail::var_impl**>(
            arena_.allocate(sizeof(detail::var_impl*) * count, alignof(detail::var_impl*)));
        auto** out_arr = static_cast<detail::var_impl**>(
            arena_.allocate(sizeof(detail::var_impl*) * n_outs, alignof(detail::var_impl*)));
        for (std::size_t k = 0; k < n_outs; ++k)
            results[k] = Variable(std::move(outs[k]), true);
        n->inputs = in_arr;
        n->outputs = out_arr;
    }
    catch (...)
    {
        n->~node();
        throw;
    }
    n->id = next_id_++;
    n->n_inputs = static_cast<std::uint32_t>(count);
    for (std::size_t i = 0; i < count; ++i)
    {
        n->inputs[i] = inputs[i].impl();
        detail::retain(n->inputs[i]);
    }
    n->n_outputs = static_cast<std::uint32_t>(n_outs);
    for (std::size_t k = 0; k < n_outs; ++k)
    {
        detail::var_impl* v = results[k].impl();
        v->node_id = n->id;
        v->owner = this;
        v->tape_serial = serial_;
        n->outputs[k] = v;
        detail::retain(v);
    }
    nodes_.push_back(n);
    ++live_;
}

detail::node* tape::find(std::uint64_t id) const
{
    if (id < first_id_ || id >= first_id_ + nodes_.size())
        return nullptr;
    return nodes_[id - first_id_];
}

const char* tape::op_name(std::uint64_t id) const
{
    const detail::node* n = find(id);
    return n ? n->name : "released";
}

void tape::destroy(std::size_t index)
{
    detail::node* n = nodes_[index];
    nodes_[index] = nullptr;
    --live_;
    n->~node();
}

void tape::trim()
{
    // Ids index nodes_ as id - first_id_, so only a fully released tape starts afresh; a dead
    // prefix is dropped by moving first_id_ past it.
    if (live_ == 0)
    {
        nodes_.clear();
        arena_.reset();
        first_id_ = next_id_;
        return;
    }
    std::size_t dead = 0;
    while (dead < nodes_.size() && !nodes_[dead])
        ++dead;
    if (dead > nodes_.size() / 2)
    {
        nodes_.erase(nodes_.begin(), nodes_.begin() + static_cast<std::ptrdiff_t>(dead));
        first_id_ += dead;
    }
}

void tape::clear()
{
    for (std::size_t i = nodes_.size(); i-- > 0;)
        if (nodes_[i])
            destroy(i);
    trim();
}

namespace
{
// Every output is referenced only by the node itself: nothing alive can reach it.
bool unreachable(const detail::node& n)
{
    for (std::uint32_t k = 0; k < n.n_outputs; ++k)
        if (n.outputs[k]->refs.load(std::memory_order_acquire) != 1)
            return false;
    return true;
}
// Some output received a gradient: the node leads to the root.
bool reached(const detail::node& n)
{
    for (std::uint32_t k = 0; k < n.n_outputs; ++k)
        if (n.outputs[k]->grad.defined())
            return true;
    return false;
}
void drop_output_grads(detail::node& n)
{
    for (std::uint32_t k = 0; k < n.n_outputs; ++k)
        n.outputs[k]->grad = Tensor();
}
} // namespace

void tape::collect()
{
    // A node whose output is referenced only by the node itself feeds nothing alive: no handle,
    // no later node. Walking in reverse frees whole abandoned graphs in one pass.
    for (std::size_t i = nodes_.size(); i-- > 0;)
        if (nodes_[i] && unreachable(*nodes_[i]))
            destroy(i);
    trim();
    collect_pending_ = false;
    collect_at_ = std::max<std::size_t>(std::size_t{1} << 14, 2 * nodes_.size());
}

// ---- hooks and retained gradients ------------------------------------------------------------

namespace
{
std::atomic<std::uint64_t> next_hook_id{1};

// What a message calls value v: "the output of 'tanh'" or "a leaf".
std::string describe_value(const tape& t, const detail::var_impl& v)
{
    if (v.node_id == 0)
        return "a leaf";
    return fmt::format("the output of '{}'", t.op_name(v.node_id));
}

// "anomaly: <what> holds NaN at flat index k (shape [..]); <where>"
[[noreturn]] void non_finite(const std::string& what, const Tensor& t, std::size_t k,
                             const std::string& where = "")
{
    const double x = t.flat(k);
    fail<anomaly_error>("anomaly: {} holds {} at flat index {} (shape {}){}{}", what,
                        std::isnan(x) ? "NaN" : (x > 0 ? "inf" : "-inf"), k, to_string(t.shape()),
                        where.empty() ? "" : "; ", where);
}

// Index of the first NaN or infinity of a float tensor, or numel() when there is none.
std::size_t first_non_finite(const Tensor& t)
{
    if (!t.defined() || !is_floating(t.dtype()))
        return t.numel();
    return dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* p = t.data<T>();
        for (std::size_t k = 0; k < t.numel(); ++k)
            if (!std::isfinite(p[k]))
                return k;
        return t.numel();
    });
}

// Runs v's hooks in order on g; returns the final gradient.
Tensor apply_hooks(const tape& t, detail::var_impl& v, Tensor g)
{
    // A copy: a hook may remove itself (or register others) while running.
    const std::vector<detail::grad_hook> hooks = v.extras->hooks;
    for (const auto& h : hooks)
    {
        std::optional<Tensor> r = h.fn(g);
        if (!r)
            continue;
        const std::string who = h.name.empty() ? fmt::format("#{}", h.id) : "'" + h.name + "'";
        if (!r->defined())
            fail<value_error>("gradient hook {} on {} returned an undefined tensor (return "
                              "std::nullopt to keep the gradient)",
                              who, describe_value(t, v));
        if (r->shape() != v.data.shape())
            fail<shape_error>("gradient hook {} on {} returned a gradient of shape {} for a "
                              "value of shape {}",
                              who, describe_value(t, v), to_string(r->shape()),
                              to_string(v.data.shape()));
        g = r->dtype() == v.data.dtype() ? std::move(*r) : r->to(v.data.dtype());
        if (is_anomaly_enabled())
        {
            const std::size_t k = first_non_finite(g);
            if (k < g.numel())
                non_finite(fmt::format("backward: the gradient returned by hook {} on {}", who,
                                       describe_value(t, v)),
                           g, k);
        }
    }
    return g;
}
} // namespace

bool hook_handle::remove()
{
    if (!v_.defined())
        return false;
    auto& extras = v_.impl()->extras;
    bool found = false;
    if (extras)
    {
        auto& hooks = extras->hooks;
        const auto it = std::find_if(hooks.begin(), hooks.end(),
                                     [&](const detail::grad_hook& h) { return h.id == id_; });
        found = it != hooks.end();
        if (found)
            hooks.erase(it);
    }
    v_ = Variable();
    return found;
}

hook_handle register_hook(const Variable& v, grad_hook_fn fn, std::string name)
{
    if (!v.defined())
        fail<value_error>("register_hook: undefined Variable");
    if (!v.requires_grad())
        fail<graph_error>("register_hook: this value does not require grad, so no gradient will "
                          "ever reach a hook on it");
    if (!fn)
        fail<value_error>("register_hook: empty hook function");
    auto& extras = v.impl()->extras;
    if (!extras)
        extras = std::make_unique<detail::var_extras>();
    const std::uint64_t id = next_hook_id.fetch_add(1);
    extras->hooks.push_back({id, std::move(name), std::move(fn)});
    return hook_handle(v, id);
}

void tape::stash_leaf(detail::var_impl& v)
{
    detail::var_extras& x = *v.extras;
    if (x.hooks.empty() || x.pass == pass_ || !sweeping_)
        return;
    if (hooked_leaves_.size() == hooked_leaves_.capacity()) // room first: push_back cannot throw
        hooked_leaves_.reserve(std::max<std::size_t>(8, 2 * hooked_leaves_.capacity()));
    x.pass = pass_;
    x.before_pass = std::move(v.grad); // this pass's contributions collect apart
    v.grad = Tensor();
    detail::retain(&v);
    hooked_leaves_.push_back(&v);
}

void tape::finish_leaves(bool run)
{
    std::exception_ptr failure;
    for (detail::var_impl* v : hooked_leaves_)
    {
        detail::var_extras& x = *v->extras;
        if (run && !failure && v->grad.defined())
        {
            try
            {
                v->grad = apply_hooks(*this, *v, v->grad);
            }
            catch (...)
            {
                failure = std::current_exception(); // the other leaves are still combined
            }
        }
        if (x.before_pass.defined())
        {
            Tensor total = std::move(x.before_pass);
            x.before_pass = Tensor();
            if (v->grad.defined())
            {
                if (total.shape() == v->grad.shape() && total.dtype() == v->grad.dtype())
                    add_gradient(total, v->grad);
                else
                    total = v->grad; // the old gradient was replaced by a wrong one: drop it
            }
            v->grad = std::move(total);
            v->sparse.drop();
        }
        x.pass = 0;
        detail::release(v);
    }
    hooked_leaves_.clear();
    if (failure)
        std::rethrow_exception(failure);
}

void tape::prepare_outputs(detail::node& n)
{
    for (std::uint32_t k = 0; k < n.n_outputs; ++k)
    {
        detail::var_impl& o = *n.outputs[k];
        if (!o.extras || !o.grad.defined())
            continue;
        if (!o.extras->hooks.empty())
            o.grad = apply_hooks(*this, o, o.grad);
        if (o.extras->retains_grad)
        {
            Tensor& kept = o.extras->retained;
            if (kept.defined() &&
                (kept.shape() != o.grad.shape() || kept.dtype() != o.grad.dtype()))
                kept = Tensor(); // replaced by the user with a wrong one
            add_gradient(kept, o.grad);
        }
    }
}

// ---- anomaly detection ----------------------------------------------------------------------

std::string tape::preceding(std::size_t index, std::size_t count) const
{
    std::string out;
    for (std::size_t j = index; j-- > 0 && count > 0;)
        if (nodes_[j])
        {
            out +=
                fmt::format("{}{} (#{})", out.empty() ? "" : ", ", nodes_[j]->name, nodes_[j]->id);
            --count;
        }
    return out.empty() ? "nothing (first on the tape)" : out;
}

void tape::check_forward(const char* name, const Tensor* outs, std::size_t n_outs,
                         const Variable* inputs, std::size_t n) const
{
    for (std::size_t k = 0; k < n_outs; ++k)
    {
        const std::size_t at = first_non_finite(outs[k]);
        if (at == outs[k].numel())
            continue;
        std::string shapes;
        for (std::size_t i = 0; i < n; ++i)
            shapes += (i ? ", " : "") + (inputs[i].defined() ? to_string(inputs[i].shape())
                                                             : std::string("undefined"));
        const std::string what =
            fmt::format("forward of '{}' (inputs {}): its output{}", name, shapes,
                        n_outs > 1 ? fmt::format(" {}", k) : std::string());
        const std::string where =
            wants_record(inputs, n)
                ? fmt::format("it would be node #{} on the tape, recorded after {}", next_id_,
                              preceding(nodes_.size(), 3))
                : fmt::format("not recorded (grad mode off or no input requires grad); the "
                              "tape's last ops: {}",
                              preceding(nodes_.size(), 3));
        non_finite(what, outs[k], at, where);
    }
}

void tape::check_backward(const detail::node& n, std::size_t index) const
{
    for (std::uint32_t i = 0; i < n.n_inputs; ++i)
    {
        const detail::var_impl* in = n.inputs[i];
        if (!in || !in->requires_grad)
            continue;
        const std::size_t at = first_non_finite(in->grad);
        if (at == in->grad.numel())
            continue;
        std::string out_shapes;
        for (std::uint32_t k = 0; k < n.n_outputs; ++k)
            out_shapes += (k ? ", " : "") + to_string(n.outputs[k]->data.shape());
        non_finite(fmt::format("backward of '{}' (output {}): the gradient of its input {} ({})",
                               n.name, out_shapes, i, describe_value(*this, *in)),
                   in->grad, at,
                   fmt::format("'{}' is node #{} on the tape, recorded after {}", n.name, n.id,
                               preceding(index, 3)));
    }
}

// ---- backward -------------------------------------------------------------------------------

void tape::check_graph_intact(const Variable* roots, std::size_t n)
{
    // Structural reachability from the roots, in one reverse pass over the nodes (each node's
    // inputs come before it). A value that requires grad and was produced by a node that is
    // gone (released by an earlier backward, or by clear()) would silently take the gradient
    // of its whole released sub-graph with it; refuse before any gradient is touched.
    std::size_t top = 0;
    for (std::size_t k = 0; k < n; ++k)
        if (roots[k].impl()->node_id != 0)
            top = std::max<std::size_t>(top, roots[k].impl()->node_id - first_id_);
    reach_.assign(top + 1, 0);
    for (std::size_t k = 0; k < n; ++k)
        if (roots[k].impl()->node_id != 0)
            reach_[roots[k].impl()->node_id - first_id_] = 1;
    for (std::size_t i = top + 1; i-- > 0;)
    {
        const detail::node* n = nodes_[i];
        if (!n || !reach_[i])
            continue;
        for (std::uint32_t k = 0; k < n->n_inputs; ++k)
        {
            const detail::var_impl* in = n->inputs[k];
            if (!in || !in->requires_grad || in->node_id == 0)
                continue;
            if (!find(in->node_id))
                fail<graph_error>("backward: the graph behind this value was already released by "
                                  "an earlier backward(): input {} of '{}' (#{}) was computed by "
                                  "a released op; pass retain_graph = true to the first "
                                  "backward() to run it twice",
                                  k, n->name, n->id);
            reach_[in->node_id - first_id_] = 1;
        }
    }
}

void tape::backward(const Variable& root, const Tensor& seed, bool retain_graph)
{
    backward(&root, &seed, 1, retain_graph);
}

void tape::check_root(const Variable& root, const Tensor& seed) const
{
    const detail::var_impl& r = *root.impl();
    if (!r.requires_grad)
        fail<graph_error>("backward: this value does not require grad: no input had "
                          "requires_grad = true, or it was computed under no_grad");
    if (!seed.defined() || seed.shape() != r.data.shape())
        fail<shape_error>("backward: seed of shape {} for an output of shape {}",
                          seed.defined() ? to_string(seed.shape()) : "undefined",
                          to_string(r.data.shape()));
    // A seed of another dtype would be converted silently (a float32 seed for a float64 loss
    // loses precision without a word): the caller says which one it means.
    if (seed.dtype() != r.data.dtype())
        fail<value_error>("backward: seed of dtype {} for an output of dtype {}; convert the "
                          "seed with .to({})",
                          dtype_name(seed.dtype()), dtype_name(r.data.dtype()),
                          dtype_name(r.data.dtype()));
    if (is_anomaly_enabled())
    {
        const std::size_t k = first_non_finite(seed);
        if (k < seed.numel())
            non_finite("backward: the seed", seed, k);
    }
    if (r.node_id != 0 && (r.owner != this || r.tape_serial != serial_))
        fail<graph_error>("backward: this graph was recorded on another thread's tape; call "
                          "backward() on the thread that computed it");
    if (r.node_id != 0 && !find(r.node_id))
        fail<graph_error>("backward: the graph behind this value was already released by an "
                          "earlier backward(); pass retain_graph = true to the first backward() "
                          "to run it twice");
    // A leaf differentiated with respect to itself: its gradient grows by the seed.
    if (r.node_id == 0 && r.grad.defined() &&
        (r.grad.shape() != seed.shape() || r.grad.dtype() != seed.dtype()))
        fail<shape_error>("backward: the leaf holds a {} gradient of shape {} for a {} value "
                          "of shape {}",
                          dtype_name(r.grad.dtype()), to_string(r.grad.shape()),
                          dtype_name(r.data.dtype()), to_string(r.data.shape()));
}

void tape::backward(const Variable* roots, const Tensor* seeds, std::size_t n, bool retain_graph)
{
    if (sweeping_)
        fail<graph_error>("backward: called from inside a backward function or gradient hook; "
                          "the tape cannot run two sweeps at once");
    if (n == 0)
        return;
    std::uint64_t top = 0; // the newest node to sweep from (0: every root is a leaf)
    for (std::size_t k = 0; k < n; ++k)
    {
        if (!roots[k].defined())
            fail<graph_error>("backward: root {} of {} is undefined", k, n);
        check_root(roots[k], seeds[k]);
        top = std::max(top, roots[k].impl()->node_id);
    }
    if (top != 0)
        check_graph_intact(roots, n);

    // Backward functions run without recording: an op they call must not grow the tape (and
    // trigger a collection that moves the indices) while it is being swept.
    no_grad quiet;
    ++pass_;
    sweeping_ = true;
    // A backward run by a backward function on a tape of its own (recompute.hpp) is part of the
    // enclosing pass: leaf hooks see the whole pass's gradient once, so the outermost sweep
    // keeps the leaves.
    const bool outermost = leaf_owner == nullptr;
    if (outermost)
        leaf_owner = this;
    struct end_sweep
    {
        bool& flag;
        bool outermost;
        ~end_sweep()
        {
            flag = false;
            if (outermost)
                leaf_owner = nullptr;
        }
    } guard{sweeping_, outermost};
    const auto finish = [&](bool run) {
        if (outermost)
            finish_leaves(run);
    };

    try
    {
        for (std::size_t k = 0; k < n; ++k)
        {
            detail::var_impl& r = *roots[k].impl();
            if (r.node_id == 0)
            {
                if (r.extras)
                    leaf_owner->stash_leaf(r);
                r.sparse.drop();
            }
            add_gradient(r.grad, seeds[k]);
        }
    }
    catch (...)
    {
        for (std::size_t k = 0; k < n; ++k)
            if (roots[k].impl()->node_id != 0)
                roots[k].impl()->grad = Tensor();
        finish(false);
        throw;
    }
    if (top == 0)
    {
        finish(true);
        return;
    }

    std::size_t i = top - first_id_ + 1, released = 0;
    try
    {
        while (i-- > 0)
        {
            detail::node* nd = nodes_[i];
            if (!nd || !reached(*nd))
                continue; // released, or does not lead to a root
            prepare_outputs(*nd);
            grad_context ctx(*nd);
            nd->backward(ctx);
            if (is_anomaly_enabled())
                check_backward(*nd, i);
            drop_output_grads(*nd); // outputs of ops are never leaves: no grad is kept
            if (!retain_graph)
            {
                destroy(i);
                ++released;
            }
        }
    }
    catch (...)
    {
        // Leave no half-propagated gradients behind in the nodes not yet visited.
        for (std::size_t j = i + 1; j-- > 0;)
            if (nodes_[j])
                drop_output_grads(*nodes_[j]);
        finish(false);
        trim();
        throw;
    }
    // Nodes the sweep did not reach survive it: a value computed and dropped (attention weights
    // nobody reads) or a graph the caller still holds. A dropped one keeps its inputs' tensors
    // alive until a collection, and every step would then allocate afresh: collect now when the
    // sweep released at least as many nodes as are left, so the walk costs no more than the
    // sweep did (a large graph held across small backward passes is left to collect_at_).
    // Whatever that leaves is often held only until the step ends (its final states, detached
    // and carried on): look again when the next op is recorded, else the arena, reset only on
    // an empty tape, would grow by a whole graph every step.
    if (live_ > 0 && released >= live_)
    {
        collect();
        collect_pending_ = live_ > 0;
    }
    else
        trim();
    finish(true);
}

} // namespace xgrad
