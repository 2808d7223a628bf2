// The failure cases of a distributed run, for tests/optim/distributed/fault.sh:
//   fault early-exit   under mpirun: rank 1 exits at once (no MPI_Finalize) while the others
//                      wait in an allreduce; the job must end with an error, not hang
//   fault alone        without mpirun: environment refuses to start, naming mpirun
#include <cstdio>
#include <cstdlib>
#include <string>

#include "xgrad/optim/distributed/environment.hpp"

int main(int argc, char** argv)
{
    const std::string mode = argc > 1 ? argv[1] : "";
    try
    {
        xgrad::distributed::environment env(argc, argv);
        if (mode == "early-exit")
        {
            if (env.rank() == 1)
                std::_Exit(3); // a crash: no finalisation, no message
            for (int i = 0; i < 1000; ++i)
                env.allreduce_sum(1.0);
            std::printf("rank %d: the allreduce returned without rank 1\n", env.rank());
            return 0;
        }
        std::printf("rank %d of %d\n", env.rank(), env.size());
        return 0;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "fault: error: %s\n", e.what());
        return 1;
    }
}
