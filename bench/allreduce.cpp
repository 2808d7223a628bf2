// xgrad-allreduce: the time of gradient_reducer::reduce() alone, every rank entering together
// (a barrier first, not timed), for gradient sizes from 1 KB to 64 MB of float32: what the cost
// model of docs/distributed.md is checked against. One JSON line per size (median of --reps).
//   mpirun -np 2 bench/xgrad-allreduce [--reps 30]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "xgrad/optim/distributed/environment.hpp"
#include "xgrad/optim/distributed/gradient_reducer.hpp"

using namespace xgrad;
using namespace xgrad::distributed;

int main(int argc, char** argv)
{
    try
    {
        environment env(argc, argv);
        int reps = 30;
        for (int i = 1; i + 1 < argc; ++i)
            if (std::strcmp(argv[i], "--reps") == 0)
                reps = std::max(1, std::atoi(argv[i + 1]));
        for (std::size_t bytes = 1024; bytes <= (std::size_t(64) << 20); bytes *= 4)
        {
            // One parameter of that size: reduced in place, one MPI_Allreduce.
            Variable p(Tensor::ones({bytes / 4}, f32), true);
            gradient_reducer reduce(env, {p});
            std::vector<double> times;
            for (int r = 0; r < reps + 2; ++r)
            {
                p.grad() = Tensor::ones({bytes / 4}, f32);
                env.barrier();
                const auto t0 = std::chrono::steady_clock::now();
                reduce.average();
                const double s =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                if (r >= 2) // warm-up
                    times.push_back(env.allreduce_max(s));
            }
            std::sort(times.begin(), times.end());
            const double med = times[times.size() / 2];
            if (env.is_root())
                fmt::print(
                    "{{\"ranks\": {}, \"bytes\": {}, \"ms\": {:.4f}, \"gb_per_s\": {:.3f}}}\n",
                    env.size(), bytes, med * 1e3, double(bytes) / med * 1e-9);
        }
        return 0;
    }
    catch (const std::exception& e)
    {
        fmt::print(stderr, "xgrad-allreduce: error: {}\n", e.what());
        return 1;
    }
}
