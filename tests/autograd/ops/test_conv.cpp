// autograd/ops/conv.hpp: conv2d, conv1d, max_pool2d, avg_pool2d, adaptive_avg_pool2d against
// PyTorch 1.13 on committed fixtures (values and every gradient, float64), float64 gradchecks
// over strides, padding, dilation and odd sizes, unbatched inputs, float32, and the errors.
#include "tests/support.hpp"
#include "xgrad/autograd/io/safetensors.hpp"
#include "xgrad/autograd/ops/conv.hpp"

using namespace xgrad;
using namespace xgrad::test;

namespace
{

const io::tensor_file& conv_fixtures()
{
    static const auto file = io::load_tensors(XGRAD_AUTOGRAD_FIXTURES "/conv.safetensors");
    return file;
}

Tensor conv_fixture(const std::string& name)
{
    return conv_fixtures().tensors.at(name);
}

std::vector<std::size_t> conv_args(const std::string& c)
{
    const Tensor a = conv_fixture(c + ".args");
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < a.numel(); ++i)
        out.push_back(std::size_t(a.flat(i)));
    return out;
}

// Runs f on the fixture's inputs, compares y and the gradients of sum(y * gy).
void check_conv_against_pytorch(const std::string& c, const std::vector<std::string>& names,
                                const std::function<Variable(const std::vector<Variable>&)>& f)
{
    INFO("case " << c);
    std::vector<Variable> in;
    for (const std::string& n : names)
        in.emplace_back(conv_fixture(c + "." + n), true);
    const Variable y = f(in);
    CHECK(max_diff(y.data(), conv_fixture(c + ".y")) < 1e-12);
    sum(y * Variable(conv_fixture(c + ".gy"))).backward();
    for (std::size_t i = 0; i < names.size(); ++i)
    {
        INFO("gradient of " << names[i]);
        CHECK(max_diff(in[i].grad(), conv_fixture(c + ".g" + names[i])) < 1e-12);
    }
}

std::string conv_message(const std::function<void()>& f)
{
    try
    {
        f();
    }
    catch (const error& e)
    {
        return e.what();
    }
    return "no exception";
}

} // namespace

TEST_CASE("conv2d and conv1d equal PyTorch: values and gradients", "[ops][conv]")
{
    for (const std::string c : {"conv2d_plain", "conv2d_strided", "conv2d_dilated", "conv2d_1x1"})
    {
        const auto a = conv_args(c);
        conv2d_options o;
        o.stride = {a[0], a[1]};
        o.padding = {a[2], a[3]};
        o.dilation = {a[4], a[5]};
        const bool bias = a[6] != 0;
        check_conv_against_pytorch(
            c, bias ? std::vector<std::string>{"x", "w", "b"} : std::vector<std::string>{"x", "w"},
            [&](const std::vector<Variable>& v) {
                return conv2d(v[0], v[1], bias ? v[2] : Variable(), o);
            });
    }
    const auto a = conv_args("conv1d");
    check_conv_against_pytorch("conv1d", {"x", "w", "b"}, [&](const std::vector<Variable>& v) {
        return conv1d(v[0], v[1], v[2], {a[0], a[1], a[2]});
    });
}

TEST_CASE("pooling equals PyTorch: values and gradients", "[ops][conv][pool]")
{
    for (const std::string c : {"max_pool2d", "max_pool2d_default"})
    {
        const auto a = conv_args(c);
        pool2d_options o{{a[0], a[1]}, {a[2], a[3]}, {a[4], a[5]}};
        check_conv_against_pytorch(
            c, {"x"}, [&](const std::vector<Variable>& v) { return max_pool2d(v[0], o); });
    }
    for (const std::string c : {"avg_pool2d_0", "avg_pool2d_1"})
    {
        const auto a = conv_args(c);
        pool2d_options o{{a[0], a[1]}, {a[2], a[3]}, {a[4], a[5]}};
        check_conv_against_pytorch(c, {"x"}, [&](const std::vector<Variable>& v) {
            return avg_pool2d(v[0], o, a[6] != 0);
        });
    }
    for (const std::string c : {"adaptive_avg_pool2d", "adaptive_avg_pool2d_1"})
    {
        const auto a = conv_args(c);
        check_conv_against_pytorch(c, {"x"}, [&](const std::vector<Variable>& v) {
            return adaptive_avg_pool2d(v[0], a[0], a[1]);
        });
    }
}

TEST_CASE("convolution and pooling pass float64 gradchecks", "[ops][conv][gradcheck]")
{
    // Odd sizes, every option, one image unbatched.
    Variable x = randn({2, 3, 7, 5}, 1), w = randn({4, 3, 3, 2}, 2), b = randn({4}, 3);
    conv2d_options o;
    o.stride = {2, 1};
    o.padding = {1, 2};
    o.dilation = {2, 1};
    check_gradients([&](const std::vector<Variable>& v) { return conv2d(v[0], v[1], v[2], o); },
                    {x, w, b});
    Variable one = randn({3, 6, 6}, 4);
    check_gradients([&](const std::vector<Variable>& v) { return conv2d(v[0], v[1]); }, {one, w});
    Variable seq = randn({2, 3, 9}, 5), k = randn({2, 3, 4}, 6);
    check_gradients(
        [&](const std::vector<Variable>& v) {
            return conv1d(v[0], v[1], Variable(), {3, 2, 1});
        },
        {seq, k});
    // Pools on distinct values (a max with ties has no derivative).
    Variable p = randn({2, 2, 7, 6}, 7);
    check_gradients(
        [&](const std::vector<Variable>& v) {
            return max_pool2d(v[0], {{3, 3}, {2, 2}, {1, 1}});
        },
        {p});
    for (const bool include : {true, false})
        check_gradients(
            [&](const std::vector<Variable>& v) {
                return avg_pool2d(v[0], {{3, 2}, {2, 1}, {1, 1}}, include);
            },
            {p});
    check_gradients([&](const std::vector<Variable>& v) { return adaptive_avg_pool2d(v[0], 3, 4); },
                    {p});
}

TEST_CASE("convolution: shapes, float32, unbatched", "[ops][conv]")
{
    Variable x = randn({2, 3, 8, 8}, 8), w = randn({5, 3, 3, 3}, 9);
    CHECK(conv2d(x, w).shape() == shape_t{2, 5, 6, 6});
    conv2d_options same;
    same.padding = {1, 1};
    CHECK(conv2d(x, w, Variable(), same).shape() == shape_t{2, 5, 8, 8});
    // One image without a batch axis gives the batched result without it.
    const Variable batched = conv2d(x, w);
    const Variable first = conv2d(select(x, 0, 0), w);
    CHECK(first.shape() == shape_t{5, 6, 6});
    CHECK(max_diff(first.data(), select(batched, 0, 0).data()) < 1e-14);
    // float32 agrees with float64 to float32's precision.
    const Variable y32 = conv2d(Variable(x.data().to(f32)), Variable(w.data().to(f32)));
    CHECK(y32.dtype() == f32);
    CHECK(max_diff(y32.data().to(f64), conv2d(x, w).data()) < 1e-4);
    CHECK(max_pool2d(x, {}).shape() == shape_t{2, 3, 4, 4});
    CHECK(adaptive_avg_pool2d(x, 1, 1).shape() == shape_t{2, 3, 1, 1});
    // A 1x1 window: max and average pools are the identity.
    CHECK(max_diff(avg_pool2d(x, {{1, 1}, {1, 1}, {0, 0}}).data(), x.data()) == 0);
    CHECK(max_diff(max_pool2d(x, {{1, 1}, {1, 1}, {0, 0}}).data(), x.data()) == 0);
}

TEST_CASE("convolution and pooling name what they refuse", "[ops][conv][errors]")
{
    Variable x = randn({2, 3, 8, 8}, 10), w = randn({5, 3, 3, 3}, 11);
    CHECK_THAT(conv_message([&] {
                   conv2d(x, randn({5, 4, 3, 3}, 12));
               }),
               Catch::Contains("conv2d: input [2,3,8,8] has 3 channels, weight [5,4,3,3] "
                               "expects 4"));
    CHECK_THAT(conv_message([&] {
                   conv2d(randn({8, 8}, 13), w);
               }),
               Catch::Contains("conv2d: input [8,8] must be [N, C, H, W] or [C, H, W]"));
    CHECK_THAT(conv_message([&] {
                   conv2d(x, randn({5, 3, 3}, 14));
               }),
               Catch::Contains("conv2d: weight [5,3,3] must be [C_out, C, k_h, k_w]"));
    CHECK_THAT(conv_message([&] { conv2d(x, w, randn({4}, 15)); }),
               Catch::Contains("conv2d: bias [4] for weight [5,3,3,3]: expected [5]"));
    CHECK_THAT(conv_message([&] {
                   conv2d(randn({1, 3, 2, 8}, 16), w);
               }),
               Catch::Contains("smaller than the kernel's extent 3"));
    conv2d_options zero;
    zero.stride = {0, 1};
    CHECK_THROWS_AS(conv2d(x, w, Variable(), zero), value_error);
    CHECK_THROWS_AS(conv2d(x, Variable(w.data().to(f32))), value_error);
    CHECK_THAT(conv_message([&] {
                   conv1d(randn({2, 3, 2}, 17), randn({1, 3, 4}, 18));
               }),
               Catch::Contains("conv1d: input [2,3,2] padded by 0 is 2 wide"));
    CHECK_THAT(conv_message([&] {
                   max_pool2d(x, {{2, 2}, {0, 0}, {2, 0}});
               }),
               Catch::Contains("max_pool2d: padding 2x0 is more than half the kernel 2x2"));
    CHECK_THROWS_AS(max_pool2d(x, {{0, 2}, {0, 0}, {0, 0}}), value_error);
    CHECK_THROWS_AS(avg_pool2d(x, {{9, 2}, {0, 0}, {0, 0}}), shape_error);
    CHECK_THROWS_AS(adaptive_avg_pool2d(x, 0, 2), value_error);
    CHECK_THROWS_AS(max_pool2d(Variable(Tensor::zeros({1, 1, 4, 4}, i64)), {}), value_error);
}
