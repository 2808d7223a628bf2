// A downstream program of xgrad::distributed, run as one process (MPI's singleton start): the
// environment, a sampler, a gradient reduction over one rank. Exits non-zero on any mismatch.
#include <cstdio>

#include <xgrad/optim/distributed/environment.hpp>
#include <xgrad/optim/distributed/gradient_reducer.hpp>
#include <xgrad/xgrad.hpp>

using namespace xgrad;

int main(int argc, char** argv)
{
    distributed::environment env(argc, argv, {/*require_launcher=*/false});
    nn::Linear layer(3, 2);
    env.check_same_model(layer.state_dict());
    env.broadcast(layer.state_dict());
    Variable loss = sum(layer(Variable(Tensor::ones({1, 3}))));
    loss.backward();
    const double before = layer.parameters()[0].grad().flat(0);
    distributed::gradient_reducer reduce(env, layer.parameters());
    reduce.reduce(0.5);
    const double after = layer.parameters()[0].grad().flat(0);
    const distributed::distributed_sampler s(10, 1, 0, true, 7);
    if (env.size() != 1 || env.rank() != 0 || after != 0.5 * before || s.size() != 10)
    {
        std::printf("consumer_distributed: size %d rank %d, gradient %g -> %g, sampler %zu\n",
                    env.size(), env.rank(), before, after, s.size());
        return 1;
    }
    return 0;
}
