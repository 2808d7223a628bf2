// Gradient averaging for data-parallel training: after backward() on each rank's share of the
// global batch, every parameter's gradient is summed over the ranks (MPI_Allreduce, in place,
// in buckets) and scaled, so every rank holds the same gradient and its optimizer takes the
// same step. Part of xgrad::distributed.
//
// Scaling. With the same number of examples per rank and a mean loss per rank, average()
// (x 1/N) gives the global mean. With variable-length batches a mean of per-rank means is not
// the global mean: have each rank scale its summed loss by 1/(global token count, itself
// summed with environment::allreduce_sum) and call reduce(1.0) instead.
#pragma once

#include <cstddef>
#include <vector>

#include "xgrad/autograd/variable.hpp"
#include "xgrad/optim/distributed/environment.hpp"

namespace xgrad::distributed
{

struct reducer_options
{
    // Gradients are packed into buffers of at most this many bytes, one MPI_Allreduce each
    // (PyTorch DDP's default is 25 MiB); a larger parameter is reduced alone, in place.
    std::size_t bucket_bytes = std::size_t(25) << 20;
};

struct reducer_stats
{
    std::size_t calls = 0;      // reduce() calls
    std::size_t allreduces = 0; // MPI_Allreduce calls on gradients
    std::size_t bytes = 0;      // gradient bytes reduced per call
    double seconds = 0;         // wall time inside reduce(), summed over calls
};

class gradient_reducer
{
public:
    // params: the same list, in the same order, on every rank (a module's parameters()). f32
    // and f64 parameters; each dtype is bucketed apart. Throws distributed_error otherwise.
    gradient_reducer(const environment& env, std::vector<Variable> params,
                     const reducer_options& o = {});

    // Every gradient := scale * (sum over ranks). A parameter without a gradient on some ranks
    // counts as zeros there; one without a gradient on every rank keeps none (as on one
    // process: its optimizer skips it). A row-sparse gradient (an embedding's) is reduced whole
    // and becomes dense, since the ranks touched different rows. Collective: every rank must
    // call it, in the same order relative to other collectives.
    void reduce(double scale);
    // reduce(1 / size()): the mean of per-rank mean losses over equal shares.
    void average() { reduce(1.0 / double(env_.size())); }

    const reducer_stats& stats() const { return stats_; }
    std::size_t buckets() const { return buckets_.size(); }

private:
    struct bucket
    {
        std::vector<std::size_t> members; // indices into params_
        std::size_t numel = 0;
        dtype dt = f32;
        Tensor buffer; // packed gradients; undefined for a single parameter reduced in place
    };
    const environment& env_;
    std::vector<Variable> params_;
    std::vector<bucket> buckets_;
    std::vector<double> present_; // 1 where a rank has a gradient, summed over the ranks
    reducer_stats stats_;
};

} // namespace xgrad::distributed
