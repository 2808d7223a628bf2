// layers/init.hpp: the identity (IRNN) initialiser. (The other initialisers are tested in
// test_module.cpp.)
#include "tests/support.hpp"
#include "xgrad/layers/init.hpp"
#include "xgrad/layers/rnn.hpp"

using namespace xgrad;
using namespace xgrad::nn;

TEST_CASE("init.identity: gain * I, per gate block for stacked gates", "[layers][init]")
{
    SECTION("square, float32 and float64")
    {
        for (dtype dt : {f32, f64})
        {
            Variable w(Tensor::full({3, 3}, 7.0, dt), true);
            init::identity(w, 0.5);
            for (std::size_t r = 0; r < 3; ++r)
                for (std::size_t c = 0; c < 3; ++c)
                    CHECK(w.data().flat(r * 3 + c) == (r == c ? 0.5 : 0.0));
        }
    }
    SECTION("[G*H, H]: an identity in each gate's block")
    {
        Variable w(Tensor::full({8, 2}, 7.0, f32), true);
        init::identity(w);
        const std::vector<double> want{1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1};
        CHECK(w.data().to_vector() == want);
    }
    SECTION("every weight_hh of an LSTM, nothing else")
    {
        rnn_options o;
        o.num_layers = 2;
        o.bidirectional = true;
        LSTM lstm(3, 2, o);
        const std::vector<double> ih_before = lstm.cell(1, 1).weight_ih.data().to_vector();
        init::identity(lstm, 0.9);
        for (std::size_t l = 0; l < 2; ++l)
            for (std::size_t d = 0; d < 2; ++d)
            {
                const Tensor& hh = lstm.cell(l, d).weight_hh.data();
                for (std::size_t r = 0; r < 8; ++r)
                    for (std::size_t c = 0; c < 2; ++c)
                        CHECK(hh.flat(r * 2 + c) == Approx(r % 2 == c ? 0.9 : 0.0));
            }
        CHECK(lstm.cell(1, 1).weight_ih.data().to_vector() == ih_before);
    }
    SECTION("bad shapes throw shape_error naming the shape")
    {
        CHECK_THROWS_WITH(init::identity(Variable(Tensor::zeros({3, 2}))),
                          Catch::Contains("init.identity") && Catch::Contains("[3,2]"));
        CHECK_THROWS_AS(init::identity(Variable(Tensor::zeros({4}))), shape_error);
        CHECK_THROWS_AS(init::identity(Variable(Tensor::zeros({2, 4}))), shape_error);
    }
}
