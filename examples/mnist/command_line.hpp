// The MNIST example's command line: its settings (Config) and parse_command_line, which reads and checks them.
// In a file of its own (command_line.cpp) because CLI11 is the heaviest header of the example: mnist.cpp, the part a
// student edits, compiles in a fraction of the time without it (docs/benchmarks.md, "Compile time").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mnist_example {

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
    std::size_t step_size = 5;  // StepLR
    double gamma = 0.1;         // StepLR
    double rotate = 7.0;        // degrees, training augmentation
    std::uint64_t seed = 1;
    std::size_t threads = 1;
    std::string save, load, csv, plot, log;
    std::string report;  // --report DIR: the report folder (report.hpp)
    bool eval_only = false;
    bool list_isas = false;
    std::string progress = "auto";  // auto | bar | lines
};

/// What parse_command_line decided: run with the settings, or exit with this status (0: --help or --list-isas done;
/// 2: a usage error, already printed with the help text).
struct CommandLine {
    bool run = false;
    int exit_status = 0;
};

/// Fills cfg from argv (defaults for what is not given), checking every value and the combinations of flags, and
/// MINITORCH_ISA. Prints --help, --list-isas and usage errors itself.
CommandLine parse_command_line(int argc, char** argv, Config& cfg);

}  // namespace mnist_example
