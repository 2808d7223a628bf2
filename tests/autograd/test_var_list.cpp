// var_list: vector semantics, the inline-to-heap switch, conversions, and no heap list for a
// recurrent state.
#include "tests/support.hpp"

using namespace xgrad;
using namespace xgrad::test;

namespace
{
Variable scalar(double v)
{
    return Variable(Tensor::scalar(v, f64));
}
double value(const Variable& v)
{
    return v.data().item();
}
} // namespace

TEST_CASE("var_list behaves as a vector of Variables inline and past its inline capacity",
          "[var_list]")
{
    var_list l;
    CHECK(l.empty());
    for (int i = 0; i < 11; ++i)
    {
        l.push_back(scalar(i));
        REQUIRE(l.size() == std::size_t(i + 1));
        // Every value survives the move from the inline array to the heap at the fifth.
        for (int j = 0; j <= i; ++j)
            REQUIRE(value(l[j]) == j);
    }
    CHECK(value(l.front()) == 0);
    CHECK(value(l.back()) == 10);
    double sum = 0;
    for (const Variable& v : l)
        sum += value(v);
    CHECK(sum == 55);
    l.pop_back();
    CHECK(l.size() == 10);
    l.resize(2);
    CHECK(l.size() == 2);
    CHECK(value(l[1]) == 1);
    l.resize(3);
    CHECK_FALSE(l[2].defined());
    CHECK_THROWS_AS(l.at(3), std::out_of_range);
    l.clear();
    CHECK(l.empty());
    l.emplace_back(Tensor::scalar(7.0, f64));
    CHECK(value(l.at(0)) == 7);
}

TEST_CASE("var_list copies share values, moves leave the source empty", "[var_list]")
{
    for (std::size_t n : {2, 6})
    {
        var_list a;
        for (std::size_t i = 0; i < n; ++i)
            a.push_back(scalar(double(i)));
        var_list b = a;
        REQUIRE(b.size() == n);
        CHECK(b[1].data().data<double>() == a[1].data().data<double>()); // same value
        var_list c = std::move(a);
        CHECK(a.empty());
        REQUIRE(c.size() == n);
        CHECK(value(c[n - 1]) == double(n - 1));
        a = c;
        CHECK(a.size() == n);
        a = std::move(b);
        CHECK(b.empty());
        CHECK(value(a[0]) == 0);
    }
}

TEST_CASE("var_list converts to and from std::vector<Variable>", "[var_list]")
{
    const std::vector<Variable> v{scalar(1), scalar(2), scalar(3)};
    var_list l = v;
    CHECK(l.size() == 3);
    var_list r(v.begin() + 1, v.end());
    CHECK(value(r[0]) == 2);
    std::vector<Variable> back = l;
    REQUIRE(back.size() == 3);
    CHECK(value(back[2]) == 3);
    // An op taking a vector takes a list: concat of lstm_update's {h, c}.
    const Variable gx = randn({2, 12}, 1), gh = randn({2, 12}, 2), c = randn({2, 3}, 3);
    CHECK(concat(lstm_update(gx, gh, c), 1).shape() == shape_t{2, 6});
}
