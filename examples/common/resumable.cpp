#include "examples/common/resumable.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "xgrad/autograd/io/safetensors.hpp"

namespace cli
{

std::string engine_state(std::mt19937_64& e)
{
    std::ostringstream s;
    s << e;
    return s.str();
}

void set_engine_state(std::mt19937_64& e, const std::string& state, const std::string& source)
{
    std::istringstream s(state);
    s >> e;
    if (s.fail())
        throw std::runtime_error(source + ": metadata 'rng' is not a generator state");
}

std::vector<std::size_t> epoch_order(std::size_t batches, std::uint64_t seed, std::size_t epoch)
{
    std::vector<std::size_t> order(batches);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::mt19937_64 e(seed * 1000003u + epoch);
    std::shuffle(order.begin(), order.end(), e);
    return order;
}

void save_generation(xgrad::io::checkpoint_dir& ckpt,
                     const std::map<std::string, xgrad::Tensor>& weights,
                     const std::map<std::string, std::string>& weights_metadata, bool best_too,
                     const xgrad::optim::Optimizer& opt,
                     const std::map<std::string, xgrad::Tensor>& position,
                     const run_record& position_metadata)
{
    namespace io = xgrad::io;
    auto tx = ckpt.begin();
    io::save_tensors(tx.file("model.safetensors"), weights, weights_metadata);
    const std::string best_file = tx.file("best.safetensors");
    if (best_too || !ckpt.exists())
        io::save_tensors(best_file, weights, weights_metadata);
    else
    {
        auto prev = io::load_tensors(ckpt.verify({"best.safetensors"}) + "/best.safetensors");
        io::save_tensors(best_file, prev.tensors, prev.metadata);
    }
    opt.save(tx.file("optimizer.safetensors"));
    io::save_tensors(tx.file("trainer.safetensors"), position, position_metadata);
    tx.commit();
}

} // namespace cli
