// layers/module.hpp, linear.hpp, embedding.hpp, dropout.hpp, activation.hpp, sequential.hpp,
// init.hpp, weights.hpp.
#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "tests/files.hpp"
#include "tests/layers/fixtures.hpp"
#include "tests/support.hpp"
#include "xgrad/layers/activation.hpp"
#include "xgrad/layers/dropout.hpp"
#include "xgrad/layers/embedding.hpp"
#include "xgrad/layers/gradcheck.hpp"
#include "xgrad/layers/inference.hpp"
#include "xgrad/layers/init.hpp"
#include "xgrad/layers/linear.hpp"
#include "xgrad/layers/lstm_cell.hpp"
#include "xgrad/layers/rnn.hpp"
#include "xgrad/layers/sequential.hpp"
#include "xgrad/layers/weights.hpp"
#include "xgrad/optim/sgd.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::nn;
using xgrad::io::load_tensors;
using xgrad::io::save_tensors;
using xgrad::io::tensor_file;

namespace
{
struct Encoder : Module
{
    std::shared_ptr<Embedding> embed;
    std::shared_ptr<LSTM> rnn;
    std::shared_ptr<Linear> out;
    Encoder()
    {
        embed = register_module("embed", std::make_shared<Embedding>(10, 3));
        rnn = register_module("rnn", std::make_shared<LSTM>(3, 4));
        out = register_module("out", std::make_shared<Linear>(4, 2));
    }
    std::string describe() const override { return "Encoder"; }
};
} // namespace

TEST_CASE("modules name, count, convert and summarise their parameters", "[layers][module]")
{
    Encoder m;
    const auto names = m.named_parameters();
    std::vector<std::string> keys;
    for (auto& p : names)
        keys.push_back(p.first);
    CHECK(keys == std::vector<std::string>{"embed.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0",
                                           "rnn.bias_ih_l0", "rnn.bias_hh_l0", "out.weight",
                                           "out.bias"});
    CHECK(m.parameter_count() == 30 + 16 * 3 + 16 * 4 + 32 + 8 + 2);
    CHECK(m.parameters().size() == 7);
    CHECK_THAT(m.summary(), Catch::Contains("rnn.weight_hh_l0") && Catch::Contains("[16,4]") &&
                                Catch::Contains("total"));

    // train/eval reaches every child, including the LSTM's internal stack.
    m.eval();
    CHECK_FALSE(m.rnn->is_training());
    m.train();
    CHECK(m.out->is_training());

    // to() keeps the handles: a Variable taken before sees the new dtype.
    Variable w = m.out->weight;
    m.to(f64);
    CHECK(w.dtype() == f64);
    CHECK(m.out->weight.dtype() == f64);

    sum(m.out->forward(randn({2, 4}, 1, false))).backward();
    CHECK(w.has_grad());
    m.zero_grad();
    CHECK_FALSE(w.has_grad());
}

namespace
{
// Lists a hidden child's parameters under flat names, as RNNBase does with its cells.
struct Flat : Module
{
    std::shared_ptr<Linear> inner = std::make_shared<Linear>(3, 2);
    explicit Flat(int times)
    {
        register_module("inner", inner, false);
        for (int i = 0; i < times; ++i)
            register_flat_parameters(*inner, "proj.", "_l0");
    }
};
} // namespace

TEST_CASE("register_flat_parameters: a hidden child's parameters under flat names",
          "[layers][module]")
{
    Flat m(1);
    const auto params = m.named_parameters();
    REQUIRE(params.size() == 2);
    CHECK(params[0].first == "proj.weight_l0");
    CHECK(params[1].first == "proj.bias_l0");
    // The same variables, not copies: training through the child updates what is saved.
    CHECK(params[0].second.data().same_storage(m.inner->weight.data()));
    auto state = m.state_dict();
    state["proj.bias_l0"] = Tensor::from_values({7, 8}, {2});
    m.load_state_dict(state);
    CHECK(m.inner->bias.data().flat(1) == 8);
    CHECK_THROWS_AS(Flat(2), value_error);
    CHECK_THROWS_WITH(Flat(2), Catch::Contains("'proj.weight_l0' is registered twice"));
}

TEST_CASE("load_state_dict checks names, shapes and dtypes first", "[layers][module]")
{
    Linear a(3, 2), b(3, 2);
    b.load_state_dict(a.state_dict());
    CHECK(max_diff(a.weight.data(), b.weight.data()) == 0.0);
    CHECK_FALSE(a.weight.data().same_storage(b.weight.data())); // copied, not shared

    auto state = a.state_dict();
    state.erase("bias");
    state["extra"] = Tensor::zeros({1});
    state["weight"] = Tensor::zeros({2, 4});
    const double before = b.bias.data().flat(0);
    CHECK_THROWS_WITH(b.load_state_dict(state),
                      Catch::Contains("missing 'bias'") && Catch::Contains("unexpected 'extra'") &&
                          Catch::Contains("[2,4]") && Catch::Contains("[2,3]"));
    CHECK(b.bias.data().flat(0) == before); // nothing changed
    auto typed = a.state_dict();
    typed["bias"] = typed["bias"].to(f64);
    typed["bias"].data<double>()[0] = 0.1; // not representable in float32: rounds
    b.load_state_dict(typed);              // another dtype converts, as PyTorch's copy_
    CHECK(b.bias.dtype() == f32);
    CHECK(b.bias.data().flat(0) == static_cast<double>(0.1f));
}

TEST_CASE("weight files use PyTorch's names, shapes and dtypes", "[layers][weights]")
{
    temp_dir dir;
    auto f = fixture("lstm_2layer_bidir_masked");
    rnn_options o;
    o.num_layers = 2;
    o.bidirectional = true;
    LSTM lstm(3, 4, o);
    save(lstm, dir.file("lstm.safetensors"));
    tensor_file written = load_tensors(dir.file("lstm.safetensors"));
    CHECK(written.metadata.at("format") == "pt");
    const auto keys = torch_keys(f);
    REQUIRE(written.tensors.size() == keys.size()); // exactly PyTorch's state_dict
    for (const auto& k : keys)
    {
        REQUIRE(written.tensors.count(k) == 1);
        CHECK(written.tensors.at(k).shape() == f.tensors.at(k).shape());
        CHECK(written.tensors.at(k).dtype() == f32);
    }
    // The reverse: PyTorch's weights, written as a file, load into the xgrad module unchanged.
    std::map<std::string, Tensor> torch_state;
    for (const auto& k : keys)
        torch_state[k] = f.tensors.at(k);
    save_tensors(dir.file("torch.safetensors"), torch_state);
    load(lstm, dir.file("torch.safetensors"));
    CHECK(max_diff(lstm.named_parameters()[5].second.data(), f.tensors.at(keys[5])) == 0.0);
}

TEST_CASE("module load names every mismatch and changes nothing", "[layers][weights]")
{
    temp_dir dir;
    GRU small(3, 4), other(3, 5);
    save(other, dir.file("other.safetensors"));
    const Tensor before = small.parameters()[0].data().clone();
    CHECK_THROWS_WITH(load(small, dir.file("other.safetensors")),
                      Catch::Contains("other.safetensors") && Catch::Contains("weight_ih_l0") &&
                          Catch::Contains("[15,3]") && Catch::Contains("[12,3]"));
    CHECK(max_diff(small.parameters()[0].data(), before) == 0.0);

    GRU two(3, 4, [] {
        rnn_options o;
        o.num_layers = 2;
        return o;
    }());
    save(two, dir.file("two.safetensors"));
    CHECK_THROWS_WITH(load(small, dir.file("two.safetensors")),
                      Catch::Contains("unexpected 'weight_ih_l1'"));
    save(small, dir.file("small.safetensors"));
    CHECK_THROWS_WITH(load(two, dir.file("small.safetensors")),
                      Catch::Contains("missing 'weight_ih_l1'"));
    // Another dtype converts (float64 file into a float32 model and back), as PyTorch's load.
    GRU dbl(3, 4);
    dbl.to(f64);
    save(dbl, dir.file("f64.safetensors"));
    load(small, dir.file("f64.safetensors"));
    CHECK(small.parameters()[0].dtype() == f32);
    CHECK(max_diff(small.parameters()[0].data(), dbl.parameters()[0].data()) < 1e-7);
    save(other, dir.file("other32.safetensors"));
    GRU wide(3, 5);
    wide.to(f64);
    load(wide, dir.file("other32.safetensors"));
    CHECK(wide.parameters()[1].dtype() == f64);
    CHECK(max_diff(wide.parameters()[1].data(), other.parameters()[1].data()) == 0.0);

    // Non-strict: missing and unexpected names are reported, the rest loads.
    GRU fresh(3, 4);
    const incompatible_keys k = load(fresh, dir.file("two.safetensors"), false);
    CHECK(k.missing.empty());
    CHECK(k.unexpected ==
          std::vector<std::string>{"bias_hh_l1", "bias_ih_l1", "weight_hh_l1", "weight_ih_l1"});
    CHECK(max_diff(fresh.parameters()[0].data(), two.parameters()[0].data()) == 0.0);
    GRU two_b(3, 4, [] {
        rnn_options o;
        o.num_layers = 2;
        return o;
    }());
    const incompatible_keys m = load(two_b, dir.file("small.safetensors"), false);
    CHECK(m.missing.size() == 4);
    CHECK(m.missing.front() == "bias_hh_l1");
    CHECK(m.unexpected.empty());
    CHECK(max_diff(two_b.parameters()[0].data(),
                   load_tensors(dir.file("small.safetensors")).at("weight_ih_l0")) == 0.0);
    // Shapes must still match, strict or not.
    CHECK_THROWS_WITH(load(small, dir.file("other.safetensors"), false),
                      Catch::Contains("[15,3]") && Catch::Contains("[12,3]"));
}

TEST_CASE("module load names a parameter stored in an unsupported dtype", "[layers][weights]")
{
    temp_dir dir;
    GRU source(2, 3);
    write_bytes(dir.file("bf16.safetensors"),
                file_with_dtypes(source.state_dict(), {{"weight_hh_l0", "BF16"}}));
    GRU target(2, 3);
    const Tensor before = target.named_parameters()[0].second.data().clone();
    CHECK_THROWS_WITH(load(target, dir.file("bf16.safetensors")),
                      Catch::Contains("bf16.safetensors") && Catch::Contains("weight_hh_l0") &&
                          Catch::Contains("BF16"));
    CHECK(max_diff(target.named_parameters()[0].second.data(), before) == 0.0); // unchanged
}

TEST_CASE("load_state_dict without strict reports missing and unexpected names", "[layers][module]")
{
    LSTM lstm(2, 3);
    auto state = lstm.state_dict();
    std::map<std::string, Tensor> partial;
    partial["weight_ih_l0"] = Tensor::full({12, 2}, 0.25, f64); // converted to float32
    partial["extra"] = Tensor::ones({1});
    CHECK_THROWS_WITH(lstm.load_state_dict(partial), Catch::Contains("missing 'bias_hh_l0'") &&
                                                         Catch::Contains("unexpected 'extra'"));
    const incompatible_keys k = lstm.load_state_dict(partial, false);
    CHECK(k.missing == std::vector<std::string>{"bias_hh_l0", "bias_ih_l0", "weight_hh_l0"});
    CHECK(k.unexpected == std::vector<std::string>{"extra"});
    CHECK_FALSE(k.empty());
    CHECK(lstm.named_parameters()[0].second.dtype() == f32);
    CHECK(lstm.named_parameters()[0].second.data().flat(7) == 0.25);
    CHECK(lstm.load_state_dict(state, false).empty());
    partial["weight_ih_l0"] = Tensor::ones({2, 12});
    CHECK_THROWS_AS(lstm.load_state_dict(partial, false), value_error); // shapes still checked
}

TEST_CASE("inference_mode is no_grad plus eval, restored exactly", "[layers][module]")
{
    Encoder enc;
    enc.out->eval(); // a mixed state: the head in eval inside a training model
    REQUIRE(enc.is_training());
    const auto before = enc.training_flags();
    {
        inference_mode guard(enc);
        CHECK_FALSE(is_grad_enabled());
        CHECK_FALSE(enc.is_training());
        CHECK_FALSE(enc.rnn->is_training());
        Variable y =
            sum(linear(Variable(randn({1, 4}, 5, false).data().to(f32)), enc.out->parameters()[0]));
        CHECK_FALSE(y.requires_grad());
    }
    CHECK(is_grad_enabled());
    CHECK(enc.is_training());
    CHECK(enc.rnn->is_training());
    CHECK_FALSE(enc.out->is_training());
    CHECK(enc.training_flags() == before);
    // Exception-safe, and nested inside no_grad it leaves grad mode off.
    try
    {
        inference_mode guard(enc);
        throw std::runtime_error("boom");
    }
    catch (const std::runtime_error&)
    {}
    CHECK(is_grad_enabled());
    CHECK(enc.rnn->is_training());
    {
        no_grad off;
        {
            inference_mode guard(enc);
        }
        CHECK_FALSE(is_grad_enabled());
    }
    CHECK(is_grad_enabled());
}

TEST_CASE("gradcheck_module checks every named parameter of a 2-layer LSTM", "[layers][gradcheck]")
{
    rnn_options o;
    o.num_layers = 2;
    o.bidirectional = true;
    LSTM lstm(2, 2, o);
    CHECK_THROWS_WITH(gradcheck_module(lstm, [] { return Variable(); }),
                      Catch::Contains("weight_ih_l0") && Catch::Contains("float32"));
    lstm.to(f64);
    const Variable x = randn({3, 2, 2}, 50, false);
    const gradcheck_report r = gradcheck_module(lstm, [&] { return lstm.forward(x).output; });
    const auto params = lstm.named_parameters();
    REQUIRE(r.entries.size() == params.size());
    for (std::size_t i = 0; i < params.size(); ++i)
        CHECK(r.entries[i].name == params[i].first);
    INFO(r.table());
    CHECK(r.ok());
    // The table's name column fits the longest name, so every row keeps its columns aligned.
    const std::string table = r.table();
    CHECK_THAT(table, Catch::Contains("weight_hh_l1_reverse"));
    std::istringstream lines(table);
    std::string header, row;
    std::getline(lines, header);
    const std::size_t column = header.find("shape");
    REQUIRE(column > std::string("weight_hh_l1_reverse").size());
    std::size_t rows = 0;
    while (std::getline(lines, row))
    {
        CHECK(row.find('[') == column);
        ++rows;
    }
    CHECK(rows == params.size());
    gradcheck_report longer;
    longer.entries.push_back({"encoder.rnn.weight_hh_l0_reverse_and_more", {2}});
    CHECK_THAT(longer.table(), Catch::Contains("encoder.rnn.weight_hh_l0_reverse_and_more [2]"));
}

TEST_CASE("init.fill_rows and lstm_forget_bias set named slices in any dtype", "[layers][init]")
{
    for (dtype dt : {f32, f64})
    {
        rnn_options o;
        o.num_layers = 2;
        o.bidirectional = true;
        LSTM lstm(3, 5, o);
        lstm.to(dt);
        std::map<std::string, Tensor> before;
        for (const auto& [name, p] : lstm.named_parameters())
            before[name] = p.data().clone();
        init::lstm_forget_bias(lstm, 1.5);
        std::size_t biases = 0;
        for (const auto& [name, p] : lstm.named_parameters())
        {
            CHECK(p.dtype() == dt);
            const bool ih = name.rfind("bias_ih", 0) == 0, hh = name.rfind("bias_hh", 0) == 0;
            for (std::size_t r = 0; r < p.numel(); ++r)
            {
                const bool forget = (ih || hh) && r >= 5 && r < 10; // gates i, f, g, o
                const double want = !forget ? before[name].flat(r) : (ih ? 1.5 : 0.0);
                CHECK(p.data().flat(r) == want);
            }
            biases += ih || hh;
        }
        CHECK(biases == 8); // 2 layers x 2 directions x (ih, hh)
        // The gate's total bias is the value: b_ih + b_hh over the forget rows.
        CHECK(lstm.state_dict().at("bias_ih_l1_reverse").flat(7) +
                  lstm.state_dict().at("bias_hh_l1_reverse").flat(7) ==
              1.5);
    }
    LSTMCell cell(2, 3);
    init::lstm_forget_bias(cell);
    CHECK(cell.bias_ih.data().flat(3) == 1.0);
    CHECK(cell.bias_hh.data().flat(5) == 0.0);
    CHECK(cell.bias_ih.data().flat(2) != 1.0);
    rnn_options nb;
    nb.bias = false;
    LSTM nobias(2, 3, nb);
    CHECK_THROWS_AS(init::lstm_forget_bias(nobias), value_error);

    Variable w(Tensor::zeros({4, 2}, f64), true);
    init::fill_rows(w, 1, 2, 3.0);
    CHECK(w.data().to_vector() == std::vector<double>{0, 0, 3, 3, 3, 3, 0, 0});
    CHECK_THROWS_WITH(init::fill_rows(w, 3, 2, 1.0),
                      Catch::Contains("[3, 5)") && Catch::Contains("[4,2]"));
    CHECK_THROWS_AS(init::fill_rows(Variable(Tensor::scalar(1.0)), 0, 1, 1.0), shape_error);
}

TEST_CASE("Linear, Embedding, Dropout, Sequential", "[layers][module][gradcheck]")
{
    SECTION("Linear is x W^T + b and gradchecks")
    {
        Linear l(4, 3);
        l.to(f64);
        auto x = randn({2, 5, 4}, 2);
        Variable y = l(x);
        CHECK(y.shape() == shape_t{2, 5, 3});
        double expect = l.bias.data().flat(1);
        for (std::size_t k = 0; k < 4; ++k)
            expect += x.data().flat(k) * l.weight.data().flat(1 * 4 + k);
        CHECK(y.data().flat(1) == Approx(expect));
        check_gradients([&l](auto& v) { return l(v[0]); }, {x, l.weight, l.bias});
        Linear nob(4, 3, false);
        CHECK_FALSE(nob.bias.defined());
        CHECK(nob.parameter_count() == 12);
    }
    SECTION("Embedding looks rows up and gradchecks")
    {
        Embedding e(7, 3);
        e.to(f64);
        const std::vector<std::int64_t> ids{1, 6, 1, 0};
        Variable y = e.forward(ids, {2, 2});
        CHECK(y.shape() == shape_t{2, 2, 3});
        CHECK(y.data().flat(2 * 3 + 2) == e.weight.data().flat(1 * 3 + 2));
        check_gradients([&e, ids](auto&) { return e.forward(ids); }, {e.weight});
        CHECK_THROWS_WITH(e.forward({7}), Catch::Contains("7") && Catch::Contains("[7,3]"));
        CHECK_THROWS_AS(e.forward(ids, {3, 2}), shape_error);
    }
    SECTION("Dropout follows the training mode; Sequential names children by position")
    {
        auto net = std::make_shared<Sequential>();
        net->add(std::make_shared<Linear>(4, 8))
            .add(std::make_shared<Tanh>())
            .add(std::make_shared<Dropout>(0.5))
            .add(std::make_shared<Linear>(8, 2));
        CHECK(net->named_parameters()[0].first == "0.weight");
        CHECK(net->named_parameters()[3].first == "3.bias");
        auto x = randn({3, 4}, 3, false).data().to(f32);
        net->eval();
        Variable a = net->forward(Variable(x)), b = net->forward(Variable(x));
        CHECK(max_diff(a.data(), b.data()) == 0.0);
        net->train();
        Variable c = net->forward(Variable(x));
        CHECK(max_diff(a.data(), c.data()) > 0.0);
        CHECK_THROWS_AS(Dropout(-0.1), value_error);
        net->to(f64);
        net->eval();
        std::vector<Variable> ps = net->parameters();
        auto xd = randn({3, 4}, 4);
        ps.insert(ps.begin(), xd);
        check_gradients([&net](auto& v) { return net->forward(v[0]); }, ps);
    }
}

TEST_CASE("Embedding padding_idx as PyTorch: zero row, no gradient, other rows train",
          "[layers][module][gradcheck]")
{
    Embedding e(6, 3, /*padding_idx=*/-2); // counts from the end: row 4
    REQUIRE(e.padding_idx() == std::optional<std::size_t>{4});
    CHECK(e.describe() == "Embedding(6, 3, padding_idx=4)");
    e.to(f64);
    const Tensor& w = e.weight.data();
    for (std::size_t j = 0; j < 3; ++j)
        CHECK(w.flat(4 * 3 + j) == 0.0);
    CHECK(w.flat(1 * 3) != 0.0); // the other rows are drawn
    CHECK_THROWS_WITH(Embedding(6, 3, 6), Catch::Contains("Embedding(6, 3): padding_idx 6 is "
                                                          "outside [-6, 6)"));
    CHECK_THROWS_AS(Embedding(6, 3, -7), value_error);
    CHECK(Embedding(6, 3, -6).padding_idx() == std::optional<std::size_t>{0});

    // Output: padding positions are the (zero) row, the others their rows.
    const std::vector<std::int64_t> ids{1, 4, 4, 2, 1};
    Variable y = e.forward(ids, {5});
    REQUIRE(y.shape() == shape_t{5, 3});
    for (std::size_t j = 0; j < 3; ++j)
    {
        CHECK(y.data().flat(1 * 3 + j) == 0.0);
        CHECK(y.data().flat(2 * 3 + j) == 0.0);
        CHECK(y.data().flat(0 * 3 + j) == w.flat(1 * 3 + j));
        CHECK(y.data().flat(3 * 3 + j) == w.flat(2 * 3 + j));
    }
    // d sum(y^2 + y) / dW[k] = sum over positions of k of (2 W[k] + 1): non-zero at padding
    // positions too, so a gradient leaking into any row would show.
    sum(y * y + y).backward();
    const Tensor g = e.weight.grad();
    for (std::size_t j = 0; j < 3; ++j)
    {
        CHECK(g.flat(4 * 3 + j) == 0.0);
        CHECK(g.flat(1 * 3 + j) == Approx(2 * (2 * w.flat(1 * 3 + j) + 1)));
        CHECK(g.flat(2 * 3 + j) == Approx(2 * w.flat(2 * 3 + j) + 1));
        for (std::size_t r : {0, 3, 5})
            CHECK(g.flat(r * 3 + j) == 0.0);
    }
    // The row-sparse hint lists the looked-up rows and not the padding row.
    REQUIRE(e.weight.grad_rows() != nullptr);
    std::vector<std::int64_t> rows = *e.weight.grad_rows();
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    CHECK(rows == std::vector<std::int64_t>{1, 2});

    // An SGD step (the sparse path) moves rows 1 and 2 and leaves the padding row at zero.
    const double w10 = w.flat(3), w00 = w.flat(0);
    optim::SGD sgd(e.parameters(), optim::sgd_options{0.1});
    sgd.step();
    CHECK(e.weight.data().flat(3) == Approx(w10 - 0.1 * g.flat(3)));
    CHECK(e.weight.data().flat(0) == w00);
    for (std::size_t j = 0; j < 3; ++j)
        CHECK(e.weight.data().flat(4 * 3 + j) == 0.0);

    // As PyTorch, a row written by hand is what padding positions read, still without gradient.
    e.zero_grad();
    e.weight.data().data<double>()[4 * 3 + 1] = 0.5;
    Variable z = e.forward({4, 0});
    CHECK(z.data().flat(1) == 0.5);
    sum(z).backward();
    CHECK(e.weight.grad().flat(4 * 3 + 1) == 0.0);
    CHECK(e.weight.grad().flat(0) == 1.0);
    e.zero_grad();

    // Only padding ids: the output is the row, and nothing is recorded for the weight.
    CHECK(e.forward({4, 4}).shape() == shape_t{2, 3});
    CHECK_FALSE(e.forward({4, 4}).requires_grad());

    // float64 gradient check of the weight through lookups with padding. Padding positions are
    // weighted 0 in the checked function: they read the row as a constant by definition.
    e.weight.data().data<double>()[4 * 3 + 1] = 0.0;
    const std::vector<std::int64_t> many{0, 4, 5, 5, 4, 2, 1, 0};
    std::vector<double> mask(many.size() * 3);
    for (std::size_t i = 0; i < many.size(); ++i)
        for (std::size_t j = 0; j < 3; ++j)
            mask[i * 3 + j] = many[i] == 4 ? 0.0 : 1.0 + 0.1 * double(i * 3 + j);
    const Variable m(Tensor::from_values(mask, {many.size(), 3}, f64));
    check_gradients(
        [&e, &many, &m](auto&) {
            return e.forward(many, {2, 4}) * reshape(m, {2, 4, 3});
        },
        {e.weight});
}

TEST_CASE("initialisers: PyTorch defaults and the general ones", "[layers][init]")
{
    generator g(5);
    auto bound_of = [](const Variable& v) {
        double m = 0;
        for (std::size_t i = 0; i < v.numel(); ++i)
            m = std::max(m, std::abs(v.data().flat(i)));
        return m;
    };
    auto stddev_of = [](const Variable& v) {
        double s = 0, s2 = 0;
        for (std::size_t i = 0; i < v.numel(); ++i)
        {
            s += v.data().flat(i);
            s2 += v.data().flat(i) * v.data().flat(i);
        }
        const double n = static_cast<double>(v.numel());
        return std::sqrt(s2 / n - (s / n) * (s / n));
    };
    LSTM lstm(10, 25, {}, g);
    for (auto& p : lstm.parameters())
    {
        CHECK(bound_of(p) <= 1.0 / 5.0);
        CHECK(bound_of(p) > 0.9 / 5.0); // really spans the range
    }
    Linear lin(100, 50, true, g);
    CHECK(bound_of(lin.weight) <= 0.1);
    CHECK(bound_of(lin.weight) > 0.09);
    Embedding emb(200, 50, g);
    CHECK(stddev_of(emb.weight) == Approx(1.0).epsilon(0.05));

    Variable w(Tensor::empty({60, 40}), true);
    init::xavier_uniform(w, 1.0, g);
    CHECK(bound_of(w) <= std::sqrt(6.0 / 100));
    init::xavier_normal(w, 1.0, g);
    CHECK(stddev_of(w) == Approx(std::sqrt(2.0 / 100)).epsilon(0.05));
    init::kaiming_uniform(w, 0.0, g);
    CHECK(bound_of(w) <= std::sqrt(6.0 / 40));
    for (const shape_t& s : {shape_t{6, 4}, shape_t{4, 6}})
    {
        Variable q(Tensor::empty(s, f64), true);
        init::orthogonal(q, 1.0, g);
        // The smaller Gram matrix of an orthogonal matrix is the identity.
        const bool tall = s[0] >= s[1];
        Variable gram = tall ? matmul(transpose(q), q) : matmul(q, transpose(q));
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = 0; j < 4; ++j)
                CHECK(gram.data().flat(i * 4 + j) == Approx(i == j ? 1.0 : 0.0).margin(1e-12));
    }
    Variable v(Tensor::empty({5}), true);
    CHECK_THROWS_AS(init::xavier_uniform(v), shape_error);
    init::constant(v, 0.25);
    CHECK(v.data().flat(4) == 0.25f);
}
