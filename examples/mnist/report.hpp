// The MNIST example's output files: the metrics CSV and its curves (--csv, --plot), and the report folder of
// --report DIR — the pictures of how the network trained and what it gets wrong, updated after every epoch so a long
// run can be watched in a browser (DIR/index.html). Every file is written to a temporary file and renamed into place
// (an interrupted run leaves the previous complete file); plots need gnuplot, and a missing gnuplot skips them with
// one warning, not the run. The images without axes (confusion, mistakes, filters) are drawn by report_images.cpp.
// docs/mnist.md shows the committed run's report and how to read each picture. Tests: tests/test_mnist_report.cpp.
#pragma once

#include "log.hpp"

#include <minitorch/data/mnist.hpp>
#include <minitorch/sequential.hpp>
#include <minitorch/train/loop.hpp>
#include <minitorch/train/monitor.hpp>

#include <cstddef>
#include <string>

namespace mnist_example {

/// The temporary files the metrics CSV and the curves are written to before they are renamed into place (next to
/// the file they replace). Throw "<path>: cannot write the <what>: …" for a target that is not a regular file.
std::string csv_temporary(const std::string& csv);
std::string plot_temporary(const std::string& png);

/// Writes `contents` to `path` atomically (all of it or the previous file); errors name the path, the `what`
/// ("metrics file") and the reason.
void write_text_file(const std::string& path, const std::string& contents, const std::string& what);

/// Loss and accuracy curves from the metrics CSV (epoch,lr_end,train_loss,train_acc,test_loss,test_acc,…) with
/// gnuplot; says so in the log and returns when gnuplot is missing or fails.
void plot_curves(const std::string& csv, const std::string& png, Log& log);

/// The report of --report DIR. Files (what each shows: index.html, docs/mnist.md):
///   training():   metrics.csv, curves.png, layers.csv, tensors.csv, layers.png, updates.png
///   evaluation(): confusion.csv, confusion.png, mistakes.png, filters.png
///   index():      index.html
class Report {
  public:
    /// Creates the folder (and its parents) and checks that files can be created in it; throws naming the folder.
    Report(std::string dir, Log& log);

    /// After an epoch: the metrics so far (the CSV text) and the monitor's records, as files and plots.
    void training(const std::string& metrics_csv, const minitorch::TrainingMonitor<float>& monitor);
    /// After an evaluation of `net` on `test_set`: the confusion matrix, the most confident mistakes, and the first
    /// convolution's kernels with their maps for test digit 0 (computed here with an eval-mode forward, which leaves
    /// every number of the model as it was).
    void evaluation(const minitorch::EvaluationDetails& details, const minitorch::MnistDataset& test_set,
                    minitorch::Sequential<float>& net);
    /// index.html, showing what has been written so far, with `status` ("epoch 3 of 15") on top; while `running`
    /// the page reloads itself every 30 s.
    void index(const std::string& status, bool running);

  private:
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    bool gnuplot();  // whether it is installed (looked up once; one warning when it is not)
    /// `name` from a gnuplot script `body` (after the report's preamble: terminal, output, palette over `layers`).
    void plot(const std::string& name, int width, int height, std::size_t layers, const std::string& body);

    std::string dir_;
    Log* log_;
    bool gnuplot_checked_ = false, has_gnuplot_ = false;
    bool trained_ = false;     // training() ran: the training pictures exist
    bool evaluated_ = false;   // evaluation() ran
    std::string layer_names_;  // "<tr><td>0</td><td>Conv2d(1→16, k=3, bias=false)</td></tr>…" for index.html
};

}  // namespace mnist_example
