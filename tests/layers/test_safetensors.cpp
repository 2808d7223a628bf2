// layers/safetensors.hpp, json.hpp, atomic_file.hpp: round trips, PyTorch layout, and every way
// a file can be wrong.
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <unistd.h>

#include "tests/layers/fixtures.hpp"
#include "xgrad/layers/json.hpp"
#include "xgrad/layers/rnn.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::nn;

namespace
{
// A fresh, empty temporary folder per test case.
struct temp_dir
{
    std::string path;
    temp_dir()
    {
        char tmpl[] = "/tmp/xgrad-test-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~temp_dir() { std::system(("rm -rf " + path).c_str()); }
    std::string file(const std::string& name) const { return path + "/" + name; }
    std::size_t entries() const
    {
        std::size_t n = 0;
        DIR* d = ::opendir(path.c_str());
        while (dirent* e = ::readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
                ++n;
        ::closedir(d);
        return n;
    }
};

std::string read_bytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary) << bytes;
}

// A file with the given JSON header and data bytes.
std::string make_file(const std::string& header, const std::string& data)
{
    std::uint64_t n = header.size();
    return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}
} // namespace

TEST_CASE("safetensors round trip is bit-exact", "[layers][safetensors]")
{
    temp_dir dir;
    std::map<std::string, Tensor> t{
        {"a", randn({3, 4}, 1, false).data().to(f32)},
        {"b.weight", randn({2, 3, 2}, 2, false).data()},
        {"scalar", Tensor::scalar(-0.0, f64)},
        {"empty", Tensor::zeros({0, 5})},
    };
    save_tensors(dir.file("x.safetensors"), t, {{"note", "quote \" and \\ kept"}});
    tensor_file f = load_tensors(dir.file("x.safetensors"));
    REQUIRE(f.tensors.size() == 4);
    for (auto& [name, v] : t)
    {
        const Tensor& r = f.tensors.at(name);
        CHECK(r.dtype() == v.dtype());
        CHECK(r.shape() == v.shape());
        CHECK(std::memcmp(r.raw_data(), v.raw_data(), v.nbytes()) == 0);
    }
    CHECK(f.metadata.at("note") == "quote \" and \\ kept");
    CHECK(read_bytes(dir.file("x.safetensors")).size() % 8 == 0);
    CHECK(dir.entries() == 1); // no temporary left behind
}

TEST_CASE("safetensors holds I64 and I32 exactly", "[layers][safetensors][int]")
{
    temp_dir dir;
    const std::int64_t big = -(std::int64_t{1} << 62) - 3;
    std::map<std::string, Tensor> t{
        {"ids", Tensor::from_indices({big, 0, 5, 7}, {2, 2})},
        {"lengths", Tensor::from_indices({3, 1}).to(i32)},
        {"w", Tensor::ones({2})},
    };
    save_tensors(dir.file("i.safetensors"), t);
    const std::string bytes = read_bytes(dir.file("i.safetensors"));
    CHECK(bytes.find("\"dtype\":\"I64\"") != std::string::npos);
    CHECK(bytes.find("\"dtype\":\"I32\"") != std::string::npos);
    tensor_file f = load_tensors(dir.file("i.safetensors"));
    CHECK(f.unsupported.empty());
    CHECK(f.at("ids").dtype() == i64);
    CHECK(f.at("ids").shape() == shape_t{2, 2});
    CHECK(f.at("ids").to_indices() == std::vector<std::int64_t>{big, 0, 5, 7});
    CHECK(f.at("lengths").dtype() == i32);
    CHECK(f.at("lengths").data<std::int32_t>()[0] == 3);
    CHECK_THROWS_WITH(f.at("nope"), Catch::Contains("no tensor named 'nope'"));
}

TEST_CASE("entries of unsupported dtypes fail only when asked for", "[layers][safetensors]")
{
    temp_dir dir;
    // A GRU's weights where one entry is BF16 (2 bytes per element), as a PyTorch model saved in
    // bfloat16 would have it, plus an unrelated F16 entry.
    GRU gru(2, 3);
    const auto state = gru.state_dict();
    std::string header = "{";
    std::string data;
    for (const auto& [name, t] : state)
    {
        const bool bf16 = name == "weight_hh_l0";
        const std::size_t n = bf16 ? t.numel() * 2 : t.nbytes();
        header += fmt::format(
            "\"{}\":{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}},", name,
            bf16 ? "BF16" : "F32", fmt::join(t.shape(), ","), data.size(), data.size() + n);
        data +=
            bf16 ? std::string(n, '\0') : std::string(static_cast<const char*>(t.raw_data()), n);
    }
    header += fmt::format("\"half\":{{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[{},{}]}}}}",
                          data.size(), data.size() + 4);
    data += std::string(4, '\0');
    write_bytes(dir.file("bf16.safetensors"), make_file(header, data));

    tensor_file f = load_tensors(dir.file("bf16.safetensors"));
    CHECK(f.tensors.size() == state.size() - 1); // every F32 entry loads
    CHECK(f.tensors.count("weight_ih_l0") == 1);
    REQUIRE(f.unsupported.size() == 2);
    CHECK(f.unsupported.at("weight_hh_l0") == "BF16");
    CHECK(f.unsupported.at("half") == "F16");
    CHECK_THROWS_WITH(f.at("weight_hh_l0"),
                      Catch::Contains("weight_hh_l0") && Catch::Contains("BF16"));
    CHECK(f.at("bias_ih_l0").shape() == shape_t{9});

    // Loading it into a module names the file, the tensor and its dtype, and changes nothing.
    GRU target(2, 3);
    const Tensor before = target.named_parameters()[0].second.data().clone();
    CHECK_THROWS_WITH(load(target, dir.file("bf16.safetensors")),
                      Catch::Contains("bf16.safetensors") && Catch::Contains("weight_hh_l0") &&
                          Catch::Contains("BF16"));
    CHECK(max_diff(target.named_parameters()[0].second.data(), before) == 0.0);
}

TEST_CASE("weight files use PyTorch's names, shapes and dtypes", "[layers][safetensors]")
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

TEST_CASE("module load names every mismatch and changes nothing", "[layers][safetensors]")
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
    GRU dbl(3, 4);
    dbl.to(f64);
    save(dbl, dir.file("f64.safetensors"));
    CHECK_THROWS_WITH(load(small, dir.file("f64.safetensors")), Catch::Contains("float64"));
}

TEST_CASE("corrupt and truncated files give errors, never crashes", "[layers][safetensors]")
{
    temp_dir dir;
    const std::string p = dir.file("bad.safetensors");
    auto error_of = [&](const std::string& bytes) {
        write_bytes(p, bytes);
        try
        {
            load_tensors(p);
        }
        catch (const io_error& e)
        {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string ok_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string data(8, '\0');
    CHECK(error_of(make_file(ok_header, data)) == "no error");
    CHECK_THAT(error_of("abc"), Catch::Contains("shorter than"));
    CHECK_THAT(error_of(make_file(ok_header, data).substr(0, 30)),
               Catch::Contains("header length"));
    CHECK_THAT(error_of(make_file(ok_header, data.substr(0, 5))), Catch::Contains("truncated"));
    CHECK_THAT(error_of(make_file(ok_header, data + "xx")), Catch::Contains("follow the last"));
    CHECK_THAT(error_of(make_file("{\"w\":", "")), Catch::Contains("json"));
    CHECK_THAT(error_of(make_file("[1,2]", "")), Catch::Contains("not a JSON object"));
    CHECK_THAT(
        error_of(make_file(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,4]}})", "abcd")),
        Catch::Contains("'Q7'"));
    // A known dtype xgrad cannot hold is validated like any other entry.
    CHECK_THAT(
        error_of(make_file(R"({"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}})", "abcd")),
        Catch::Contains("needs 6 bytes"));
    CHECK_THAT(
        error_of(make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data)),
        Catch::Contains("needs 12 bytes"));
    CHECK_THAT(error_of(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                  R"("v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                  data)),
               Catch::Contains("overlaps"));
    CHECK_THAT(
        error_of(make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data)),
        Catch::Contains("invalid dimension"));
    CHECK_THAT(error_of(make_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],)"
                                  R"("data_offsets":[0,0]}})",
                                  "")),
               Catch::Contains("implausibly large"));
    CHECK_THAT(error_of(make_file(R"({"w":{"dtype":"F32"}})", "")),
               Catch::Contains("needs dtype, shape"));
    CHECK_THAT(error_of(make_file(std::string(40, '[') + std::string(40, ']'), "")),
               Catch::Contains("nesting"));
    CHECK_THROWS_WITH(load_tensors(dir.file("missing.safetensors")),
                      Catch::Contains("cannot open"));

    // Every single-byte corruption of a real file either loads or throws io_error.
    LSTM lstm(2, 3);
    save(lstm, dir.file("good.safetensors"));
    const std::string good = read_bytes(dir.file("good.safetensors"));
    generator g(9);
    std::size_t rejected = 0;
    for (int i = 0; i < 300; ++i)
    {
        std::string bytes = good;
        const std::size_t at =
            static_cast<std::size_t>(g.below(std::min<std::size_t>(bytes.size(), 400)));
        bytes[at] = static_cast<char>(g.below(256));
        if (error_of(bytes) != "no error")
            ++rejected;
    }
    CHECK(rejected > 0);
    // Cutting the file anywhere is always detected.
    for (std::size_t cut = 0; cut < good.size(); cut += 37)
        CHECK(error_of(good.substr(0, cut)) != "no error");
}

TEST_CASE("writes are atomic: a failed save leaves the old file intact", "[layers][safetensors]")
{
    temp_dir dir;
    const std::string p = dir.file("w.safetensors");
    save_tensors(p, {{"a", Tensor::ones({4})}});
    const std::string before = read_bytes(p);
    CHECK_THROWS_AS(save_tensors(p, {{"a", Tensor::ones({2})}, {"b", Tensor()}}), value_error);
    CHECK(read_bytes(p) == before);
    CHECK(dir.entries() == 1);
    CHECK_THROWS_WITH(
        save_tensors(dir.file("no/such/dir/x.safetensors"), {{"a", Tensor::ones({1})}}),
        Catch::Contains("no/such/dir"));
    CHECK(dir.entries() == 1);
}

TEST_CASE("json reader", "[layers][json]")
{
    auto v = json::parse(R"( {"a": [1, -2, 3.5e1], "s": "x\u00e9\n", "t": true, "n": null} )");
    REQUIRE(v.kind == json::value::object);
    CHECK(v.find("a")->items[1].integer == -2);
    CHECK(v.find("a")->items[2].num == 35.0);
    CHECK_FALSE(v.find("a")->items[2].integral);
    CHECK(v.find("s")->str == "x\xc3\xa9\n");
    CHECK(v.find("t")->b);
    CHECK(json::quote("a\"b\n") == "\"a\\\"b\\n\"");
    CHECK_THROWS_AS(json::parse("{\"a\":1,}"), io_error);
    CHECK_THROWS_AS(json::parse("\"unterminated"), io_error);
    CHECK_THROWS_AS(json::parse("1 2"), io_error);
}
