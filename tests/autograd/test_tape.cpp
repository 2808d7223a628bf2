// The tape: reverse sweep, release, grad modes, accumulation, errors, threads.
#include <cmath>
#include <thread>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("a 10^6-op chain records and differentiates without recursion", "[tape]")
{
    // Recording is O(1) amortised per node (quadratic growth once made 10^6 ops take more than
    // 5 minutes; bench/micro.cpp's BM_tape_chain measures the cost per node up to 10^6).
    Variable x(Tensor::scalar(1.0, f64), true);
    Variable y = x;
    for (int i = 0; i < 1000000; ++i)
        y = y * 1.000001;
    CHECK(tape::current().size() == 1000000);
    y.backward();
    // d/dx (1.000001^(10^6) x) = 1.000001^(10^6) ~ e
    CHECK(x.grad().item() == Approx(std::pow(1.000001, 1000000)).epsilon(1e-9));
    CHECK(tape::current().size() == 0);
}

TEST_CASE("backward releases the graph unless asked to keep it", "[tape]")
{
    auto x = randn({3}, 1);
    Variable y = sum(tanh(x) * x);
    CHECK(tape::current().size() == 3);
    y.backward(true);
    CHECK(tape::current().size() == 3);
    const Tensor first = x.grad().clone();
    y.backward();
    CHECK(tape::current().size() == 0);
    CHECK(max_diff(x.grad(),
                   Tensor::from_values({2 * first.flat(0), 2 * first.flat(1), 2 * first.flat(2)},
                                       {3}, f64)) < 1e-15);
    CHECK_THROWS_AS(y.backward(), graph_error);
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("retain_graph"));
}

TEST_CASE("backward through a sub-graph an earlier backward released is refused", "[tape]")
{
    tape::current().clear();
    auto x = randn({3}, 70);
    auto a = randn({3}, 71);
    Variable h = x * 2.0;
    Variable y = tanh(h);
    sum(y * 3.0).backward(); // releases tanh and x * 2
    const Tensor before = x.grad().clone();
    // y's history is gone: the contribution through it to x would be lost without a word.
    Variable w = sum(y * a);
    CHECK_THROWS_AS(w.backward(), graph_error);
    CHECK_THROWS_WITH(w.backward(),
                      Catch::Contains("already released") && Catch::Contains("retain_graph"));
    // Refused before anything moved: neither x's nor a's gradient changed, the graph is intact.
    CHECK(max_diff(x.grad(), before) == 0.0);
    CHECK_FALSE(a.has_grad());
    CHECK(tape::current().size() == 2);
    // Deeper down too: h itself was released with the first sweep.
    CHECK_THROWS_AS(sum(h * a).backward(), graph_error);
    CHECK_FALSE(a.has_grad());
    // Detaching is the way to say "stop here": a's gradient is y.
    sum(y.detach() * a).backward();
    CHECK(max_diff(a.grad(), y.data()) == 0.0);
    tape::current().clear();

    // With retain_graph the second sweep goes through: d/dx sum(y^2) = 2 y (1 - y^2) * 2.
    x.zero_grad();
    Variable y2 = tanh(x * 2.0);
    sum(y2).backward(true);
    x.zero_grad();
    sum(y2 * y2).backward();
    for (std::size_t i = 0; i < 3; ++i)
    {
        const double t = y2.data().flat(i);
        CHECK(x.grad().flat(i) == Approx(4 * t * (1 - t * t)).epsilon(1e-12));
    }
    // The first sum, which the second sweep never reached, fed nothing anyone holds: collected
    // with the sweep.
    CHECK(tape::current().size() == 0);
    tape::current().clear();
}

TEST_CASE("a backward collects dropped values it did not reach, and keeps held ones", "[tape]")
{
    tape::current().clear();
    auto x = randn({4}, 73);
    Variable held = tanh(x) * 2.0; // two nodes a caller still holds
    {
        Variable dropped = exp(x) * 3.0; // two nodes nobody holds once this scope ends
    }
    Variable loss = x;
    for (int i = 0; i < 4; ++i)
        loss = loss * 1.5;
    const std::size_t before = tape::current().size();
    REQUIRE(before == 2 + 2 + 4);
    sum(loss).backward();
    // The exp branch kept exp(x)'s tensors alive until some later collection; now the sweep
    // (the 4 products and the sum released, 4 nodes left) collects it: only what `held` needs
    // is left.
    CHECK(tape::current().size() == 2);
    sum(held).backward();
    CHECK(tape::current().size() == 0);
}

TEST_CASE("a side output held until the step ends does not grow the node arena", "[tape]")
{
    // A training step whose output keeps a value the loss does not use (an RNN's final state
    // of a sequence that ended early) until after backward(): the sweep cannot free that node,
    // but the next recording does, so the arena starts over each step instead of growing.
    tape::current().clear();
    auto w = randn({6, 4}, 74);
    auto x = randn({3, 4}, 75, false);
    auto step = [&] {
        Variable h = tanh(linear(x, w));
        Variable side = h * 2.0; // held, never reached by the sweep
        sum(h).backward();
        w.zero_grad();
        return tape::current().size();
    };
    step();
    const std::size_t arena = tape::current().arena_bytes();
    std::size_t left = 0;
    for (int i = 0; i < 2000; ++i)
        left = step();
    CHECK(left == 1); // this step's `side`, alive until the lambda returned
    CHECK(tape::current().arena_bytes() == arena);
    Variable y = w * 1.0; // recording resumes: the dropped side node is collected first
    CHECK(tape::current().size() == 1);
}

TEST_CASE("backward refuses a seed of another dtype", "[tape]")
{
    tape::current().clear();
    auto x = randn({2, 3}, 72);
    Variable y = tanh(x); // float64
    CHECK_THROWS_AS(y.backward(Tensor::ones({2, 3}, f32)), value_error);
    CHECK_THROWS_WITH(y.backward(Tensor::ones({2, 3}, f32)),
                      Catch::Contains("float32") && Catch::Contains("float64"));
    CHECK_FALSE(x.has_grad());
    CHECK(tape::current().size() == 1); // nothing released: a right seed still works
    y.backward(Tensor::ones({2, 3}, f64));
    CHECK(x.has_grad());
    // A leaf that is its own root too.
    auto l = randn({2}, 73);
    CHECK_THROWS_AS(l.backward(Tensor::ones({2}, f32)), value_error);
    CHECK_FALSE(l.has_grad());
    tape::current().clear();
}

TEST_CASE("gradients accumulate across uses and across backward calls", "[tape]")
{
    auto x = randn({4}, 2);
    Variable y = sum(x * x + x); // dy/dx = 2x + 1: x is used three times
    y.backward();
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(x.grad().flat(i) == Approx(2 * x.data().flat(i) + 1));
    sum(x * 3.0).backward();
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(x.grad().flat(i) == Approx(2 * x.data().flat(i) + 4));
    // A gradient someone holds is not changed behind their back by later accumulation.
    Tensor held = x.grad();
    const double before = held.flat(0);
    sum(x).backward();
    CHECK(held.flat(0) == before);
    CHECK(x.grad().flat(0) == Approx(before + 1));
    x.zero_grad();
    CHECK_FALSE(x.has_grad());
}

TEST_CASE("no_grad records nothing; detach cuts the graph", "[tape]")
{
    auto x = randn({3}, 3);
    const std::size_t before = tape::current().size();
    {
        no_grad guard;
        Variable y = tanh(x) * 2.0;
        CHECK_FALSE(y.requires_grad());
        CHECK(tape::current().size() == before);
        CHECK_THROWS_AS(sum(y).backward(), graph_error);
    }
    CHECK(is_grad_enabled());
    Variable h = tanh(x);
    Variable d = h.detach();
    CHECK(d.is_leaf());
    CHECK_FALSE(d.requires_grad());
    CHECK(d.data().same_storage(h.data()));
    Variable z = sum(d * x);
    z.backward();
    // Through detach no gradient flows: dz/dx = d only.
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(x.grad().flat(i) == Approx(d.data().flat(i)));
    tape::current().clear();
}

TEST_CASE("backward errors say what to do", "[tape]")
{
    auto x = randn({2, 3}, 4);
    Variable y = tanh(x);
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("[2,3]") && Catch::Contains("seed"));
    CHECK_THROWS_AS(y.backward(Tensor::ones({3, 2}, f64)), shape_error);
    y.backward(Tensor::ones({2, 3}, f64));
    CHECK(x.has_grad());
    Variable c(Tensor::ones({2}, f64));
    CHECK_THROWS_WITH(sum(c).backward(), Catch::Contains("does not require grad"));
    CHECK_THROWS_AS(tanh(x).set_requires_grad(false), graph_error);
    CHECK(std::string(tanh(x).op_name()) == "tanh");
    tape::current().clear();
}

TEST_CASE("abandoned graphs are collected", "[tape]")
{
    auto x = randn({8}, 5);
    tape::current().clear();
    for (int i = 0; i < 100; ++i)
        Variable loss = sum(tanh(x * 2.0)); // never differentiated, dropped at once
    CHECK(tape::current().size() == 300);
    Variable kept = sum(x * x);
    tape::current().collect();
    CHECK(tape::current().size() == 2); // only the graph still reachable from `kept`
    kept.backward();
    CHECK(tape::current().size() == 0);
}

TEST_CASE("steady-state training allocates no new tensor memory", "[tape][storage]")
{
    auto w = randn({16, 8}, 6);
    auto x = randn({4, 8}, 7, false);
    auto step = [&] {
        Variable loss = mean(tanh(linear(x, w)));
        loss.backward();
        w.zero_grad();
    };
    step();
    step();
    const auto before = thread_memory_stats().fresh_allocations;
    for (int i = 0; i < 20; ++i)
        step();
    CHECK(thread_memory_stats().fresh_allocations == before);
}

TEST_CASE("each thread has its own tape", "[tape][threads]")
{
    auto work = [](std::uint64_t seed, double* out, bool* ok) {
        auto x = randn({16}, seed);
        double expect = 0;
        for (int step = 0; step < 200; ++step)
        {
            Variable y = sum(x * x * 0.5); // dy/dx = x
            y.backward();
        }
        expect = 200 * x.data().flat(3);
        *out = x.grad().flat(3);
        *ok = tape::current().size() == 0 && std::abs(*out - expect) < 1e-9;
    };
    double a = 0, b = 0;
    bool oka = false, okb = false;
    std::thread t1(work, 11, &a, &oka), t2(work, 12, &b, &okb);
    t1.join();
    t2.join();
    CHECK(oka);
    CHECK(okb);
    CHECK(a != b);

    // A graph recorded on one thread cannot be differentiated on another.
    auto x = randn({2}, 13);
    Variable y = sum(x * x);
    std::string message;
    std::thread t3([&] {
        try
        {
            y.backward();
        }
        catch (const graph_error& e)
        {
            message = e.what();
        }
    });
    t3.join();
    CHECK_THAT(message, Catch::Contains("another thread"));
    tape::current().clear();
}

TEST_CASE("lookup gradients stay row-sparse until a dense contribution", "[tape][sparse]")
{
    auto table = randn({6, 3}, 20);
    Variable e = index_select(table, {4, 1, 4});
    sum(e * 2.0).backward();
    const auto* rows = table.grad_rows();
    REQUIRE(rows != nullptr);
    CHECK(*rows == std::vector<std::int64_t>{1, 4}); // sorted, distinct
    CHECK(table.grad().flat(4 * 3) == 4.0);
    CHECK(table.grad().flat(0) == 0.0); // a valid dense gradient everywhere

    // zero_grad zeroes the touched rows and keeps the buffer for the next backward.
    table.zero_grad();
    CHECK_FALSE(table.has_grad());
    sum(index_select(table, {2})).backward();
    REQUIRE(table.grad_rows() != nullptr);
    CHECK(*table.grad_rows() == std::vector<std::int64_t>{2});
    CHECK(table.grad().flat(4 * 3) == 0.0); // the old rows were cleared
    CHECK(table.grad().flat(2 * 3) == 1.0);

    // Any dense contribution makes it a plain dense gradient.
    sum(table * 1.0).backward();
    CHECK(table.grad_rows() == nullptr);
    CHECK(table.grad().flat(0) == 1.0);
    CHECK(table.grad().flat(2 * 3) == 2.0);
}

TEST_CASE("review regressions: hints, foreign graphs, replaced gradients", "[tape]")
{
    // A lookup along axis 1 of [1, N, D] is not a row lookup: no row hint.
    auto pos = randn({1, 5, 3}, 40);
    sum(index_select(pos, {4, 2}, 1)).backward();
    CHECK(pos.grad_rows() == nullptr);
    pos.zero_grad();

    // A value recorded on another thread cannot feed this thread's graph.
    Variable foreign;
    std::thread t([&] { foreign = tanh(randn({2}, 41)); });
    t.join();
    CHECK_THROWS_WITH(foreign * 2.0, Catch::Contains("another thread"));

    // A gradient replaced by one of another shape is refused, not overrun.
    auto w = randn({3}, 42);
    sum(w * w).backward();
    w.grad() = Tensor::zeros({5}, f64);
    CHECK_THROWS_WITH(sum(w * w).backward(), Catch::Contains("[5]") && Catch::Contains("[3]"));
    tape::current().clear();

    // Ops called inside a backward function are not recorded.
    auto x = randn({2}, 43);
    Variable y = record("probe", x.data().clone(), {x}, [](grad_context& c) {
        Variable inner = tanh(Variable(c.grad(), true));
        CHECK(tape::current().size() <= 1);
        c.accumulate(0, c.grad());
        (void)inner;
    });
    sum(y).backward();
    CHECK(tape::current().size() == 0);
}

TEST_CASE("integer values cannot require gradients; float kernels reject them", "[tape][int]")
{
    const Tensor ids = Tensor::from_indices({1, 2, 3});
    CHECK_THROWS_WITH(Variable(ids, true), Catch::Contains("integer tensors cannot require "
                                                           "gradients") &&
                                               Catch::Contains("int64"));
    Variable v(ids);
    CHECK_FALSE(v.requires_grad());
    CHECK_THROWS_WITH(v.set_requires_grad(), Catch::Contains("integer tensors cannot require "
                                                             "gradients"));
    CHECK_FALSE(v.requires_grad());
    CHECK_NOTHROW(v.set_requires_grad(false));
    CHECK_THROWS_WITH(tanh(v), Catch::Contains("int64") && Catch::Contains("float32"));
    CHECK_THROWS_WITH(tanh(Variable(Tensor::ones({2}, i32))), Catch::Contains("int32"));
    // An op with an integer output (an argmax) records nothing, even from a float input.
    auto xf = randn({3}, 59);
    Variable arg = record("argmax", Tensor::from_indices({2}), {xf}, [](grad_context&) {});
    CHECK_FALSE(arg.requires_grad());
    CHECK(arg.is_leaf());
    // A leaf root holding a gradient of the wrong shape is refused, not overrun.
    xf.grad() = Tensor::zeros({7}, f64);
    CHECK_THROWS_WITH(xf.backward(Tensor::ones({3}, f64)), Catch::Contains("[7]"));
    xf.zero_grad();
    // Integer data still flows through copies: detach, reshape of the data.
    CHECK(v.detach().data().to_indices() == std::vector<std::int64_t>{1, 2, 3});
}

TEST_CASE("retain_grad keeps an intermediate gradient", "[tape][hooks]")
{
    auto x = randn({3}, 60);
    Variable y = tanh(x);
    Variable w = x * 3.0;
    y.retain_grad();
    CHECK(y.retains_grad());
    x.retain_grad(); // on a leaf: nothing to do
    CHECK_FALSE(x.retains_grad());
    Variable loss = sum(y * y + w);
    loss.backward(true);
    REQUIRE(y.has_grad());
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(y.grad().flat(i) == Approx(2 * y.data().flat(i)).epsilon(1e-14)); // dL/dy = 2y
    CHECK_FALSE(w.has_grad()); // not retained: dropped as usual
    const double once = y.grad().flat(0);
    // Like a leaf's, it accumulates over backward calls until zero_grad().
    loss.backward();
    CHECK(y.grad().flat(0) == Approx(2 * once).epsilon(1e-14));
    CHECK(x.grad().flat(0) ==
          Approx(2 * (2 * y.data().flat(0) * (1 - y.data().flat(0) * y.data().flat(0)) + 3)));
    y.zero_grad();
    CHECK_FALSE(y.has_grad());
    CHECK(tape::current().size() == 0);
}

TEST_CASE("gradient hooks read and replace gradients", "[tape][hooks]")
{
    SECTION("an intermediate value's hook sees its complete gradient before its node runs")
    {
        auto x = randn({3}, 61);
        Variable y = tanh(x);
        std::vector<Tensor> seen;
        hook_handle h = register_hook(y, [&](const Tensor& g) -> std::optional<Tensor> {
            seen.push_back(g.clone());
            return std::nullopt;
        });
        y.retain_grad();
        sum(y * y + y * 2.0).backward(); // two uses of y: the hook sees their sum, once
        REQUIRE(seen.size() == 1);
        CHECK(max_diff(seen[0], y.grad()) == 0.0);
        CHECK(seen[0].flat(1) == Approx(2 * y.data().flat(1) + 2).epsilon(1e-14));
        CHECK(h.remove());
        CHECK_FALSE(h.remove()); // already removed
        Variable y2 = tanh(x);
        hook_handle h2 = register_hook(y2, [&](const Tensor& g) -> std::optional<Tensor> {
            seen.push_back(g.clone());
            return std::nullopt;
        });
        CHECK(h2.remove()); // removed before backward: never called
        sum(y2).backward();
        CHECK(seen.size() == 1);
    }
    SECTION("a replacement propagates, and retain_grad keeps the replaced gradient")
    {
        auto x = randn({3}, 62);
        Variable y = x * 2.0;
        y.retain_grad();
        register_hook(y, [](const Tensor& g) -> std::optional<Tensor> {
            Tensor r = g.clone();
            r.fill(10.0);
            return r;
        });
        sum(y).backward();
        CHECK(y.grad().flat(0) == 10.0);
        CHECK(x.grad().flat(2) == 20.0); // d(2x)/dx * 10
    }
    SECTION("hooks chain in registration order")
    {
        auto x = randn({2}, 63);
        Variable y = x * 1.0;
        register_hook(y, [](const Tensor& g) -> std::optional<Tensor> {
            return Tensor::full(g.shape(), g.flat(0) + 1.0, g.dtype()); // 1 -> 2
        });
        register_hook(y, [](const Tensor& g) -> std::optional<Tensor> {
            return Tensor::full(g.shape(), g.flat(0) * 3.0, g.dtype()); // 2 -> 6
        });
        sum(y).backward();
        CHECK(x.grad().flat(0) == 6.0);
    }
    SECTION("a wrongly shaped replacement names the hook and both shapes")
    {
        auto x = randn({2, 3}, 64);
        Variable y = tanh(x);
        register_hook(
            y,
            [](const Tensor&) -> std::optional<Tensor> {
                return Tensor::zeros({3, 2}, f64);
            },
            "bad shape");
        CHECK_THROWS_AS(sum(y).backward(), shape_error);
        Variable z = tanh(x);
        register_hook(
            z, [](const Tensor&) -> std::optional<Tensor> { return Tensor::zeros({6}, f64); });
        try
        {
            sum(z).backward();
            FAIL("no error");
        }
        catch (const shape_error& e)
        {
            const std::string m = e.what();
            CHECK_THAT(m, Catch::Contains("hook #") && Catch::Contains("'tanh'") &&
                              Catch::Contains("[6]") && Catch::Contains("[2,3]"));
        }
        auto w = randn({2}, 65);
        Variable v = w * 2.0;
        register_hook(
            v, [](const Tensor&) -> std::optional<Tensor> { return Tensor::ones({5}); },
            "bad shape");
        CHECK_THROWS_WITH(sum(v).backward(),
                          Catch::Contains("'bad shape'") && Catch::Contains("[5]"));
        CHECK_FALSE(w.has_grad()); // nothing half-propagated
        tape::current().clear();
    }
    SECTION("a leaf's hook runs once per pass with that pass's total")
    {
        auto x = randn({3}, 66);
        sum(x).backward(); // an earlier pass: x.grad = 1
        std::vector<double> seen;
        register_hook(x, [&](const Tensor& g) -> std::optional<Tensor> {
            seen.push_back(g.flat(0));
            Tensor r = g.clone();
            r.fill(2.0 * g.flat(0));
            return r; // doubles this pass's contribution
        });
        sum(x * x + x).backward(); // x used three times: one call with 2x + 1
        REQUIRE(seen.size() == 1);
        CHECK(seen[0] == Approx(2 * x.data().flat(0) + 1).epsilon(1e-14));
        CHECK(x.grad().flat(0) == Approx(1 + 2 * (2 * x.data().flat(0) + 1)).epsilon(1e-14));
        // A leaf that is its own root: the seed is the pass's contribution.
        x.zero_grad();
        x.backward(Tensor::ones({3}, f64));
        CHECK(seen.size() == 2);
        CHECK(x.grad().flat(1) == 2.0);
    }
    SECTION("misuse is refused")
    {
        auto c = randn({2}, 67, false);
        CHECK_THROWS_AS(register_hook(c, [](const Tensor&) { return std::optional<Tensor>(); }),
                        graph_error);
        auto x = randn({2}, 68);
        Variable y = x * 2.0;
        register_hook(y, [&](const Tensor&) -> std::optional<Tensor> {
            sum(x).backward(); // a sweep inside a sweep
            return std::nullopt;
        });
        CHECK_THROWS_WITH(sum(y).backward(), Catch::Contains("inside a backward"));
        tape::current().clear();
    }
}

TEST_CASE("hooks on every step of an unrolled RNN measure dL/dh_t", "[tape][hooks][bptt]")
{
    // h_t = tanh(h_{t-1} W^T + x_t U^T), L = sum_t sum(h_t * v_t): each h_t gets a direct
    // gradient v_t and one through h_{t+1}. BPTT by hand:
    //   d_t = v_t + (d_{t+1} * (1 - h_{t+1}^2)) W.
    const std::size_t T = 6, H = 4, I = 3;
    auto W = randn({H, H}, 70), U = randn({H, I}, 71);
    std::vector<Variable> xs, vs, hs;
    for (std::size_t t = 0; t < T; ++t)
    {
        xs.push_back(randn({1, I}, 80 + t, false));
        vs.push_back(randn({1, H}, 90 + t, false));
    }
    std::vector<Tensor> hooked(T);
    std::vector<hook_handle> handles;
    Variable h = randn({1, H}, 72, false);
    Variable loss;
    for (std::size_t t = 0; t < T; ++t)
    {
        h = tanh(matmul(h, transpose(W)) + matmul(xs[t], transpose(U)));
        hs.push_back(h);
        handles.push_back(register_hook(h, [&hooked, t](const Tensor& g) -> std::optional<Tensor> {
            hooked[t] = g.clone();
            return std::nullopt;
        }));
        if (t == 2)
            h.retain_grad(); // one step also kept the PyTorch way
        Variable term = sum(h * vs[t]);
        loss = loss.defined() ? loss + term : term;
    }
    loss.backward();

    std::vector<std::vector<double>> d(T, std::vector<double>(H));
    for (std::size_t t = T; t-- > 0;)
        for (std::size_t j = 0; j < H; ++j)
        {
            double s = vs[t].data().flat(j);
            if (t + 1 < T)
                for (std::size_t k = 0; k < H; ++k)
                {
                    const double hk = hs[t + 1].data().flat(k);
                    s += d[t + 1][k] * (1 - hk * hk) * W.data().flat(k * H + j);
                }
            d[t][j] = s;
        }
    for (std::size_t t = 0; t < T; ++t)
    {
        REQUIRE(hooked[t].defined());
        double norm = 0, manual = 0;
        for (std::size_t j = 0; j < H; ++j)
        {
            CHECK(hooked[t].flat(j) == Approx(d[t][j]).epsilon(1e-12));
            norm += hooked[t].flat(j) * hooked[t].flat(j);
            manual += d[t][j] * d[t][j];
        }
        CHECK(std::sqrt(norm) == Approx(std::sqrt(manual)).epsilon(1e-12));
    }
    CHECK(max_diff(hs[2].grad(), hooked[2]) == 0.0);
    // The earliest step's gradient is more than its direct part: the recurrence contributes.
    CHECK(std::abs(hooked[0].flat(0) - vs[0].data().flat(0)) > 1e-6);
    for (auto& hd : handles)
        CHECK(hd.remove());
}

TEST_CASE("anomaly mode names the op that made a NaN or infinity", "[tape][anomaly]")
{
    CHECK_FALSE(is_anomaly_enabled());
    SECTION("forward")
    {
        auto x = Variable(Tensor::from_values({1.0, -1.0}, {2}, f64), true);
        CHECK_NOTHROW(log(x)); // off: NaN passes silently
        tape::current().clear();
        detect_anomaly on;
        CHECK(is_anomaly_enabled());
        Variable y = x * 2.0;
        try
        {
            log(y);
            FAIL("no anomaly reported");
        }
        catch (const anomaly_error& e)
        {
            const std::string m = e.what();
            CHECK_THAT(m, Catch::Contains("forward of 'log'") && Catch::Contains("NaN") &&
                              Catch::Contains("flat index 1") && Catch::Contains("[2]") &&
                              Catch::Contains("after mul_scalar (#"));
        }
        CHECK_THROWS_AS(log(y), value_error); // anomaly_error is a value_error
        {
            no_grad off;
            CHECK_THROWS_WITH(log(x.detach()), Catch::Contains("not recorded"));
        }
        tape::current().clear();
    }
    SECTION("backward")
    {
        auto x = Variable(Tensor::from_values({0.0, 4.0}, {2}, f64), true);
        detect_anomaly on;
        Variable y = sqrt(x * 1.0); // forward is finite: sqrt(0) = 0
        CHECK(y.data().flat(0) == 0.0);
        try
        {
            sum(y).backward(); // d sqrt(u)/du at 0 is inf
            FAIL("no anomaly reported");
        }
        catch (const anomaly_error& e)
        {
            const std::string m = e.what();
            CHECK_THAT(m, Catch::Contains("backward of 'sqrt'") && Catch::Contains("inf") &&
                              Catch::Contains("flat index 0") && Catch::Contains("node #") &&
                              Catch::Contains("recorded after mul_scalar") &&
                              Catch::Contains("the output of 'mul_scalar'"));
        }
        tape::current().clear();
        {
            detect_anomaly off(false); // nested: switched off, then back on
            CHECK_FALSE(is_anomaly_enabled());
            CHECK_NOTHROW(sum(sqrt(x)).backward());
            CHECK(std::isinf(x.grad().flat(0)));
        }
        CHECK(is_anomaly_enabled());
    }
    CHECK_FALSE(is_anomaly_enabled()); // restored on exit
}

TEST_CASE("backward from several roots in one sweep", "[tape][roots]")
{
    auto x = randn({3}, 41), w = randn({3}, 42);
    const auto graph = [&] {
        const Variable h = tanh(x * w);
        return std::make_pair(h * h, sum(h * x)); // share h: one sweep must add both
    };
    auto [a, b] = graph();
    const Tensor seed_a = randn({3}, 43, false).data();
    tape::current().backward(std::vector<Variable>{a, b}.data(),
                             std::vector<Tensor>{seed_a, Tensor::scalar(2.0, f64)}.data(), 2,
                             false);
    const Tensor gx = x.grad().clone(), gw = w.grad().clone();
    x.zero_grad();
    w.zero_grad();
    auto [a2, b2] = graph();
    (sum(a2 * Variable(seed_a)) + 2.0 * b2).backward();
    CHECK(max_diff(gx, x.grad()) < 1e-15);
    CHECK(max_diff(gw, w.grad()) < 1e-15);

    // A leaf among the roots, and a root given twice: seeds add.
    x.zero_grad();
    const Variable roots[] = {x, x};
    const Tensor seeds[] = {Tensor::ones({3}, f64), Tensor::ones({3}, f64)};
    tape::current().backward(roots, seeds, 2, false);
    CHECK(max_diff(x.grad(), Tensor::full({3}, 2.0, f64)) == 0);
    const Variable bad[] = {x, Variable()};
    CHECK_THROWS_AS(tape::current().backward(bad, seeds, 2, false), graph_error);
    CHECK(max_diff(x.grad(), Tensor::full({3}, 2.0, f64)) == 0); // refused before any change
}
