#include "xgrad/layers/cell.hpp"

namespace xgrad::nn
{

cell_state Cell::zero_state(std::size_t batch, dtype dt) const
{
    cell_state s;
    for (std::size_t i = 0; i < state_count(); ++i)
        s.emplace_back(Tensor::zeros({batch, state_size(i)}, dt));
    return s;
}

void Cell::check_state(const char* op, const cell_state& s, std::size_t batch) const
{
    if (s.size() != state_count())
        fail<shape_error>("{}: the state has {} tensors, {} expects {}", op, s.size(), describe(),
                          state_count());
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i].shape() != shape_t{batch, state_size(i)})
            fail<shape_error>("{}: state tensor {} for batch {} and hidden size {} (expected "
                              "[{},{}])",
                              op, to_string(s[i].shape()), batch, state_size(i), batch,
                              state_size(i));
}

} // namespace xgrad::nn
