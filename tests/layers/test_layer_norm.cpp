// layers/layer_norm.hpp: the LayerNorm module.
#include "tests/support.hpp"
#include "xgrad/layers/layer_norm.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("LayerNorm module: PyTorch's names, init and gradients", "[layers][layer_norm]")
{
    nn::LayerNorm ln(5);
    auto sd = ln.state_dict();
    REQUIRE(sd.size() == 2);
    CHECK(sd.at("weight").to_vector() == std::vector<double>(5, 1.0));
    CHECK(sd.at("bias").to_vector() == std::vector<double>(5, 0.0));
    CHECK(ln.describe() == "LayerNorm(5, eps=1e-05, elementwise_affine=true)");
    ln.to(f64);
    auto x = randn({4, 5}, 151);
    for (std::size_t i = 0; i < 5; ++i)
    {
        ln.weight.data().data<double>()[i] = 0.5 + 0.1 * static_cast<double>(i);
        ln.bias.data().data<double>()[i] = -0.2 * static_cast<double>(i);
    }
    check_gradients([&ln](auto& v) { return ln(v[0]); }, {x, ln.weight, ln.bias});
    CHECK(ln(x).data().flat(0) == layer_norm(x, ln.weight, ln.bias).data().flat(0));

    nn::LayerNorm plain(5, 1e-3, false);
    CHECK(plain.parameters().empty());
    CHECK_THROWS_WITH(plain(randn({4, 6}, 1)),
                      Catch::Contains("LayerNorm") && Catch::Contains("[4,6]"));
    CHECK_THROWS_AS(nn::LayerNorm(0), value_error);
}
