#include "xgrad/autograd/recompute.hpp"

#include <algorithm>

#include "xgrad/autograd/error.hpp"
#include "xgrad/autograd/tape.hpp"

namespace xgrad
{
namespace
{

// Grad mode on while it lives (the recomputation runs inside a sweep, which records nothing).
struct grad_on
{
    bool prev = is_grad_enabled();
    grad_on() { set_grad_enabled(true); }
    ~grad_on() { set_grad_enabled(prev); }
};

std::vector<Tensor> output_data(const char* name, const std::vector<Variable>& outs)
{
    if (outs.empty())
        fail<value_error>("{}: the recomputed function returned no values", name);
    std::vector<Tensor> data;
    data.reserve(outs.size());
    for (std::size_t k = 0; k < outs.size(); ++k)
    {
        if (!outs[k].defined())
            fail<value_error>("{}: output {} of the recomputed function is undefined", name, k);
        if (!is_floating(outs[k].dtype()))
            fail<value_error>("{}: output {} is {}; recompute() differentiates floating values "
                              "only",
                              name, k, dtype_name(outs[k].dtype()));
        data.push_back(outs[k].data());
    }
    return data;
}

// The backward of a recompute node: fn again on leaves, one inner sweep seeded with the node's
// output gradients, each input's gradient continued in place.
void recompute_backward(const char* name, const recompute_fn& fn, grad_context& g,
                        const std::vector<shape_t>& shapes)
{
    const std::size_t n_in = g.num_inputs();
    tape_scope scope;
    std::vector<Variable> leaves(n_in);
    std::vector<std::size_t> first(n_in); // the first input holding the same value
    std::vector<std::size_t> taken;
    for (std::size_t i = 0; i < n_in; ++i)
    {
        first[i] = i;
        for (std::size_t j = 0; j < i; ++j)
            if (&g.input(j) == &g.input(i)) // the same Variable passed twice
            {
                first[i] = j;
                break;
            }
        if (first[i] != i)
        {
            leaves[i] = leaves[first[i]];
            continue;
        }
        leaves[i] = Variable(g.input(i), g.needs(i));
        if (g.needs(i))
        {
            leaves[i].grad() = g.take_accumulated(i);
            taken.push_back(i);
        }
    }
    const auto give_back = [&] {
        for (std::size_t i : taken)
            g.put_accumulated(i, std::move(leaves[i].grad()));
        taken.clear();
    };
    try
    {
        std::vector<Variable> again;
        {
            grad_on on;
            again = fn(leaves);
        }
        bool same = again.size() == shapes.size();
        for (std::size_t k = 0; same && k < again.size(); ++k)
            same = again[k].defined() && again[k].shape() == shapes[k];
        if (!same)
        {
            std::string now;
            for (const Variable& v : again)
                now += (now.empty() ? "" : ", ") +
                       (v.defined() ? to_string(v.shape()) : std::string("undefined"));
            std::string then;
            for (const shape_t& s : shapes)
                then += (then.empty() ? "" : ", ") + to_string(s);
            fail<value_error>("{} backward: the recomputed function returned [{}], but [{}] in "
                              "the forward pass; it must be deterministic",
                              name, now, then);
        }
        std::vector<Variable> roots;
        std::vector<Tensor> seeds;
        for (std::size_t k = 0; k < again.size(); ++k)
            if (g.has_grad(k) && again[k].requires_grad())
            {
                roots.push_back(again[k]);
                seeds.push_back(g.grad(k));
            }
        if (!roots.empty())
            scope.get().backward(roots.data(), seeds.data(), roots.size(), false);
    }
    catch (...)
    {
        give_back();
        throw;
    }
    give_back();
}

} // namespace

std::vector<Variable> recompute(const char* name, recompute_fn fn,
                                const std::vector<Variable>& inputs)
{
    if (!fn)
        fail<value_error>("{}: recompute() needs a function", name);
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i].defined())
            fail<value_error>("{}: input {} of recompute() is undefined", name, i);
    const bool wanted =
        is_grad_enabled() && std::any_of(inputs.begin(), inputs.end(), [](const Variable& v) {
            return v.defined() && v.requires_grad();
        });
    if (!wanted)
        return fn(inputs); // nothing to save: record as usual
    std::vector<Variable> outs;
    {
        no_grad quiet;
        outs = fn(inputs);
    }
    std::vector<Tensor> data = output_data(name, outs);
    std::vector<shape_t> shapes;
    for (const Tensor& t : data)
        shapes.push_back(t.shape());
    outs.clear();
    const var_list results = tape::current().record_multi(
        name, data.data(), data.size(), inputs.data(), inputs.size(),
        [name, fn = std::move(fn), shapes = std::move(shapes)](grad_context& g) {
            recompute_backward(name, fn, g, shapes);
        });
    return std::vector<Variable>(results.begin(), results.end());
}

} // namespace xgrad
