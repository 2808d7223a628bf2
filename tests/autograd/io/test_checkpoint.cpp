// autograd/io/checkpoint.hpp: a checkpoint is published whole or not at all, and loading refuses
// anything the manifest does not vouch for. Crashes in the middle of a save (kill -9 at every
// fault point, a full disk) are tested end to end by tests/examples/kill_checkpoint.sh.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/files.hpp"
#include "xgrad/autograd/error.hpp"
#include "xgrad/autograd/io/checkpoint.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace xgrad::io;
namespace fs = std::filesystem;

namespace
{
void save(checkpoint_dir& c, const std::string& a, const std::string& b)
{
    auto tx = c.begin();
    write_bytes(tx.file("a.bin"), a);
    write_bytes(tx.file("b.txt"), b);
    tx.commit();
}
std::vector<std::string> listing(const std::string& dir)
{
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}
} // namespace

TEST_CASE("fnv1a64 matches the published test vectors", "[io][checkpoint]")
{
    CHECK(fnv1a64("") == 0xcbf29ce484222325ull);
    CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
    CHECK(fnv1a64("foobar") == 0x85944171f73967e8ull);
    CHECK(fnv1a64("bar", fnv1a64("foo")) == fnv1a64("foobar")); // hashing in pieces
}

TEST_CASE("checkpoint generations replace each other whole", "[io][checkpoint]")
{
    temp_dir dir;
    checkpoint_dir c(dir.file("run"));
    CHECK_FALSE(c.exists());
    CHECK(c.generation() == 0);
    CHECK_THROWS_WITH(c.verify(), Catch::Contains("no such folder"));
    save(c, "first", "1");
    CHECK(c.generation() == 1);
    save(c, "second", "22");
    CHECK(c.generation() == 2);
    const std::string g = c.verify({"a.bin", "b.txt"});
    CHECK(g == dir.file("run/gen-000002"));
    CHECK(read_bytes(g + "/a.bin") == "second");
    CHECK(read_bytes(dir.file("run/current/b.txt")) == "22");
    // The old generation is gone; nothing temporary is left.
    CHECK(listing(dir.file("run")) == std::vector<std::string>{".lock", "current", "gen-000002"});
}

TEST_CASE("an uncommitted save leaves the committed checkpoint as it was", "[io][checkpoint]")
{
    temp_dir dir;
    checkpoint_dir c(dir.file("run"));
    save(c, "kept", "1");
    try
    {
        auto tx = c.begin();
        write_bytes(tx.file("a.bin"), "lost");
        throw std::runtime_error("the trainer failed mid-save");
    }
    catch (const std::runtime_error&)
    {}
    CHECK(read_bytes(c.verify() + "/a.bin") == "kept");
    CHECK(listing(dir.file("run")) == std::vector<std::string>{".lock", "current", "gen-000001"});
    // A file that was promised but never written fails the commit, and nothing is published.
    auto tx = c.begin();
    write_bytes(tx.file("a.bin"), "new");
    tx.file("never-written.bin");
    CHECK_THROWS_AS(tx.commit(), io_error);
    CHECK(c.generation() == 1);
}

TEST_CASE("clean removes what a killed save left behind", "[io][checkpoint]")
{
    temp_dir dir;
    checkpoint_dir c(dir.file("run"));
    save(c, "x", "y");
    fs::create_directory(dir.file("run/.gen-000002.tmp"));
    write_bytes(dir.file("run/.gen-000002.tmp/a.bin"), "half");
    fs::create_directory(dir.file("run/gen-000007")); // renamed, but `current` never swapped
    CHECK(c.clean() == 2);
    CHECK(listing(dir.file("run")) == std::vector<std::string>{".lock", "current", "gen-000001"});
    // The next save numbers past every generation seen, so it never reuses a name.
    fs::create_directory(dir.file("run/.gen-000009.tmp"));
    save(c, "z", "w");
    CHECK(c.generation() == 10);
}

TEST_CASE("verify refuses a checkpoint its manifest does not vouch for", "[io][checkpoint]")
{
    temp_dir dir;
    checkpoint_dir c(dir.file("run"));
    save(c, "weights", "vocab");
    const std::string g = c.verify();
    SECTION("a required file that was never saved")
    {
        CHECK_THROWS_WITH(c.verify({"a.bin", "optimizer.bin"}),
                          Catch::Contains("gen-000001 has no optimizer.bin"));
    }
    SECTION("a file of another size")
    {
        write_bytes(g + "/a.bin", "weights!");
        CHECK_THROWS_WITH(c.verify(), Catch::Contains("has 8 bytes, the manifest says 7"));
    }
    SECTION("a file of the same size with other bytes (mixed in from another save)")
    {
        write_bytes(g + "/a.bin", "WEIGHTS");
        CHECK_THROWS_WITH(c.verify(), Catch::Contains("a.bin does not match its checksum"));
    }
    SECTION("a missing file")
    {
        fs::remove(g + "/b.txt");
        CHECK_THROWS_WITH(c.verify(), Catch::Contains("b.txt is missing"));
    }
    SECTION("a truncated manifest")
    {
        const std::string m = read_bytes(g + "/MANIFEST");
        write_bytes(g + "/MANIFEST", m.substr(0, m.size() - 4));
        CHECK_THROWS_WITH(c.verify(), Catch::Contains("MANIFEST is incomplete or malformed"));
    }
    SECTION("a manifest of another generation")
    {
        std::string m = read_bytes(g + "/MANIFEST");
        m.replace(m.find("generation 1"), 12, "generation 2");
        write_bytes(g + "/MANIFEST", m);
        CHECK_THROWS_WITH(c.verify(), Catch::Contains("incomplete or malformed"));
    }
    SECTION("a folder without a checkpoint")
    {
        fs::remove(dir.file("run/current"));
        CHECK_THROWS_WITH(c.verify(), Catch::Contains("holds no completed checkpoint"));
    }
}

TEST_CASE("checkpoint file names and concurrent saves are checked", "[io][checkpoint]")
{
    temp_dir dir;
    checkpoint_dir c(dir.file("run"));
    auto tx = c.begin();
    CHECK_THROWS_AS(tx.file("MANIFEST"), value_error);
    CHECK_THROWS_AS(tx.file("sub/x"), value_error);
    CHECK_THROWS_AS(tx.file(".hidden"), value_error);
    CHECK_THROWS_AS(tx.file("two words"), value_error);
    CHECK_THROWS_AS(tx.file(""), value_error);
    // A second save (another process, or this one) while the first holds the lock.
    CHECK_THROWS_WITH(checkpoint_dir(dir.file("run")).begin(),
                      Catch::Contains("another process is saving"));
    CHECK_THROWS_WITH(c.clean(), Catch::Contains("another process is saving"));
    write_bytes(tx.file("a.bin"), "x");
    tx.commit();
    CHECK_THROWS_AS(tx.commit(), io_error);
    CHECK_NOTHROW(c.begin()); // the lock was released
}
