// examples/caption: the scene grammar (one caption per picture), the held-out colour-shape rule
// of the splits, spec round trips and refusals, rendering, the vocabulary, the dataset files,
// and a float64 gradcheck of a tiny captioner of each variant.
#include "examples/caption/data.hpp"
#include "examples/caption/eval.hpp"
#include "examples/caption/model.hpp"
#include "tests/files.hpp"
#include "tests/support.hpp"
#include "xgrad/layers/gradcheck.hpp"

using namespace xgrad;
using namespace xgrad::test;
using namespace caption;

TEST_CASE("caption scenes: grammar, held-out pairs, specs", "[examples][caption]")
{
    scene s;
    s.objects = {{0, 0, 0, 10, 10}};
    CHECK(describe(s) == "a small red circle");
    s.objects.push_back({1, 2, 1, 30, 30});
    s.relation = 0;
    CHECK(describe(s) == "a small red circle above a large blue square");
    s.objects.push_back({2, 3, 0, 40, 20});
    CHECK(describe(s) == "a small red circle , a large blue square and a small yellow triangle");
    CHECK(held_out(0, 2)); // red triangle
    CHECK(!held_out(0, 0));

    generator g(3);
    for (int i = 0; i < 300; ++i)
    {
        for (const bool unseen : {false, true})
        {
            const scene r = random_scene(g, unseen);
            bool any = false;
            for (const object& o : r.objects)
                any |= held_out(o.colour, o.shape);
            CHECK(any == unseen);
            // The caption's order is the picture's: upper or left first; three left to right.
            // Two objects share a column (above) or a row (left of) and are apart along the
            // other axis: the picture allows one relation only.
            if (r.objects.size() == 2)
            {
                const object &a = r.objects[0], &b = r.objects[1];
                CHECK((r.relation == 0 ? b.y - a.y >= 9 && std::abs(a.x - b.x) <= 3
                                       : b.x - a.x >= 9 && std::abs(a.y - b.y) <= 3));
            }
            if (r.objects.size() == 3)
                CHECK((r.objects[0].x < r.objects[1].x && r.objects[1].x < r.objects[2].x));
            const scene back = from_spec(to_spec(r), "test");
            CHECK(describe(back) == describe(r));
            CHECK(to_spec(back) == to_spec(r));
        }
    }
    CHECK_THROWS_WITH(from_spec("circle,red,small,1,2", "f:3"),
                      Catch::Contains("f:3: a scene is 'objects;relation;noise'"));
    CHECK_THROWS_WITH(from_spec("hexagon,red,small,1,2;-;5", "f:3"),
                      Catch::Contains("unknown shape 'hexagon'"));
    CHECK_THROWS_WITH(from_spec("circle,red,small,1,99;-;5", "f:3"),
                      Catch::Contains("y '99' is not a coordinate"));
    CHECK_THROWS_WITH(from_spec("circle,red,small,1,2;above;5", "f:3"),
                      Catch::Contains("relation 'above' for 1 objects"));
    CHECK_THROWS_WITH(from_spec("circle,red,small,1,2;-;x", "f:3"),
                      Catch::Contains("noise seed 'x'"));
}

TEST_CASE("caption pictures and vocabulary", "[examples][caption]")
{
    scene s;
    s.objects = {{0, 0, 1, 24, 24}}; // a large red circle in the middle
    const Tensor img = render(s);
    REQUIRE(img.shape() == shape_t{3, image_side, image_side});
    const auto at = [&](std::size_t k, std::size_t y, std::size_t x) {
        return img.flat((k * image_side + y) * image_side + x);
    };
    CHECK(at(0, 24, 24) > 0.8);
    CHECK(at(1, 24, 24) < 0.2);
    CHECK(std::abs(at(0, 1, 1) - 0.88) < 0.03); // background grey
    CHECK(identical(render(s), img));           // deterministic
    const vocabulary v;
    CHECK(v.decode(v.encode("a small red circle above a large blue square")) ==
          "a small red circle above a large blue square");
    CHECK(v.encode("a , and").size() == 3);
    CHECK_THROWS_WITH(v.encode("a small pink circle"), Catch::Contains("'pink'"));
    CHECK(v.decode({3, vocabulary::eos, 4}) == "a");
}

TEST_CASE("caption datasets: deterministic files, captions checked on reading",
          "[examples][caption]")
{
    temp_dir a, b;
    data_sizes n{30, 5, 5, 5, 2};
    make_data(a.path, 7, n);
    make_data(b.path, 7, n);
    for (const char* split : {"train", "valid", "test", "unseen"})
        CHECK(read_bytes(a.file(std::string(split) + ".tsv")) ==
              read_bytes(b.file(std::string(split) + ".tsv")));
    const auto train = load_split(a.file("train.tsv"));
    CHECK(train.size() == 30);
    for (const auto& e : load_split(a.file("unseen.tsv")))
    {
        bool any = false;
        for (const object& o : e.s.objects)
            any |= held_out(o.colour, o.shape);
        CHECK(any);
    }
    write_bytes(a.file("bad.tsv"), "circle,red,small,1,2;-;5\ta large red circle\n");
    CHECK_THROWS_WITH(load_split(a.file("bad.tsv")),
                      Catch::Contains("bad.tsv:1: caption 'a large red circle' is not the "
                                      "scene's ('a small red circle')"));
    CHECK(render_batch(train, 3, 2).shape() == shape_t{2, 3, image_side, image_side});
}

TEST_CASE("a tiny captioner of each variant passes a float64 gradcheck",
          "[examples][caption][gradcheck]")
{
    for (const std::string variant : {"attend", "tell"})
    {
        INFO(variant);
        model_config c;
        c.variant = variant;
        c.width = 2;
        c.embed = 3;
        c.hidden = 4;
        c.attend = 3;
        c.vocab = vocabulary().size();
        generator g(11);
        Captioner m(c, g);
        m.to(f64);
        std::vector<example> data;
        for (int i = 0; i < 2; ++i)
            data.push_back({random_scene(g, false, 2), ""});
        const Variable images(render_batch(data, 0, 2).to(f64));
        const std::vector<std::vector<std::int64_t>> caps{{3, 9, 11, 18}, {3, 10}};
        const auto report = nn::gradcheck_module(m, [&] { return m.loss(images, caps); });
        INFO(report.table());
        CHECK(report.ok());
        CHECK(m.greedy(images, 5).words.size() == 2);
    }
}
