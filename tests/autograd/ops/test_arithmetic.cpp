// autograd/ops/arithmetic.hpp: values against direct computations, float64 gradchecks.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("arithmetic: values and gradients with broadcasting", "[ops][arithmetic]")
{
    auto a = randn({3, 4}, 1), b = randn({3, 4}, 2);
    auto row = randn({4}, 3), col = randn({3, 1}, 4), s = randn({}, 5);
    auto pos = uniform({3, 4}, 0.5, 2.0, 6), pos_row = uniform({4}, 0.5, 2.0, 7);

    SECTION("values")
    {
        Variable y = a + row;
        CHECK(y.shape() == shape_t{3, 4});
        CHECK(y.data().flat(5) == Approx(a.data().flat(5) + row.data().flat(1)));
        Variable z = col * a;
        CHECK(z.data().flat(6) == Approx(col.data().flat(1) * a.data().flat(6)));
        Variable q = a / pos;
        CHECK(q.data().flat(7) == Approx(a.data().flat(7) / pos.data().flat(7)));
    }
    SECTION("same shape")
    {
        check_gradients([](auto& v) { return v[0] + v[1]; }, {a, b});
        check_gradients([](auto& v) { return v[0] - v[1]; }, {a, b});
        check_gradients([](auto& v) { return v[0] * v[1]; }, {a, b});
        check_gradients([](auto& v) { return v[0] / v[1]; }, {a, pos});
        check_gradients([](auto& v) { return -v[0]; }, {a});
    }
    SECTION("broadcast row, column and scalar")
    {
        check_gradients([](auto& v) { return v[0] + v[1]; }, {a, row});
        check_gradients([](auto& v) { return v[1] - v[0]; }, {a, col});
        check_gradients([](auto& v) { return v[0] * v[1]; }, {a, s});
        check_gradients([](auto& v) { return v[0] * v[1]; }, {col, row}); // [3,1]*[4] -> [3,4]
        check_gradients([](auto& v) { return v[0] / v[1]; }, {a, pos_row});
        check_gradients([](auto& v) { return v[1] / v[0]; }, {pos, col});
    }
    SECTION("scalar forms")
    {
        check_gradients([](auto& v) { return v[0] + 2.5; }, {a});
        check_gradients([](auto& v) { return 1.5 - v[0]; }, {a});
        check_gradients([](auto& v) { return v[0] - 1.5; }, {a});
        check_gradients([](auto& v) { return v[0] * -3.0; }, {a});
        check_gradients([](auto& v) { return v[0] / 4.0; }, {a});
        check_gradients([](auto& v) { return 2.0 / v[0]; }, {pos});
    }
    SECTION("errors name the op and both shapes")
    {
        auto bad = randn({5, 2}, 9);
        CHECK_THROWS_WITH(a + bad, Catch::Contains("add") && Catch::Contains("[3,4]") &&
                                       Catch::Contains("[5,2]"));
        CHECK_THROWS_AS(a * bad, shape_error);
        Variable f32v(Tensor::zeros({3, 4}, f32));
        CHECK_THROWS_WITH(a + f32v, Catch::Contains("float32") && Catch::Contains("float64"));
        // Division by zero is IEEE arithmetic for a scalar divisor as for a tensor one.
        Variable byzero = a / 0.0, bytensor = a / Variable(Tensor::zeros({3, 4}, f64));
        for (std::size_t i = 0; i < 12; ++i)
        {
            CHECK(std::isinf(byzero.data().flat(i)));
            CHECK(byzero.data().flat(i) == bytensor.data().flat(i));
        }
    }
}
