// autograd/io/safetensors.hpp, json.hpp, atomic_file.hpp, read_file.hpp: round trips, every
// dtype, and every way a file can be wrong. Module weight files (layers/weights.hpp) are tested in
// tests/layers/test_module.cpp.
#include <sys/stat.h>
#include <thread>

#include "tests/files.hpp"
#include "tests/support.hpp"
#include "xgrad/autograd/io/json.hpp"
#include "xgrad/autograd/io/read_file.hpp"
#include "xgrad/autograd/io/safetensors.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::io;

TEST_CASE("safetensors round trip is bit-exact", "[io][safetensors]")
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

TEST_CASE("parse_tensors reads bytes in memory as load_tensors reads the file", "[io][safetensors]")
{
    temp_dir dir;
    save_tensors(dir.file("m.safetensors"), {{"w", Tensor::ones({2, 3})}}, {{"k", "v"}});
    const std::string bytes = read_bytes(dir.file("m.safetensors"));
    tensor_file f = parse_tensors(bytes, "in-memory");
    CHECK(f.at("w").shape() == shape_t{2, 3});
    CHECK(f.metadata.at("k") == "v");
    // Errors name what the caller passed, and a view that ends early is a truncated file.
    CHECK_THROWS_WITH(parse_tensors(std::string_view(bytes).substr(0, bytes.size() - 1), "mem"),
                      Catch::Contains("'mem' is not a valid safetensors file"));
    CHECK_THROWS_AS(parse_tensors(std::string_view(), "mem"), io_error);
}

TEST_CASE("safetensors holds I64 and I32 exactly", "[io][safetensors][int]")
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

TEST_CASE("entries of unsupported dtypes fail only when asked for", "[io][safetensors]")
{
    temp_dir dir;
    std::map<std::string, Tensor> t{
        {"w", Tensor::full({3, 2}, 0.5)}, {"v", Tensor::ones({4})}, {"half", Tensor::ones({2})}};
    write_bytes(dir.file("bf16.safetensors"),
                file_with_dtypes(t, {{"v", "BF16"}, {"half", "F16"}}));
    tensor_file f = load_tensors(dir.file("bf16.safetensors"));
    REQUIRE(f.tensors.size() == 1); // the F32 entry loads
    CHECK(f.at("w").shape() == shape_t{3, 2});
    CHECK(f.at("w").flat(5) == 0.5);
    REQUIRE(f.unsupported.size() == 2);
    CHECK(f.unsupported.at("v") == "BF16");
    CHECK(f.unsupported.at("half") == "F16");
    CHECK_THROWS_WITH(f.at("v"), Catch::Contains("'v'") && Catch::Contains("BF16"));
    CHECK_THROWS_WITH(f.at("half"), Catch::Contains("F16"));
    CHECK_THROWS_AS(f.check_supported("v"), value_error);
    CHECK_NOTHROW(f.check_supported("w"));
    CHECK_NOTHROW(f.check_supported("not there"));
}

TEST_CASE("corrupt and truncated files give errors, never crashes", "[io][safetensors]")
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
                      Catch::Contains("cannot open") &&
                          Catch::Contains("No such file or directory"));

    // Every single-byte corruption of a real file either loads or throws io_error.
    save_tensors(dir.file("good.safetensors"),
                 {{"weight", randn({12, 2}, 3, false).data().to(f32)},
                  {"bias", Tensor::ones({12}, f64)},
                  {"ids", Tensor::from_indices({4, 5, 6})}},
                 {{"format", "pt"}});
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

TEST_CASE("writes are atomic: a failed save leaves the old file intact", "[io][safetensors]")
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

TEST_CASE("json reader", "[io][json]")
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

TEST_CASE("json reader follows RFC 8259 numbers", "[io][json]")
{
    auto error_of = [](const std::string& text) {
        try
        {
            json::parse(text);
        }
        catch (const io_error& e)
        {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    for (const char* bad : {"+1", "01", "-01", "1.", ".5", "-", "1e", "1e+", "1.e5", "-.5", "1e400",
                            "-1e400", "123456789e301", "[1.]", "[01]", "0x10", "Infinity", "NaN"})
    {
        INFO(bad);
        CHECK_THROWS_AS(json::parse(bad), io_error);
    }
    // The offset is where the number goes wrong.
    CHECK_THAT(error_of("[1, 01]"), Catch::Contains("leading zero") && Catch::Contains("offset 4"));
    CHECK_THAT(error_of("[2.]"), Catch::Contains("offset 3"));
    CHECK_THAT(error_of("1e400"), Catch::Contains("range") && Catch::Contains("offset 0"));
    CHECK_THAT(error_of("[+1]"), Catch::Contains("offset 1"));

    CHECK(json::parse("-0").integral);
    CHECK(json::parse("-0").integer == 0);
    CHECK(json::parse("0").integer == 0);
    CHECK(json::parse("1E+2").num == 100.0);
    CHECK_FALSE(json::parse("1E+2").integral);
    CHECK(json::parse("1.5e-3").num == 1.5e-3);
    CHECK(json::parse("-0.25").num == -0.25);
    CHECK(json::parse("1.7976931348623157e308").num == 1.7976931348623157e308);
    CHECK(json::parse("1e-400").num == 0.0); // too small for a double: rounds to zero
    CHECK(json::parse("0.0000e999999").num == 0.0);
    CHECK(json::parse("9223372036854775807").integer == 9223372036854775807);
    CHECK_THAT(error_of("9223372036854775808"), Catch::Contains("integer out of range"));
}

TEST_CASE("json reader follows RFC 8259 strings and UTF-8", "[io][json]")
{
    auto error_of = [](const std::string& text) {
        try
        {
            json::parse(text);
        }
        catch (const io_error& e)
        {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    // Surrogates come in pairs; an escape that is wrong never takes the next one with it.
    CHECK(json::parse(R"("\ud83d\ude00")").str == "\xF0\x9F\x98\x80");
    CHECK(json::parse(R"("\u00e9\u20AC")").str == "\xC3\xA9\xE2\x82\xAC");
    CHECK_THAT(error_of(R"("ab\ud800")"),
               Catch::Contains("surrogate") && Catch::Contains("offset 3"));
    CHECK_THAT(error_of(R"("\ud800x")"), Catch::Contains("surrogate"));
    CHECK_THAT(error_of(R"("\udc00")"), Catch::Contains("surrogate"));
    CHECK_THAT(error_of(R"("\ud800\u0041")"), Catch::Contains("surrogate"));
    CHECK_THAT(error_of(R"("\ud800\ud800")"), Catch::Contains("surrogate"));
    CHECK_THAT(error_of(R"("\ud800\n")"), Catch::Contains("surrogate"));
    CHECK_THAT(error_of(R"("\u12")"), Catch::Contains("offset 1"));
    CHECK_THAT(error_of(R"("\x")"), Catch::Contains("bad escape") && Catch::Contains("offset 1"));
    // Control characters must be escaped.
    CHECK_THAT(error_of("\"a\tb\""), Catch::Contains("control") && Catch::Contains("offset 2"));
    CHECK_THAT(error_of(std::string("\"a\0b\"", 5)), Catch::Contains("control"));
    CHECK(json::parse("\"a\x7f\"").str == "a\x7f"); // DEL is allowed
    // Raw UTF-8 passes through; anything else is refused at its offset.
    CHECK(json::parse("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"").str ==
          "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    for (const char* bad :
         {"\"\xff\"", "\"\x80\"", "\"\xC0\xAF\"", "\"\xE0\x80\xAF\"", "\"\xED\xA0\x80\"",
          "\"\xE2\x82\"", "\"\xF4\x90\x80\x80\"", "\"\xC3\"", "{\"\xC3\x28\":1}"})
    {
        INFO(bad);
        CHECK_THAT(error_of(bad), Catch::Contains("UTF-8"));
    }
    CHECK_THAT(error_of("\"ab\xFF\""), Catch::Contains("offset 3"));

    CHECK(json::valid_utf8(""));
    CHECK(json::valid_utf8("plain ascii"));
    CHECK(json::valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
    CHECK_FALSE(json::valid_utf8("\xC3"));             // truncated
    CHECK_FALSE(json::valid_utf8("\xC1\xBF"));         // overlong
    CHECK_FALSE(json::valid_utf8("\xED\xBF\xBF"));     // a surrogate
    CHECK_FALSE(json::valid_utf8("\xF5\x80\x80\x80")); // past U+10FFFF
    CHECK(json::utf8_invalid_at("ab\xC3\xA9z\xFE") == 5);
    CHECK(json::utf8_invalid_at("ab") == std::string_view::npos);
}

TEST_CASE("safetensors headers and names must be UTF-8", "[io][safetensors]")
{
    temp_dir dir;
    const std::string p = dir.file("u.safetensors");
    // Reading: a header that is not UTF-8 is refused, with its place.
    write_bytes(p, make_file("{\"w\xFF\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                             std::string(4, '\0')));
    CHECK_THROWS_AS(load_tensors(p), io_error);
    CHECK_THROWS_WITH(load_tensors(p), Catch::Contains("UTF-8") && Catch::Contains("byte 3"));

    // Writing: nothing is written for a name the header cannot carry.
    const std::string q = dir.file("v.safetensors");
    const std::map<std::string, Tensor> bad_name{{"w\xC3", Tensor::ones({1})}};
    CHECK_THROWS_AS(save_tensors(q, bad_name), value_error);
    CHECK_THROWS_WITH(save_tensors(q, bad_name),
                      Catch::Contains("tensor name") && Catch::Contains("\\xC3"));
    CHECK_THROWS_AS(save_tensors(q, {{"w", Tensor::ones({1})}}, {{"k\x80", "v"}}), value_error);
    CHECK_THROWS_WITH(save_tensors(q, {{"w", Tensor::ones({1})}}, {{"k", "v\xED\xA0\x80"}}),
                      Catch::Contains("value of metadata key 'k'"));
    CHECK_THROWS_WITH(save_tensors(q, {{"__metadata__", Tensor::ones({1})}}),
                      Catch::Contains("__metadata__"));
    CHECK_THROWS_AS(save_tensors(q, {{"__metadata__", Tensor::ones({1})}}), value_error);
    CHECK(dir.entries() == 1); // only u.safetensors: no output, no temporary

    // Valid UTF-8 names and metadata round trip.
    const std::string name = "poids.\xC3\xA9t\xC3\xA9\xF0\x9F\x98\x80";
    save_tensors(q, {{name, Tensor::ones({2})}}, {{"note", "\xE2\x82\xAC"}});
    tensor_file f = load_tensors(q);
    CHECK(f.at(name).numel() == 2);
    CHECK(f.metadata.at("note") == "\xE2\x82\xAC");
}

TEST_CASE("read_file names the operation, the path and the reason", "[io][read_file]")
{
    temp_dir dir;
    auto error_of = [](const std::string& path) {
        try
        {
            load_tensors(path);
        }
        catch (const io_error& e)
        {
            return std::string(e.what());
        }
        catch (const std::exception& e)
        {
            return std::string("wrong type: ") + e.what();
        }
        return std::string("no error");
    };
    // A directory "opens" as a stream and then failed with std::ios_base::failure, no path.
    CHECK(error_of(dir.path) ==
          fmt::format("load_tensors: cannot open '{}': it is a directory", dir.path));
    CHECK(
        error_of(dir.file("none")) ==
        fmt::format("load_tensors: cannot open '{}': No such file or directory", dir.file("none")));
    CHECK_THAT(error_of(dir.file("none/deeper")), Catch::Contains("none/deeper"));
    CHECK_THROWS_WITH(read_file(dir.path, "my_op"), Catch::StartsWith("my_op: "));

    // Whole files, empty and not, byte for byte.
    write_bytes(dir.file("empty"), "");
    CHECK(read_file(dir.file("empty"), "t").empty());
    std::string big(200000, '\0');
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>(i * 7 + i / 251);
    write_bytes(dir.file("big"), big);
    CHECK(read_file(dir.file("big"), "t") == big);

    // A FIFO has no size: it is read to its end (a weight file streamed through a pipe).
    save_tensors(dir.file("w.safetensors"), {{"w", Tensor::full({3}, 2.5)}});
    const std::string bytes = read_bytes(dir.file("w.safetensors"));
    const std::string fifo = dir.file("fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::thread writer([&] { write_bytes(fifo, bytes); });
    tensor_file f;
    try
    {
        f = load_tensors(fifo);
    }
    catch (...)
    {
        writer.join();
        throw;
    }
    writer.join();
    CHECK(f.at("w").flat(2) == 2.5);
}
