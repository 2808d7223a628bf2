// Tensor, shapes and the storage pool.
#include <cmath>
#include <sstream>

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

TEST_CASE("integer tensors: factories, access, conversion, indices", "[tensor][int]")
{
    CHECK(dtype_name(i64) == std::string("int64"));
    CHECK(dtype_name(i32) == std::string("int32"));
    CHECK(dtype_size(i64) == 8);
    CHECK(dtype_size(i32) == 4);
    CHECK(dtype_of<std::int64_t>() == i64);
    CHECK(dtype_of<std::int32_t>() == i32);
    CHECK(is_floating(f32));
    CHECK(is_floating(f64));
    CHECK_FALSE(is_floating(i64));
    CHECK_FALSE(is_floating(i32));
    // dispatch is float-only and says what it got; dispatch_all covers every dtype.
    CHECK_THROWS_WITH(dispatch(i32, [](auto) { return 0; }),
                      Catch::Contains("float32 or float64") && Catch::Contains("int32"));
    CHECK(dispatch_all(i64, [](auto tag) { return sizeof(tag); }) == 8);
    CHECK(dispatch_all(i32, [](auto tag) { return sizeof(tag); }) == 4);

    CHECK(Tensor::zeros({3}, i64).to_indices() == std::vector<std::int64_t>{0, 0, 0});
    CHECK(Tensor::ones({2}, i32).flat(1) == 1.0);
    CHECK(Tensor::full({2, 2}, 7, i64).to_indices() == std::vector<std::int64_t>{7, 7, 7, 7});
    CHECK_THROWS_AS(Tensor::full({2, 2}, 7, i64).item(), shape_error);
    CHECK(Tensor::scalar(-3, i32).item() == -3.0);
    Tensor v = Tensor::from_values({1, -2.7, 2.7, 4}, {2, 2}, i32);
    CHECK(v.to_vector() == std::vector<double>{1, -2, 2, 4}); // truncation toward zero
    CHECK_THROWS_WITH(Tensor::from_values({1, 1e12}, {2}, i32),
                      Catch::Contains("index 1") && Catch::Contains("int32"));

    // Exact int64 beyond 2^53 (a double could not hold it).
    const std::int64_t big = (std::int64_t{1} << 60) + 1;
    Tensor idx = Tensor::from_indices({big, -5, 3});
    CHECK(idx.dtype() == i64);
    CHECK(idx.shape() == shape_t{3});
    CHECK(idx.data<std::int64_t>()[0] == big);
    CHECK(idx.to_indices() == std::vector<std::int64_t>{big, -5, 3});
    CHECK_THROWS_AS(idx.data<double>(), value_error);
    CHECK(Tensor::from_indices({1, 2, 3, 4, 5, 6}, {2, 3}).shape() == shape_t{2, 3});
    CHECK_THROWS_AS(Tensor::from_indices({1, 2, 3}, {2, 2}), shape_error);

    // clone, fill, zero, reshape, printing.
    Tensor c = idx.clone();
    CHECK_FALSE(c.same_storage(idx));
    c.fill(9);
    CHECK(c.to_indices() == std::vector<std::int64_t>{9, 9, 9});
    CHECK(idx.data<std::int64_t>()[1] == -5);
    c.zero();
    CHECK(c.to_indices() == std::vector<std::int64_t>{0, 0, 0});
    std::ostringstream os;
    os << idx;
    CHECK(os.str() == "Tensor(int64, [3]) {1152921504606846977, -5, 3}");

    // Conversions between every pair; float -> int truncates toward zero.
    Tensor f = Tensor::from_values({-1.9, -0.5, 0.5, 2.99}, {4}, f64);
    CHECK(f.to(i64).to_indices() == std::vector<std::int64_t>{-1, 0, 0, 2});
    CHECK(f.to(f32).to(i32).to(f64).to_vector() == std::vector<double>{-1, 0, 0, 2});
    CHECK(idx.to(i32).to(i64).data<std::int64_t>()[2] == 3);
    CHECK(Tensor::from_indices({7}).to(f32).item() == 7.0);
    CHECK_THROWS_WITH(Tensor::from_values({0, std::nan("")}, {2}, f32).to(i64),
                      Catch::Contains("index 1") && Catch::Contains("int64"));
    CHECK_THROWS_AS(Tensor::full({1}, 3e9, f64).to(i32), value_error);
    const auto xa = Tensor::from_indices({1, 2}).to_xarray<double>();
    CHECK(xa(1) == 2.0);
    xt::xarray<std::int32_t> ia = {4, 5};
    CHECK(Tensor::from(ia).dtype() == i32);

    // to_indices of float data: integral values only.
    CHECK(Tensor::from_values({3, 0, 12}, {3}).to_indices() == std::vector<std::int64_t>{3, 0, 12});
    CHECK_THROWS_WITH(Tensor::from_values({3, 0.5}, {2}).to_indices(),
                      Catch::Contains("element 1") && Catch::Contains("0.5"));
}

TEST_CASE("element counts that overflow are shape errors", "[tensor][shape]")
{
    const std::size_t half = std::size_t{1} << 33;
    // 2^33 * 2^33 * 4 = 2^68 wraps to 0 in 64 bits: it must not allocate an empty buffer.
    CHECK_THROWS_WITH(Tensor::empty({half, half, 4}), Catch::Contains("[8589934592,8589934592,4]"));
    CHECK_THROWS_AS(Tensor::empty({half, half, 4}), shape_error);
    CHECK_THROWS_AS(Tensor::zeros({4}).reshape({half, half, 4}), shape_error);
    CHECK_THROWS_AS(Tensor::empty({std::size_t{1} << 50}), shape_error); // counts, but too big
    CHECK(Tensor::empty({half, half, 0}).numel() == 0); // a zero makes any shape empty
    // 2^62 elements count in 64 bits, but their bytes (2^64 for float32) would wrap to 0.
    CHECK_THROWS_AS(Tensor::empty({std::size_t{1} << 62}), shape_error);
    CHECK_THROWS_WITH(Tensor::empty({std::size_t{1} << 62}, f64), Catch::Contains("too large"));
    CHECK_THROWS_AS(Tensor::empty({std::size_t{1} << 62, 4}), shape_error); // 2^64 wraps to 0
}

TEST_CASE("a tensor too large to allocate is a value_error naming its size", "[tensor]")
{
    // 2^47 float64 = 1 PiB: counted, but more than any address space here holds. The bare
    // std::bad_alloc would not say which size was impossible.
    const std::size_t n = std::size_t{1} << 47;
    CHECK_THROWS_AS(Tensor::empty({n, 1}, f64), value_error);
    CHECK_THROWS_WITH(Tensor::empty({n, 1}, f64), Catch::Contains("[140737488355328,1]") &&
                                                      Catch::Contains("float64") &&
                                                      Catch::Contains("1048576.000 GiB"));
    // Refused by the storage's own limit (2^51 bytes) before asking the system: same error.
    CHECK_THROWS_WITH(Tensor::zeros({std::size_t{1} << 48}, f64),
                      Catch::Contains("float64") && Catch::Contains("2097152.000 GiB"));
    CHECK(Tensor::empty({4}, f64).numel() == 4); // the pool still works afterwards
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
