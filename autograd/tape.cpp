#include "xgrad/autograd/tape.hpp"

#include <algorithm>

namespace xgrad
{

namespace
{
thread_local bool grad_mode = true;

// a += b elementwise; both contiguous with equal sizes.
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

// Gives an input without a gradient the zeroed buffer kept by zero_grad(), if any.
bool reuse_spare(detail::var_impl& in)
{
    if (in.grad.defined() || !in.spare.defined())
        return false;
    if (in.spare.shape() != in.data.shape() || in.spare.dtype() != in.data.dtype())
    {
        in.spare = Tensor();
        return false;
    }
    in.grad = std::move(in.spare);
    in.spare = Tensor();
    return true;
}
} // namespace

void grad_context::accumulate(std::size_t i, const Tensor& g)
{
    if (!needs(i))
        return;
    detail::var_impl& in = *n_.inputs[i];
    if (g.shape() != in.data.shape())
        fail<shape_error>("{} backward: gradient of shape {} for input {} of shape {}", n_.name,
                          to_string(g.shape()), i, to_string(in.data.shape()));
    const Tensor gg = g.dtype() == in.data.dtype() ? g : g.to(in.data.dtype());
    in.rows_of = 0; // a dense contribution
    check_grad_buffer(*this, i, in);
    if (!in.grad.defined())
    {
        in.grad = gg; // shared, not copied: slot() copies before anyone writes into it
        return;
    }
    if (!in.grad.is_unique())
        in.grad = in.grad.clone();
    add_into(in.grad, gg);
}

Tensor& grad_context::slot(std::size_t i, bool* overwrite)
{
    detail::var_impl& in = *n_.inputs[i];
    in.rows_of = 0; // a dense contribution
    check_grad_buffer(*this, i, in);
    if (overwrite)
        *overwrite = false;
    if (!in.grad.defined() && !reuse_spare(in))
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

Tensor& grad_context::slot_rows(std::size_t i, const std::vector<std::int64_t>& rows)
{
    detail::var_impl& in = *n_.inputs[i];
    check_grad_buffer(*this, i, in);
    const bool was_sparse = in.grad.defined() && in.rows_of == in.grad.storage_id();
    const bool fresh = !in.grad.defined();
    if (fresh && !reuse_spare(in))
        in.grad = Tensor::zeros(in.data.shape(), in.data.dtype());
    if (!in.grad.is_unique())
        in.grad = in.grad.clone(); // a copy of a row-sparse gradient is still row-sparse
    if (fresh || was_sparse)
    {
        if (fresh)
            in.rows.clear();
        in.rows.insert(in.rows.end(), rows.begin(), rows.end());
        in.rows_of = in.grad.storage_id();
        in.rows_sorted = false;
    }
    else
        in.rows_of = 0;
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

tape& tape::current()
{
    thread_local tape t;
    return t;
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
    if (nodes_.size() >= collect_at_)
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
                fail<graph_error>("{}: input {} was computed on another thread's tape; gradients "
                                  "cannot flow between threads (detach() it first)",
                                  n->name, i);
        }
        nodes_.reserve(nodes_.size() + 1);
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
    collect_at_ = std::max<std::size_t>(std::size_t{1} << 14, 2 * nodes_.size());
}

void tape::backward(const Variable& root, const Tensor& seed, bool retain_graph)
{
    detail::var_impl& r = *root.impl();
    if (!r.requires_grad)
        fail<graph_error>("backward: this value does not require grad: no input had "
                          "requires_grad = true, or it was computed under no_grad");
    if (!seed.defined() || seed.shape() != r.data.shape())
        fail<shape_error>("backward: seed of shape {} for an output of shape {}",
                          seed.defined() ? to_string(seed.shape()) : "undefined",
                          to_string(r.data.shape()));
    const Tensor s = seed.to(r.data.dtype());
    if (r.node_id == 0)
    {
        // A leaf differentiated with respect to itself.
        r.grad = r.grad.defined() ? r.grad.clone() : Tensor::zeros(s.shape(), s.dtype());
        r.rows_of = 0;
        dispatch(s.dtype(), [&](auto tag) {
            using T = decltype(tag);
            for (std::size_t i = 0; i < s.numel(); ++i)
                r.grad.data<T>()[i] += s.data<T>()[i];
        });
        return;
    }
    if (r.owner != this || r.tape_serial != serial_)
        fail<graph_error>("backward: this graph was recorded on another thread's tape; call "
                          "backward() on the thread that computed it");
    if (!find(r.node_id))
        fail<graph_error>("backward: the graph behind this value was already released by an "
                          "earlier backward(); pass retain_graph = true to the first backward() "
                          "to run it twice");

    // Backward functions run without recording: an op they call must not grow the tape (and
    // trigger a collection that moves the indices) while it is being swept.
    no_grad quiet;
    r.grad = s;
    std::size_t i = r.node_id - first_id_ + 1;
    try
    {
        while (i-- > 0)
        {
            detail::node* n = nodes_[i];
            if (!n || !reached(*n))
                continue; // released, or does not lead to the root
            grad_context ctx(*n);
            n->backward(ctx);
            drop_output_grads(*n); // outputs of ops are never leaves: no grad is kept
            if (!retain_graph)
                destroy(i);
        }
    }
    catch (...)
    {
        // Leave no half-propagated gradients behind in the nodes not yet visited.
        for (std::size_t j = i + 1; j-- > 0;)
            if (nodes_[j])
                drop_output_grads(*nodes_[j]);
        throw;
    }
    trim();
}

} // namespace xgrad
