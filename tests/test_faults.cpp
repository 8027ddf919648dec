// Fault tests: what a user sees when training diverges, when a checkpoint cannot be written (read-only folder, full
// disk), when a checkpoint does not fit the model (another architecture, truncated, wrong dtype, trailing garbage)
// and when a data folder is inconsistent. The "mnist:" cases run the real MNIST example executable on a tiny
// synthetic data folder written here (the standard file names, 28×28 images), so the exit statuses and messages
// checked are exactly what a user gets; the "save_safetensors:" cases call the library directly.
// docs/reliability.md lists every case and its message. Bad command-line flags are tested by tests/cli/.
#include "../examples/mnist/mnist_net.hpp"

#include <minitorch/data/mnist.hpp>
#include <minitorch/io/safetensors.hpp>

#include <doctest/doctest.h>

#include "support/error_message.hpp"
#include "support/mnist_example.hpp"
#include "support/temp_files.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace minitorch;
using namespace test_support;  // TempDir, listing, read_bytes, write_bytes, write_file, idx_bytes; fs, Bytes

namespace {
// Sets RLIMIT_FSIZE (a file cannot grow beyond `bytes`: write() fails with EFBIG, as it fails with ENOSPC on a full
// disk) with SIGXFSZ ignored, and restores both at the end of the scope. The limit binds root as well.
class FileSizeLimit {
  public:
    explicit FileSizeLimit(rlim_t bytes) {
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
        old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, old_handler_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

  private:
    rlimit saved_{};
    void (*old_handler_)(int) = nullptr;
};

std::string save_error(const fs::path& path, const std::vector<ParameterRef<float>>& params) {
    return test_support::message_of<SafetensorsError>([&] { save_safetensors(path, params); }, "no SafetensorsError");
}

}  // namespace

// ---- saving where it cannot be done: the library --------------------------------------------------------------------

TEST_CASE("save_safetensors: a full disk fails cleanly, leaving the previous checkpoint intact and no partial file") {
    TempDir dir;
    const fs::path path = dir.path / "model.safetensors";
    Generator gen(1);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    save_safetensors(path, net.parameters(), {{"epoch", "1"}});
    const std::string before = read_bytes(path);
    REQUIRE(before.size() > 40000);  // 11,602 floats

    for (auto& p : net.parameters())
        if (p.trainable()) p.value->fill(0.5f);  // the next epoch's weights
    std::string message;
    {
        const FileSizeLimit limit(8192);  // the new file stops growing at 8 KiB, mid-data
        message = save_error(path, net.parameters());
    }
    const std::string tmp = path.string() + ".tmp-" + std::to_string(::getpid());
    CHECK(message == path.string() + ": cannot save: cannot write " + tmp + ": File too large");
    CHECK(listing(dir.path) == std::vector<std::string>{"model.safetensors"});  // the temporary file is gone
    CHECK(read_bytes(path) == before);                                          // the old checkpoint is untouched
    CHECK(read_safetensors_metadata(path).at("epoch") == "1");
}

TEST_CASE("save_safetensors: a folder nobody may create files in fails cleanly and creates nothing") {
    Generator gen(1);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    // sysfs refuses new files for every user, root included (permission bits do not stop root).
    if (fs::is_directory("/sys/kernel")) {
        const fs::path path = "/sys/kernel/minitorch-test.safetensors";
        const std::string tmp = path.string() + ".tmp-" + std::to_string(::getpid());
        const std::string message = save_error(path, net.parameters());
        CHECK(message.starts_with(path.string() + ": cannot save: cannot create " + tmp + ": "));
        CHECK((message.ends_with("Permission denied") || message.ends_with("Read-only file system")));
        CHECK_FALSE(fs::exists(path));
        CHECK_FALSE(fs::exists(tmp));
    } else {
        MESSAGE("no /sys/kernel here: the sysfs case is skipped");
    }
    // A folder made read-only: refused for an ordinary user. Root normally writes there anyway (permission bits do
    // not bind it), so as root either outcome is accepted, each checked.
    TempDir dir;
    const fs::path ro = dir.path / "read-only";
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    const fs::path path = ro / "model.safetensors";
    const std::string message = save_error(path, net.parameters());
    if (::geteuid() != 0 || message != "no SafetensorsError") {
        CHECK(message == path.string() + ": cannot save: cannot create " + path.string() + ".tmp-" +
                             std::to_string(::getpid()) + ": Permission denied");
        CHECK(listing(ro).empty());
    } else {
        CHECK(listing(ro) == std::vector<std::string>{"model.safetensors"});
    }
}

#ifdef MINITORCH_MNIST_EXE

// ---- divergence -----------------------------------------------------------------------------------------------------

TEST_CASE("mnist: lr 10 stops with a non-finite-loss error naming epoch and batch, the last checkpoint intact") {
    TempDir dir;
    write_small_mnist(dir.path / "data");
    fs::create_directory(dir.path / "run");
    const fs::path ckpt = dir.path / "run" / "last.safetensors";
    const fs::path log = dir.path / "run.log";
    const Run run = mnist_apart("--data " + q(dir.path / "data") + " --epochs 10 " + diverging + " --save " + q(ckpt) +
                                    " --log " + q(log),
                                dir.path / "stderr.txt");
    INFO("stdout:\n", run.output, "stderr:\n", run.errors);
    CHECK(run.status == 1);

    // The error lines go to stderr (and the log), nothing else does; the batch counts from 1 like the progress line.
    std::smatch m;
    const std::regex error(R"(^mnist: error: non-finite loss \((-?nan|-?inf)\) in training at epoch (\d+), )"
                           R"(batch (\d) of 4: training diverged; lower the learning rate\n)");
    REQUIRE(std::regex_search(run.errors, m, error));
    const int epoch = std::stoi(m[2].str());
    const std::string batch = m[3].str();
    REQUIRE(epoch >= 2);  // the recipe diverges after the first epoch, so there is a checkpoint to keep
    CHECK(batch != "0");
    const std::string last_good =
        "the last good checkpoint (epoch " + std::to_string(epoch - 1) + ") is " + ckpt.string() + "\n";
    CHECK(run.errors == m[0].str() + last_good);
    CHECK(run.output.find("non-finite") == std::string::npos);
    CHECK(run.output.find("last good checkpoint") == std::string::npos);
    CHECK(run.output.find("saved weights to") == std::string::npos);
    // Counted as the progress lines count: in that epoch the last line is the batch before ("batch 3/4 …" for
    // "batch 4 of 4"); the failing batch has none.
    const std::size_t epoch_start = run.output.find("EPOCH: " + std::to_string(epoch) + "\n");
    REQUIRE(epoch_start != std::string::npos);
    const std::string last_epoch = run.output.substr(epoch_start);
    CHECK(last_epoch.find("batch " + batch + "/4 ") == std::string::npos);
    if (batch != "1")
        CHECK(last_epoch.find("batch " + std::to_string(std::stoi(batch) - 1) + "/4 ") != std::string::npos);
    const std::string logged = read_bytes(log);
    CHECK(logged.find(run.errors) != std::string::npos);
    CHECK(logged.ends_with(run.errors));

    // Intact: the only file in the folder, loadable into the network, and byte for byte the checkpoint that a run
    // stopping after that epoch writes (same seed, same thread count: the same numbers).
    CHECK(listing(dir.path / "run") == std::vector<std::string>{"last.safetensors"});
    CHECK(read_safetensors_metadata(ckpt).at("epoch") == std::to_string(epoch - 1));
    Generator gen(99);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    CHECK_NOTHROW(load_safetensors(ckpt, net.parameters()));

    const fs::path ref = dir.path / "reference.safetensors";
    const Run good = mnist("--data " + q(dir.path / "data") + " --epochs " + std::to_string(epoch - 1) + " " +
                           diverging + " --save " + q(ref));
    INFO(good.output);
    REQUIRE(good.status == 0);
    CHECK(read_bytes(ckpt) == read_bytes(ref));
}

// ---- saving where it cannot be done: what the user of the example sees ----------------------------------------------

TEST_CASE("mnist: a checkpoint save on a full disk exits 1 naming file and reason, the old checkpoint intact") {
    TempDir dir;
    write_small_mnist(dir.path / "data");
    fs::create_directory(dir.path / "run");
    const fs::path ckpt = dir.path / "run" / "last.safetensors";
    const std::string args = "--data " + q(dir.path / "data") + one_epoch + " --save " + q(ckpt);
    REQUIRE(mnist(args).status == 0);
    const std::string before = read_bytes(ckpt);

    // The second run may write files of at most 16 × 512 bytes: its checkpoint (46 KB) fails mid-write.
    const Run run = mnist(args + " --seed 2", "trap '' XFSZ; ulimit -f 16; ");
    INFO(run.output);
    CHECK(run.status == 1);
    CHECK(run.output.find("EPOCH: 1") != std::string::npos);  // it trained, then could not save
    CHECK(run.output.find("mnist: error: " + ckpt.string() + ": cannot save: cannot write " + ckpt.string() +
                          ".tmp-") != std::string::npos);
    CHECK(run.output.find(": File too large\n") != std::string::npos);
    CHECK(listing(dir.path / "run") == std::vector<std::string>{"last.safetensors"});
    CHECK(read_bytes(ckpt) == before);
}

TEST_CASE("mnist: --csv or --plot into a folder nobody may write is refused at start-up, naming the file") {
    if (!fs::is_directory("/sys/kernel")) {
        MESSAGE("no /sys/kernel here: skipped");
        return;
    }
    TempDir dir;
    write_small_mnist(dir.path / "data");
    const std::string csv = "/sys/kernel/minitorch-test-metrics.csv", png = "/sys/kernel/minitorch-test-curves.png";
    // The message a failed write of the file would give, with its temporary name, before any epoch is trained.
    const auto refused = [](const std::string& output, const std::string& path, const std::string& what,
                            const std::string& tmp) {
        const std::string start = "mnist: error: " + path + ": cannot write the " + what + ": cannot create " + tmp;
        const std::size_t at = output.find(start);
        const std::regex reason(R"(: (Permission denied|Read-only file system)\n)");
        return at != std::string::npos && std::regex_match(output.substr(at + start.size()), reason);
    };
    const Run bad_csv = mnist("--data " + q(dir.path / "data") + one_epoch + " --csv " + q(csv));
    INFO(bad_csv.output);
    CHECK(bad_csv.status == 1);
    CHECK(refused(bad_csv.output, csv, "metrics file", csv + ".tmp"));
    CHECK(bad_csv.output.find("EPOCH: 1") == std::string::npos);

    const fs::path good_csv = dir.path / "metrics.csv";
    const Run bad_plot =
        mnist("--data " + q(dir.path / "data") + one_epoch + " --csv " + q(good_csv) + " --plot " + q(png));
    INFO(bad_plot.output);
    CHECK(bad_plot.status == 1);
    CHECK(refused(bad_plot.output, png, "plot", png + ".tmp.png"));
    CHECK(bad_plot.output.find("EPOCH: 1") == std::string::npos);
    CHECK_FALSE(fs::exists(good_csv));  // nothing written before the refusal
}

TEST_CASE("mnist: a checkpoint save into a folder nobody may write exits 1 naming the file and the reason") {
    if (!fs::is_directory("/sys/kernel")) {
        MESSAGE("no /sys/kernel here: skipped");
        return;
    }
    TempDir dir;
    write_small_mnist(dir.path / "data");
    const fs::path ckpt = "/sys/kernel/minitorch-test-mnist.safetensors";
    // Refused at start-up, before the data is read or an epoch trained (not after the first epoch, as the save
    // itself would), with the message of a failed save: a trial file is created and removed under the same name.
    const auto refused = [&](const std::string& output) {
        const std::string start =
            "mnist: error: " + ckpt.string() + ": cannot save: cannot create " + ckpt.string() + ".tmp-";
        const std::size_t at = output.find(start);
        return at != std::string::npos &&
               std::regex_match(output.substr(at + start.size()),
                                std::regex(R"(\d+: (Permission denied|Read-only file system)\n)"));
    };
    const Run run = mnist("--data " + q(dir.path / "data") + one_epoch + " --save " + q(ckpt));
    INFO(run.output);
    CHECK(run.status == 1);
    CHECK(refused(run.output));
    CHECK(run.output.find("EPOCH: 1") == std::string::npos);
    CHECK_FALSE(fs::exists(ckpt));

    // Before the data is read: a folder without the MNIST files gets the save error, not the missing-files one.
    fs::create_directory(dir.path / "empty");
    const Run early = mnist("--data " + q(dir.path / "empty") + one_epoch + " --save " + q(ckpt));
    INFO(early.output);
    CHECK(early.status == 1);
    CHECK(refused(early.output));
    CHECK(early.output.find("not found") == std::string::npos);
}

// ---- a model that is not finite in evaluation only ------------------------------------------------------------------

TEST_CASE("mnist: a NaN BatchNorm running_var (test loss NaN, training loss finite) exits 1 without a checkpoint") {
    TempDir dir;
    write_small_mnist(dir.path / "data");
    fs::create_directory(dir.path / "run");
    const fs::path good = dir.path / "good.safetensors", bad = dir.path / "bad.safetensors";
    REQUIRE(mnist("--data " + q(dir.path / "data") + one_epoch + " --save " + q(good)).status == 0);

    // The checkpoint rewritten with one running variance NaN: training mode normalises with the batch's statistics,
    // so training does not notice; eval mode uses the running ones, so every test output is NaN.
    Generator gen(7);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    load_safetensors(good, net.parameters());
    std::string name;
    for (auto& p : net.parameters())
        if (name.empty() && p.name.ends_with(".running_var")) {
            (*p.value)[0] = std::numeric_limits<float>::quiet_NaN();
            name = p.name;
        }
    REQUIRE(name == "2.running_var");
    save_safetensors(bad, net.parameters());

    const std::string reason = R"(: the model is not finite in eval mode \(NaN or overflowing weights or BatchNorm )"
                               R"(running statistics\))";
    const fs::path out = dir.path / "run" / "out.safetensors";
    const std::string data = "--data " + q(dir.path / "data");
    const Run run = mnist_apart(data + one_epoch + " --load " + q(bad) + " --save " + q(out), dir.path / "stderr.txt");
    INFO("stdout:\n", run.output, "stderr:\n", run.errors);
    CHECK(run.status == 1);
    CHECK(std::regex_match(run.errors,
                           std::regex(R"(mnist: error: non-finite loss \(-?nan\) in evaluation at epoch 1, )"
                                      R"(batch 1 of 1)" + reason + "; lower the learning rate\n")));
    CHECK(run.output.find("EPOCH: 1\n") != std::string::npos);  // it trained
    CHECK(run.output.find("Test set:") == std::string::npos);    // no test line with a NaN loss
    CHECK(run.output.find("best test accuracy") == std::string::npos);
    CHECK(listing(dir.path / "run").empty());  // no checkpoint of the failed epoch, no temporary file

    const Run eval = mnist_apart(data + " --eval-only --load " + q(bad), dir.path / "stderr.txt");
    INFO("stdout:\n", eval.output, "stderr:\n", eval.errors);
    CHECK(eval.status == 1);
    CHECK(std::regex_match(eval.errors,
                           std::regex(R"(mnist: error: non-finite loss \(-?nan\) in evaluation, batch 1 of 1)" +
                                      reason + "\n")));
    CHECK(eval.output.find("Test set:") == std::string::npos);
}

TEST_CASE("mnist: lr 100 overflows the test loss after epoch 1 while training's is finite: exit 1, no checkpoint") {
    // The run that the divergence recipe used to be: before evaluate() checked its loss, it printed an "inf" test
    // line, saved that epoch's checkpoint and went on.
    TempDir dir;
    write_small_mnist(dir.path / "data");
    fs::create_directory(dir.path / "run");
    const std::string recipe = "--batch-size 4 --scheduler none --lr 100 --rotate 0 --progress lines --threads 1";
    const Run run = mnist_apart("--data " + q(dir.path / "data") + " --epochs 3 " + recipe + " --save " +
                                    q(dir.path / "run" / "last.safetensors"),
                                dir.path / "stderr.txt");
    INFO("stdout:\n", run.output, "stderr:\n", run.errors);
    CHECK(run.status == 1);
    CHECK(std::regex_match(run.errors,
                           std::regex(R"(mnist: error: non-finite loss \((-?nan|-?inf)\) in evaluation at epoch 1, )"
                                      R"(batch \d of 2: the model is not finite in eval mode .*; lower the learning )"
                                      R"(rate\n)")));
    CHECK(run.output.find("batch 4/4 loss=") != std::string::npos);  // epoch 1's training loss was finite
    CHECK(run.output.find("Test set:") == std::string::npos);
    CHECK(listing(dir.path / "run").empty());
}

// ---- checkpoints that do not fit ------------------------------------------------------------------------------------

TEST_CASE("mnist: checkpoints that do not fit are refused with exit 1 and a message naming the problem") {
    TempDir dir;
    write_small_mnist(dir.path / "data");
    Generator gen(5);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    const fs::path good = dir.path / "good.safetensors";
    save_safetensors(good, net.parameters());
    const std::string bytes = read_bytes(good);
    REQUIRE(mnist("--data " + q(dir.path / "data") + " --eval-only --load " + q(good)).status == 0);

    const auto refused = [&](const std::string& name, const std::string& problem) {
        const fs::path path = dir.path / name;
        const Run run = mnist("--data " + q(dir.path / "data") + " --eval-only --load " + q(path));
        INFO(run.output);
        CHECK(run.status == 1);
        CHECK(run.output.find("mnist: error: " + path.string() + ": ") != std::string::npos);
        CHECK(run.output.find(problem) != std::string::npos);
        CHECK(run.output.find("Test set:") == std::string::npos);  // nothing was evaluated
    };

    // Another architecture: a linear classifier's "0.weight" is [10, 784]; the CNN's first conv is [16, 1, 3, 3].
    Sequential<float> other(Linear<float>({.in = 784, .out = 10}, gen));
    save_safetensors(dir.path / "other.safetensors", other.parameters());
    refused("other.safetensors", "checkpoint does not match the model (");
    refused("other.safetensors", "\n  0.weight: checkpoint has [10, 784], model has [16, 1, 3, 3]\n");
    refused("other.safetensors", "\n  missing: 2.weight (model has [16], the checkpoint has no such tensor)\n");
    refused("other.safetensors", "\n  unexpected: 0.bias (in the checkpoint, not in the model)");

    write_bytes(dir.path / "truncated.safetensors", bytes.substr(0, bytes.size() - 1000));
    refused("truncated.safetensors", "tensor \"");
    refused("truncated.safetensors", "(truncated file?)");

    Generator gen_d(5);
    Sequential<double> net_d = mnist_example::make_net<double>(gen_d);
    save_safetensors(dir.path / "double.safetensors", net_d.parameters());
    refused("double.safetensors", "checkpoint does not match the model (");
    refused("double.safetensors", "):\n  0.weight: checkpoint has dtype F64, model needs F32\n");

    write_bytes(dir.path / "garbage.safetensors", bytes + "garbage");
    refused("garbage.safetensors", "trailing data: the tensors end at byte");
}

// ---- data folders that do not fit -----------------------------------------------------------------------------------

TEST_CASE("mnist: a data folder whose images and labels differ in number is refused before training") {
    TempDir dir;
    write_mnist_folder(dir.path / "data", {16, 15}, {8, 8});
    const Run run = mnist("--data " + q(dir.path / "data") + " --epochs 1 --progress lines");
    INFO(run.output);
    CHECK(run.status == 1);
    const fs::path images = dir.path / "data" / "train-images-idx3-ubyte";
    const fs::path labels = dir.path / "data" / "train-labels-idx1-ubyte";
    CHECK(run.output.find("mnist: error: " + images.string() + " has 16 images but " + labels.string() +
                          " has 15 labels: the counts must agree\n") != std::string::npos);
    CHECK(run.output.find("EPOCH: 1") == std::string::npos);
}

TEST_CASE("mnist: images that are not 28x28, a truncated IDX file and a folder without the files are refused") {
    TempDir dir;
    const std::string flags = " --epochs 1 --progress lines";

    write_mnist_folder(dir.path / "small", {16, 16}, {8, 8, 20, 20});
    Run run = mnist("--data " + q(dir.path / "small") + flags);
    INFO(run.output);
    CHECK(run.status == 1);
    CHECK(run.output.find("mnist: error: " + (dir.path / "small" / "t10k-images-idx3-ubyte").string() +
                          ": images are 20×20, the network needs 28×28 (MNIST)\n") != std::string::npos);

    write_small_mnist(dir.path / "cut");
    const fs::path images = dir.path / "cut" / "t10k-images-idx3-ubyte";
    write_bytes(images, read_bytes(images).substr(0, 6000));
    run = mnist("--data " + q(dir.path / "cut") + flags);
    CHECK(run.status == 1);
    CHECK(run.output.find("mnist: error: " + images.string() +
                          ": truncated: header says 8×28×28 = 6272 bytes of data, file has 5984 after the 16-byte "
                          "header\n") != std::string::npos);

    fs::create_directory(dir.path / "empty");
    run = mnist("--data " + q(dir.path / "empty") + flags);
    CHECK(run.status == 1);
    CHECK(run.output.find("mnist: error: " + (dir.path / "empty").string() +
                          ": MNIST test images not found (looked for t10k-images-idx3-ubyte and "
                          "t10k-images-idx3-ubyte.gz; scripts/fetch-mnist downloads them)\n") != std::string::npos);
}

// ---- issue 15: targets and sources that are not regular files, log errors, flags that were ignored ------------------

TEST_CASE("mnist: --save or --csv naming a directory, a device or a link to one is refused at start-up") {
    TempDir dir;
    write_small_mnist(dir.path / "data");
    const std::string data = "--data " + q(dir.path / "data") + one_epoch;
    fs::create_directory(dir.path / "taken");
    const fs::path taken = dir.path / "taken";
    // Before: the save failed after the first epoch ("cannot rename … Is a directory"); the CSV with a raw
    // std::filesystem message, leaving <dir>.tmp behind.
    Run run = mnist(data + " --save " + q(taken));
    INFO(run.output);
    CHECK(run.status == 1);
    CHECK(run.output.find("mnist: error: " + taken.string() +
                          ": cannot save: is a directory, not a regular file: refusing to replace it\n") !=
          std::string::npos);
    CHECK(run.output.find("EPOCH: 1") == std::string::npos);
    run = mnist(data + " --csv " + q(taken));
    CHECK(run.status == 1);
    CHECK(run.output.find("mnist: error: " + taken.string() +
                          ": cannot write the metrics file: is a directory, not a regular file: refusing to replace "
                          "it\n") != std::string::npos);
    CHECK(run.output.find("EPOCH: 1") == std::string::npos);
    // A link to /dev/null: rename() would have replaced /dev/null itself when run as root.
    const fs::path link = dir.path / "null-link";
    fs::create_symlink("/dev/null", link);
    run = mnist(data + " --save " + q(link));
    CHECK(run.status == 1);
    CHECK(run.output.find("mnist: error: " + link.string() +
                          ": cannot save: is a symbolic link to /dev/null, which is a character device, not a regular "
                          "file: refusing to replace it\n") != std::string::npos);
    CHECK(fs::is_character_file(fs::status("/dev/null")));
    CHECK(listing(dir.path) == std::vector<std::string>{"data", "null-link", "taken"});  // no temporary left
    CHECK(fs::is_empty(taken));

    // A link to a regular file: written through, the link kept (what a user expects of `> link` too).
    fs::create_symlink("metrics-run1.csv", dir.path / "metrics.csv");
    run = mnist(data + " --csv " + q(dir.path / "metrics.csv"));
    INFO(run.output);
    CHECK(run.status == 0);
    CHECK(fs::is_symlink(fs::symlink_status(dir.path / "metrics.csv")));
    CHECK(read_bytes(dir.path / "metrics-run1.csv").starts_with("epoch,lr_end,"));
}

TEST_CASE("mnist: --load of a FIFO, of random bytes or of a negative num_batches_tracked fails at once, saying why") {
    TempDir dir;
    write_small_mnist(dir.path / "data");
    const std::string data = "--data " + q(dir.path / "data");
    const fs::path fifo = dir.path / "weights.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    Run run = mnist(data + " --eval-only --load " + q(fifo));  // blocked forever in fopen before
    CHECK(run.status == 1);
    CHECK(run.output.find("mnist: error: " + fifo.string() + ": is a FIFO (named pipe), not a safetensors file\n") !=
          std::string::npos);
    std::string garbage(4096, '\0');
    for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919 + 13) % 256);
    write_bytes(dir.path / "garbage", garbage);
    run = mnist(data + " --eval-only --load " + q(dir.path / "garbage"));
    CHECK(run.status == 1);
    CHECK(run.output.find("mnist: error: " + (dir.path / "garbage").string() + ": not a safetensors file: ") !=
          std::string::npos);

    // A checkpoint whose BatchNorm step counter is negative: accepted before, then the save after epoch 1 refused.
    const fs::path good = dir.path / "good.safetensors";
    REQUIRE(mnist(data + one_epoch + " --save " + q(good)).status == 0);
    std::string bytes = read_bytes(good);
    const std::string key = "\"2.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[";
    const std::size_t k = bytes.find(key);
    REQUIRE(k != std::string::npos);
    const std::uint64_t n = safetensors_header_length(bytes);
    const std::size_t at = 8 + n + std::stoull(bytes.substr(k + key.size()));
    const std::int64_t minus_one = -1;
    std::memcpy(bytes.data() + at, &minus_one, 8);  // little-endian machine
    write_bytes(dir.path / "negative.safetensors", bytes);
    run = mnist(data + one_epoch + " --load " + q(dir.path / "negative.safetensors") + " --save " +
                q(dir.path / "out.safetensors"));
    INFO(run.output);
    CHECK(run.status == 1);
    CHECK(run.output.find("mnist: error: " + (dir.path / "negative.safetensors").string() +
                          ": tensor \"2.num_batches_tracked\" must hold a non-negative count, got -1\n") !=
          std::string::npos);
    CHECK(run.output.find("EPOCH: 1") == std::string::npos);
}

TEST_CASE("mnist: a --log that cannot be written (a full disk) stops the run with exit 1 naming it") {
    if (!fs::exists("/dev/full")) {
        MESSAGE("no /dev/full here: skipped");
        return;
    }
    TempDir dir;
    write_small_mnist(dir.path / "data");
    // Every write to /dev/full fails with ENOSPC, as on a full disk; the log used to be lost silently, rc 0.
    const Run run = mnist_apart("--data " + q(dir.path / "data") + one_epoch + " --log /dev/full",
                                dir.path / "stderr.txt");
    INFO("stdout:\n", run.output, "stderr:\n", run.errors);
    CHECK(run.status == 1);
    CHECK(run.errors == "mnist: error: /dev/full: cannot write the log file: No space left on device\n");
    CHECK(run.output.find("EPOCH: 1") == std::string::npos);  // stopped at the first line
}

TEST_CASE("mnist: --save with an empty name is refused as a usage error, not ignored") {
    TempDir dir;
    const Run run = mnist("--data " + q(dir.path) + " --save ''");
    CHECK(run.status == 2);
    CHECK(run.output.starts_with("mnist: --save: expected a file name, got an empty string\n\n"));
}

TEST_CASE("scripts/train-mnist: the main job writes only files git ignores, so git status stays clean") {
    // Its outputs used to be docs/mnist_train.log, docs/mnist_metrics.csv and docs/mnist_curves.png, tracked files
    // that every run rewrote. Here the exact command line the script runs (--dry-run prints it) runs in a fresh git
    // repository holding the project's .gitignore and a tiny data folder; setup, build and download are the script's
    // other steps and write only build/ and data/.
    if (shell("command -v git >/dev/null 2>&1").status != 0) {
        MESSAGE("git not installed: skipped");
        return;
    }
    TempDir dir;
    fs::copy_file(MINITORCH_SOURCE_DIR "/.gitignore", dir.path / ".gitignore");
    std::string in_repo = "cd ";  // appended step by step: GCC 12's -Wrestrict (see q())
    in_repo += q(dir.path);
    in_repo += " && ";
    REQUIRE(shell(in_repo + "git init -q && git add .gitignore && git -c user.name=t -c user.email=t@example.org "
                            "commit -q -m init 2>&1")
                .status == 0);
    write_small_mnist(dir.path / "data" / "mnist");
    fs::create_directories(dir.path / "out" / "mnist");  // the script's `mkdir -p out/mnist` before it runs the example
    const Run dry = shell("'" MINITORCH_SOURCE_DIR "/scripts/train-mnist' --dry-run --epochs 1 --batch-size 8 "
                          "--rotate 0 --progress lines");
    REQUIRE(dry.status == 0);
    std::vector<std::string> words;
    std::istringstream lines(dry.output);
    for (std::string w; std::getline(lines, w);) words.push_back(w);
    REQUIRE(words.size() > 1);
    REQUIRE(words[0] == "build/release/examples/mnist/mnist");
    std::string command = "exec '" MINITORCH_MNIST_EXE "'";
    for (std::size_t i = 1; i < words.size(); ++i) {
        command += ' ';
        command += q(words[i]);
    }
    const Run run = shell(in_repo + command + " 2>&1");
    INFO(run.output);
    REQUIRE(run.status == 0);
    for (const char* file : {"out/mnist/train.log", "out/mnist/metrics.csv", "out/mnist/mnist.safetensors",
                             "out/mnist/report/index.html", "out/mnist/report/confusion.png"})
        CHECK(fs::is_regular_file(dir.path / file));
    const Run status = shell(in_repo + "git status --porcelain --untracked-files=all 2>&1");
    CHECK(status.status == 0);
    CHECK(status.output == "");
}

#endif  // MINITORCH_MNIST_EXE
