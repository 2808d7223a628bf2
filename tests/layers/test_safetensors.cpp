// layers/safetensors.hpp, json.hpp, atomic_file.hpp: round trips, PyTorch layout, and every way
// a file can be wrong.
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <unistd.h>

#include "xgrad/layers/json.hpp"
#include "xgrad/layers/rnn.hpp"
#include "tests/layers/fixtures.hpp"

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
        error_of(make_file(R"({"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", "abcd")),
        Catch::Contains("BF16"));
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
