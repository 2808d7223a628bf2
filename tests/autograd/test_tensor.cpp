// Tensor, shapes and the storage pool.
#include "tests/support.hpp"

using namespace xgrad;

TEST_CASE("shape helpers", "[tensor][shape]")
{
    shape_t s{3, 4};
    CHECK(to_string(s) == "[3,4]");
    CHECK(numel(s) == 12);
    CHECK(numel(shape_t{}) == 1);
    CHECK(broadcast_shapes("op", {3, 1, 5}, {4, 1}) == shape_t{3, 4, 5});
    CHECK_THROWS_WITH(broadcast_shapes("add", {3, 4}, {5, 2}), Catch::Contains("add") &&
                                                                   Catch::Contains("[3,4]") &&
                                                                   Catch::Contains("[5,2]"));
    CHECK(normalize_axis("op", -1, s) == 1);
    CHECK_THROWS_AS(normalize_axis("op", 2, s), shape_error);
    shape_t big;
    for (int i = 0; i < 8; ++i)
        big.push_back(1);
    CHECK_THROWS_AS(big.push_back(1), shape_error);
}

TEST_CASE("tensor construction, access and conversion", "[tensor]")
{
    Tensor t = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}, f64);
    CHECK(t.shape() == shape_t{2, 3});
    CHECK(t.dtype() == f64);
    CHECK(t.numel() == 6);
    CHECK(t.flat(4) == 5.0);
    CHECK(t.size(-1) == 3);
    CHECK_THROWS_AS(t.data<float>(), value_error);
    CHECK_THROWS_AS(t.item(), shape_error);
    CHECK_THROWS_AS(Tensor::from_values({1, 2}, {3}), shape_error);

    xt::xarray<float> a = {{1.f, 2.f}, {3.f, 4.f}};
    Tensor f = Tensor::from(a);
    CHECK(f.dtype() == f32);
    CHECK(f.shape() == shape_t{2, 2});
    const bool same = f.to_xarray<float>() == a;
    CHECK(same);
    auto v = f.view<float>();
    v(1, 0) = 7.f; // the view writes through
    CHECK(f.flat(2) == 7.0);

    Tensor r = t.reshape({3, 2});
    CHECK(r.same_storage(t));
    CHECK_FALSE(t.is_unique());
    CHECK_THROWS_WITH(t.reshape({4, 2}), Catch::Contains("[2,3]") && Catch::Contains("[4,2]"));
    Tensor c = t.clone();
    CHECK_FALSE(c.same_storage(t));
    CHECK(c.is_unique());
    Tensor d = t.to(f32);
    CHECK(d.dtype() == f32);
    CHECK(d.flat(5) == 6.0);
    CHECK(Tensor::scalar(2.5, f64).item() == 2.5);
    CHECK(Tensor::zeros({4}).flat(3) == 0.0);
    CHECK(Tensor::full({2}, 3.0).flat(1) == 3.0);
    Tensor undefined;
    CHECK_FALSE(undefined.defined());
    CHECK_THROWS_AS(undefined.data<float>(), value_error);
}

TEST_CASE("storage pool recycles blocks", "[tensor][storage]")
{
    release_cached_memory();
    {
        Tensor warm = Tensor::empty({1000, 100});
    }
    const auto before = thread_memory_stats();
    for (int i = 0; i < 100; ++i)
    {
        Tensor a = Tensor::empty({1000, 100});
        Tensor b = Tensor::empty({999, 100}); // same size class
    }
    const auto after = thread_memory_stats();
    CHECK(after.fresh_allocations - before.fresh_allocations <= 1);
    CHECK(after.reused_allocations - before.reused_allocations >= 199);
    CHECK(after.cached_bytes >= 1000 * 100 * 4);
    release_cached_memory();
    CHECK(thread_memory_stats().cached_bytes == 0);
}
