// The MNIST example's --report, run as a user runs it on a tiny synthetic data folder: every file of the report is
// written (after training, and from saved weights with --eval-only --load), the training's numbers are those of a
// run without it, the confusion matrix adds up, and a missing gnuplot skips the plots but not the run.
#include <doctest/doctest.h>

#include "support/mnist_example.hpp"
#include "support/temp_files.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace test_support;

#ifdef MINITORCH_MNIST_EXE
namespace {

// Two epochs of 64 training images in batches of 8 (8 steps: the monitor records every one), 40 test images.
const std::string recipe = " --epochs 2 --batch-size 8 --rotate 0 --progress lines --threads 1";

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// The first `n` comma-separated fields of a line.
std::string first_fields(const std::string& line, std::size_t n) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < n && at != std::string::npos; ++i) at = line.find(',', at + (i ? 1 : 0));
    return line.substr(0, at);
}

/// A PNG's width and height from its IHDR (the signature and chunk checked), or {0, 0}.
std::pair<std::uint32_t, std::uint32_t> png_size(const fs::path& file) {
    const std::string bytes = read_bytes(file);
    if (bytes.size() < 33 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || bytes.compare(12, 4, "IHDR") != 0)
        return {0, 0};
    const auto u32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
        return v;
    };
    return {u32(16), u32(20)};
}

bool gnuplot_installed() {
    return std::system("command -v gnuplot >/dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("mnist --report: writes every file of the report, and trains exactly as without it") {
    TempDir tmp;
    const fs::path data = tmp.path / "data", report = tmp.path / "report";
    write_mnist_folder(data, {64, 64}, {40, 40});
    const Run plain = mnist("--data " + q(data) + recipe + " --csv " + q(tmp.path / "plain.csv"));
    REQUIRE(plain.status == 0);
    const Run reported = mnist("--data " + q(data) + recipe + " --csv " + q(tmp.path / "reported.csv") + " --save " +
                               q(tmp.path / "model.safetensors") + " --report " + q(report));
    INFO(reported.output);
    REQUIRE(reported.status == 0);
    CHECK(reported.output.find("wrote the report: " + report.string() + "/index.html") != std::string::npos);

    // The same numbers: every column but the timings (train_s, eval_s), row by row.
    const auto plain_rows = lines_of(read_bytes(tmp.path / "plain.csv"));
    const auto reported_rows = lines_of(read_bytes(tmp.path / "reported.csv"));
    REQUIRE(plain_rows.size() == 3);
    REQUIRE(reported_rows.size() == plain_rows.size());
    for (std::size_t i = 0; i < plain_rows.size(); ++i)
        CHECK(first_fields(reported_rows[i], 6) == first_fields(plain_rows[i], 6));
    CHECK(read_bytes(report / "metrics.csv").substr(0, 60) == read_bytes(tmp.path / "reported.csv").substr(0, 60));

    const bool plots = gnuplot_installed();
    for (const char* name :
         {"curves.png", "layers.png", "updates.png", "confusion.png", "mistakes.png", "filters.png"}) {
        INFO(name);
        const bool is_plot = std::string(name) == "curves.png" || std::string(name) == "layers.png" ||
                             std::string(name) == "updates.png";
        if (is_plot && !plots) continue;  // the case below runs without gnuplot
        const auto [w, h] = png_size(report / name);
        CHECK(w > 100);
        CHECK(h > 100);
    }
    // The monitor's records: 16 steps (2 epochs of 8) × 29 layers, and the tensors.
    CHECK(lines_of(read_bytes(report / "layers.csv")).size() == 1 + 16 * 29);
    CHECK(lines_of(read_bytes(report / "tensors.csv")).front() ==
          "step,epoch,epochs,name,trainable,norm,min,max,grad_norm,update_ratio");

    // confusion.csv: the header, one row per true label; the counts add up to the 40 test images and the diagonal to
    // the correct ones of the last test line.
    const auto confusion = lines_of(read_bytes(report / "confusion.csv"));
    REQUIRE(confusion.size() == 11);
    CHECK(confusion[0] == "true\\predicted,0,1,2,3,4,5,6,7,8,9");
    std::size_t total = 0, diagonal = 0;
    for (std::size_t t = 0; t < 10; ++t) {
        std::istringstream row(confusion[t + 1]);
        std::string field;
        std::getline(row, field, ',');
        CHECK(field == std::to_string(t));
        for (std::size_t p = 0; p < 10 && std::getline(row, field, ','); ++p) {
            total += std::stoul(field);
            if (p == t) diagonal += std::stoul(field);
        }
    }
    const std::string output = reported.output;
    std::string last_correct;
    const std::regex test_line("Accuracy: (\\d+)/40");
    for (std::sregex_iterator it(output.begin(), output.end(), test_line), end; it != end; ++it)
        last_correct = (*it)[1];
    CHECK(total == 40);
    CHECK(std::to_string(diagonal) == last_correct);

    // index.html shows every picture; after the last epoch it no longer reloads itself.
    const std::string html = read_bytes(report / "index.html");
    for (const char* name : {"confusion.png", "mistakes.png", "filters.png"})
        CHECK(html.find(std::string("src=\"") + name + "\"") != std::string::npos);
    if (plots)
        for (const char* name : {"curves.png", "layers.png", "updates.png"})
            CHECK(html.find(std::string("src=\"") + name + "\"") != std::string::npos);
    CHECK(html.find("http-equiv=\"refresh\"") == std::string::npos);
    CHECK(html.find("epoch 2 of 2") != std::string::npos);
    // Nothing but the report's files (no temporary left behind).
    std::vector<std::string> files{"confusion.csv", "confusion.png", "filters.png",  "index.html",
                                   "layers.csv",    "metrics.csv",   "mistakes.png", "tensors.csv"};
    if (plots) files.insert(files.end(), {"curves.png", "layers.png", "updates.png"});
    std::sort(files.begin(), files.end());
    CHECK(listing(report) == files);

    // From the saved weights: confusion, mistakes and filters, the same matrix as the last epoch's.
    const fs::path eval_report = tmp.path / "eval-report";
    const Run eval = mnist("--data " + q(data) + " --threads 1 --eval-only --load " +
                           q(tmp.path / "model.safetensors") + " --report " + q(eval_report));
    INFO(eval.output);
    REQUIRE(eval.status == 0);
    CHECK(listing(eval_report) ==
          std::vector<std::string>{"confusion.csv", "confusion.png", "filters.png", "index.html", "mistakes.png"});
    CHECK(read_bytes(eval_report / "confusion.csv") == read_bytes(report / "confusion.csv"));
    CHECK(read_bytes(eval_report / "index.html").find("src=\"layers.png\"") == std::string::npos);
}

TEST_CASE("mnist --report without gnuplot: one warning, the images and CSV files, no plots, exit 0") {
    TempDir tmp;
    const fs::path data = tmp.path / "data", report = tmp.path / "report", empty = tmp.path / "no-programs";
    write_mnist_folder(data, {16, 16}, {8, 8});
    fs::create_directories(empty);
    const Run r = mnist("--data " + q(data) + recipe + " --report " + q(report), "PATH=" + q(empty) + " ");
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("gnuplot not found: the report's plots (curves, layers, updates) are skipped") !=
          std::string::npos);
    CHECK(listing(report) == std::vector<std::string>{"confusion.csv", "confusion.png", "filters.png", "index.html",
                                                      "layers.csv", "metrics.csv", "mistakes.png", "tensors.csv"});
    CHECK(read_bytes(report / "index.html").find("gnuplot was not installed") != std::string::npos);
}

TEST_CASE("mnist --report naming a file is refused at start-up, the file untouched") {
    TempDir tmp;
    const fs::path data = tmp.path / "data", file = tmp.path / "a-file";
    write_mnist_folder(data, {16, 16}, {8, 8});
    write_file(file, Bytes{'x'});
    const Run r = mnist("--data " + q(data) + recipe + " --report " + q(file));
    CHECK(r.status == 1);
    CHECK(r.output.find("mnist: error: " + file.string() +
                        ": cannot write the report: it is a regular file, not a "
                        "folder") != std::string::npos);
    CHECK(r.output.find("EPOCH") == std::string::npos);
    CHECK(read_bytes(file) == "x");

    const Run empty = mnist("--data " + q(data) + " --report ''");  // a usage error (exit 2), as --csv ''
    CHECK(empty.status == 2);
    CHECK(empty.output.find("mnist: --report: expected a folder name, got an empty string") != std::string::npos);
}
#endif  // MINITORCH_MNIST_EXE
