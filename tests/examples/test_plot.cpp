// examples/common/plot.hpp: the CSV a run's --plot writes, its reload on --resume, and the
// picture (checked when gnuplot is installed).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "examples/common/plot.hpp"

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
