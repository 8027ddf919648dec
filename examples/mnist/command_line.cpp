// The MNIST example's command line (command_line.hpp): CLI11's flags, their checks and the flags that would be
// ignored, refused with the reason.
#include "command_line.hpp"

#include "../common/parse_real.hpp"

#include <minitorch/kernels/isa.hpp>

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;
using namespace minitorch;

namespace mnist_example {
namespace {

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

/// Flag validators with a one-line reason that names the expected form. (CLI11's Range reports text that is not a
/// number at all as "not in range", and lets "nan" through.)
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            std::uint64_t v = 0;
            const char* end = text.data() + text.size();
            const auto [stop, ec] = std::from_chars(text.data(), end, v);  // no sign, no exponent, no spaces
            if (text.empty() || ec != std::errc() || stop != end || v < min || v > max)
                return "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                       ", got '" + text + "'";
            return {};
        },
        "UINT in [" + std::to_string(min) + " - " + std::to_string(max) + "]");
}

/// A finite number in [min, max], or in (min, max] when min_excluded (a factor or peak that must not be 0); the
/// help text and the message say which.
CLI::Validator real_number(double min, double max, bool min_excluded = false) {
    const std::string range = min_excluded ? "above " + fmt("%g", min) + " up to " + fmt("%g", max)
                                           : "from " + fmt("%g", min) + " to " + fmt("%g", max);
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            double v = 0;
            if (!examples::parse_real(text, v) || !std::isfinite(v) || v < min || v > max || (min_excluded && v == min))
                return "expected a number " + range + ", got '" + text + "'";
            return {};
        },
        std::string("FLOAT in ") + (min_excluded ? "(" : "[") + fmt("%g", min) + " - " + fmt("%g", max) + "]");
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv, Config& cfg) {
    CLI::App app{"Train (or evaluate) the course's MNIST CNN with minitorch.", "mnist"};
    app.option_defaults()->always_capture_default();
    app.add_option("--data", cfg.data, "folder with the four MNIST IDX files (scripts/fetch-mnist)");
    app.add_option("--epochs", cfg.epochs, "training epochs")->check(whole_number(1, 10000));
    app.add_option("--batch-size", cfg.batch_size, "training batch size")->check(whole_number(1, 60000));
    app.add_option("--scheduler", cfg.scheduler, "learning-rate schedule")
        ->check(CLI::IsMember({"onecycle", "step", "none"}));
    app.add_option("--lr", cfg.lr, "learning rate (scheduler none/step)")->check(real_number(0, 100));
    app.add_option("--max-lr", cfg.max_lr, "OneCycle peak learning rate")->check(real_number(0, 100, true));
    app.add_option("--momentum", cfg.momentum, "SGD momentum (OneCycle cycles it 0.85–0.95)")->check(real_number(0, 1));
    app.add_option("--weight-decay", cfg.weight_decay, "SGD weight decay")->check(real_number(0, 1));
    app.add_flag("--nesterov", cfg.nesterov, "Nesterov momentum");
    app.add_option("--step-size", cfg.step_size, "StepLR: epochs per step")->check(whole_number(1, 10000));
    app.add_option("--gamma", cfg.gamma, "StepLR: factor per step")->check(real_number(0, 1, true));
    app.add_option("--rotate", cfg.rotate, "augmentation: random rotation within ±degrees (0: off)")
        ->check(real_number(0, 180));
    app.add_option("--seed", cfg.seed, "seed for initialisation, shuffling, dropout and augmentation")
        ->check(whole_number(0, std::numeric_limits<std::uint64_t>::max()));
    app.add_option("--threads", cfg.threads, "threads (1 reproduces the single-threaded numbers exactly)")
        ->check(whole_number(1, 256));
    app.add_option("--save", cfg.save, "write the weights (safetensors) after every epoch");
    app.add_option("--load", cfg.load, "start from these weights (safetensors)")->check(CLI::ExistingFile);
    app.add_flag("--eval-only", cfg.eval_only, "only evaluate on the test set (with --load)");
    app.add_option("--csv", cfg.csv, "per-epoch metrics CSV");
    app.add_option("--plot", cfg.plot, "loss/accuracy curves PNG (needs --csv and gnuplot)");
    app.add_option("--log", cfg.log, "also write the printed lines (no progress bars) to this file");
    app.add_option("--report", cfg.report,
                   "write the report to this folder after every epoch: index.html with curves, per-layer statistics, "
                   "update ratios, confusion matrix, mistakes, first-layer filters (works with --eval-only too)");
    app.add_option("--progress", cfg.progress, "progress display")->check(CLI::IsMember({"auto", "bar", "lines"}));
    app.add_flag("--list-isas", cfg.list_isas,
                 "print the kernel instruction sets this CPU can run (the values MINITORCH_ISA accepts here), "
                 "one per line, most portable first, and exit");
    app.footer(
        "Environment: MINITORCH_ISA=scalar|avx2|avx512|neon runs the kernels on that instruction set "
        "(unset: the best this CPU has; every one gives the same numbers).");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return {.exit_status = 0};
    } catch (const CLI::ParseError& e) {
        std::cerr << "mnist: " << e.what() << "\n\n" << app.help();
        return {.exit_status = 2};
    }
    if (cfg.list_isas) {
        for (Isa isa : supported_isas()) std::cout << isa_name(isa) << '\n';
        return {.exit_status = 0};
    }
    try {  // an unknown MINITORCH_ISA, or one this CPU lacks, is a usage error (the library's message names both)
        (void)active_isa();
    } catch (const std::runtime_error& e) {
        std::cerr << "mnist: " << e.what() << "\n\n" << app.help();
        return {.exit_status = 2};
    }
    if (!fs::is_directory(cfg.data)) {
        std::cerr << "mnist: --data: folder " << cfg.data << " does not exist (run scripts/fetch-mnist)\n\n"
                  << app.help();
        return {.exit_status = 2};
    }
    const fs::path save_dir = fs::path(cfg.save).parent_path();
    if (!cfg.save.empty() && !save_dir.empty() && !fs::is_directory(save_dir)) {
        std::cerr << "mnist: --save: folder " << save_dir.string() << " does not exist (or is not a folder)\n\n"
                  << app.help();
        return {.exit_status = 2};
    }
    if (cfg.eval_only && cfg.load.empty()) {
        std::cerr << "mnist: --eval-only needs --load <weights.safetensors>\n\n" << app.help();
        return {.exit_status = 2};
    }
    // Flags that would be ignored: refused with the reason rather than silently dropped.
    std::string ignored;
    for (const char* flag : {"--save", "--csv", "--plot", "--log", "--load", "--report"})
        if (ignored.empty() && app.count(flag) > 0 && app.get_option(flag)->as<std::string>().empty())
            ignored = std::string(flag) + ": expected a " + (flag == std::string("--report") ? "folder" : "file") +
                      " name, got an empty string";
    if (ignored.empty() && cfg.eval_only)
        for (const char* flag : {"--save", "--csv", "--plot"})
            if (ignored.empty() && app.count(flag) > 0)
                ignored =
                    std::string("--eval-only trains nothing, so ") + flag + " would write nothing; drop one of the two";
    if (ignored.empty() && !cfg.plot.empty() && cfg.csv.empty())
        ignored = "--plot needs --csv (the curves are drawn from the metrics file)";
    if (!ignored.empty()) {
        std::cerr << "mnist: " << ignored << "\n\n" << app.help();
        return {.exit_status = 2};
    }
    return {.run = true};
}

}  // namespace mnist_example
