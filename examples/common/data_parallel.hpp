// The examples' data-parallel training (--distributed): one process per replica under mpirun,
// each training on its share of the global batch, gradients averaged by xgrad::distributed.
// Off (one process), every call is a no-op on local values, so a trainer is written once.
// Built with MPI when CMake found it (XGRAD_HAVE_MPI); without, --distributed is refused.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "xgrad/autograd/tensor.hpp"
#include "xgrad/autograd/variable.hpp"
#include "xgrad/layers/module.hpp"

namespace cli
{

class data_parallel
{
public:
    // on: start MPI (throws usage_error when the program was built without it, or started
    // without mpirun). argc/argv are the program's.
    data_parallel(bool on, int& argc, char**& argv);
    ~data_parallel();
    data_parallel(const data_parallel&) = delete;
    data_parallel& operator=(const data_parallel&) = delete;

    bool on() const { return size_ > 1 || started_; }
    std::size_t rank() const { return rank_; }
    std::size_t size() const { return size_; }
    // Rank 0: the one that logs and writes checkpoints.
    bool is_root() const { return rank_ == 0; }

    // Every rank built the same model (else a clear error on all) and holds rank 0's weights;
    // the gradient reducer is set up for its parameters.
    void setup(const xgrad::nn::Module& m);
    // After backward: every gradient := scale * sum over ranks (average(): 1 / size()).
    void reduce(double scale);
    void average() { reduce(1.0 / double(size_)); }
    double sum(double v) const;
    bool any(bool v) const; // true on every rank when true on one (a stop decision)
    void barrier() const;
    // Every rank's t (same shape) concatenated along `axis` in rank order.
    xgrad::Tensor gather(const xgrad::Tensor& t, int axis) const;
    // Rank 0 of a distributed run prints "gradient allreduce: X ms per step over N processes".
    void report() const;
    // Seconds spent reducing gradients, and the number of reductions.
    double reduce_seconds() const;
    std::size_t reductions() const;

private:
    struct impl;
    std::unique_ptr<impl> p_;
    std::size_t rank_ = 0, size_ = 1;
    bool started_ = false;
};

} // namespace cli
