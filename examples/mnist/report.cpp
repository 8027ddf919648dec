// The MNIST example's output files: the metrics CSV, the curves, and the --report folder (report.hpp).
#include "report.hpp"

#include "report_images.hpp"

#include <minitorch/io/files.hpp>
#include <minitorch/io/png.hpp>
#include <minitorch/layers/conv2d.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
namespace files = minitorch::files;

namespace mnist_example {

namespace {

/// The file a write of `path` replaces (symbolic links followed, io/files.hpp), or throws "<path>: cannot write the
/// <what>: is a directory, not a regular file: refusing to replace it" for a target that is not a regular file.
std::string target_of(const std::string& path, const std::string& what) {
    try {
        return files::replace_target(path).string();
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(path + ": cannot write the " + what + ": " + e.what());
    }
}

/// Runs gnuplot on `script` (which must `set output` to `tmp`) and renames tmp to `png`. Returns an empty string,
/// or why it could not (the caller logs it). gnuplot's own messages go to "<tmp>.log", shown when it fails.
std::string run_gnuplot(const std::string& script, const std::string& tmp, const std::string& png,
                        const std::string& what) {
    const std::string messages = tmp + ".log";
    std::error_code ec;
    FILE* gp = popen(("gnuplot >'" + messages + "' 2>&1").c_str(), "w");
    if (!gp) return "gnuplot could not be started: skipped " + png;
    std::fputs(script.c_str(), gp);
    const bool ok = pclose(gp) == 0 && fs::exists(tmp);
    std::string first_message;
    std::getline(std::ifstream(messages) >> std::ws, first_message);
    fs::remove(messages, ec);
    if (!ok) {
        fs::remove(tmp, ec);
        return "gnuplot failed: skipped " + png + (first_message.empty() ? "" : " (gnuplot: " + first_message + ")");
    }
    fs::rename(tmp, target_of(png, what), ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw std::runtime_error(png + ": cannot write the " + what + ": cannot rename " + tmp +
                                 " to it: " + ec.message());
    }
    return "";
}

bool gnuplot_installed() {
    return std::system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/// A number for a gnuplot data block: NaN as gnuplot spells it (missing points are skipped).
std::string number(double v) {
    if (!std::isfinite(v)) return "NaN";
    std::ostringstream s;
    s.precision(9);
    s << v;
    return s.str();
}

/// "ReLU()" → "ReLU", "Conv2d(1→16, k=3, bias=false)" → "Conv2d": the layer's kind, for lists.
std::string kind_of(const std::string& described) {
    return described.substr(0, described.find('('));
}

std::string html_escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

/// How many recorded steps the gradient norms of layers.png are averaged over (geometric mean, centred): they vary
/// several-fold from one step to the next, and 29 such lines are unreadable.
constexpr std::size_t gradient_window = 7;

/// The layers' records grouped per layer, in step order: one gnuplot data block (blocks apart by two blank lines).
/// Columns: epochs, std, gradient norm (averaged over gradient_window steps), zero fraction.
std::string layer_blocks(const std::vector<minitorch::LayerRecord>& records, std::size_t layers, bool relu_only,
                         std::vector<std::size_t>& which) {
    std::string out;
    which.clear();
    for (std::size_t l = 0; l < layers; ++l) {
        std::vector<const minitorch::LayerRecord*> rows;
        for (const auto& r : records)
            if (r.layer == l) rows.push_back(&r);
        if (rows.empty() || (relu_only && kind_of(rows.front()->name) != "ReLU")) continue;
        which.push_back(l);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::size_t first = i >= gradient_window / 2 ? i - gradient_window / 2 : 0;
            const std::size_t last = std::min(rows.size(), i + gradient_window / 2 + 1);
            double log_sum = 0;
            for (std::size_t j = first; j < last; ++j) log_sum += std::log(rows[j]->grad_norm);
            const double gradient = std::exp(log_sum / static_cast<double>(last - first));
            out += number(rows[i]->at.epochs) + ' ' + number(rows[i]->std) + ' ' + number(gradient) + ' ' +
                   number(rows[i]->zero_fraction) + '\n';
        }
        out += "\n\n";
    }
    return out;
}

std::string gnuplot_array(const std::string& name, const std::vector<std::size_t>& values) {
    if (values.empty()) return "";  // gnuplot has no empty arrays; a plot that would use it is left out
    std::string out = "array " + name + "[" + std::to_string(values.size()) + "] = [";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(values[i]);
    }
    return out + "]\n";
}

/// What every plot of the report shares: UTF-8, one palette from blue (the first layers) to red (the last).
std::string plot_preamble(const std::string& tmp, int width, int height, std::size_t layers) {
    return "set encoding utf8\n"
           "set terminal pngcairo size " +
           std::to_string(width) + "," + std::to_string(height) +
           " font ',10'\n"
           "set output '" +
           tmp +
           "'\n"
           "set palette defined (0 '#1f3a93', 0.3 '#1e90d6', 0.55 '#2ca25f', 0.8 '#f39c12', 1 '#c0392b')\n"
           "set cbrange [0:" +
           std::to_string(layers ? layers - 1 : 1) +
           "]\n"
           "set cblabel 'layer (index in the Sequential)'\n"
           "set xlabel 'epoch'; set grid; unset key\n";
}

}  // namespace

std::string csv_temporary(const std::string& csv) {
    return target_of(csv, "metrics file") + ".tmp";
}
std::string plot_temporary(const std::string& png) {
    return target_of(png, "plot") + ".tmp.png";
}

void write_text_file(const std::string& path, const std::string& contents, const std::string& what) {
    const std::string tmp = target_of(path, what) + ".tmp";
    {
        std::ofstream out(tmp, std::ios::out | std::ios::trunc);
        if (!out) {
            const int err = errno;
            throw std::runtime_error(path + ": cannot write the " + what + ": cannot create " + tmp + ": " +
                                     std::strerror(err));
        }
        out << contents;
        if (!out.flush()) {
            out.close();
            fs::remove(tmp);
            throw std::runtime_error(path + ": cannot write the " + what + ": cannot write " + tmp);
        }
    }
    std::error_code ec;
    fs::rename(tmp, target_of(path, what), ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw std::runtime_error(path + ": cannot write the " + what + ": cannot rename " + tmp +
                                 " to it: " + ec.message());
    }
}

namespace {
/// The curves' gnuplot script: loss (log) and accuracy per epoch from the metrics CSV, into `tmp`.
std::string curves_script(const std::string& csv, const std::string& tmp) {
    return "set terminal pngcairo size 1100,420 font ',10'\n"
           "set output '" +
           tmp +
           "'\n"
           "set datafile separator ','\n"
           "set multiplot layout 1,2 title 'minitorch: the course MNIST CNN (11,392 parameters)'\n"
           "set xlabel 'epoch'; set ylabel 'loss (NLL)'; set grid; set key top right\n"
           "set logscale y\n"
           "plot '" +
           csv +
           "' using 1:3 with linespoints title 'train loss', '' using 1:5 with linespoints title 'test loss'\n"
           "unset logscale y\n"
           "set ylabel 'accuracy (%)'; set key bottom right; set yrange [97:100]\n"
           "plot '" +
           csv +
           "' using 1:($4*100) with linespoints title 'train accuracy', "
           "'' using 1:($6*100) with linespoints title 'test accuracy', 99.4 with lines dt 2 lc rgb 'red' title '99.4% "
           "bar'\n"
           "unset multiplot\n";
}
}  // namespace

void plot_curves(const std::string& csv, const std::string& png, Log& log) {
    if (!gnuplot_installed()) {
        log.line("gnuplot not found: skipped the plot (scripts/setup installs gnuplot-nox)");
        return;
    }
    const std::string tmp = plot_temporary(png);
    const std::string failed = run_gnuplot(curves_script(csv, tmp), tmp, png, "plot");
    log.line(failed.empty() ? "wrote " + png : failed);
}

Report::Report(std::string dir, Log& log) : dir_(std::move(dir)), log_(&log) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
    std::error_code ec;
    const fs::file_status status = fs::status(dir_, ec);
    if (fs::exists(status) && !fs::is_directory(status))
        throw std::runtime_error(dir_ + ": cannot write the report: it is " + files::kind_of(status) +
                                 ", not a folder");
    fs::create_directories(dir_, ec);
    if (ec) throw std::runtime_error(dir_ + ": cannot create the report folder: " + ec.message());
    const std::string trial = path(".write-test.tmp");  // the reason now, not after the first epoch
    const int fd = ::open(trial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int err = errno;
        throw std::runtime_error(dir_ + ": cannot write the report: cannot create files in it: " + std::strerror(err));
    }
    ::close(fd);
    ::unlink(trial.c_str());
}

bool Report::gnuplot() {
    if (!gnuplot_checked_) {
        gnuplot_checked_ = true;
        has_gnuplot_ = gnuplot_installed();
        if (!has_gnuplot_)
            log_->line(
                "gnuplot not found: the report's plots (curves, layers, updates) are skipped; its images and "
                "CSV files are written (scripts/setup installs gnuplot-nox)");
    }
    return has_gnuplot_;
}

void Report::plot(const std::string& name, int width, int height, std::size_t layers, const std::string& body) {
    const std::string png = path(name), tmp = plot_temporary(png);
    const std::string failed = run_gnuplot(plot_preamble(tmp, width, height, layers) + body, tmp, png, "plot");
    if (!failed.empty()) log_->line(failed);
}

void Report::training(const std::string& metrics_csv, const minitorch::TrainingMonitor<float>& monitor) {
    write_text_file(path("metrics.csv"), metrics_csv, "metrics file");
    write_text_file(path("layers.csv"), monitor.layers_csv(), "monitor's layer file");
    write_text_file(path("tensors.csv"), monitor.tensors_csv(), "monitor's tensor file");
    trained_ = true;
    const auto& records = monitor.layers();
    std::size_t layers = 0;
    layer_names_.clear();
    for (const auto& r : records) {
        if (r.layer < layers) continue;
        layers = r.layer + 1;
        layer_names_ += "<tr><td>" + std::to_string(r.layer) + "</td><td>" + html_escape(r.name) + "</td></tr>";
    }
    if (!gnuplot() || records.empty()) return;
    {
        const std::string png = path("curves.png"), tmp = plot_temporary(png);
        const std::string failed = run_gnuplot(curves_script(path("metrics.csv"), tmp), tmp, png, "plot");
        if (!failed.empty()) log_->line(failed);
    }

    // layers.png: each layer's output std and received gradient norm over training; the ReLUs' zero fractions.
    std::vector<std::size_t> all, relus;
    const std::string every_layer = layer_blocks(records, layers, false, all);
    const std::string relu_layers = layer_blocks(records, layers, true, relus);
    const std::string layer_plot =
        "$layers << EOD\n" + every_layer + "EOD\n$relus << EOD\n" + relu_layers + "EOD\n" + gnuplot_array("all", all) +
        gnuplot_array("relu", relus) +
        "set multiplot layout 1,3 title \"Each layer's output over training (colour: the layer's depth, from dark blue "
        "= "
        "the first conv to red = the last layer)\"\n"
        "unset colorbox\n"
        "set logscale y; set format y '10^{%T}'\n"
        "set title 'standard deviation of the output (log)'\n"
        "plot for [j=1:|all|] $layers index (j-1) using 1:2 with lines lw 1.5 lc palette cb all[j]\n"
        "set title 'norm of the gradient the layer receives, ‖dL/dy‖ (log; geometric mean of " +
        std::to_string(gradient_window) +
        " recorded steps)'\n"
        "plot for [j=1:|all|] $layers index (j-1) using 1:3 with lines lw 1.5 lc palette cb all[j]\n"
        "unset logscale y; set format y '%g'; set colorbox\n"
        "set title 'fraction of exact zeros after each ReLU (dead units)'; set yrange [0:1]\n"
        "plot for [j=1:|relu|] $relus index (j-1) using 1:4 with lines lw 2 lc palette cb relu[j]\n"
        "unset multiplot\n";
    plot("layers.png", 1650, 520, layers, layer_plot);

    // updates.png: ‖Δw‖/‖w‖ per recorded step for every layer's weight (the convolutions' solid, BatchNorm's scale
    // dashed), with the 1e-3 rule of thumb.
    std::string conv_blocks, norm_blocks;
    std::vector<std::size_t> conv_depth, norm_depth;
    for (std::size_t l = 0; l < layers; ++l) {
        const std::string name = std::to_string(l) + ".weight";
        std::string block, kind;
        for (const auto& t : monitor.tensors())
            if (t.name == name && t.trainable) block += number(t.at.epochs) + ' ' + number(t.update_ratio) + '\n';
        for (const auto& r : records)
            if (r.layer == l) kind = kind_of(r.name);
        if (block.empty()) continue;
        const bool norm = kind.rfind("BatchNorm", 0) == 0;
        (norm ? norm_depth : conv_depth).push_back(l);
        (norm ? norm_blocks : conv_blocks) += block + "\n\n";
    }
    if (conv_depth.empty() && norm_depth.empty()) return;
    std::string curves;
    if (!conv_depth.empty())
        curves +=
            "for [j=1:|conv|] $conv index (j-1) using 1:2 with lines lw 1.5 lc palette cb conv[j] "
            "title (j == 1 ? 'weights of the convolutions and Linear layers' : ''), ";
    if (!norm_depth.empty())
        curves +=
            "for [j=1:|norm|] $norm index (j-1) using 1:2 with lines lw 1.5 dt 2 lc palette cb norm[j] "
            "title (j == 1 ? 'BatchNorm scales (weight)' : ''), ";
    const std::string update_plot =
        "$conv << EOD\n" + conv_blocks + "EOD\n$norm << EOD\n" + norm_blocks + "EOD\n" +
        gnuplot_array("conv", conv_depth) + gnuplot_array("norm", norm_depth) +
        "set title \"Update-to-weight ratio ‖Δw‖ / ‖w‖ of each layer's weight, per recorded step (log; colour: "
        "depth)\"\n"
        "set logscale y; set format y '10^{%T}'; set ylabel '‖Δw‖ / ‖w‖'; set key top right\n"
        "plot " +
        curves + "1e-3 with lines dt 3 lw 2 lc rgb 'black' title '10^{-3}: the rule of thumb'\n";
    plot("updates.png", 1000, 520, layers, update_plot);
}

void Report::evaluation(const minitorch::EvaluationDetails& details, const minitorch::MnistDataset& test_set,
                        minitorch::Sequential<float>& net) {
    if (details.confusion.size() != 10)
        throw std::logic_error("the report needs 10 classes, the network gives " +
                               std::to_string(details.confusion.size()));
    std::array<std::array<std::size_t, 10>, 10> counts{};
    std::string csv = "true\\predicted,0,1,2,3,4,5,6,7,8,9\n";
    for (std::size_t t = 0; t < 10; ++t) {
        csv += std::to_string(t);
        for (std::size_t p = 0; p < 10; ++p) {
            counts[t][p] = details.confusion[t][p];
            csv += ',' + std::to_string(counts[t][p]);
        }
        csv += '\n';
    }
    write_text_file(path("confusion.csv"), csv, "confusion matrix");
    png::write(path("confusion.png"), draw_confusion(counts));

    const minitorch::LoaderOptions normalise;  // the loader's mean and standard deviation
    const std::size_t H = test_set.height, W = test_set.width;
    const auto normalised = [&](std::size_t index) {
        std::vector<float> image(H * W);
        const std::uint8_t* pixels = test_set.image(index);
        for (std::size_t i = 0; i < H * W; ++i)
            image[i] = static_cast<float>((pixels[i] / 255.0 - normalise.mean) / normalise.stddev);
        return image;
    };
    std::vector<Mistake> mistakes;
    for (const minitorch::Mistake& m : details.mistakes)
        mistakes.push_back(
            {m.index, static_cast<int>(m.label), static_cast<int>(m.predicted), m.probability, normalised(m.index)});
    png::write(path("mistakes.png"), draw_mistakes(mistakes, H, W));

    // filters.png: layer 0's kernels and its output (before the ReLU) for test digit 0, by an eval-mode forward
    // (no running statistic moves, no Dropout mask is drawn: training goes on as if it had not happened).
    const auto& conv = net.at<minitorch::Conv2d<float>>(0);  // the net of mnist_net.hpp starts with its first conv
    const minitorch::Tensor<float>& w = conv.weight();       // [16, 1, 3, 3]
    if (w.rank() != 4 || w.dim(1) != 1 || w.dim(2) != w.dim(3))
        throw std::logic_error("the report's filters need a first convolution on one channel with square kernels");
    const bool was_training = net.is_training();
    net.eval();
    const std::vector<float> digit = normalised(0);
    const minitorch::Tensor<float> x({1, 1, H, W}, std::span<const float>(digit));
    net.forward(x);
    const minitorch::Tensor<float>& maps = net.output(0);  // [1, 16, H − 2, W − 2]
    png::write(path("filters.png"), draw_filters(std::vector<float>(w.begin(), w.end()), w.dim(0), w.dim(2), digit, H,
                                                 W, std::vector<float>(maps.begin(), maps.end()), maps.dim(2),
                                                 maps.dim(3), static_cast<int>(test_set.labels[0])));
    net.train(was_training);
    evaluated_ = true;
}

void Report::index(const std::string& status, bool running) {
    struct Picture {
        const char* file;
        bool shown;
        const char* title;
        const char* look_for;
    };
    const bool plots = trained_ && has_gnuplot_;
    const Picture pictures[] = {
        {"curves.png", plots, "Loss and accuracy per epoch",
         "the test loss should fall with the training loss; a test loss that rises while the training loss falls is "
         "overfitting. The red line is the 99.4% bar."},
        {"layers.png", plots, "Every layer's output over training",
         "activations that keep a similar scale through the depth, gradients that do not shrink by orders of "
         "magnitude on their way back to the first (blue) layers, and ReLUs that do not die (a zero fraction near 1)."},
        {"updates.png", plots, "Update-to-weight ratio per layer",
         "lines near the dotted 10⁻³: far below, a layer barely learns; far above, training is unstable. With "
         "OneCycle they rise with the learning rate and fall at the end."},
        {"confusion.png", evaluated_, "Confusion matrix on the test set",
         "the off-diagonal cells: which digit is taken for which (4↔9, 3↔5, 7↔2 are the usual ones). "
         "confusion.csv has the numbers."},
        {"mistakes.png", evaluated_, "The 25 most confident mistakes",
         "whether the network is wrong on digits a person would also misread, or on clear ones."},
        {"filters.png", evaluated_, "The first convolution: its 16 kernels and their maps for a test digit",
         "kernels that are edge and stroke detectors (a red side and a blue side), and maps that light up along "
         "the strokes of the digit in different directions."},
    };
    std::string html =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>minitorch MNIST report</title>\n";
    if (running) html += "<meta http-equiv=\"refresh\" content=\"30\">\n";
    html +=
        "<style>body{font-family:sans-serif;max-width:1700px;margin:1em auto;padding:0 1em;color:#222}"
        "img{max-width:100%;border:1px solid #ccc}h2{margin-top:1.6em}p.look{color:#444}"
        "table{border-collapse:collapse}td{padding:0 .6em;font-size:90%}</style>\n</head>\n<body>\n"
        "<h1>minitorch MNIST: inside the training</h1>\n<p>" +
        html_escape(status) + (running ? " — this page reloads every 30 s" : "") + "</p>\n";
    for (const Picture& p : pictures) {
        if (!p.shown) continue;
        html += std::string("<h2>") + p.title + "</h2>\n<p class=\"look\">What to look for: " + p.look_for +
                "</p>\n<img src=\"" + p.file + "\" alt=\"" + p.title + "\">\n";
    }
    if (trained_ && !has_gnuplot_) html += "<p>(gnuplot was not installed: the plots were skipped.)</p>\n";
    if (!layer_names_.empty())
        html += "<h2>The layers (the colours of the plots go from the first to the last)</h2>\n<table>" + layer_names_ +
                "</table>\n";
    html +=
        "<p>Data: metrics.csv, layers.csv and tensors.csv (the monitor's records, docs/monitor.md), "
        "confusion.csv.</p>\n</body>\n</html>\n";
    write_text_file(path("index.html"), html, "report page");
}

}  // namespace mnist_example
