// Progress display: the tqdm-style bar (exact text for a fake clock), the plain-lines mode, the test-set line.
//
// The expected bar lines are tqdm's own output: printed once with tqdm 4.64.1 (Debian's python3-tqdm) by
//   from tqdm import tqdm
//   print(repr(tqdm.format_meter(n, total, elapsed, prefix=...)))          # rate=None: the average rate n/elapsed
// for the (n, total, elapsed, prefix) quoted next to each string below, and
//   from tqdm.std import Bar; print([format(Bar(k / 8, 1)) for k in range(9)])
// for the partial blocks. The test-set line is the PyTorch MNIST example's format string,
//   'Test set: Average loss: {:.4f}, Accuracy: {}/{} ({:.2f}%)'.format(loss, correct, total, 100. * correct / total)
// evaluated by python3 for the numbers below. Neither Python nor tqdm is needed to run this test.
#include <minitorch/train/progress.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

using namespace minitorch;

namespace {

// Everything written to f so far.
std::string contents(std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    return s;
}

// A temporary file, closed on scope exit.
struct TmpFile {
    std::FILE* f = std::tmpfile();
    TmpFile() { REQUIRE(f != nullptr); }
    ~TmpFile() { std::fclose(f); }
    TmpFile(const TmpFile&) = delete;
    TmpFile& operator=(const TmpFile&) = delete;
};

// Sets (or unsets, with nullopt) the environment variable CI for one scope, restoring it afterwards.
struct ScopedCI {
    std::optional<std::string> saved;
    explicit ScopedCI(const char* value) {
        if (const char* v = std::getenv("CI")) saved = v;
        if (value)
            ::setenv("CI", value, 1);
        else
            ::unsetenv("CI");
    }
    ~ScopedCI() {
        if (saved)
            ::setenv("CI", saved->c_str(), 1);
        else
            ::unsetenv("CI");
    }
};

}  // namespace

TEST_CASE("progress: bar pieces match tqdm's format_meter") {
    using namespace progress;
    // format_meter(0, 469, 0)
    CHECK(format_meter("", 0, 469, 0) == "  0%|          | 0/469 [00:00<?, ?it/s]");
    // format_meter(469, 469, 19.27, prefix="loss=0.0765 batch_id=468")
    CHECK(format_meter("loss=0.0765 batch_id=468", 469, 469, 19.27) ==
          "loss=0.0765 batch_id=468: 100%|██████████| 469/469 [00:19<00:00, 24.34it/s]");
    // format_meter(468, 469, 19.2): 99.8% prints as 100, the last cell is 7/8 full
    CHECK(format_meter("", 468, 469, 19.2) == "100%|█████████▉| 468/469 [00:19<00:00, 24.38it/s]");
    // format_meter(8, 16, 3.0) and (9, 16, 3.0): exactly half, then a partial block; rates below 10 are padded to 5
    CHECK(format_meter("", 8, 16, 3.0) == " 50%|█████     | 8/16 [00:03<00:03,  2.67it/s]");
    CHECK(format_meter("", 9, 16, 3.0) == " 56%|█████▋    | 9/16 [00:03<00:02,  3.00it/s]");
    // format_meter(1, 469, 0.03, prefix="epoch 3 loss=2.3012 batch_id=0")
    CHECK(format_meter("epoch 3 loss=2.3012 batch_id=0", 1, 469, 0.03) ==
          "epoch 3 loss=2.3012 batch_id=0:   0%|          | 1/469 [00:00<00:14, 33.33it/s]");
    // format_meter(3, 10, 7.5): slower than 1 it/s → seconds per iteration
    CHECK(format_meter("", 3, 10, 7.5) == " 30%|███       | 3/10 [00:07<00:17,  2.50s/it]");
    // format_meter(5, 10, 5.0): exactly 1 it/s stays it/s
    CHECK(format_meter("", 5, 10, 5.0) == " 50%|█████     | 5/10 [00:05<00:05,  1.00it/s]");
    // format_meter(1, 10000, 4000.0): hours appear as H:MM:SS
    CHECK(format_meter("", 1, 10000, 4000.0) == "  0%|          | 1/10000 [1:06:40<11110:00:00, 4000.00s/it]");
    // format_meter(500, 1000, 4.0): three-digit rates
    CHECK(format_meter("", 500, 1000, 4.0) == " 50%|█████     | 500/1000 [00:04<00:04, 125.00it/s]");
}

TEST_CASE("progress: partial blocks, intervals and rates") {
    using namespace progress;
    // [format(Bar(k / 8, 1)) for k in range(9)]
    const char* eighths[9] = {" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"};
    for (int k = 0; k <= 8; ++k) {
        INFO("k = ", k);
        CHECK(render_bar(k / 8.0, 1) == eighths[k]);
    }
    CHECK(render_bar(0.5) == "█████     ");
    CHECK(render_bar(0.5625) == "█████▋    ");
    CHECK(render_bar(0.0) == "          ");
    CHECK(render_bar(1.0) == "██████████");
    CHECK(display_length(render_bar(0.5625)) == 10);

    // tqdm.format_interval(59.9), (3599.99), (3600)
    CHECK(format_interval(59.9) == "00:59");
    CHECK(format_interval(3599.99) == "59:59");
    CHECK(format_interval(3600) == "1:00:00");

    CHECK(format_rate(469, 19.27) == "24.34it/s");
    CHECK(format_rate(3, 7.5) == " 2.50s/it");
    CHECK(format_rate(1, 150.0) == "150.00s/it");
    CHECK(format_rate(0, 1.0) == "?it/s");
    CHECK(format_rate(5, 0.0) == "?it/s");
}

TEST_CASE("ProgressBar: bar mode writes the '\\r' lines, throttled, and ends with a newline") {
    TmpFile tmp;
    double t = 0;
    {
        ProgressBar bar(469, {.out = tmp.f, .mode = ProgressMode::bar, .clock = [&t] { return t; }});
        CHECK(bar.is_bar());
        t = 0.05;
        bar.update(1, 2.3012);  // within min_interval_s = 0.1 of the first draw: not drawn
        t = 9.6;
        bar.update(235, 0.0812);
        t = 19.27;
        bar.update(469, 0.0765);
        bar.close();
        bar.close();  // idempotent
    }
    // format_meter(0, 469, 0); format_meter(235, 469, 9.6, prefix="loss=0.0812 batch_id=234");
    // format_meter(469, 469, 19.27, prefix="loss=0.0765 batch_id=468")
    CHECK(contents(tmp.f) ==
          "\r  0%|          | 0/469 [00:00<?, ?it/s]"
          "\rloss=0.0812 batch_id=234:  50%|█████     | 235/469 [00:09<00:09, 24.48it/s]"
          "\rloss=0.0765 batch_id=468: 100%|██████████| 469/469 [00:19<00:00, 24.34it/s]\n");
}

TEST_CASE("ProgressBar: a shorter line is padded, close() draws a throttled state, the description goes first") {
    TmpFile tmp;
    double t = 0;
    {
        ProgressBar bar(1000, {.out = tmp.f, .mode = ProgressMode::bar, .clock = [&t] { return t; }});
        t = 4;
        bar.update(500, 0.5);
        t = 7;
        bar.update(600, 0.25);  // "85.71it/s" is one character shorter than "125.00it/s": one blank pads it
        t = 7.05;
        bar.update(601, 0.125);  // throttled
        t = 7.5;
        // destructor: close() draws the latest state at t = 7.5, then the newline
    }
    // format_meter(0, 1000, 0); format_meter(500, 1000, 4.0, prefix="loss=0.5000 batch_id=499");
    // format_meter(600, 1000, 7.0, prefix="loss=0.2500 batch_id=599");
    // format_meter(601, 1000, 7.5, prefix="loss=0.1250 batch_id=600")
    CHECK(contents(tmp.f) ==
          "\r  0%|          | 0/1000 [00:00<?, ?it/s]"
          "\rloss=0.5000 batch_id=499:  50%|█████     | 500/1000 [00:04<00:04, 125.00it/s]"
          "\rloss=0.2500 batch_id=599:  60%|██████    | 600/1000 [00:07<00:04, 85.71it/s] "
          "\rloss=0.1250 batch_id=600:  60%|██████    | 601/1000 [00:07<00:04, 80.13it/s]\n");

    TmpFile tmp2;
    t = 0;
    {
        ProgressBar bar(
            469,
            {.out = tmp2.f, .description = "epoch 3", .mode = ProgressMode::bar, .min_interval_s = 0, .clock = [&t] {
                 return t;
             }});
        t = 0.03;
        bar.update(1, 2.3012);
    }
    // format_meter(1, 469, 0.03, prefix="epoch 3 loss=2.3012 batch_id=0")
    CHECK(contents(tmp2.f) ==
          "\repoch 3:   0%|          | 0/469 [00:00<?, ?it/s]"
          "\repoch 3 loss=2.3012 batch_id=0:   0%|          | 1/469 [00:00<00:14, 33.33it/s]\n");
}

TEST_CASE("ProgressBar: lines mode prints every 10% and at the end, never '\\r'") {
    TmpFile tmp;
    double t = 0;
    {
        ProgressBar bar(
            469, {.out = tmp.f, .description = "epoch 3", .mode = ProgressMode::lines, .clock = [&t] { return t; }});
        CHECK_FALSE(bar.is_bar());
        for (std::size_t done = 1; done <= 469; ++done) {
            t = 0.04 * static_cast<double>(done);  // 25 batches per second
            bar.update(done, static_cast<double>(done) / 1000);
        }
    }
    const std::string out = contents(tmp.f);
    CHECK(out.find('\r') == std::string::npos);
    // The first batch at or past each tenth of 469 (46.9, 93.8, …), then the last one; close() adds nothing.
    CHECK(out ==
          "epoch 3 batch 47/469 loss=0.0470 25.0 it/s\n"
          "epoch 3 batch 94/469 loss=0.0940 25.0 it/s\n"
          "epoch 3 batch 141/469 loss=0.1410 25.0 it/s\n"
          "epoch 3 batch 188/469 loss=0.1880 25.0 it/s\n"
          "epoch 3 batch 235/469 loss=0.2350 25.0 it/s\n"
          "epoch 3 batch 282/469 loss=0.2820 25.0 it/s\n"
          "epoch 3 batch 329/469 loss=0.3290 25.0 it/s\n"
          "epoch 3 batch 376/469 loss=0.3760 25.0 it/s\n"
          "epoch 3 batch 423/469 loss=0.4230 25.0 it/s\n"
          "epoch 3 batch 469/469 loss=0.4690 25.0 it/s\n");
}

TEST_CASE("ProgressBar: lines mode closed early prints the last state, slow rates in s/it") {
    TmpFile tmp;
    double t = 0;
    {
        ProgressBar bar(100, {.out = tmp.f, .mode = ProgressMode::lines, .clock = [&t] { return t; }});
        for (std::size_t done = 1; done <= 15; ++done) {
            t = 2.5 * static_cast<double>(done);
            bar.update(done, 0.0812);
        }
        bar.close();
    }
    CHECK(contents(tmp.f) ==
          "batch 10/100 loss=0.0812 2.5 s/it\n"
          "batch 15/100 loss=0.0812 2.5 s/it\n");
    CHECK(progress::format_line("epoch 3", 235, 469, 0.0812, 235 / 24.1) ==
          "epoch 3 batch 235/469 loss=0.0812 24.1 it/s");
    CHECK(progress::format_line("", 0, 469, 0.0, 0.0) == "batch 0/469 loss=0.0000 ? it/s");
}

TEST_CASE("ProgressBar: automatic mode picks lines for a file and for CI, the bar for a terminal") {
    {
        ScopedCI no_ci(nullptr);
        TmpFile tmp;
        {
            ProgressBar bar(10, {.out = tmp.f});
            CHECK_FALSE(bar.is_bar());
            bar.update(10, 0.5);
        }
        const std::string out = contents(tmp.f);
        CHECK(out.find('\r') == std::string::npos);
        CHECK(out.rfind("batch 10/10 loss=0.5000 ", 0) == 0);
    }
    // A pseudo-terminal stands in for an interactive one.
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
        MESSAGE("no pseudo-terminal available here: the terminal half of this test is skipped");
        if (master >= 0) ::close(master);
        return;
    }
    std::FILE* tty = std::fopen(::ptsname(master), "w");
    REQUIRE(tty != nullptr);
    {
        ScopedCI no_ci(nullptr);
        CHECK(progress::is_interactive(tty));
        ProgressBar bar(10, {.out = tty, .clock = [] { return 0.0; }});
        CHECK(bar.is_bar());
    }
    {
        ScopedCI ci("true");
        CHECK_FALSE(progress::is_interactive(tty));
        ProgressBar bar(10, {.out = tty, .clock = [] { return 0.0; }});
        CHECK_FALSE(bar.is_bar());
    }
    {
        ScopedCI empty_ci("");
        CHECK(progress::is_interactive(tty));
    }
    std::fclose(tty);
    ::close(master);
}

TEST_CASE("format_test_line: the PyTorch MNIST example's summary") {
    // '...'.format(0.07841, 9800, 10000, 100. * 9800 / 10000) and (2.30125, 1135, 10000, ...)
    CHECK(format_test_line(0.07841, 9800, 10000) == "Test set: Average loss: 0.0784, Accuracy: 9800/10000 (98.00%)");
    CHECK(format_test_line(2.30125, 1135, 10000) == "Test set: Average loss: 2.3013, Accuracy: 1135/10000 (11.35%)");
    CHECK_THROWS_WITH_AS(format_test_line(0.1, 1, 0), "format_test_line: total must be > 0", std::invalid_argument);
    CHECK_THROWS_WITH_AS(format_test_line(0.1, 11, 10), "format_test_line: correct (11) exceeds total (10)",
                         std::invalid_argument);
}

TEST_CASE("ProgressBar: bad arguments and misuse are refused") {
    TmpFile tmp;
    CHECK_THROWS_WITH_AS(ProgressBar(0, {.out = tmp.f}), "ProgressBar: total must be > 0 batches, got 0",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(ProgressBar(10, {.out = nullptr}), "ProgressBar: the output stream is null",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(ProgressBar(10, {.out = tmp.f, .min_interval_s = -1}),
                         "ProgressBar: min_interval_s must be a finite number ≥ 0, got -1.000", std::invalid_argument);
    ProgressBar bar(10, {.out = tmp.f, .mode = ProgressMode::lines, .clock = [] { return 0.0; }});
    CHECK_THROWS_WITH_AS(bar.update(11, 0.1), "ProgressBar: update(11, …) is past the total of 10 batches",
                         std::invalid_argument);
    bar.close();
    CHECK_THROWS_WITH_AS(bar.update(1, 0.1), "ProgressBar: update called after close()", std::logic_error);
}
