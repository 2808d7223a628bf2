#include "xgrad/optim/distributed/environment.hpp"

#include <atomic>
#include <cstdlib>
#include <mpi.h>

#include "xgrad/autograd/io/checkpoint.hpp"
#include "xgrad/autograd/shape.hpp"

namespace xgrad::distributed
{
namespace
{

std::atomic<bool> alive{false}; // one environment per process

std::string mpi_message(int rc)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        return fmt::format("MPI error {}", rc);
    return std::string(text, static_cast<std::size_t>(len));
}

MPI_Datatype mpi_type(dtype dt, const char* op)
{
    if (dt == f32)
        return MPI_FLOAT;
    if (dt == f64)
        return MPI_DOUBLE;
    fail<distributed_error>("{}: {} tensors are not reduced (f32 or f64 only)", op, dtype_name(dt));
}

} // namespace

bool launched_by_mpirun()
{
    // Open MPI sets OMPI_COMM_WORLD_SIZE; PMIx-based launchers PMIX_RANK; MPICH/Hydra PMI_RANK.
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
        if (std::getenv(v))
            return true;
    return false;
}

std::string model_signature(const std::map<std::string, Tensor>& state)
{
    std::string s;
    for (const auto& [name, t] : state)
        s += fmt::format("{} {} {}\n", name, dtype_name(t.dtype()), to_string(t.shape()));
    return s;
}

environment::environment(int& argc, char**& argv, const environment_options& o)
{
    if (o.require_launcher && !launched_by_mpirun())
        fail<distributed_error>("distributed: not started by mpirun; run it as `mpirun -np N {} "
                                "...` (one process per replica)",
                                argc > 0 ? argv[0] : "PROGRAM");
    if (alive.exchange(true))
        fail<distributed_error>("distributed: an environment already exists in this process");
    try
    {
        int initialised = 0;
        MPI_Initialized(&initialised);
        if (!initialised)
        {
            int provided = 0;
            if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
                fail<distributed_error>("distributed: MPI_Init_thread failed");
            owns_ = true;
            if (provided < MPI_THREAD_FUNNELED)
                fail<distributed_error>("distributed: MPI provides thread level {}, xgrad needs "
                                        "MPI_THREAD_FUNNELED ({})",
                                        provided, int(MPI_THREAD_FUNNELED));
        }
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
        check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
        check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    }
    catch (...)
    {
        if (owns_)
            MPI_Finalize();
        alive = false;
        throw;
    }
}

environment::~environment()
{
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (owns_ && !finalised)
        MPI_Finalize();
    alive = false;
}

void environment::check(int rc, const char* call) const
{
    if (rc != MPI_SUCCESS)
        fail<distributed_error>("distributed: {} failed on rank {} of {}: {}", call, rank_, size_,
                                mpi_message(rc));
}

std::string environment::processor_name() const
{
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    check(MPI_Get_processor_name(name, &len), "MPI_Get_processor_name");
    return std::string(name, static_cast<std::size_t>(len));
}

void environment::barrier() const
{
    check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void environment::allreduce_sum(double* values, std::size_t n) const
{
    check(MPI_Allreduce(MPI_IN_PLACE, values, static_cast<int>(n), MPI_DOUBLE, MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
}

double environment::allreduce_sum(double value) const
{
    allreduce_sum(&value, 1);
    return value;
}

double environment::allreduce_max(double value) const
{
    check(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD),
          "MPI_Allreduce");
    return value;
}

void environment::allreduce_sum(Tensor& t) const
{
    // Ranks that disagree on the size would read past each other's buffers: compare first.
    const double n = double(t.numel());
    if (allreduce_max(n) != n || -allreduce_max(-n) != n)
        fail<distributed_error>("allreduce_sum: the ranks hold tensors of different sizes "
                                "(this rank {}: {})",
                                rank_, to_string(t.shape()));
    check(MPI_Allreduce(MPI_IN_PLACE, t.raw_data(), static_cast<int>(t.numel()),
                        mpi_type(t.dtype(), "allreduce_sum"), MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
}

void environment::broadcast(Tensor& t, int root) const
{
    if (t.numel() == 0)
        return;
    MPI_Datatype type = t.dtype() == f32   ? MPI_FLOAT
                        : t.dtype() == f64 ? MPI_DOUBLE
                        : t.dtype() == i64 ? MPI_INT64_T
                                           : MPI_INT32_T;
    check(MPI_Bcast(t.raw_data(), static_cast<int>(t.numel()), type, root, MPI_COMM_WORLD),
          "MPI_Bcast");
}

void environment::broadcast(const std::map<std::string, Tensor>& tensors, int root) const
{
    // One fingerprint first: a mismatch would make MPI_Bcast read and write the wrong sizes.
    std::uint64_t h = io::fnv1a64(model_signature(tensors));
    std::uint64_t root_h = h;
    check(MPI_Bcast(&root_h, 1, MPI_UINT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
    const double differs = allreduce_max(root_h != h ? 1.0 : 0.0);
    if (differs > 0)
        fail<distributed_error>("broadcast: the ranks hold different tensors (names, shapes or "
                                "dtypes); call check_same_model() first to see which");
    for (const auto& [name, t] : tensors)
    {
        Tensor shared = t; // the same storage: the module's parameter
        broadcast(shared, root);
    }
}

void environment::check_same_model(const std::map<std::string, Tensor>& state) const
{
    const std::string mine = model_signature(state);
    const std::uint64_t h = io::fnv1a64(mine);
    std::vector<std::uint64_t> all(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&h, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD),
          "MPI_Allgather");
    int first = -1;
    for (int r = 1; r < size_ && first < 0; ++r)
        if (all[std::size_t(r)] != all[0])
            first = r;
    if (first < 0)
        return;
    // Rank 0's list to every rank, so the one that differs can say where.
    std::string root_sig = mine;
    long long len = static_cast<long long>(root_sig.size());
    check(MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD), "MPI_Bcast");
    root_sig.resize(static_cast<std::size_t>(len));
    check(MPI_Bcast(root_sig.data(), static_cast<int>(len), MPI_CHAR, 0, MPI_COMM_WORLD),
          "MPI_Bcast");
    if (all[std::size_t(rank_)] == all[0])
        fail<distributed_error>("check_same_model: rank {}'s model differs from rank 0's (the "
                                "ranks must build the same model; rank {} says where)",
                                first, first);
    // The first line that differs.
    std::size_t a = 0, b = 0;
    std::string here, there;
    while (a < mine.size() || b < root_sig.size())
    {
        const std::size_t ea = mine.find('\n', a), eb = root_sig.find('\n', b);
        here = a < mine.size() ? mine.substr(a, ea - a) : "(nothing)";
        there = b < root_sig.size() ? root_sig.substr(b, eb - b) : "(nothing)";
        if (here != there)
            break;
        a = ea == std::string::npos ? mine.size() : ea + 1;
        b = eb == std::string::npos ? root_sig.size() : eb + 1;
    }
    fail<distributed_error>("check_same_model: rank {}'s model differs from rank 0's: '{}' here, "
                            "'{}' on rank 0 ({} and {} parameters)",
                            rank_, here, there, state.size(),
                            std::count(root_sig.begin(), root_sig.end(), '\n'));
}

} // namespace xgrad::distributed
