#include "examples/common/data_parallel.hpp"

#include <cstring>

#include <fmt/core.h>

#include "examples/common/flags.hpp"
#include "xgrad/autograd/ops/layout.hpp"

#ifdef XGRAD_HAVE_MPI
#include "xgrad/optim/distributed/environment.hpp"
#include "xgrad/optim/distributed/gradient_reducer.hpp"
#endif

namespace cli
{

#ifdef XGRAD_HAVE_MPI
struct data_parallel::impl
{
    xgrad::distributed::environment env;
    std::unique_ptr<xgrad::distributed::gradient_reducer> reducer;
    impl(int& argc, char**& argv) : env(argc, argv) {}
};
#else
struct data_parallel::impl
{};
#endif

data_parallel::data_parallel(bool on, int& argc, char**& argv)
{
    if (!on)
        return;
#ifdef XGRAD_HAVE_MPI
    try
    {
        p_ = std::make_unique<impl>(argc, argv);
    }
    catch (const xgrad::distributed::distributed_error& e)
    {
        throw usage_error(std::string(e.what()) + ", or without --distributed");
    }
    rank_ = std::size_t(p_->env.rank());
    size_ = std::size_t(p_->env.size());
    started_ = true;
#else
    (void)argc;
    (void)argv;
    throw usage_error("--distributed: this program was built without MPI (install "
                      "libopenmpi-dev and openmpi-bin, then build again)");
#endif
}

data_parallel::~data_parallel() = default;

void data_parallel::setup(const xgrad::nn::Module& m)
{
#ifdef XGRAD_HAVE_MPI
    if (!p_)
        return;
    p_->env.check_same_model(m.state_dict());
    p_->env.broadcast(m.state_dict());
    p_->reducer = std::make_unique<xgrad::distributed::gradient_reducer>(p_->env, m.parameters());
#else
    (void)m;
#endif
}

void data_parallel::reduce(double scale)
{
#ifdef XGRAD_HAVE_MPI
    if (p_ && p_->reducer)
        p_->reducer->reduce(scale);
#else
    (void)scale;
#endif
}

double data_parallel::sum(double v) const
{
#ifdef XGRAD_HAVE_MPI
    if (p_)
        return p_->env.allreduce_sum(v);
#endif
    return v;
}

bool data_parallel::any(bool v) const
{
#ifdef XGRAD_HAVE_MPI
    if (p_)
        return p_->env.allreduce_max(v ? 1.0 : 0.0) > 0;
#endif
    return v;
}

void data_parallel::barrier() const
{
#ifdef XGRAD_HAVE_MPI
    if (p_)
        p_->env.barrier();
#endif
}

xgrad::Tensor data_parallel::gather(const xgrad::Tensor& t, int axis) const
{
#ifdef XGRAD_HAVE_MPI
    if (p_ && size_ > 1)
    {
        // Rank r's tensor at slot r of a zero buffer [size, ...]: one allreduce_sum fills all.
        std::vector<std::size_t> dims{size_};
        for (std::size_t d : t.shape())
            dims.push_back(d);
        const xgrad::shape_t shape(dims.begin(), dims.end());
        xgrad::Tensor all = xgrad::Tensor::zeros(shape, t.dtype());
        const std::size_t bytes = t.numel() * xgrad::dtype_size(t.dtype());
        std::memcpy(static_cast<char*>(all.raw_data()) + rank_ * bytes, t.raw_data(), bytes);
        p_->env.allreduce_sum(all);
        std::vector<xgrad::Variable> parts;
        for (std::size_t r = 0; r < size_; ++r)
            parts.push_back(xgrad::select(xgrad::Variable(all), 0, r));
        return xgrad::concat(parts, axis).data();
    }
#else
    (void)axis;
#endif
    return t;
}

void data_parallel::report() const
{
    if (on() && is_root() && reductions() > 0)
        fmt::print("gradient allreduce: {:.2f} ms per step over {} processes\n",
                   1e3 * reduce_seconds() / double(reductions()), size_);
}

double data_parallel::reduce_seconds() const
{
#ifdef XGRAD_HAVE_MPI
    if (p_ && p_->reducer)
        return p_->reducer->stats().seconds;
#endif
    return 0;
}

std::size_t data_parallel::reductions() const
{
#ifdef XGRAD_HAVE_MPI
    if (p_ && p_->reducer)
        return p_->reducer->stats().calls;
#endif
    return 0;
}

} // namespace cli
