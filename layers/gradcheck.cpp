#include "xgrad/layers/gradcheck.hpp"

namespace xgrad::nn
{

gradcheck_report gradcheck_module(const Module& module, const std::function<Variable()>& f,
                                  gradcheck_options options)
{
    if (!f)
        fail<value_error>("gradcheck_module: empty function");
    std::vector<Variable> inputs;
    options.names.clear();
    for (const auto& [name, p] : module.named_parameters())
    {
        if (!p.requires_grad())
            continue;
        if (p.dtype() != f64)
            fail<value_error>("gradcheck_module: parameter '{}' of {} is {}; convert the module "
                              "with module.to(xgrad::f64) first",
                              name, module.describe(), dtype_name(p.dtype()));
        inputs.push_back(p);
        options.names.push_back(name);
    }
    if (inputs.empty())
        fail<value_error>("gradcheck_module: {} has no parameter that requires grad",
                          module.describe());
    return gradcheck([&](const std::vector<Variable>&) { return f(); }, inputs, options);
}

} // namespace xgrad::nn
