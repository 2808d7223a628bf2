// The MPI environment of data-parallel training (Open MPI through Debian's libopenmpi-dev): one
// process per model replica, on one machine or many, started by mpirun. Part of the optional
// target xgrad::distributed, built when CMake finds MPI. MPI types stay out of this header.
//
//   int main(int argc, char** argv) {
//       xgrad::distributed::environment env(argc, argv);   // MPI_Init_thread .. MPI_Finalize
//       ... build the model on every rank ...
//       env.check_same_model(model.state_dict());           // every rank built the same shapes
//       env.broadcast(model.state_dict());                  // rank 0's initial weights everywhere
//       gradient_reducer reduce(env, model.parameters());
//       for (...) { loss.backward(); reduce.average(); clip; opt.step(); }
//   }
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "xgrad/autograd/error.hpp"
#include "xgrad/autograd/tensor.hpp"

namespace xgrad::distributed
{

// An MPI call failed, the program was started without mpirun, or the ranks disagree (on the
// model, or on a collective's sizes). Every rank throws it, so none waits for the others.
class distributed_error : public error
{
public:
    using error::error;
};

struct environment_options
{
    // Refuse to start when no MPI launcher started the process (MPI would silently run one
    // rank, training alone what the user meant to split).
    bool require_launcher = true;
};

// Whether an MPI launcher (mpirun/mpiexec, Open MPI's or another's) started this process.
bool launched_by_mpirun();

class environment
{
public:
    // MPI_Init_thread with MPI_THREAD_FUNNELED: only the thread that constructs it calls MPI
    // (OpenBLAS's threads never do). Communication errors become distributed_error instead of
    // aborting (MPI_ERRORS_RETURN on the communicator). If MPI is already initialised it is
    // used and left for its owner to finalise. Throws distributed_error without a launcher
    // (with require_launcher), when MPI cannot give the thread level, or when an environment
    // already exists in this process.
    environment(int& argc, char**& argv, const environment_options& o = {});
    ~environment(); // MPI_Finalize, if this object initialised MPI
    environment(const environment&) = delete;
    environment& operator=(const environment&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }
    bool is_root() const { return rank_ == 0; }
    // The host name MPI reports for this rank.
    std::string processor_name() const;

    void barrier() const;
    // Sums over the ranks in place (losses, token counts), every rank getting the result.
    void allreduce_sum(double* values, std::size_t n) const;
    double allreduce_sum(double value) const;
    double allreduce_max(double value) const;
    // Sums a tensor of f32/f64 over the ranks in place (contiguous; the same shape on every
    // rank, checked: a mismatch throws distributed_error on every rank).
    void allreduce_sum(Tensor& t) const;
    // Every rank's tensors receive rank `root`'s values in place (a state_dict: the model's
    // parameters, which share their storage). The names, shapes and dtypes must agree: call
    // check_same_model() first (a mismatch found here throws distributed_error).
    void broadcast(const std::map<std::string, Tensor>& tensors, int root = 0) const;
    void broadcast(Tensor& t, int root = 0) const;
    // Compares every rank's parameter names, shapes and dtypes with rank 0's (a fingerprint,
    // then the list itself when they differ). Throws distributed_error on every rank when any
    // differs, naming the first such rank and, on it, the first parameter that differs.
    void check_same_model(const std::map<std::string, Tensor>& state) const;

private:
    void check(int rc, const char* call) const;
    int rank_ = 0, size_ = 1;
    bool owns_ = false;
};

// "name f32 [4, 8]\n" per tensor: what check_same_model compares.
std::string model_signature(const std::map<std::string, Tensor>& state);

} // namespace xgrad::distributed
