#include "xgrad/layers/sequence.hpp"

#include <algorithm>
#include <cstring>

#include "xgrad/autograd/ops/layout.hpp"

namespace xgrad::nn
{

void check_sequence(const char* op, const Variable& x, std::size_t input,
                    const std::vector<std::size_t>& lengths, bool batch_first)
{
    const char* layout = batch_first ? "[B, T, {}]" : "[T, B, {}]";
    if (x.dim() != 3 || x.shape()[2] != input)
        fail<shape_error>("{}: input {} should be {}", op, to_string(x.shape()),
                          fmt::format(fmt::runtime(layout), input));
    const std::size_t t = x.shape()[batch_first ? 1 : 0], b = x.shape()[batch_first ? 0 : 1];
    if (t == 0 || b == 0)
        fail<shape_error>("{}: input {} has no time steps or no batch entries", op,
                          to_string(x.shape()));
    if (!lengths.empty() && lengths.size() != b)
        fail<shape_error>("{}: {} lengths for a batch of {} (input {})", op, lengths.size(), b,
                          to_string(x.shape()));
    for (std::size_t l : lengths)
        if (l > t)
            fail<shape_error>("{}: length {} exceeds the {} time steps of input {}", op, l, t,
                              to_string(x.shape()));
}

state_list detach(const state_list& states)
{
    state_list out;
    out.reserve(states.size());
    for (const cell_state& s : states)
    {
        cell_state d;
        d.reserve(s.size());
        for (const Variable& v : s)
            d.push_back(v.detach());
        out.push_back(std::move(d));
    }
    return out;
}

state_list carry(const state_list& states, const std::vector<std::uint8_t>& reset)
{
    const bool any = std::any_of(reset.begin(), reset.end(), [](std::uint8_t r) { return r; });
    state_list out;
    out.reserve(states.size());
    for (const cell_state& s : states)
    {
        cell_state d;
        for (const Variable& v : s)
        {
            if (!reset.empty() && (v.dim() != 2 || v.shape()[0] != reset.size()))
                fail<shape_error>("carry: {} reset flags for a state {} (expected [{}, H])",
                                  reset.size(), to_string(v.shape()), reset.size());
            if (!any)
            {
                d.push_back(v.detach());
                continue;
            }
            Tensor t = v.data().clone(); // a leaf of its own: rows are zeroed below
            const std::size_t row = t.numel() / reset.size();
            const std::size_t bytes = row * dtype_size(t.dtype());
            auto* p = static_cast<unsigned char*>(t.raw_data());
            for (std::size_t b = 0; b < reset.size(); ++b)
                if (reset[b])
                    std::memset(p + b * bytes, 0, bytes);
            d.emplace_back(t);
        }
        out.push_back(std::move(d));
    }
    return out;
}

} // namespace xgrad::nn
