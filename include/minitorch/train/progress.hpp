// minitorch/train/progress.hpp — the training progress display: a tqdm-style bar on a terminal, plain periodic lines
// elsewhere (CI logs, files, pipes), and the test-set summary line. Optional part: not in the umbrella header.
//
// On a terminal one line is rewritten in place with '\r' (tqdm's default look, 10 cells, smoothing=0 rate):
//
//     loss=0.0765 batch_id=468: 100%|██████████| 469/469 [00:19<00:00, 24.34it/s]
//     └─ description ──────────┘ └%┘ └─ bar ──┘ done/total elapsed<remaining, rate
//
// and a newline ends it when the bar is closed. The pieces follow tqdm's format_meter:
//   percentage  100·done/total, printf "%3.0f"              ("100" already at 468/469, as tqdm shows it)
//   bar         u = ⌊frac·10·8⌋ eighths: ⌊u/8⌋ full cells '█', then one partial cell " ▏▎▍▌▋▊▉"[u mod 8] and blanks
//   elapsed     [H:]MM:SS of the whole seconds since the bar was created
//   remaining   (total − done)/rate as [H:]MM:SS, "?" while the rate is unknown
//   rate        done/elapsed as "%5.2fit/s", or its inverse as "%5.2fs/it" when slower than 1 it/s, "?it/s" unknown
// A redraw happens at most every min_interval_s (the last batch is always drawn); a shorter line is padded with
// blanks so nothing of the previous one is left on screen.
//
// When the output is not a terminal (isatty false), or the environment variable CI is set (non-empty), or the mode
// says so, no '\r' is ever written: one line per 10% of the batches and one at the end,
//
//     epoch 3 batch 235/469 loss=0.0812 24.1 it/s
//
// Time comes from an injectable clock (seconds as a double), so tests are exact without sleeping.
// Tests: tests/test_progress.cpp.
#pragma once

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#if defined(_WIN32)
#include <io.h>
#else
#include <unistd.h>
#endif

namespace minitorch {

enum class ProgressMode {
    automatic,  ///< bar on an interactive terminal, lines otherwise (see progress::is_interactive)
    bar,        ///< always the carriage-return bar
    lines,      ///< always periodic plain lines
};

struct ProgressOptions {
    std::FILE* out = stdout;
    std::string description{};  ///< e.g. "epoch 3"; put before "loss=…" in the bar and before "batch …" in the lines
    ProgressMode mode = ProgressMode::automatic;
    double min_interval_s = 0.1;      ///< the bar is redrawn at most this often (the last batch is always drawn)
    std::function<double()> clock{};  ///< seconds from any fixed origin; empty = std::chrono::steady_clock
};

/// The pieces of the display, as pure functions (each the tqdm formula named in the header comment).
namespace progress {

/// x with `decimals` digits after the point, left-padded with blanks to `width` (printf "%width.decimalsf", but
/// independent of the C locale).
inline std::string fixed(double x, int decimals, std::size_t width = 0) {
    char buf[400];
    const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, decimals);
    std::string s(buf, r.ptr);
    if (s.size() < width) s.insert(0, width - s.size(), ' ');
    return s;
}

/// Number of characters (UTF-8 code points) in s, i.e. its width on a terminal for the characters used here.
inline std::size_t display_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

/// Whole seconds as "MM:SS", or "H:MM:SS" from one hour on (tqdm's format_interval).
inline std::string format_interval(double seconds) {
    if (!(seconds > 0)) seconds = 0;
    if (seconds > 1e12) seconds = 1e12;  // keeps the integer conversion defined
    const long long t = static_cast<long long>(seconds), s = t % 60, m = (t / 60) % 60, h = t / 3600;
    char buf[48];
    if (h > 0)
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, s);
    else
        std::snprintf(buf, sizeof buf, "%02lld:%02lld", m, s);
    return buf;
}

/// done/elapsed as "24.34it/s", " 2.50s/it" when slower than one iteration per second, "?it/s" when unknown.
inline std::string format_rate(std::size_t done, double elapsed) {
    if (!(elapsed > 0) || done == 0) return "?it/s";
    const double rate = static_cast<double>(done) / elapsed, inverse = 1 / rate;
    return inverse > 1 ? fixed(inverse, 2, 5) + "s/it" : fixed(rate, 2, 5) + "it/s";
}

/// The bar of `cells` cells for a fraction in [0, 1], in eighths of a cell.
inline std::string render_bar(double fraction, std::size_t cells = 10) {
    static constexpr const char* partial[8] = {" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    if (!(fraction > 0)) fraction = 0;
    if (fraction > 1) fraction = 1;
    const auto eighths = static_cast<std::size_t>(fraction * static_cast<double>(cells) * 8);
    const std::size_t full = eighths / 8;
    std::string bar;
    for (std::size_t i = 0; i < full; ++i) bar += "█";
    if (full < cells) {
        bar += partial[eighths % 8];
        bar.append(cells - full - 1, ' ');
    }
    return bar;
}

/// The whole bar line, "<prefix>: <pct>%|<bar>| done/total [elapsed<remaining, rate]" (no prefix, no ": ").
inline std::string format_meter(std::string_view prefix, std::size_t done, std::size_t total, double elapsed) {
    std::string line(prefix);
    if (!prefix.empty() && !prefix.ends_with(": ")) line += ": ";
    const double fraction = static_cast<double>(done) / static_cast<double>(total);
    const bool rate_known = elapsed > 0 && done > 0;
    const double rate = rate_known ? static_cast<double>(done) / elapsed : 0;
    const std::string remaining =
        rate_known ? format_interval(static_cast<double>(total > done ? total - done : 0) / rate) : "?";
    line += fixed(fraction * 100, 0, 3) + "%|" + render_bar(fraction) + "| " + std::to_string(done) + "/" +
            std::to_string(total) + " [" + format_interval(elapsed) + "<" + remaining + ", " +
            format_rate(done, elapsed) + "]";
    return line;
}

/// One plain progress line: "[description ]batch 235/469 loss=0.0812 24.1 it/s" (or "2.5 s/it", "? it/s").
inline std::string format_line(std::string_view description, std::size_t done, std::size_t total, double loss,
                               double elapsed) {
    std::string line(description);
    if (!line.empty()) line += ' ';
    line += "batch " + std::to_string(done) + "/" + std::to_string(total) + " loss=" + fixed(loss, 4) + " ";
    if (!(elapsed > 0) || done == 0) return line + "? it/s";
    const double rate = static_cast<double>(done) / elapsed, inverse = 1 / rate;
    return line + (inverse > 1 ? fixed(inverse, 1) + " s/it" : fixed(rate, 1) + " it/s");
}

/// True when `out` is a terminal and CI is unset or empty: where a carriage-return bar belongs.
inline bool is_interactive(std::FILE* out) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && *ci != '\0') return false;
#if defined(_WIN32)
    return _isatty(_fileno(out)) != 0;
#else
    return isatty(fileno(out)) != 0;
#endif
}

}  // namespace progress

/// "Test set: Average loss: 0.0784, Accuracy: 9800/10000 (98.00%)" — 4 decimals of loss, 2 of percent.
inline std::string format_test_line(double avg_loss, std::size_t correct, std::size_t total) {
    if (total == 0) throw std::invalid_argument("format_test_line: total must be > 0");
    if (correct > total)
        throw std::invalid_argument("format_test_line: correct (" + std::to_string(correct) + ") exceeds total (" +
                                    std::to_string(total) + ")");
    return "Test set: Average loss: " + progress::fixed(avg_loss, 4) + ", Accuracy: " + std::to_string(correct) + "/" +
           std::to_string(total) + " (" +
           progress::fixed(100.0 * static_cast<double>(correct) / static_cast<double>(total), 2) + "%)";
}

/// Progress of one pass over `total` batches: call update(done, loss) after each batch, then close() (or let the
/// destructor do it). See the header comment for what is printed.
class ProgressBar {
  public:
    explicit ProgressBar(std::size_t total, ProgressOptions options = {}) : total_(total), opt_(std::move(options)) {
        if (total_ == 0) throw std::invalid_argument("ProgressBar: total must be > 0 batches, got 0");
        if (opt_.out == nullptr) throw std::invalid_argument("ProgressBar: the output stream is null");
        if (!(opt_.min_interval_s >= 0) || !std::isfinite(opt_.min_interval_s))
            throw std::invalid_argument("ProgressBar: min_interval_s must be a finite number ≥ 0, got " +
                                        progress::fixed(opt_.min_interval_s, 3));
        if (!opt_.clock)
            opt_.clock = [] {
                return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
            };
        bar_ = opt_.mode == ProgressMode::bar ||
               (opt_.mode == ProgressMode::automatic && progress::is_interactive(opt_.out));
        start_ = opt_.clock();
        if (bar_) draw(start_);  // tqdm shows "  0%|          | 0/469 [00:00<?, ?it/s]" straight away
    }

    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    ~ProgressBar() {
        try {
            close();
        } catch (...) {  // a destructor must not throw; close() only writes
        }
    }

    /// `done` batches of `total` are finished; `loss` is the last batch's loss.
    void update(std::size_t done, double loss) {
        if (closed_) throw std::logic_error("ProgressBar: update called after close()");
        if (done > total_)
            throw std::invalid_argument("ProgressBar: update(" + std::to_string(done) + ", …) is past the total of " +
                                        std::to_string(total_) + " batches");
        done_ = done;
        loss_ = loss;
        have_loss_ = true;
        const double now = opt_.clock();
        if (bar_) {
            if (done_ == total_ || now - last_draw_ >= opt_.min_interval_s)
                draw(now);
            else
                dirty_ = true;
        } else if (done_ == total_ || decile(done_) > decile(printed_done_)) {
            print_line(now);
        }
    }

    /// Ends the display: the bar gets its latest state and a newline; lines mode prints the latest state if the last
    /// line did not show it. Idempotent.
    void close() {
        if (closed_) return;
        closed_ = true;
        if (bar_) {
            if (dirty_) draw(opt_.clock());
            std::fputc('\n', opt_.out);
            std::fflush(opt_.out);
        } else if (have_loss_ && done_ != printed_done_) {
            print_line(opt_.clock());
        }
    }

    /// True for the carriage-return bar, false for periodic lines (the resolved mode).
    bool is_bar() const noexcept { return bar_; }
    std::size_t total() const noexcept { return total_; }

  private:
    std::size_t decile(std::size_t done) const { return done * 10 / total_; }

    // The bar's description: the user's words, then the notebook's "loss=… batch_id=…" once a batch is done.
    std::string prefix() const {
        std::string p = opt_.description;
        if (!have_loss_) return p;
        if (!p.empty()) p += ' ';
        p += "loss=" + progress::fixed(loss_, 4);
        if (done_ > 0) p += " batch_id=" + std::to_string(done_ - 1);
        return p;
    }

    void draw(double now) {
        const std::string line = progress::format_meter(prefix(), done_, total_, now - start_);
        const std::size_t length = progress::display_length(line);
        std::string out = "\r" + line;
        if (length < last_length_) out.append(last_length_ - length, ' ');
        std::fputs(out.c_str(), opt_.out);
        std::fflush(opt_.out);
        last_length_ = length;
        last_draw_ = now;
        dirty_ = false;
    }

    void print_line(double now) {
        const std::string line = progress::format_line(opt_.description, done_, total_, loss_, now - start_) + "\n";
        std::fputs(line.c_str(), opt_.out);
        std::fflush(opt_.out);
        printed_done_ = done_;
    }

    std::size_t total_;
    ProgressOptions opt_;
    bool bar_ = false;
    double start_ = 0, last_draw_ = 0;
    std::size_t done_ = 0, printed_done_ = 0, last_length_ = 0;
    double loss_ = 0;
    bool have_loss_ = false, dirty_ = false, closed_ = false;
};

}  // namespace minitorch
