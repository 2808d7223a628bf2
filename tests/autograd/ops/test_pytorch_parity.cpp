// The round-2 ops against PyTorch 1.13: values and gradients on the committed fixture
// tests/autograd/fixtures/ops.safetensors (see make_fixtures.py there), in float32.
#include <cmath>
#include <functional>
#include <map>

#include "tests/support.hpp"
#include "xgrad/autograd/io/safetensors.hpp"

using namespace xgrad;
using namespace xgrad::test;

namespace
{

const std::map<std::string, Tensor>& ops_fixture()
{
    static const auto file = io::load_tensors(XGRAD_AUTOGRAD_FIXTURES "/ops.safetensors");
    return file.tensors;
}

Tensor fixture(const std::string& name)
{
    const auto& all = ops_fixture();
    const auto it = all.find(name);
    if (it == all.end())
        FAIL("fixture entry missing: " << name);
    return it->second;
}

// |a - b| <= 1e-6 (1 + |b|) everywhere: float32 rounding of the same arithmetic.
void check_close(const std::string& what, const Tensor& a, const Tensor& b)
{
    INFO(what << ": xgrad " << to_string(a.shape()) << " vs PyTorch " << to_string(b.shape()));
    REQUIRE(a.shape() == b.shape());
    double worst = 0;
    for (std::size_t i = 0; i < a.numel(); ++i)
    {
        const double x = a.flat(i), y = b.flat(i);
        if (std::isinf(y) && x == y)
            continue;
        worst = std::max(worst, std::abs(x - y) / (1 + std::abs(y)));
    }
    INFO("worst scaled difference " << worst);
    CHECK(worst <= 1e-6);
}

using op_fn = std::function<Variable(const std::vector<Variable>&)>;

// Runs op on the case's inputs (float32 leaves), backpropagates PyTorch's upstream gradient and
// compares the output and every input's gradient.
void check_case(const std::string& name, const std::vector<std::string>& inputs, const op_fn& op)
{
    std::vector<Variable> leaves;
    for (const auto& k : inputs)
        leaves.emplace_back(fixture(name + "." + k), true);
    Variable y = op(leaves);
    check_close(name + " output", y.data(), fixture(name + ".out0"));
    y.backward(fixture(name + ".grad_out"));
    for (std::size_t i = 0; i < inputs.size(); ++i)
        check_close(name + " gradient of " + inputs[i], leaves[i].grad(),
                    fixture(name + ".grad." + inputs[i]));
}

} // namespace

TEST_CASE("round-2 ops equal PyTorch's values and gradients", "[ops][pytorch]")
{
    const auto f = [](const char* n) {
        return fixture(n);
    };
    check_case("bmm", {"a", "b"}, [](auto& v) { return bmm(v[0], v[1]); });
    check_case("matmul_broadcast", {"a", "b"}, [](auto& v) { return matmul(v[0], v[1]); });
    check_case("matmul_fold", {"a", "b"}, [](auto& v) { return matmul(v[0], v[1]); });
    check_case("matmul_vec", {"a", "b"}, [](auto& v) { return matmul(v[0], v[1]); });
    const Tensor wmask = f("where.mask");
    check_case("where", {"a", "b"}, [&](auto& v) { return where(wmask, v[0], v[1]); });
    const Tensor fmask = f("masked_fill.mask");
    check_case("masked_fill", {"x"}, [&](auto& v) { return masked_fill(v[0], fmask, -2.5); });
    const Tensor smask = f("softmax_masked.mask");
    check_case("softmax_masked", {"x"}, [&](auto& v) { return softmax(v[0], smask); });
    check_case("log_softmax_masked", {"x"}, [&](auto& v) { return log_softmax(v[0], smask); });
    check_case("softmax_axis0", {"x"}, [](auto& v) { return softmax(v[0], 0); });
    check_case("logsumexp", {"x"}, [](auto& v) { return logsumexp(v[0], 1); });
    check_case("logsumexp_masked", {"x"}, [&](auto& v) { return logsumexp(v[0], smask, 1); });
    check_case("max", {"x"}, [](auto& v) { return max(v[0], 1).values; });
    check_case("min", {"x"}, [](auto& v) { return min(v[0], 2, true).values; });
    check_case("topk", {"x"}, [](auto& v) { return topk(v[0], 3).values; });
    check_case("gather", {"x"}, [&](auto& v) { return gather(v[0], 1, f("gather.index")); });
    check_case("scatter_add", {"x", "src"},
               [&](auto& v) { return scatter_add(v[0], 1, f("scatter_add.index"), v[1]); });
    check_case("layer_norm", {"x", "w", "b"}, [](auto& v) { return layer_norm(v[0], v[1], v[2]); });
    check_case("flip", {"x"}, [](auto& v) { return flip(v[0], 0); });
    check_case("expand", {"x"}, [](auto& v) { return expand(v[0], {2, 3, 5, 4}); });
    std::vector<std::uint8_t> keep;
    for (double k : f("where_rows.mask").to_vector())
        keep.push_back(k != 0);
    check_case("where_rows", {"a", "b"}, [&](auto& v) { return where_rows(keep, v[0], v[1]); });

    // Indices, exactly.
    CHECK(max(Variable(f("max.x")), 1).indices.to_vector() == f("max.out1").to_vector());
    CHECK(min(Variable(f("min.x")), 2, true).indices.to_vector() == f("min.out1").to_vector());
    CHECK(topk(Variable(f("topk.x")), 3).indices.to_vector() == f("topk.out1").to_vector());
    CHECK(argmax(f("argmax.x"), -1).to_vector() == f("argmax.out1").to_vector());
}
