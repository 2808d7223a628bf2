// layers/conv.hpp: a PyTorch nn.Sequential CNN encoder's state_dict loads unchanged (names,
// shapes) and gives PyTorch's output and gradients; PyTorch's initialisation bounds; module
// gradchecks in float64; describe() and the constructors' errors.
#include "tests/layers/fixtures.hpp"
#include "xgrad/layers/activation.hpp"
#include "xgrad/layers/conv.hpp"
#include "xgrad/layers/gradcheck.hpp"
#include "xgrad/layers/sequential.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::nn;

namespace
{

std::shared_ptr<Sequential> conv_encoder(generator& g)
{
    conv2d_options same;
    same.padding = {1, 1};
    conv2d_options strided;
    strided.stride = {2, 2};
    strided.padding = {1, 0};
    return std::make_shared<Sequential>(std::vector<std::shared_ptr<Unary>>{
        std::make_shared<Conv2d>(3, 4, 3, same, true, g), std::make_shared<ReLU>(),
        std::make_shared<MaxPool2d>(2),
        std::make_shared<Conv2d>(4, 6, std::array<std::size_t, 2>{3, 2}, strided, true, g),
        std::make_shared<ReLU>(), std::make_shared<AdaptiveAvgPool2d>(2, 3)});
}

} // namespace

TEST_CASE("a PyTorch CNN encoder's state_dict loads and gives its outputs and gradients",
          "[layers][conv]")
{
    const io::tensor_file f = xgrad::test::fixture("conv_encoder");
    generator g(1);
    auto enc = conv_encoder(g);
    load_torch_weights(*enc, f); // names and order exactly PyTorch's: 0.weight, 0.bias, 3.weight
    Variable x(f.tensors.at("input"), true);
    const Variable y = enc->forward(x);
    REQUIRE(y.shape() == f.tensors.at("output").shape());
    CHECK(max_diff(y.data(), f.tensors.at("output")) < 1e-5);
    sum(y * Variable(f.tensors.at("r_output"))).backward();
    CHECK(max_diff(x.grad(), f.tensors.at("grad.input")) < 1e-5);
    for (const auto& [name, p] : enc->named_parameters())
    {
        INFO(name);
        CHECK(max_diff(p.grad(), f.tensors.at("grad." + name)) < 1e-5);
    }
}

TEST_CASE("Conv2d and Conv1d: PyTorch's shapes and initialisation, gradchecks", "[layers][conv]")
{
    generator g(2);
    Conv2d c(6, 8, {3, 5}, {}, true, g);
    CHECK(c.weight.shape() == shape_t{8, 6, 3, 5});
    CHECK(c.bias.shape() == shape_t{8});
    const double bound = 1.0 / std::sqrt(6.0 * 15.0);
    const auto within = [](const Variable& v, double b) {
        double m = 0;
        for (std::size_t i = 0; i < v.numel(); ++i)
            m = std::max(m, std::abs(v.data().flat(i)));
        return m <= b && m > 0.8 * b; // filled, not just bounded
    };
    CHECK(within(c.weight, bound));
    CHECK(within(c.bias, bound));
    Conv1d c1(4, 3, 5, {2, 2, 1}, false, g);
    CHECK(c1.weight.shape() == shape_t{3, 4, 5});
    CHECK(!c1.bias.defined());
    CHECK(c1.named_parameters().size() == 1);
    CHECK(c1.forward(Variable(Tensor::zeros({2, 4, 9}))).shape() == shape_t{2, 3, 5});

    auto enc = conv_encoder(g);
    enc->to(f64);
    const Variable x = randn({2, 3, 8, 6}, 3, false);
    const auto report = gradcheck_module(*enc, [&] { return enc->forward(x); });
    INFO(report.table());
    CHECK(report.ok());
    c1.to(f64);
    const Variable s = randn({1, 4, 11}, 4, false);
    const auto r1 = gradcheck_module(c1, [&] { return c1.forward(s); });
    INFO(r1.table());
    CHECK(r1.ok());
}

TEST_CASE("convolution modules describe themselves and refuse bad sizes", "[layers][conv]")
{
    generator g(5);
    conv2d_options o;
    o.stride = {2, 2};
    o.padding = {1, 1};
    CHECK(Conv2d(3, 16, 3, o, true, g).describe() ==
          "Conv2d(in=3, out=16, kernel=3x3, stride=2x2, padding=1x1)");
    CHECK(MaxPool2d(2).describe() == "MaxPool2d(kernel=2x2, stride=2x2, padding=0x0)");
    CHECK(AdaptiveAvgPool2d(4, 4).describe() == "AdaptiveAvgPool2d(4x4)");
    CHECK_THROWS_AS(Conv2d(0, 4, 3, {}, true, g), value_error);
    conv2d_options zero;
    zero.dilation = {0, 1};
    CHECK_THROWS_AS(Conv2d(3, 4, 3, zero, true, g), value_error);
    CHECK_THROWS_AS(Conv1d(3, 4, 0, {}, true, g), value_error);
    CHECK_THROWS_AS(MaxPool2d(pool2d_options{{2, 2}, {0, 0}, {2, 2}}), value_error);
    CHECK_THROWS_AS(AdaptiveAvgPool2d(0, 1), value_error);
    CHECK(MaxPool2d(2).named_parameters().empty());
}
