// optim/optimizer.hpp, sgd.hpp, adam.hpp, rmsprop.hpp, adagrad.hpp: PyTorch's update rules to
// float64 precision, convergence, parameter groups, and bit-exact save/resume.
#include <algorithm>
#include <cstring>
#include <functional>

#include "tests/support.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/layers/weights.hpp"
#include "xgrad/optim/adagrad.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/clip.hpp"
#include "xgrad/optim/rmsprop.hpp"
#include "xgrad/optim/sgd.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::optim;

namespace
{
using factory = std::function<std::unique_ptr<Optimizer>(const std::vector<Variable>&)>;

std::map<std::string, factory> configs()
{
    std::map<std::string, factory> c;
    auto sgd = [](sgd_options o) {
        return [o](const std::vector<Variable>& p) {
            return std::make_unique<SGD>(p, o);
        };
    };
    auto adam = [](adam_options o) {
        return [o](const std::vector<Variable>& p) {
            return std::make_unique<Adam>(p, o);
        };
    };
    auto adamw = [](adam_options o) {
        return [o](const std::vector<Variable>& p) {
            return std::make_unique<AdamW>(p, o);
        };
    };
    auto rms = [](rmsprop_options o) {
        return [o](const std::vector<Variable>& p) {
            return std::make_unique<RMSprop>(p, o);
        };
    };
    auto ada = [](adagrad_options o) {
        return [o](const std::vector<Variable>& p) {
            return std::make_unique<Adagrad>(p, o);
        };
    };
    c["sgd"] = sgd({0.1, 0, 0, 0, false});
    c["sgd_momentum"] = sgd({0.1, 0.9, 0, 0, false});
    c["sgd_dampening"] = sgd({0.1, 0.9, 0.5, 0, false});
    c["sgd_nesterov"] = sgd({0.1, 0.9, 0, 0, true});
    c["sgd_wd"] = sgd({0.1, 0.5, 0, 0.1, false});
    c["adam"] = adam({0.1, 0.9, 0.999, 1e-8, 0, false});
    c["adam_wd"] = adam({0.1, 0.8, 0.9, 1e-8, 0.1, false});
    c["adam_amsgrad"] = adam({0.1, 0.9, 0.999, 1e-8, 0, true});
    c["adamw"] = adamw({0.1, 0.9, 0.999, 1e-8, 0.01, false});
    c["adamw_amsgrad"] = adamw({0.1, 0.9, 0.999, 1e-8, 0.1, true});
    c["rmsprop"] = rms({0.1, 0.99, 1e-8, 0, 0, false});
    c["rmsprop_centered"] = rms({0.1, 0.99, 1e-8, 0, 0, true});
    c["rmsprop_momentum"] = rms({0.1, 0.9, 1e-8, 0, 0.9, false});
    c["rmsprop_all"] = rms({0.1, 0.99, 1e-6, 0.1, 0.5, true});
    c["adagrad"] = ada({0.1, 0, 0, 0, 1e-10});
    c["adagrad_all"] = ada({0.1, 0.1, 0.1, 0.5, 1e-10});
    return c;
}

// Relative difference, elementwise maximum.
double max_rel(const Tensor& a, const Tensor& b)
{
    double m = 0;
    for (std::size_t i = 0; i < a.numel(); ++i)
        m = std::max(m, std::abs(a.flat(i) - b.flat(i)) / std::max(1e-300, std::abs(b.flat(i))));
    return m;
}
} // namespace

TEST_CASE("every optimizer's first three updates equal PyTorch's", "[optim]")
{
    auto f = io::load_tensors(std::string(XGRAD_OPTIM_FIXTURES) + "/updates.safetensors");
    const auto all = configs();
    REQUIRE(all.size() == 16);
    for (const auto& [name, make] : all)
    {
        INFO(name);
        Variable p(f.tensors.at("p0").clone(), true);
        auto opt = make({p});
        for (int k = 1; k <= 3; ++k)
        {
            p.grad() = f.tensors.at(fmt::format("g{}", k)).clone();
            opt->step();
            CHECK(max_rel(p.data(), f.tensors.at(fmt::format("{}.p{}", name, k))) < 1e-12);
        }
    }
}

TEST_CASE("optimizers minimise a quadratic and the Rosenbrock function", "[optim]")
{
    // f(x) = sum_i a_i (x_i - c_i)^2 / 2 with curvatures a_i from 0.5 to 4.
    auto quadratic = [](const Variable& x) {
        Variable a(Tensor::from_values({0.5, 1, 2, 4}, {4}, f64));
        Variable c(Tensor::from_values({1, -2, 3, 0.5}, {4}, f64));
        Variable d = x - c;
        return sum(a * d * d) * 0.5;
    };
    // (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1).
    auto rosenbrock = [](const Variable& v) {
        Variable x = select(v, 0, 0), y = select(v, 0, 1);
        Variable a = 1.0 - x, b = y - x * x;
        return a * a + b * b * 100.0;
    };
    struct run
    {
        const char* name;
        factory make;
        std::size_t steps;
    };
    const std::vector<run> runs{
        {"SGD momentum",
         [](auto& p) {
             return std::make_unique<SGD>(p, sgd_options{1e-3, 0.9});
         },
         4000},
        {"SGD nesterov",
         [](auto& p) {
             return std::make_unique<SGD>(p, sgd_options{1e-3, 0.9, 0, 0, true});
         },
         4000},
        {"Adam", [](auto& p) { return std::make_unique<Adam>(p, adam_options{0.02}); }, 4000},
        {"AdamW", [](auto& p) { return std::make_unique<AdamW>(p, adam_options{0.02}); }, 4000},
        {"RMSprop",
         [](auto& p) {
             return std::make_unique<RMSprop>(p, rmsprop_options{1e-3, 0.99});
         },
         4000},
        {"Adagrad", [](auto& p) { return std::make_unique<Adagrad>(p, adagrad_options{0.5}); },
         4000},
    };
    for (const auto& r : runs)
    {
        INFO(r.name);
        for (int problem = 0; problem < 2; ++problem)
        {
            Variable x(problem == 0 ? Tensor::zeros({4}, f64)
                                    : Tensor::from_values({-1.5, 2.0}, {2}, f64),
                       true);
            auto f = [&](const Variable& v) {
                return problem == 0 ? quadratic(v) : rosenbrock(v);
            };
            const double start = f(x).item();
            auto opt = r.make({x});
            for (std::size_t s = 0; s < r.steps; ++s)
            {
                opt->zero_grad();
                f(x).backward();
                opt->step();
            }
            const double end = f(x).item();
            INFO("problem " << problem << ": " << start << " -> " << end);
            if (problem == 0)
                CHECK(end < 1e-6); // the quadratic's minimum is 0
            else
                CHECK(end < start * 1e-3); // Rosenbrock: three orders of magnitude at least
        }
    }
}

TEST_CASE("plain SGD on a row-sparse gradient equals the dense update", "[optim][sparse]")
{
    auto table = randn({50, 4}, 30), copy = Variable(table.data().clone(), true);
    SGD sparse({table}, sgd_options{0.5}), dense({copy}, sgd_options{0.5});
    for (int step = 0; step < 3; ++step)
    {
        const std::vector<std::int64_t> ids{3, 17, 3, static_cast<std::int64_t>(step)};
        sparse.zero_grad();
        dense.zero_grad();
        sum(tanh(index_select(table, ids))).backward();
        REQUIRE(table.grad_rows() != nullptr);
        sum(tanh(index_select(copy, ids)) * 1.0).backward();
        copy.grad() = copy.grad().clone(); // drop the row hint: a dense update
        REQUIRE(copy.grad_rows() == nullptr);
        sparse.step();
        dense.step();
        CHECK(max_rel(table.data(), copy.data()) == 0.0);
    }
}

TEST_CASE("Adam's vector pass gives every element the bits a one-element parameter gets", "[optim]")
{
    // The update runs over SIMD batches and a scalar tail; an element must not care which.
    // 37 elements: full batches at float32 and float64 widths, and a tail.
    for (dtype dt : {f32, f64})
        for (int variant = 0; variant < 4; ++variant)
        {
            adam_options o;
            o.lr = 0.01;
            o.weight_decay = variant >= 2 ? 0.1 : 0.0;
            o.amsgrad = variant % 2 == 1;
            const std::size_t n = 37;
            Variable whole(randn({n}, 90, false).data().to(dt), true);
            std::vector<Variable> parts;
            for (std::size_t i = 0; i < n; ++i)
                parts.push_back(
                    Variable(Tensor::from_values({whole.data().flat(i)}, {1}, dt), true));
            std::unique_ptr<Optimizer> a, b;
            if (variant == 3)
            {
                a = std::make_unique<AdamW>(std::vector<Variable>{whole}, o);
                b = std::make_unique<AdamW>(parts, o);
            }
            else
            {
                a = std::make_unique<Adam>(std::vector<Variable>{whole}, o);
                b = std::make_unique<Adam>(parts, o);
            }
            for (int step = 0; step < 5; ++step)
            {
                const Tensor g = randn({n}, 91 + step, false).data().to(dt);
                whole.grad() = g.clone();
                for (std::size_t i = 0; i < n; ++i)
                    parts[i].grad() = Tensor::from_values({g.flat(i)}, {1}, dt);
                a->step();
                b->step();
            }
            std::size_t differ = 0;
            for (std::size_t i = 0; i < n; ++i)
                differ += whole.data().flat(i) != parts[i].data().flat(0);
            INFO(dtype_name(dt) << " variant " << variant);
            CHECK(differ == 0);
        }
}

TEST_CASE("parameter groups keep their own learning rates", "[optim]")
{
    Variable a(Tensor::ones({2}, f64), true), b(Tensor::ones({2}, f64), true);
    SGD opt(std::vector<param_group>{{{a}, 0.5, -1}, {{b}, -1, -1}}, sgd_options{0.1});
    CHECK(opt.lr(0) == 0.5);
    CHECK(opt.lr(1) == 0.1);
    sum(a + b).backward();
    opt.step();
    CHECK(a.data().flat(0) == Approx(0.5));
    CHECK(b.data().flat(0) == Approx(0.9));
    // A parameter without a gradient is skipped.
    opt.zero_grad();
    sum(a).backward();
    opt.step();
    CHECK(b.data().flat(0) == Approx(0.9));
    CHECK_THROWS_AS(SGD({a}, sgd_options{0.1, 0, 0, 0, true}), value_error);
    CHECK_THROWS_AS(Adam({a}, adam_options{0.1, 1.0}), value_error);
    CHECK_THROWS_AS(SGD({tanh(a)}), value_error); // not a leaf
}

TEST_CASE("saving and loading optimizer state resumes bit-exactly", "[optim]")
{
    char tmpl[] = "/tmp/xgrad-optim-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    struct model
    {
        nn::LSTM rnn{3, 5};
        nn::Linear head{5, 4};
        std::vector<Variable> params() const
        {
            auto p = rnn.parameters();
            auto h = head.parameters();
            p.insert(p.end(), h.begin(), h.end());
            return p;
        }
    };
    auto data = [](int step) {
        return randn({4, 2, 3}, 500 + static_cast<std::uint64_t>(step), false).data().to(f32);
    };
    auto train = [&](model& m, Optimizer& opt, int from, int to) {
        for (int s = from; s < to; ++s)
        {
            opt.zero_grad();
            auto out = m.rnn.forward(Variable(data(s)));
            std::vector<std::int64_t> t(8, s % 4);
            cross_entropy(m.head(out.output), t).backward();
            clip_grad_norm(m.params(), 0.5);
            opt.step();
        }
    };
    manual_seed(7);
    model straight;
    manual_seed(7);
    model resumed;
    Adam opt_a(straight.params(), adam_options{0.01, 0.9, 0.999, 1e-8, 0, true});
    Adam opt_b(resumed.params(), adam_options{0.01, 0.9, 0.999, 1e-8, 0, true});
    train(straight, opt_a, 0, 8);
    train(resumed, opt_b, 0, 4);
    nn::save(resumed.rnn, dir + "/rnn.safetensors");
    nn::save(resumed.head, dir + "/head.safetensors");
    opt_b.save(dir + "/adam.safetensors");

    manual_seed(99); // a different init: everything must come from the files
    model fresh;
    nn::load(fresh.rnn, dir + "/rnn.safetensors");
    nn::load(fresh.head, dir + "/head.safetensors");
    Adam opt_c(fresh.params(), adam_options{0.5, 0.9, 0.999, 1e-8, 0, true});
    opt_c.load(dir + "/adam.safetensors");
    CHECK(opt_c.lr() == 0.01);
    train(fresh, opt_c, 4, 8);
    const auto pa = straight.params(), pc = fresh.params();
    for (std::size_t i = 0; i < pa.size(); ++i)
        CHECK(std::memcmp(pa[i].data().raw_data(), pc[i].data().raw_data(),
                          pa[i].data().nbytes()) == 0);

    // Wrong files are refused with the reason.
    SGD sgd(fresh.params());
    CHECK_THROWS_WITH(sgd.load(dir + "/adam.safetensors"), Catch::Contains("Adam"));
    auto bad_state = opt_c.state_dict();
    bad_state["param.0.0.step"] = Tensor::scalar(1.0, f32);
    CHECK_THROWS_WITH(opt_c.load_state_dict(bad_state), Catch::Contains("float64 scalar"));
    bad_state = opt_c.state_dict();
    bad_state.erase("param.0.0.step");
    CHECK_THROWS_WITH(opt_c.load_state_dict(bad_state), Catch::Contains("step count"));
    bad_state = opt_c.state_dict();
    bad_state["group.0.lr"] = Tensor::scalar(-1.0, f64);
    CHECK_THROWS_WITH(opt_c.load_state_dict(bad_state), Catch::Contains("learning rate"));
    Adam small({fresh.head.weight});
    CHECK_THROWS_WITH(small.load(dir + "/adam.safetensors"), Catch::Contains("parameters"));
    std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("each optimizer declares the state it keeps, and loading holds it to that",
          "[optim][state]")
{
    for (const auto& [name, make] : configs())
    {
        INFO(name);
        Variable p(Tensor::from_values({0.5, -1, 2}, {3}, f64), true);
        auto opt = make({p});
        sum(p * p).backward();
        opt->step();
        std::vector<std::string> kept;
        for (const auto& entry : opt->state_dict())
            if (entry.first.rfind("param.0.0.", 0) == 0)
                kept.push_back(entry.first.substr(10));
        auto declared = opt->state_keys();
        std::sort(kept.begin(), kept.end());
        std::sort(declared.begin(), declared.end());
        CHECK(kept == declared);
        // A key the optimizer does not keep is refused, naming the keys it does keep.
        auto state = opt->state_dict();
        state["param.0.0.exp_inf"] = Tensor::zeros({3}, f64);
        CHECK_THROWS_WITH(opt->load_state_dict(state),
                          Catch::Contains("unexpected state entry 'param.0.0.exp_inf'"));
    }
    // Adam with amsgrad keeps max_exp_avg_sq; plain Adam does not take it.
    Variable p(Tensor::from_values({0.5, -1, 2}, {3}, f64), true);
    Adam ams({p}, adam_options{0.1, 0.9, 0.999, 1e-8, 0, true});
    Adam plain({p}, adam_options{0.1});
    sum(p * p).backward();
    ams.step();
    CHECK_THROWS_WITH(plain.load_state_dict(ams.state_dict()),
                      Catch::Contains("max_exp_avg_sq") &&
                          Catch::Contains("Adam keeps step, exp_avg, exp_avg_sq"));
    // All or nothing: a moment missing from a parameter's state is named.
    auto partial = ams.state_dict();
    partial.erase("param.0.0.exp_avg_sq");
    CHECK_THROWS_WITH(ams.load_state_dict(partial),
                      Catch::Contains("state of parameter 0 of group 0 lacks 'exp_avg_sq'"));
    SGD sgd({p});
    CHECK(sgd.state_keys().empty());
    CHECK_THROWS_WITH(sgd.load_state_dict(ams.state_dict()), Catch::Contains("SGD keeps no state"));
}
