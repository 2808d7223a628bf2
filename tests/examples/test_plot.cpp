// examples/common/plot.hpp: the CSV a run's --plot writes, its reload on --resume, the picture
// (checked when gnuplot is installed), and training_plot, which every training example uses.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "examples/common/plot.hpp"
#include "xgrad/autograd/variable.hpp"

namespace fs = std::filesystem;

namespace
{
std::string slurp(const std::string& p)
{
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

fs::path fresh_dir(const std::string& tag)
{
    const fs::path d =
        fs::temp_directory_path() / ("xgrad-plot-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    return d;
}
} // namespace

TEST_CASE("run_plot writes a tidy CSV, a script and (with gnuplot) a picture", "[examples][plot]")
{
    const fs::path d = fresh_dir("write") / "sub";
    cli::run_plot p(d.string(), "run");
    p.add("train_loss", 10, 2.5);
    p.add("valid_ppl", 10, 12.25);
    p.add("train_loss", 20, 1.75);
    p.add("grad_norm", 20, std::nan(""));
    const bool drawn = p.write();
    CHECK(slurp(p.csv_path()) == "series,step,value\ntrain_loss,10,2.5\nvalid_ppl,10,12.25\n"
                                 "train_loss,20,1.75\ngrad_norm,20,nan\n");
    const std::string gp = slurp((d / "run.gp").string());
    CHECK(gp.find("set multiplot layout 3,1") != std::string::npos);
    CHECK(gp.find("title 'valid_ppl'") != std::string::npos);
    CHECK(drawn == !cli::find_gnuplot().empty());
    if (drawn)
    {
        CHECK(fs::file_size(p.picture_path()) > 1000);
        CHECK(slurp(p.picture_path()).substr(1, 3) == "PNG");
    }
    CHECK_FALSE(fs::exists(p.picture_path() + ".tmp"));
    fs::remove_all(d.parent_path());
}

TEST_CASE("run_plot.load keeps an earlier run's rows up to the resumed step", "[examples][plot]")
{
    const fs::path d = fresh_dir("load");
    {
        cli::run_plot p(d.string(), "run");
        for (int s = 1; s <= 5; ++s)
            p.add("loss", s, 1.0 / s);
        p.write();
    }
    cli::run_plot q(d.string(), "run");
    q.load(3);
    CHECK(q.rows() == 3);
    q.add("loss", 4, 0.3);
    q.write();
    CHECK(slurp(q.csv_path()) == "series,step,value\nloss,1,1\nloss,2,0.5\nloss,3,0.333333333\n"
                                 "loss,4,0.3\n");

    cli::run_plot none((d / "absent").string(), "run");
    none.load(10); // no earlier CSV: nothing to keep
    CHECK(none.rows() == 0);

    std::ofstream(q.csv_path()) << "series,step,value\nloss,1,1\nloss,x,2\n";
    cli::run_plot bad(d.string(), "run");
    REQUIRE_THROWS_WITH(bad.load(10), Catch::Contains("run.csv:3: expected 'series,step,value', "
                                                      "got 'loss,x,2'"));
    std::ofstream(q.csv_path()) << "step,value\n";
    REQUIRE_THROWS_WITH(bad.load(10), Catch::Contains("run.csv:1: expected the header"));
    fs::remove_all(d);
}

TEST_CASE("run_plot refuses names that are not plain words", "[examples][plot]")
{
    CHECK_THROWS_WITH(cli::run_plot("d", "a b"), Catch::Contains("bad name 'a b'"));
    CHECK_THROWS_WITH(cli::run_plot("d", ""), Catch::Contains("bad name"));
    cli::run_plot p("d", "ok-name_1");
    CHECK_THROWS_WITH(p.add("loss,1", 1, 1), Catch::Contains("bad series name 'loss,1'"));
    CHECK(cli::gnuplot_quote("it's") == "'it''s'");
}

TEST_CASE("training_plot averages each window of steps and closes a short one on write",
          "[examples][plot]")
{
    const fs::path d = fresh_dir("train");
    cli::training_plot p(d.string(), "lm", 2);
    REQUIRE(p.enabled());
    // Steps "started" 0.5 s ago each: tokens per second is tokens over the steps' own time.
    auto half_a_second_ago = [] {
        return cli::training_plot::clock::now() - std::chrono::milliseconds(500);
    };
    p.step(1, 3.0, 100, 2.0, half_a_second_ago());
    p.step(2, 1.0, 100, 4.0, half_a_second_ago());
    p.step(3, 0.5, 50, 1.0, half_a_second_ago());
    p.add("valid_loss", 3, 0.75);
    p.write(); // closes the window {3}
    std::istringstream csv(slurp((d / "lm.csv").string()));
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(csv, line))
        lines.push_back(line);
    REQUIRE(lines.size() == 8);
    CHECK(lines[0] == "series,step,value");
    CHECK(lines[1] == "train_loss,2,2");
    CHECK(lines[2].rfind("tokens_per_s,2,", 0) == 0);
    // 200 tokens in a little over 1 s.
    const double tps = std::stod(lines[2].substr(15));
    CHECK(tps < 200.0);
    CHECK(tps > 150.0);
    CHECK(lines[3] == "grad_norm,2,3");
    CHECK(lines[4] == "valid_loss,3,0.75");
    CHECK(lines[5] == "train_loss,3,0.5");
    CHECK(lines[7] == "grad_norm,3,1");

    // --resume from a checkpoint after step 2 keeps rows up to it; the run goes on from there.
    cli::training_plot q(d.string(), "lm", 2);
    q.resume(2);
    q.step(3, 0.25, 10, 1.0, cli::training_plot::clock::now());
    q.write();
    const std::string again = slurp((d / "lm.csv").string());
    CHECK(again.find("train_loss,2,2\n") != std::string::npos);
    CHECK(again.find("valid_loss") == std::string::npos);
    CHECK(again.find("train_loss,3,0.25\n") != std::string::npos);
    CHECK(again.find("train_loss,3,0.5") == std::string::npos);
    fs::remove_all(d);
}

TEST_CASE("training_plot measures (and clips) the gradient norm; off, it does nothing",
          "[examples][plot]")
{
    using xgrad::Tensor;
    xgrad::Variable a(Tensor::zeros({2}, xgrad::f64), true);
    a.grad() = Tensor::from_values({3, 4}, {2}, xgrad::f64);

    cli::training_plot off("", "lm", 1);
    CHECK_FALSE(off.enabled());
    CHECK(off.grad_norm({a}, 0) == 0); // not plotting: no norm is computed
    off.step(1, 1, 1, 0, cli::training_plot::clock::now());
    CHECK_FALSE(off.write());
    CHECK(off.grad_norm({a}, 1.0) == Approx(5.0)); // clipping still happens
    CHECK(a.grad().flat(1) == Approx(0.8));

    const fs::path d = fresh_dir("norm");
    cli::training_plot on(d.string(), "lm", 1);
    a.grad() = Tensor::from_values({3, 4}, {2}, xgrad::f64);
    CHECK(on.grad_norm({a}, 0) == Approx(5.0));
    CHECK(a.grad().flat(1) == 4.0); // measured, not clipped
    a.grad() = Tensor::from_values({std::nan(""), 4}, {2}, xgrad::f64);
    CHECK(std::isnan(on.grad_norm({a}, 0))); // left for training to meet
    CHECK_THROWS(on.grad_norm({a}, 1.0));    // clipping a NaN gradient is refused
    CHECK_THROWS_WITH(cli::training_plot(d.string(), "lm", 0), Catch::Contains("every"));
    CHECK_FALSE(fs::exists(d)); // nothing written before write()
}

TEST_CASE("training_plot survives a folder it cannot write; check_plot_dir refuses a file",
          "[examples][plot]")
{
    const fs::path d = fresh_dir("file");
    fs::create_directories(d);
    const fs::path file = d / "not-a-folder";
    std::ofstream(file.string()) << "x";
    CHECK_THROWS_WITH(cli::check_plot_dir(file.string()),
                      Catch::Contains("not-a-folder: exists and is not a folder"));
    CHECK_NOTHROW(cli::check_plot_dir((d / "new").string()));
    CHECK_NOTHROW(cli::check_plot_dir(""));

    cli::training_plot p((file / "sub").string(), "lm", 1);
    p.step(1, 1.0, 10, 1.0, cli::training_plot::clock::now());
    CHECK_FALSE(p.write()); // warned on stderr, not thrown: training goes on
    CHECK_FALSE(p.write());
    fs::remove_all(d);
}
