// Module: the base of every layer. A module owns parameters and child modules under names, and
// nothing else: the computation is ordinary autograd ops in the subclass's forward.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "xgrad/autograd/variable.hpp"

namespace xgrad::nn
{

using named_parameter = std::pair<std::string, Variable>;

// What load_state_dict(state, strict = false) could not match, as PyTorch's _IncompatibleKeys:
// parameter names the state lacks, and state entries no parameter has (both sorted).
struct incompatible_keys
{
    std::vector<std::string> missing;
    std::vector<std::string> unexpected;
    bool empty() const { return missing.empty() && unexpected.empty(); }
};

class Module
{
public:
    virtual ~Module() = default;
    Module() = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    // All parameters, this module's first, then each child's, in registration order.
    std::vector<Variable> parameters() const;
    // The same with hierarchical names: "encoder.rnn.weight_ih_l0".
    std::vector<named_parameter> named_parameters() const;
    // Name -> data of every parameter (shared, not copied), as PyTorch's state_dict().
    std::map<std::string, Tensor> state_dict() const;
    // Copies values into the parameters, converting each to its parameter's dtype (a float32
    // state loads into a float64 model and the reverse, as PyTorch's copy_ does). With strict,
    // a missing or unexpected name throws value_error listing every one; without, they are
    // returned and the matching entries are loaded. A wrongly shaped entry always throws
    // value_error naming it and both shapes. Everything is checked before anything changes.
    incompatible_keys load_state_dict(const std::map<std::string, Tensor>& state,
                                      bool strict = true);

    std::size_t parameter_count() const;
    // Drops every parameter's gradient.
    void zero_grad();

    // Training mode (dropout active) or evaluation mode; applies to all children.
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }
    // The training flags of this module and all its children (depth first), and their exact
    // restoration (inference_mode uses it to put back a mixed train/eval state). Throws
    // value_error when the flags do not come from a module of the same structure.
    std::vector<bool> training_flags() const;
    void set_training_flags(const std::vector<bool>& flags);

    // Converts every parameter to dt in place: the handles stay valid (e.g. to f64 for
    // gradcheck).
    void to(dtype dt);

    // One line per parameter (name, shape, count) and the total, formatted with fmt.
    std::string summary() const;
    // Short description used by summary(), e.g. "LSTM(10, 20, num_layers=2)".
    virtual std::string describe() const { return "Module"; }

protected:
    // A new trainable parameter (requires_grad) holding `init`. Throws value_error if `name` is
    // taken.
    Variable register_parameter(const std::string& name, Tensor init);
    // PyTorch's flat names: lists every parameter of `m` as this module's own, named
    // prefix + <its name in m> + suffix (a layer-0 reverse cell's "weight_ih" with suffix
    // "_l0_reverse" becomes "weight_ih_l0_reverse"). `m` must sit below a child registered with
    // expose_parameters = false, or its parameters would be listed twice. Throws value_error if
    // a name is taken.
    void register_flat_parameters(const Module& m, const std::string& prefix,
                                  const std::string& suffix = "");
    // A child: its parameters appear as "name.<its names>" and it follows train()/eval().
    // With expose_parameters false it still follows train()/eval(), but its parameters are
    // listed only under the names given by register_flat_parameters.
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m,
                                       bool expose_parameters = true)
    {
        add_child(name, m, expose_parameters);
        return m;
    }

private:
    struct child
    {
        std::string name;
        std::shared_ptr<Module> module;
        bool exposed;
    };
    Variable register_parameter(const std::string& name, Variable v);
    void add_child(const std::string& name, std::shared_ptr<Module> m, bool exposed);
    void collect(const std::string& prefix, std::vector<named_parameter>& out) const;
    void collect_flags(std::vector<bool>& out) const;
    std::size_t apply_flags(const std::vector<bool>& flags, std::size_t at);

    std::vector<named_parameter> params_;
    std::vector<child> children_;
    bool training_ = true;
};

} // namespace xgrad::nn
