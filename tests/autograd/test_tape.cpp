// The tape: reverse sweep, release, grad modes, accumulation, errors, threads.
#include <cmath>
#include <thread>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("a 100,000-op chain differentiates without recursion", "[tape]")
{
    Variable x(Tensor::scalar(1.0, f64), true);
    Variable y = x;
    for (int i = 0; i < 100000; ++i)
        y = y * 1.00001;
    CHECK(tape::current().size() == 100000);
    y.backward();
    // d/dx (1.00001^100000 x) = 1.00001^100000 ~ e
    CHECK(x.grad().item() == Approx(std::pow(1.00001, 100000)).epsilon(1e-9));
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
    // Integer data still flows through copies: detach, reshape of the data.
    CHECK(v.detach().data().to_indices() == std::vector<std::int64_t>{1, 2, 3});
}
