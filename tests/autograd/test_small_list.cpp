// small_list (the template under var_list and nn::state_list) and scratch_vector: the vector
// operations the layers use, spilling past the inline capacity, and no heap traffic once warm.
#include "examples/common/heap_count.hpp"
#include "tests/support.hpp"
#include "xgrad/autograd/scratch.hpp"
#include "xgrad/layers/cell.hpp"

using namespace xgrad;

namespace small_list_test
{
std::vector<int> as_vector(const small_list<int, 3>& l)
{
    return std::vector<int>(l.begin(), l.end());
}
} // namespace small_list_test

TEST_CASE("small_list: insert and assign inline and past the inline capacity", "[small_list]")
{
    using small_list_test::as_vector;
    small_list<int, 3> l{1, 4};
    const int middle[] = {2, 3};
    CHECK(*l.insert(l.begin() + 1, middle, middle + 2) == 2); // spills: 4 > 3
    CHECK(as_vector(l) == std::vector<int>{1, 2, 3, 4});
    const std::vector<int> tail{5, 6};
    l.insert(l.end(), tail.begin(), tail.end());
    l.insert(l.begin(), tail.begin(), tail.begin()); // an empty range changes nothing
    CHECK(as_vector(l) == std::vector<int>{1, 2, 3, 4, 5, 6});
    l.assign(tail.begin(), tail.end());
    CHECK(as_vector(l) == tail);
    l.assign(middle, middle);
    CHECK(l.empty());
    CHECK_THROWS_AS(l.at(0), std::out_of_range);
    // Conversions both ways keep the values.
    const std::vector<int> back = small_list<int, 3>(std::vector<int>{7, 8, 9, 10});
    CHECK(back == std::vector<int>{7, 8, 9, 10});
}

TEST_CASE("nn::state_list holds cell states inline and converts from a vector of them",
          "[small_list]")
{
    const Variable h(Tensor::zeros({2, 3}, f32)), c(Tensor::ones({2, 3}, f32));
    const std::vector<nn::cell_state> v{{h, c}, {h}, {c}, {h, c}};
    const std::uint64_t before = cli::heap_allocations();
    nn::state_list s(v); // four states, each inline: no heap list at all
    nn::state_list t;
    t.insert(t.end(), s.begin(), s.end());
    CHECK(cli::heap_allocations() == before);
    REQUIRE(t.size() == 4);
    CHECK(t[0].size() == 2);
    CHECK(t[1][0].data().raw_data() == h.data().raw_data()); // the same values, not copies
    CHECK(t[3][1].data().raw_data() == c.data().raw_data());
    const std::vector<nn::cell_state> round_trip = t;
    CHECK(round_trip.size() == 4);
}

TEST_CASE("scratch_vector: borrows of different sizes stop allocating once warm",
          "[small_list][scratch]")
{
    // A big list and a small one borrowed in turn, and nested: the pool hands the largest
    // vector to each borrow, so neither reallocates after the first round.
    auto round = [] {
        {
            scratch_vector<int> big;
            big->assign(1000, 1);
            scratch_vector<int> nested_small;
            nested_small->assign(3, 2);
        }
        scratch_vector<int> small;
        small->assign(3, 3);
        CHECK(small->size() == 3);
        scratch_vector<int> big_again;
        CHECK(big_again->empty()); // cleared on return
        big_again->assign(1000, 4);
    };
    round();
    round();
    const std::uint64_t before = cli::heap_allocations();
    for (int i = 0; i < 5; ++i)
        round();
    CHECK(cli::heap_allocations() == before);
}
