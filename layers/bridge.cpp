#include "xgrad/layers/bridge.hpp"

#include "xgrad/autograd/autograd.hpp"
#include "xgrad/autograd/scratch.hpp"

namespace xgrad::nn
{

Bridge::Bridge(std::size_t enc_hidden, std::size_t directions, std::size_t dec_hidden,
               std::size_t state_count, generator& g)
    : enc_hidden_(enc_hidden), directions_(directions), dec_hidden_(dec_hidden),
      state_count_(state_count)
{
    if (enc_hidden == 0 || dec_hidden == 0)
        fail<value_error>("Bridge: sizes must be positive, got enc_hidden={} dec_hidden={}",
                          enc_hidden, dec_hidden);
    if (directions != 1 && directions != 2)
        fail<value_error>("Bridge: directions must be 1 or 2, got {}", directions);
    if (state_count != 1 && state_count != 2)
        fail<value_error>("Bridge: state_count must be 1 (RNN, GRU) or 2 (LSTM), got {}",
                          state_count);
    h = register_module("h",
                        std::make_shared<Linear>(directions * enc_hidden, dec_hidden, true, g));
    if (state_count == 2)
        c = register_module("c",
                            std::make_shared<Linear>(directions * enc_hidden, dec_hidden, true, g));
}

cell_state Bridge::forward(const state_list& finals)
{
    if (finals.size() < directions_)
        fail<shape_error>("{}: {} final state groups, need at least {} (one per direction)",
                          describe(), finals.size(), directions_);
    const std::size_t first = finals.size() - directions_;
    const std::size_t batch =
        finals[first].empty()
            ? 0
            : (finals[first][0].shape().empty() ? 0 : finals[first][0].shape()[0]);
    cell_state out;
    for (std::size_t k = 0; k < state_count_; ++k)
    {
        scratch_vector<Variable> scratch; // pooled: a forward allocates no list
        std::vector<Variable>& parts = *scratch;
        for (std::size_t d = 0; d < directions_; ++d)
        {
            const cell_state& s = finals[first + d];
            if (s.size() <= k)
                fail<shape_error>("{}: direction {} has {} state tensors, need {}", describe(), d,
                                  s.size(), state_count_);
            const shape_t& sh = s[k].shape();
            if (sh.size() != 2 || sh[0] != batch || sh[1] != enc_hidden_ || batch == 0)
                fail<shape_error>("{}: state {} of direction {} is {}, expected [{}, {}]",
                                  describe(), k, d, to_string(sh), batch, enc_hidden_);
            parts.push_back(s[k]);
        }
        Variable x = directions_ == 1 ? parts[0] : concat(parts, 1);
        out.push_back(k == 0 ? tanh(h->forward(x)) : c->forward(x));
    }
    return out;
}

std::string Bridge::describe() const
{
    return fmt::format("Bridge(enc_hidden={}, directions={}, dec_hidden={}, state_count={})",
                       enc_hidden_, directions_, dec_hidden_, state_count_);
}

} // namespace xgrad::nn
