// autograd/io/image.hpp: PGM/PPM (8 and 16 bits, comments) and PNG (1-4 channels) round trips,
// a PNG made without libpng (tests/autograd/fixtures/rgb_3x2.png, written by Python's zlib),
// channel conversions, and every malformed input refused by name.
#include <fstream>

#include "tests/files.hpp"
#include "tests/support.hpp"
#include "xgrad/autograd/io/image.hpp"

using namespace xgrad;
using namespace xgrad::test;

namespace
{

std::string image_message(const std::function<void()>& f)
{
    try
    {
        f();
    }
    catch (const error& e)
    {
        return e.what();
    }
    return "no exception";
}

// An image of values k / 255 (exact after an 8-bit round trip).
Tensor image_levels(std::size_t c, std::size_t h, std::size_t w)
{
    Tensor t = Tensor::empty({c, h, w}, f32);
    for (std::size_t i = 0; i < t.numel(); ++i)
        t.data<float>()[i] = float((i * 37) % 256) / 255.0f;
    return t;
}

} // namespace

TEST_CASE("PGM and PPM: round trips, 16 bits, comments", "[io][image]")
{
    temp_dir dir;
    for (const std::size_t c : {1u, 3u})
    {
        const Tensor img = image_levels(c, 5, 7);
        const std::string path = dir.path + (c == 1 ? "/a.pgm" : "/a.ppm");
        io::write_pnm(path, img);
        const Tensor back = io::read_image(path);
        CHECK(back.shape() == img.shape());
        CHECK(max_diff(back, img) < 1e-7);
    }
    // 16 bits, a comment, values above maxval clamped.
    write_bytes(dir.path + "/b.pgm", std::string("P5\n# made by hand\n3 1\n1000\n") +
                                         std::string("\x00\x00\x01\xf4\x03\xe8", 6));
    const Tensor b = io::read_image(dir.path + "/b.pgm");
    CHECK(b.shape() == shape_t{1, 1, 3});
    CHECK(b.flat(0) == 0.0);
    CHECK(b.flat(1) == Approx(0.5));
    CHECK(b.flat(2) == Approx(1.0));
}

TEST_CASE("PNG: a file written without libpng, round trips, conversions", "[io][image]")
{
    if (!io::png_supported())
    {
        WARN("built without libpng: PNG not tested");
        CHECK_THROWS_AS(io::read_image(XGRAD_AUTOGRAD_FIXTURES "/rgb_3x2.png"), io_error);
        return;
    }
    const Tensor px = io::read_image(XGRAD_AUTOGRAD_FIXTURES "/rgb_3x2.png");
    REQUIRE(px.shape() == shape_t{3, 2, 3});
    // Row 0: red, green, blue; row 1: (10, 20, 30), grey 128, white.
    CHECK(px.flat(0 * 6 + 0) == 1.0); // R of (0, 0)
    CHECK(px.flat(1 * 6 + 1) == 1.0); // G of (0, 1)
    CHECK(px.flat(2 * 6 + 2) == 1.0); // B of (0, 2)
    CHECK(px.flat(0 * 6 + 3) == Approx(10.0 / 255));
    CHECK(px.flat(2 * 6 + 3) == Approx(30.0 / 255));
    CHECK(px.flat(1 * 6 + 4) == Approx(128.0 / 255));
    const Tensor gray = io::read_image(XGRAD_AUTOGRAD_FIXTURES "/rgb_3x2.png", {1});
    CHECK(gray.shape() == shape_t{1, 2, 3});
    CHECK(gray.flat(0) == Approx(0.299));
    CHECK(gray.flat(5) == Approx(1.0));

    temp_dir dir;
    for (const std::size_t c : {1u, 2u, 3u, 4u})
    {
        INFO(c << " channels");
        const Tensor img = image_levels(c, 4, 6);
        const std::string path = dir.path + "/x.png";
        io::write_png(path, img);
        const Tensor back = io::read_image(path);
        CHECK(back.shape() == img.shape());
        CHECK(max_diff(back, img) < 1e-7);
        CHECK(io::read_image(path, {3}).shape() == shape_t{3, 4, 6});
        CHECK(io::read_image(path, {4}).shape() == shape_t{4, 4, 6});
    }
    // Gray to RGB replicates; RGBA to RGB drops alpha.
    io::write_png(dir.path + "/g.png", image_levels(1, 2, 2));
    const Tensor rgb = io::read_image(dir.path + "/g.png", {3});
    CHECK(rgb.flat(1) == rgb.flat(4 + 1));
    CHECK(rgb.flat(1) == rgb.flat(8 + 1));
    // Values outside [0, 1] are clamped on writing.
    Tensor wild = Tensor::full({1, 1, 2}, 3.0, f32);
    wild.data<float>()[1] = -2.0f;
    io::write_png(dir.path + "/w.png", wild);
    const Tensor w = io::read_image(dir.path + "/w.png");
    CHECK(w.flat(0) == 1.0);
    CHECK(w.flat(1) == 0.0);
}

TEST_CASE("images: malformed files and bad arguments are refused by name", "[io][image]")
{
    temp_dir dir;
    const auto bad = [&](const std::string& name, const std::string& bytes) {
        write_bytes(dir.path + "/" + name, bytes);
        return image_message([&] { io::read_image(dir.path + "/" + name); });
    };
    CHECK_THAT(bad("t.ppm", "P6\n4 4\n255\nabc"), Catch::Contains("truncated: 48 bytes of pixels"));
    CHECK_THAT(bad("a.ppm", "P3\n1 1\n255\n0 0 0\n"),
               Catch::Contains("an ASCII PNM (P3); only binary PGM (P5) and PPM (P6)"));
    CHECK_THAT(bad("x.bin", "GIF89a...."), Catch::Contains("not a PNG, PGM (P5) or PPM (P6)"));
    CHECK_THAT(bad("m.pgm", "P5\n1 1\n70000\nxx"), Catch::Contains("maxval 70000 outside"));
    CHECK_THAT(bad("s.pgm", "P5\n0 1\n255\n"), Catch::Contains("image of 0x1 pixels"));
    CHECK_THAT(bad("h.pgm", "P5\n1\n"), Catch::Contains("height is missing"));
    CHECK_THAT(image_message([&] { io::read_image(dir.path + "/none.png"); }),
               Catch::Contains("cannot open"));
    if (io::png_supported())
    {
        io::write_png(dir.path + "/ok.png", image_levels(3, 8, 8));
        const std::string bytes = read_bytes(dir.path + "/ok.png");
        CHECK_THAT(bad("cut.png", bytes.substr(0, bytes.size() / 2)),
                   Catch::Contains("cut.png': PNG data cannot be decoded"));
        std::string flipped = bytes;
        flipped[20] ^= 0x55; // inside IHDR: its CRC fails
        CHECK_THAT(bad("crc.png", flipped), Catch::Contains("not a readable PNG"));
    }
    CHECK_THROWS_AS(io::read_image(XGRAD_AUTOGRAD_FIXTURES "/rgb_3x2.png", {2}), value_error);
    CHECK_THROWS_AS(io::write_pnm(dir.path + "/c.ppm", image_levels(2, 2, 2)), shape_error);
    CHECK_THROWS_AS(io::write_png(dir.path + "/c.png", Tensor::zeros({5, 2, 2}, f32)), shape_error);
    CHECK_THROWS_AS(io::write_pnm(dir.path + "/i.pgm", Tensor::zeros({1, 2, 2}, i64)), value_error);
    CHECK_THROWS_AS(io::write_pnm(dir.path + "/no/such/dir.pgm", image_levels(1, 2, 2)), io_error);
}
