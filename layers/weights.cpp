#include "xgrad/layers/weights.hpp"

#include <algorithm>
#include <set>

namespace xgrad::nn
{

void save(const Module& module, const std::string& path)
{
    io::save_tensors(path, module.state_dict(), {{"format", "pt"}});
}

incompatible_keys load(Module& module, const std::string& path, bool strict)
{
    const io::tensor_file f = io::load_tensors(path);
    try
    {
        std::set<std::string> names;
        for (const auto& p : module.named_parameters())
        {
            f.check_supported(p.first);
            names.insert(p.first);
        }
        incompatible_keys keys;
        if (!strict)
            keys = module.load_state_dict(f.tensors, false);
        else
        {
            // Unsupported entries no parameter wants are unexpected like any other.
            std::map<std::string, Tensor> state = f.tensors;
            for (const auto& [name, code] : f.unsupported)
                if (!names.count(name))
                    state.emplace(name, Tensor::zeros({}));
            keys = module.load_state_dict(state, true);
        }
        for (const auto& [name, code] : f.unsupported)
            if (!names.count(name))
                keys.unexpected.push_back(name);
        std::sort(keys.unexpected.begin(), keys.unexpected.end());
        return keys;
    }
    catch (const value_error& e)
    {
        fail<value_error>("load '{}' into {}: {}", path, module.describe(), e.what());
    }
}

} // namespace xgrad::nn
