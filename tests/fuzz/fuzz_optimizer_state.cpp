// Optimizer state files (Optimizer::load): the safetensors layer, then load_state_dict's checks
// of names, shapes, dtypes and step counts, then one update from whatever state was accepted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/optimizers.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/autograd/ops/reduce.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace xgrad;
    static const auto optimizers = fuzz::optimizers();
    io::tensor_file f;
    try
    {
        f = io::parse_tensors(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    }
    catch (const io_error&)
    {
        return 0;
    }
    // Every optimizer, not only the one the metadata names: load() checks that name first, and
    // load_state_dict must hold on its own against a state written by another optimizer.
    for (const auto& o : optimizers)
    {
        try
        {
            o->load_state_dict(f.tensors);
        }
        catch (const value_error&)
        {
            continue;
        }
        // An accepted state must be usable: one step with real gradients.
        o->zero_grad();
        sum(fuzz::model()(Variable(Tensor::ones({4, 3})))).backward();
        o->step();
    }
    return 0;
}
