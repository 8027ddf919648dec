// MNIST end to end: the course's 11,392-parameter CNN (mnist_net.hpp), trained from the IDX files with minitorch.
//
//   mnist --data data/mnist                              train with the default recipe (15 epochs, OneCycle, ±7°)
//   mnist --data data/mnist --load w.safetensors --eval-only   evaluate saved weights
//   mnist --list-isas                                    the kernel instruction sets this CPU runs, one per line
//   MINITORCH_ISA=scalar mnist …                         the same run on the portable kernels (same numbers)
//
// Prints the model summary, a progress bar per epoch and the notebook's test line after each epoch; writes
// per-epoch metrics (CSV), a plot of the curves (gnuplot, when installed), a plain log and checkpoints. See
// docs/mnist.md for the recipe and the results.
#include "mnist_net.hpp"

#include <minitorch/data/mnist.hpp>
#include <minitorch/io/safetensors.hpp>
#include <minitorch/kernels/isa.hpp>
#include <minitorch/optim/scheduler.hpp>
#include <minitorch/train/loop.hpp>
#include <minitorch/train/progress.hpp>

#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using namespace minitorch;

namespace {

struct Config {
    std::string data = "data/mnist";
    std::size_t epochs = 15;
    std::size_t batch_size = 128;
    std::string scheduler = "onecycle";  // onecycle | step | none
    double lr = 0.01;                    // constant lr (none), initial lr (step)
    double max_lr = 0.05;                // OneCycle peak
    double momentum = 0.9;
    double weight_decay = 0;
    bool nesterov = false;
    std::size_t step_size = 5;           // StepLR
    double gamma = 0.1;                  // StepLR
    double rotate = 7.0;                 // degrees, training augmentation
    std::uint64_t seed = 1;
    std::size_t threads = 1;
    std::string save, load, csv, plot, log;
    bool eval_only = false;
    bool list_isas = false;
    std::string progress = "auto";       // auto | bar | lines
};

/// Everything printed goes to stdout and, when --log is given, to the log file (without progress bars); error lines
/// go to stderr and the log file. A write to the log file that fails (a full disk) throws naming the file and the
/// reason, like the CSV's: the run stops with exit 1 rather than lose its log silently.
class Log {
public:
    explicit Log(const std::string& path) : path_(path) {
        if (!path.empty()) {
            if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path());
            fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd_ < 0) {
                const int err = errno;
                throw std::runtime_error(path + ": cannot open the log file for writing: " + std::strerror(err));
            }
        }
    }
    ~Log() {
        if (fd_ >= 0) ::close(fd_);
    }
    Log(const Log&) = delete;
    Log& operator=(const Log&) = delete;

    void line(const std::string& text) {
        std::cout << text << '\n' << std::flush;
        write_file(text + '\n');
    }
    /// Never throws: after a failed log write the error itself still reaches stderr.
    void error(const std::string& text) noexcept {
        std::cout << std::flush;  // keeps the order of the lines when both streams go to one place
        std::cerr << text << '\n' << std::flush;
        if (!failed_) {
            try {
                write_file(text + '\n');
            } catch (const std::exception&) {
            }
        }
    }

private:
    void write_file(const std::string& text) {
        if (fd_ < 0 || failed_) return;
        for (std::size_t done = 0; done < text.size();) {
            const ssize_t w = ::write(fd_, text.data() + done, text.size() - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                const int err = errno;
                failed_ = true;
                throw std::runtime_error(path_ + ": cannot write the log file: " + std::strerror(err));
            }
            done += static_cast<std::size_t>(w);
        }
    }

    std::string path_;
    int fd_ = -1;
    bool failed_ = false;
};

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string l; std::getline(in, l);)
        if (l.rfind("model name", 0) == 0) return l.substr(l.find(':') + 2);
    return "unknown CPU";
}

std::string now_utc() {
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
    return buf;
}

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

/// The file a write of `path` replaces (symbolic links followed, io/files.hpp), or throws "<path>: cannot write the
/// <what>: is a directory, not a regular file: refusing to replace it" for a target that is not a regular file.
std::string target_of(const std::string& path, const std::string& what) {
    try {
        return files::replace_target(path).string();
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(path + ": cannot write the " + what + ": " + e.what());
    }
}

/// The temporary files the metrics CSV and the plot are written to before they are renamed into place (next to the
/// file they replace).
std::string csv_temporary(const std::string& csv) { return target_of(csv, "metrics file") + ".tmp"; }
std::string plot_temporary(const std::string& png) { return target_of(png, "plot") + ".tmp.png"; }

/// Renders loss and accuracy curves from the metrics CSV with gnuplot; says so and returns when gnuplot is missing.
void plot_curves(const std::string& csv, const std::string& png, Log& log) {
    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
        log.line("gnuplot not found: skipped the plot (scripts/setup --train installs gnuplot-nox)");
        return;
    }
    const std::string tmp = plot_temporary(png);
    const std::string script =
        "set terminal pngcairo size 1100,420 font ',10'\n"
        "set output '" + tmp + "'\n"
        "set datafile separator ','\n"
        "set multiplot layout 1,2 title 'minitorch: the course MNIST CNN (11,392 parameters)'\n"
        "set xlabel 'epoch'; set ylabel 'loss (NLL)'; set grid; set key top right\n"
        "set logscale y\n"
        "plot '" + csv + "' using 1:3 with linespoints title 'train loss', '' using 1:5 with linespoints title 'test loss'\n"
        "unset logscale y\n"
        "set ylabel 'accuracy (%)'; set key bottom right; set yrange [97:100]\n"
        "plot '" + csv + "' using 1:($4*100) with linespoints title 'train accuracy', "
        "'' using 1:($6*100) with linespoints title 'test accuracy', 99.4 with lines dt 2 lc rgb 'red' title '99.4% bar'\n"
        "unset multiplot\n";
    FILE* gp = popen("gnuplot 2>&1", "w");
    if (!gp) {
        log.line("gnuplot could not be started: skipped the plot");
        return;
    }
    std::fputs(script.c_str(), gp);
    if (pclose(gp) != 0 || !fs::exists(tmp)) {
        log.line("gnuplot failed: skipped the plot");
        fs::remove(tmp);
        return;
    }
    std::error_code ec;
    fs::rename(tmp, target_of(png, "plot"), ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw std::runtime_error(png + ": cannot write the plot: cannot rename " + tmp + " to it: " + ec.message());
    }
    log.line("wrote " + png);
}

/// Writes the metrics CSV atomically (all rows so far), so an interrupted run leaves the previous complete file.
void write_csv(const std::string& path, const std::string& contents) {
    const std::string tmp = csv_temporary(path);
    {
        std::ofstream out(tmp, std::ios::out | std::ios::trunc);
        if (!out) {
            const int err = errno;
            throw std::runtime_error(path + ": cannot write the metrics file: cannot create " + tmp + ": " +
                                     std::strerror(err));
        }
        out << contents;
        if (!out.flush()) {
            out.close();
            fs::remove(tmp);
            throw std::runtime_error(path + ": cannot write the metrics file: cannot write " + tmp);
        }
    }
    std::error_code ec;
    fs::rename(tmp, target_of(path, "metrics file"), ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw std::runtime_error(path + ": cannot write the metrics file: cannot rename " + tmp + " to it: " +
                                 ec.message());
    }
}

/// Refuses a --csv or --plot location that cannot be written at start-up, not after the first epoch (the CSV) or
/// the last (the plot): creates and removes a trial file under the writer's own temporary name, so the message is
/// the one the write itself would give (`<path>: cannot write the <what>: cannot create <tmp>: <reason>`).
void check_can_write(const std::string& path, const std::string& tmp, const std::string& what) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int err = errno;
        throw std::runtime_error(path + ": cannot write the " + what + ": cannot create " + tmp + ": " +
                                 std::strerror(err));
    }
    ::close(fd);
    ::unlink(tmp.c_str());
}

/// The network is built for 28×28 images (its pooling reduces 6×6 maps to 1×1): any other size is refused before
/// training starts, naming the file.
void check_image_size(const MnistDataset& ds) {
    if (ds.height != 28 || ds.width != 28)
        throw DatasetError(ds.images_file.string() + ": images are " + std::to_string(ds.height) + "×" +
                           std::to_string(ds.width) + ", the network needs 28×28 (MNIST)");
}

/// Refuses a --save location that cannot be written before any data is loaded or any epoch trained, instead of
/// after the first epoch: creates and removes a trial file under the name save_safetensors gives its temporary file
/// ("<path>.tmp-<pid>"), so the message is the one a failed save gives
/// (`<path>: cannot save: cannot create <path>.tmp-<pid>: <reason>`).
void check_can_save(const std::string& path) {
    std::string target;
    try {  // a directory, a device, a FIFO: refused now, not by the save after the first epoch
        target = files::replace_target(path).string();
    } catch (const std::runtime_error& e) {
        throw SafetensorsError(path + ": cannot save: " + e.what());
    }
    const std::string tmp = target + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int err = errno;
        throw SafetensorsError(path + ": cannot save: cannot create " + tmp + ": " + std::strerror(err));
    }
    ::close(fd);
    ::unlink(tmp.c_str());
}

int train_or_evaluate(const Config& cfg, Log& log) {
    if (!cfg.save.empty()) check_can_save(cfg.save);  // main() refused these with --eval-only, --plot without --csv
    if (!cfg.csv.empty()) check_can_write(cfg.csv, csv_temporary(cfg.csv), "metrics file");
    if (!cfg.plot.empty()) check_can_write(cfg.plot, plot_temporary(cfg.plot), "plot");
    log.line("minitorch MNIST — " + now_utc());
    log.line("machine: " + cpu_model() + ", " + std::to_string(std::thread::hardware_concurrency()) +
             " hardware threads; minitorch threads: " + std::to_string(cfg.threads));
    log.line("kernels: " + std::string(isa_description(active_isa())));  // main() has checked MINITORCH_ISA
    {
        std::ostringstream r;
        r << "recipe: epochs " << cfg.epochs << ", batch " << cfg.batch_size << ", SGD(momentum " << cfg.momentum
          << (cfg.nesterov ? ", nesterov" : "") << ", weight_decay " << cfg.weight_decay << "), scheduler "
          << cfg.scheduler;
        if (cfg.scheduler == "onecycle") r << "(max_lr " << cfg.max_lr << ")";
        if (cfg.scheduler == "step") r << "(lr " << cfg.lr << ", step " << cfg.step_size << ", gamma " << cfg.gamma << ")";
        if (cfg.scheduler == "none") r << "(lr " << cfg.lr << ")";
        r << ", rotation ±" << cfg.rotate << "°, seed " << cfg.seed;
        log.line(r.str());
    }

    Generator init(cfg.seed);
    Sequential<float> net = mnist_example::make_net<float>(init);
    log.line(net.summary({1, 28, 28}));

    if (!cfg.load.empty()) {
        load_safetensors(cfg.load, net.parameters());
        log.line("loaded weights from " + cfg.load);
    }

    const MnistDataset test_set = load_mnist(cfg.data, MnistSplit::test);
    check_image_size(test_set);
    DataLoader test_loader(test_set, {.batch_size = cfg.batch_size});  // PyTorch timing reference: batch 128 too
    Batch batch;
    NLLLoss<float> sum_loss(Reduction::sum);
    const auto test_line = [&](const EpochResult& r) {
        return format_test_line(r.loss, r.correct, r.total);
    };

    if (cfg.eval_only) {
        const EpochResult r = evaluate(net, sum_loss, test_loader, batch);  // NonFiniteLossError: exit 1 (run())
        log.line(test_line(r));
        log.line("evaluated " + std::to_string(r.total) + " images in " + fmt("%.2f s", r.seconds));
        return 0;
    }

    const MnistDataset train_set = load_mnist(cfg.data, MnistSplit::train);
    check_image_size(train_set);
    DataLoader train_loader(train_set, {.batch_size = cfg.batch_size,
                                        .shuffle = true,
                                        .seed = cfg.seed,
                                        .rotate_degrees = cfg.rotate});
    const std::size_t steps = train_loader.num_batches();
    SGD<float> opt(net.parameters(), {.lr = cfg.lr,
                                      .momentum = cfg.momentum,
                                      .weight_decay = cfg.weight_decay,
                                      .nesterov = cfg.nesterov});
    std::optional<OneCycleLR<SGD<float>>> onecycle;
    std::optional<StepLR<SGD<float>>> steplr;
    if (cfg.scheduler == "onecycle")
        onecycle.emplace(opt, OneCycleOptions{.max_lr = cfg.max_lr, .epochs = cfg.epochs, .steps_per_epoch = steps});
    else if (cfg.scheduler == "step")
        steplr.emplace(opt, cfg.step_size, cfg.gamma);

    NLLLoss<float> loss;
    const ProgressMode mode = cfg.progress == "bar"     ? ProgressMode::bar
                              : cfg.progress == "lines" ? ProgressMode::lines
                                                        : ProgressMode::automatic;
    std::string csv = "epoch,lr_end,train_loss,train_acc,test_loss,test_acc,train_s,eval_s\n";
    double best = 0;
    for (std::size_t epoch = 1; epoch <= cfg.epochs; ++epoch) {
        log.line("EPOCH: " + std::to_string(epoch));
        EpochResult train, test;
        double lr_end = 0;
        try {  // a NaN/inf loss in training or in evaluation: stop before this epoch's checkpoint is written
            train = train_epoch(net, loss, opt, train_loader, batch, epoch,
                                [&] {
                                    if (onecycle) onecycle->step();
                                },
                                {.mode = mode});
            lr_end = opt.lr();
            if (steplr) steplr->step();
            test = evaluate(net, sum_loss, test_loader, batch, epoch);
        } catch (const NonFiniteLossError& e) {
            log.error(std::string("mnist: error: ") + e.what());
            if (!cfg.save.empty() && epoch > 1)
                log.error("the last good checkpoint (epoch " + std::to_string(epoch - 1) + ") is " + cfg.save);
            return 1;
        }
        best = std::max(best, test.accuracy());
        log.line("train: loss " + fmt("%.4f", train.loss) + ", accuracy " + fmt("%.2f%%", 100 * train.accuracy()) +
                 ", " + fmt("%.1f s", train.seconds) + fmt(" (%.1f it/s)", static_cast<double>(steps) / train.seconds));
        log.line(test_line(test) + fmt("  [eval %.2f s]", test.seconds));
        std::ostringstream row;
        row.precision(8);
        row << epoch << ',' << lr_end << ',' << train.loss << ',' << train.accuracy() << ',' << test.loss << ','
            << test.accuracy() << ',' << train.seconds << ',' << test.seconds << '\n';
        csv += row.str();
        if (!cfg.csv.empty()) write_csv(cfg.csv, csv);
        if (!cfg.save.empty())
            save_safetensors(cfg.save, net.parameters(),
                             {{"epoch", std::to_string(epoch)}, {"test_accuracy", fmt("%.4f", test.accuracy())},
                              {"architecture", "minitorch course MNIST CNN (examples/mnist/mnist_net.hpp)"}});
    }
    log.line("best test accuracy: " + fmt("%.2f%%", 100 * best));
    if (!cfg.save.empty()) log.line("saved weights to " + cfg.save);
    if (!cfg.plot.empty() && !cfg.csv.empty()) plot_curves(cfg.csv, cfg.plot, log);
    return 0;
}

/// Runs with the log open: every failure after this point is reported on stderr and in the --log file as
/// `mnist: error: …`, exit status 1.
int run(const Config& cfg) {
    set_num_threads(cfg.threads);
    Log log(cfg.log);
    try {
        return train_or_evaluate(cfg, log);
    } catch (const std::exception& e) {
        log.error(std::string("mnist: error: ") + e.what());
        return 1;
    }
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
            const char* end = text.data() + text.size();
            const auto [stop, ec] = std::from_chars(text.data(), end, v);
            if (text.empty() || ec != std::errc() || stop != end || !std::isfinite(v) || v < min || v > max ||
                (min_excluded && v == min))
                return "expected a number " + range + ", got '" + text + "'";
            return {};
        },
        std::string("FLOAT in ") + (min_excluded ? "(" : "[") + fmt("%g", min) + " - " + fmt("%g", max) + "]");
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    CLI::App app{"Train (or evaluate) the course's MNIST CNN with minitorch.", "mnist"};
    app.option_defaults()->always_capture_default();
    app.add_option("--data", cfg.data, "folder with the four MNIST IDX files (scripts/fetch-mnist)");
    app.add_option("--epochs", cfg.epochs, "training epochs")->check(whole_number(1, 10000));
    app.add_option("--batch-size", cfg.batch_size, "training batch size")
        ->check(whole_number(1, 60000));
    app.add_option("--scheduler", cfg.scheduler, "learning-rate schedule")
        ->check(CLI::IsMember({"onecycle", "step", "none"}));
    app.add_option("--lr", cfg.lr, "learning rate (scheduler none/step)")->check(real_number(0, 100));
    app.add_option("--max-lr", cfg.max_lr, "OneCycle peak learning rate")->check(real_number(0, 100, true));
    app.add_option("--momentum", cfg.momentum, "SGD momentum (OneCycle cycles it 0.85–0.95)")
        ->check(real_number(0, 1));
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
    app.add_option("--progress", cfg.progress, "progress display")->check(CLI::IsMember({"auto", "bar", "lines"}));
    app.add_flag("--list-isas", cfg.list_isas,
                 "print the kernel instruction sets this CPU can run (the values MINITORCH_ISA accepts here), "
                 "one per line, most portable first, and exit");
    app.footer("Environment: MINITORCH_ISA=scalar|avx2|avx512|neon runs the kernels on that instruction set "
               "(unset: the best this CPU has; every one gives the same numbers).");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& e) {
        std::cerr << "mnist: " << e.what() << "\n\n" << app.help();
        return 2;
    }
    if (cfg.list_isas) {
        for (Isa isa : supported_isas()) std::cout << isa_name(isa) << '\n';
        return 0;
    }
    try {  // an unknown MINITORCH_ISA, or one this CPU lacks, is a usage error (the library's message names both)
        (void)active_isa();
    } catch (const std::runtime_error& e) {
        std::cerr << "mnist: " << e.what() << "\n\n" << app.help();
        return 2;
    }
    if (!fs::is_directory(cfg.data)) {
        std::cerr << "mnist: --data: folder " << cfg.data << " does not exist (run scripts/fetch-mnist)\n\n"
                  << app.help();
        return 2;
    }
    const fs::path save_dir = fs::path(cfg.save).parent_path();
    if (!cfg.save.empty() && !save_dir.empty() && !fs::is_directory(save_dir)) {
        std::cerr << "mnist: --save: folder " << save_dir.string() << " does not exist (or is not a folder)\n\n"
                  << app.help();
        return 2;
    }
    if (cfg.eval_only && cfg.load.empty()) {
        std::cerr << "mnist: --eval-only needs --load <weights.safetensors>\n\n" << app.help();
        return 2;
    }
    // Flags that would be ignored: refused with the reason rather than silently dropped.
    std::string ignored;
    for (const char* flag : {"--save", "--csv", "--plot", "--log", "--load"})
        if (ignored.empty() && app.count(flag) > 0 && app.get_option(flag)->as<std::string>().empty())
            ignored = std::string(flag) + ": expected a file name, got an empty string";
    if (ignored.empty() && cfg.eval_only)
        for (const char* flag : {"--save", "--csv", "--plot"})
            if (ignored.empty() && app.count(flag) > 0)
                ignored = std::string("--eval-only trains nothing, so ") + flag +
                          " would write nothing; drop one of the two";
    if (ignored.empty() && !cfg.plot.empty() && cfg.csv.empty())
        ignored = "--plot needs --csv (the curves are drawn from the metrics file)";
    if (!ignored.empty()) {
        std::cerr << "mnist: " << ignored << "\n\n" << app.help();
        return 2;
    }
    try {
        return run(cfg);
    } catch (const std::exception& e) {
        std::cerr << "mnist: error: " << e.what() << '\n';
        return 1;
    }
}
