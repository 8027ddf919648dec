// MNIST end to end: the course's 11,392-parameter CNN (mnist_net.hpp), trained from the IDX files with minitorch.
//
//   mnist --data data/mnist                              train with the default recipe (15 epochs, OneCycle, ±7°)
//   mnist --data data/mnist --load w.safetensors --eval-only   evaluate saved weights
//   mnist --data data/mnist --report report               … and the pictures of how it trained: report/index.html
//   mnist --list-isas                                    the kernel instruction sets this CPU runs, one per line
//   MINITORCH_ISA=scalar mnist …                         the same run on the portable kernels (same numbers)
//
// Prints the model summary, a progress bar per epoch and the notebook's test line after each epoch; writes
// per-epoch metrics (CSV), a plot of the curves (gnuplot, when installed), a plain log and checkpoints. See
// docs/mnist.md for the recipe and the results. The flags are read in command_line.cpp, checkpoints written in
// checkpoint.cpp: this file, the training program, compiles without their heavy headers (CLI11, nlohmann-json).
// The metrics file, the plots and the --report folder are written by report.cpp (its pictures: report_images.cpp).
#include "checkpoint.hpp"
#include "command_line.hpp"
#include "log.hpp"
#include "mnist_net.hpp"
#include "report.hpp"

#include <minitorch/data/mnist.hpp>
#include <minitorch/io/files.hpp>
#include <minitorch/kernels/isa.hpp>
#include <minitorch/optim/scheduler.hpp>
#include <minitorch/train/loop.hpp>
#include <minitorch/train/monitor.hpp>
#include <minitorch/train/progress.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

using namespace minitorch;
using mnist_example::check_can_save, mnist_example::load_checkpoint, mnist_example::save_checkpoint;
using mnist_example::CommandLine, mnist_example::Config, mnist_example::parse_command_line;
using mnist_example::Log, mnist_example::Report, mnist_example::csv_temporary, mnist_example::plot_temporary;

namespace {

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
        load_checkpoint(cfg.load, net);
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

    // --report: the confusion matrix and the mistakes come from the evaluations, the per-layer statistics from a
    // monitor recording about ten steps per epoch. Without --report neither exists and nothing of it is paid.
    std::optional<Report> report;
    if (!cfg.report.empty()) report.emplace(cfg.report, log);
    EvaluationDetails details;
    const auto evaluate_test = [&](std::size_t epoch) {
        return report ? evaluate(net, sum_loss, test_loader, batch, epoch, details)
                      : evaluate(net, sum_loss, test_loader, batch, epoch);
    };

    if (cfg.eval_only) {
        const EpochResult r = evaluate_test(0);  // NonFiniteLossError: exit 1 (run())
        log.line(test_line(r));
        log.line("evaluated " + std::to_string(r.total) + " images in " + fmt("%.2f s", r.seconds));
        if (report) {
            report->evaluation(details, test_set, net);
            report->index("evaluation of " + cfg.load + ": " + test_line(r), false);
            log.line("wrote the report: " + cfg.report + "/index.html");
        }
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

    std::optional<TrainingMonitor<float>> monitor;
    if (report) monitor.emplace(net, TrainingMonitor<float>::Options{.every = std::max<std::size_t>(1, steps / 10)});

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
            const auto after_step = [&] {
                if (onecycle) onecycle->step();
            };
            train = monitor
                        ? train_epoch(net, loss, opt, train_loader, batch, epoch, after_step, {.mode = mode}, *monitor)
                        : train_epoch(net, loss, opt, train_loader, batch, epoch, after_step, {.mode = mode});
            lr_end = opt.lr();
            if (steplr) steplr->step();
            test = evaluate_test(epoch);
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
        if (!cfg.csv.empty()) mnist_example::write_text_file(cfg.csv, csv, "metrics file");
        if (!cfg.save.empty()) save_checkpoint(cfg.save, net, epoch, test.accuracy());
        if (report) {
            report->training(csv, *monitor);
            report->evaluation(details, test_set, net);
            report->index(
                "epoch " + std::to_string(epoch) + " of " + std::to_string(cfg.epochs) + ": " + test_line(test),
                epoch < cfg.epochs);
        }
    }
    if (report) log.line("wrote the report: " + cfg.report + "/index.html");
    log.line("best test accuracy: " + fmt("%.2f%%", 100 * best));
    if (!cfg.save.empty()) log.line("saved weights to " + cfg.save);
    if (!cfg.plot.empty() && !cfg.csv.empty()) mnist_example::plot_curves(cfg.csv, cfg.plot, log);
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

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    const CommandLine command_line = parse_command_line(argc, argv, cfg);
    if (!command_line.run) return command_line.exit_status;
    try {
        return run(cfg);
    } catch (const std::exception& e) {
        std::cerr << "mnist: error: " << e.what() << '\n';
        return 1;
    }
}
