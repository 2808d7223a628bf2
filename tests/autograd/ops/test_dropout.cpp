// autograd/ops/dropout.hpp: values against direct computations, float64 gradchecks.
#include <cmath>

#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

TEST_CASE("dropout", "[ops][dropout]")
{
    auto x = randn({50, 40}, 71);
    generator g1(7), g2(7);
    Variable a = dropout(x, 0.3, true, g1), b = dropout(x, 0.3, true, g2);
    CHECK(max_diff(a.data(), b.data()) == 0.0); // same seed, same mask
    std::size_t zeros = 0;
    for (std::size_t i = 0; i < a.numel(); ++i)
    {
        if (a.data().flat(i) == 0.0)
            ++zeros;
        else
            CHECK(a.data().flat(i) == Approx(x.data().flat(i) / 0.7));
    }
    CHECK(zeros > 500);
    CHECK(zeros < 700); // 2000 * 0.3 = 600 expected
    // Evaluation mode is the identity.
    CHECK(max_diff(dropout(x, 0.3, false).data(), x.data()) == 0.0);
    // Gradcheck with a fixed mask: regenerate it from the same seed at every evaluation.
    auto small = randn({4, 5}, 72);
    check_gradients(
        [](auto& v) {
            generator g(3);
            return dropout(v[0], 0.4, true, g);
        },
        {small});
    CHECK_THROWS_WITH(dropout(x, 1.5), Catch::Contains("dropout") && Catch::Contains("1.5"));
}
