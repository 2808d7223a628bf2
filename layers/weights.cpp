#include "xgrad/layers/weights.hpp"

namespace xgrad::nn
{

void save(const Module& module, const std::string& path)
{
    io::save_tensors(path, module.state_dict(), {{"format", "pt"}});
}

void load(Module& module, const std::string& path)
{
    const io::tensor_file f = io::load_tensors(path);
    try
    {
        for (const auto& p : module.named_parameters())
            f.check_supported(p.first);
        module.load_state_dict(f.tensors);
    }
    catch (const value_error& e)
    {
        fail<value_error>("load '{}' into {}: {}", path, module.describe(), e.what());
    }
}

} // namespace xgrad::nn
