// examples/toy_backprop/toy_network.hpp — the course spreadsheet's 2-2-2 network, built from minitorch's layers, and
// the toy_backprop example's command-line parser. Shared by examples/toy_backprop/toy_backprop.cpp and
// tests/test_toy_backprop.cpp. Every equation here is derived in docs/backprop.md.
//
//   h1 = w1·i1 + w2·i2 + b_h1     a_h1 = σ(h1)      o1 = w5·a_h1 + w6·a_h2 + b_o1     a_o1 = σ(o1)
//   h2 = w3·i1 + w4·i2 + b_h2     a_h2 = σ(h2)      o2 = w7·a_h1 + w8·a_h2 + b_o2     a_o2 = σ(o2)
//   E_total = ½(t1 − a_o1)² + ½(t2 − a_o2)²,   σ(x) = 1 / (1 + e^(−x))
// Sigmoid hidden and output units, plain gradient descent w ← w − η·∂E_total/∂w on all eight weights at once.
// By default there are no biases (the course sheet). With biases (Matt Mazur's "A Step by Step Backpropagation
// Example", 2015) b_h1 = b_h2 = b1 and b_o1 = b_o2 = b2 at the start; they stay fixed, as in Mazur's walk-through,
// or are trained with the weights, one per neuron as PyTorch's Linear holds them, and then may drift apart.
#pragma once

#include "../common/parse_real.hpp"

#include <minitorch/layers/activation.hpp>
#include <minitorch/layers/linear.hpp>
#include <minitorch/loss.hpp>
#include <minitorch/optim/sgd.hpp>
#include <minitorch/random.hpp>
#include <minitorch/sequential.hpp>
#include <minitorch/tensor.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace toy {

using Pair = std::array<double, 2>;     ///< (i1, i2) or (t1, t2)
using Weights = std::array<double, 8>;  ///< w1..w8, or ∂E/∂w1..∂E/∂w8
using Biases = std::array<double, 4>;   ///< one per neuron: b_h1, b_h2, b_o1, b_o2 (or their ∂E/∂b)

/// The bias of every neuron from the command line's two values: b1 for both hidden neurons, b2 for both outputs.
inline Biases per_neuron(const Pair& b1_b2) {
    return {b1_b2[0], b1_b2[0], b1_b2[1], b1_b2[1]};
}

/// The course set-up (inputs, targets and initial weights), and the biases when there are any.
struct Setup {
    Pair inputs{0.05, 0.1};
    Pair targets{0.5, 0.5};
    Weights weights{0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55};
    std::optional<Pair> biases;  ///< (b1, b2); none: the course's bias-free network
    bool train_biases = false;   ///< with biases: update them with the weights (else they stay at b1, b2)
};

/// The six learning rates the course asks for.
inline const std::vector<double> course_learning_rates{0.1, 0.2, 0.5, 0.8, 1.0, 2.0};

// ---- the network, from the library's layers ------------------------------------------------------------------------

/// Linear(2→2) → Sigmoid → Linear(2→2) → Sigmoid, holding w1..w8 in PyTorch's [out, in] weight layout (row = the
/// unit fed, column = the unit feeding it) and, when `biases` is given, b_h1..b_o2 in the layers' [out] biases:
///   layer 0 ("0.weight") = [[w1, w2], [w3, w4]], "0.bias" = [b_h1, b_h2]   so  [h1, h2] = [i1, i2]·W₀ᵀ + b₀
///   layer 2 ("2.weight") = [[w5, w6], [w7, w8]], "2.bias" = [b_o1, b_o2]   so  [o1, o2] = [a_h1, a_h2]·W₂ᵀ + b₂
/// Without `biases` both layers are built with bias = false (the course sheet's network).
inline minitorch::Sequential<double> make_network(const Weights& w,
                                                  const std::optional<Biases>& biases = std::nullopt) {
    using namespace minitorch;
    Generator unused(0);  // the constructors' random init is overwritten below; keep the global generator untouched
    const bool has_bias = biases.has_value();
    Linear<double> hidden({.in = 2, .out = 2, .bias = has_bias}, unused);
    Linear<double> output({.in = 2, .out = 2, .bias = has_bias}, unused);
    hidden.set_weight(Tensor<double>({2, 2}, {w[0], w[1], w[2], w[3]}));
    output.set_weight(Tensor<double>({2, 2}, {w[4], w[5], w[6], w[7]}));
    if (has_bias) {
        const Biases& b = *biases;
        hidden.set_bias(Tensor<double>({2}, {b[0], b[1]}));
        output.set_bias(Tensor<double>({2}, {b[2], b[3]}));
    }
    return Sequential<double>(std::move(hidden), Sigmoid<double>(), std::move(output), Sigmoid<double>());
}

namespace detail {

/// The values (gradients: false) or gradients (true) of the parameters named `first` and `second`, flattened in
/// that order into N scalars.
template <std::size_t N>
std::array<double, N> flatten_named(minitorch::Sequential<double>& net, bool gradients, const std::string& first,
                                    const std::string& second) {
    std::array<double, N> out{};
    std::size_t k = 0;
    for (const std::string& name : {first, second}) {
        bool found = false;
        for (auto& p : net.parameters()) {
            if (p.name != name) continue;
            found = true;
            for (double v : gradients ? *p.grad : *p.value) {
                if (k == N)
                    throw std::logic_error("toy::flatten: " + first + " and " + second + " hold more than " +
                                           std::to_string(N) + " scalars");
                out[k++] = v;
            }
        }
        if (!found) throw std::logic_error("toy::flatten: the network has no parameter " + name);
    }
    if (k != N)
        throw std::logic_error("toy::flatten: expected " + std::to_string(N) + " scalars in " + first + " and " +
                               second + ", found " + std::to_string(k));
    return out;
}

}  // namespace detail

/// The network's weights "0.weight" then "2.weight" flattened in order, i.e. w1..w8 (gradients: false) or
/// ∂E/∂w1..∂E/∂w8 (gradients: true).
inline Weights flatten(minitorch::Sequential<double>& net, bool gradients) {
    return detail::flatten_named<8>(net, gradients, "0.weight", "2.weight");
}

/// The network's biases "0.bias" then "2.bias", i.e. b_h1, b_h2, b_o1, b_o2 (gradients: false) or their ∂E/∂b
/// (gradients: true). Throws std::logic_error for a network built without biases.
inline Biases flatten_biases(minitorch::Sequential<double>& net, bool gradients) {
    return detail::flatten_named<4>(net, gradients, "0.bias", "2.bias");
}

/// What gradient descent updates: the weights, and the biases only when they are trained. Fixed biases are left out
/// of the optimiser (as PyTorch code passes torch.optim.SGD only the tensors it should change); backward still
/// computes their gradients.
inline std::vector<minitorch::ParameterRef<double>> trained_parameters(minitorch::Sequential<double>& net,
                                                                       bool train_biases) {
    std::vector<minitorch::ParameterRef<double>> trained;
    for (auto& p : net.parameters())
        if (p.trainable() && (train_biases || p.name.ends_with(".weight"))) trained.push_back(p);
    return trained;
}

/// One row of a training run: the state before update `iteration` (as the spreadsheet lays it out).
struct Row {
    double lr = 0;
    long long iteration = 0;
    double E_total = 0;
    Weights w{};         ///< w1..w8 before this iteration's update
    Weights grad{};      ///< ∂E_total/∂w1..∂E_total/∂w8 at those weights (the library's backward)
    Biases b{};          ///< b_h1, b_h2, b_o1, b_o2 before this update (all 0 without biases)
    Biases bias_grad{};  ///< ∂E_total/∂b_h1..∂E_total/∂b_o2, computed even while the biases are fixed (0 without)
};

/// Plain gradient descent with the library: `iterations` SGD steps at learning rate `lr` (no momentum, no weight
/// decay: w ← w − lr·∂E/∂w, and b ← b − lr·∂E/∂b when setup.train_biases). Returns iterations + 1 rows, row k
/// holding the state after k updates and its E_total and gradient — row 0 is the initial state, row `iterations`
/// the final one.
inline std::vector<Row> train(const Setup& setup, double lr, long long iterations) {
    using namespace minitorch;
    if (iterations < 0)
        throw std::invalid_argument("toy::train: iterations must be ≥ 0, got " + std::to_string(iterations));
    if (setup.train_biases && !setup.biases)
        throw std::invalid_argument("toy::train: train_biases needs biases to train (Setup::biases is empty)");
    const bool has_bias = setup.biases.has_value();
    auto net = has_bias ? make_network(setup.weights, per_neuron(*setup.biases)) : make_network(setup.weights);
    MSELoss<double> loss(Reduction::half_sum);
    SGD<double> sgd(trained_parameters(net, setup.train_biases), {.lr = lr});
    const Tensor<double> x({1, 2}, {setup.inputs[0], setup.inputs[1]});
    const Tensor<double> t({1, 2}, {setup.targets[0], setup.targets[1]});
    std::vector<Row> rows;
    rows.reserve(static_cast<std::size_t>(iterations) + 1);
    for (long long k = 0; k <= iterations; ++k) {
        net.zero_grad();                                   // gradients accumulate: clear last step's (fixed biases too)
        const double e = loss.forward(net.forward(x), t);  // E_total at the current weights
        net.backward(loss.backward());                     // ∂E/∂w (and ∂E/∂b) into every layer's gradients
        Row row{lr, k, e, flatten(net, false), flatten(net, true)};
        if (has_bias) {
            row.b = flatten_biases(net, false);
            row.bias_grad = flatten_biases(net, true);
        }
        rows.push_back(row);
        if (k < iterations) sgd.step();  // w ← w − lr·∂E/∂w (the last row is not updated)
    }
    return rows;
}

// ---- the same network by hand: the spreadsheet's equations, in plain double arithmetic -----------------------------

inline double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

/// Every intermediate value of one forward and backward pass, computed from the closed-form equations.
struct ClosedForm {
    double h1, a_h1, h2, a_h2;  ///< hidden net inputs and activations
    double o1, a_o1, o2, a_o2;  ///< output net inputs and activations
    double E1, E2, E_total;     ///< E_k = ½(t_k − a_ok)²
    double delta_o1, delta_o2;  ///< ∂E/∂o_k = (a_ok − t_k)·a_ok(1 − a_ok)
    double dE_da_h1, dE_da_h2;  ///< ∂E/∂a_hj = δ_o1·w(o1←hj) + δ_o2·w(o2←hj)
    double delta_h1, delta_h2;  ///< ∂E/∂h_j = ∂E/∂a_hj·a_hj(1 − a_hj)
    Weights grad;               ///< ∂E_total/∂w1..∂E_total/∂w8
    Biases bias_grad;  ///< ∂E_total/∂b_h1, ∂b_h2, ∂b_o1, ∂b_o2 = δ_h1, δ_h2, δ_o1, δ_o2 (a net input's ∂/∂b is 1)
};

/// `b` = b_h1, b_h2, b_o1, b_o2; all zero (the default) is the bias-free network, to the last bit (x + 0 = x).
inline ClosedForm closed_form(const Pair& i, const Pair& t, const Weights& w, const Biases& b = {}) {
    ClosedForm c{};
    const auto& [w1, w2, w3, w4, w5, w6, w7, w8] = w;
    const auto& [b_h1, b_h2, b_o1, b_o2] = b;
    c.h1 = w1 * i[0] + w2 * i[1] + b_h1;
    c.a_h1 = sigmoid(c.h1);
    c.h2 = w3 * i[0] + w4 * i[1] + b_h2;
    c.a_h2 = sigmoid(c.h2);
    c.o1 = w5 * c.a_h1 + w6 * c.a_h2 + b_o1;
    c.a_o1 = sigmoid(c.o1);
    c.o2 = w7 * c.a_h1 + w8 * c.a_h2 + b_o2;
    c.a_o2 = sigmoid(c.o2);
    c.E1 = 0.5 * (t[0] - c.a_o1) * (t[0] - c.a_o1);
    c.E2 = 0.5 * (t[1] - c.a_o2) * (t[1] - c.a_o2);
    c.E_total = c.E1 + c.E2;

    c.delta_o1 = (c.a_o1 - t[0]) * c.a_o1 * (1 - c.a_o1);
    c.delta_o2 = (c.a_o2 - t[1]) * c.a_o2 * (1 - c.a_o2);
    c.dE_da_h1 = c.delta_o1 * w5 + c.delta_o2 * w7;
    c.dE_da_h2 = c.delta_o1 * w6 + c.delta_o2 * w8;
    c.delta_h1 = c.dE_da_h1 * c.a_h1 * (1 - c.a_h1);
    c.delta_h2 = c.dE_da_h2 * c.a_h2 * (1 - c.a_h2);
    c.grad = {c.delta_h1 * i[0],   c.delta_h1 * i[1],   c.delta_h2 * i[0],   c.delta_h2 * i[1],
              c.delta_o1 * c.a_h1, c.delta_o1 * c.a_h2, c.delta_o2 * c.a_h1, c.delta_o2 * c.a_h2};
    c.bias_grad = {c.delta_h1, c.delta_h2, c.delta_o1, c.delta_o2};
    return c;
}

// ---- command line ---------------------------------------------------------------------------------------------------

/// What the example runs: the set-up, the learning rates, the iteration count and where the outputs go.
struct Options {
    Setup setup;
    std::vector<double> lrs = course_learning_rates;
    long long iterations = 100;
    std::string csv_path = "toy_backprop.csv";
    std::string plot_path = "toy_backprop_error_curves.png";
    bool plot = true;
    bool help = false;
};

/// The most --iterations accepted: the CSV holds one row per iteration and learning rate.
inline constexpr long long max_iterations = 1'000'000;

/// A bad command line; what() is the one-line reason.
class UsageError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

inline std::string usage(const std::string& program) {
    return "usage: " + program +
           " [options]\n"
           "  --inputs i1,i2          inputs (default 0.05,0.1)\n"
           "  --targets t1,t2         targets (default 0.5,0.5)\n"
           "  --weights w1,...,w8     initial weights (default 0.15,0.2,0.25,0.3,0.4,0.45,0.5,0.55)\n"
           "  --biases b1,b2          add biases: b1 to both hidden neurons' net inputs, b2 to both outputs'\n"
           "                          (default: none, the bias-free network); fixed unless --train-biases\n"
           "  --train-biases          update the biases with the weights, one per neuron as in PyTorch:\n"
           "                          both hidden ones start at b1, both output ones at b2 (needs --biases)\n"
           "  --lrs a,b,...           learning rates, each > 0 (default 0.1,0.2,0.5,0.8,1.0,2.0);\n"
           "                          with just one, the walk-through goes on through its first update\n"
           "  --iterations N          gradient-descent updates per learning rate, 0 ≤ N ≤ 1000000\n"
           "                          (default 100)\n"
           "  --csv PATH              where to write lr,iteration,E_total,w1..w8 (and b_h1,b_h2,b_o1,b_o2\n"
           "                          with --biases) (default toy_backprop.csv)\n"
           "  --plot PATH             where to render the error curves with gnuplot\n"
           "                          (default toy_backprop_error_curves.png)\n"
           "  --no-plot               skip the picture\n"
           "  -h, --help              show this help\n"
           "Values go after the flag or after '=': --iterations 50, --iterations=50.\n"
           "Matt Mazur's walk-through (2015), its first update and 10,000 of them:\n  " +
           program + " --biases 0.35,0.60 --targets 0.01,0.99 --lrs 0.5 --iterations 10000\n";
}

/// Shortest text that reads back as the same double ("0.1", "2", "1e-05").
inline std::string format_number(double v) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

namespace detail {

inline double parse_number(std::string_view flag, std::string_view text) {
    double v = 0;
    if (!examples::parse_real(text, v) || !std::isfinite(v))
        throw UsageError(std::string(flag) + ": '" + std::string(text) + "' is not a finite number");
    return v;
}

/// "a,b,c" → numbers; `count` = 0 accepts any non-zero count.
inline std::vector<double> parse_list(std::string_view flag, std::string_view text, std::size_t count,
                                      std::string_view names) {
    if (text.empty())
        throw UsageError(std::string(flag) + ": expected " +
                         (count != 0 ? std::to_string(count) + " comma-separated numbers (" + std::string(names) + ")"
                                     : std::string("comma-separated numbers")) +
                         ", got an empty value");
    std::vector<double> values;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        values.push_back(
            parse_number(flag, text.substr(start, comma == std::string_view::npos ? comma : comma - start)));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    if (count != 0 && values.size() != count)
        throw UsageError(std::string(flag) + ": expected " + std::to_string(count) + " comma-separated numbers (" +
                         std::string(names) + "), got " + std::to_string(values.size()) + " in '" + std::string(text) +
                         "'");
    return values;
}

/// A whole number in [0, max_iterations].
inline long long parse_count(std::string_view flag, std::string_view text) {
    long long v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 0 || v > max_iterations)
        throw UsageError(std::string(flag) + ": expected a whole number from 0 to " + std::to_string(max_iterations) +
                         ", got '" + std::string(text) + "'");
    return v;
}

}  // namespace detail

/// Parses the arguments after the program name. Throws UsageError with a one-line reason on a bad command line:
/// an unknown flag, a missing value, a value that is not a finite number, a list of the wrong length, a learning
/// rate ≤ 0, an iteration count that is negative, fractional or above max_iterations, a value given to a switch,
/// --train-biases without --biases.
inline Options parse_args(const std::vector<std::string>& args) {
    Options opt;
    for (std::size_t a = 0; a < args.size(); ++a) {
        const std::string& arg = args[a];
        if (arg == "-h" || arg == "--help") {
            opt.help = true;
            continue;
        }
        if (arg == "--no-plot") {
            opt.plot = false;
            continue;
        }
        if (arg == "--train-biases") {
            opt.setup.train_biases = true;
            continue;
        }
        if (arg.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + arg + "'");
        // "--flag=value" or "--flag value"
        const std::size_t eq = arg.find('=');
        const std::string flag = arg.substr(0, eq);
        if (flag == "--no-plot" || flag == "--train-biases")  // a switch: "--train-biases=yes" is not a spelling of it
            throw UsageError(flag + ": takes no value, got '" + arg.substr(eq + 1) + "'");
        std::string value;
        const auto is_known = [](const std::string& f) {
            return f == "--inputs" || f == "--targets" || f == "--weights" || f == "--biases" || f == "--lrs" ||
                   f == "--iterations" || f == "--csv" || f == "--plot";
        };
        if (!is_known(flag)) throw UsageError("unknown flag '" + flag + "'");
        if (eq != std::string::npos) {
            value = arg.substr(eq + 1);
        } else {
            if (a + 1 >= args.size()) throw UsageError(flag + ": missing value");
            value = args[++a];
        }

        if (flag == "--inputs") {
            const auto v = detail::parse_list(flag, value, 2, "i1,i2");
            opt.setup.inputs = {v[0], v[1]};
        } else if (flag == "--targets") {
            const auto v = detail::parse_list(flag, value, 2, "t1,t2");
            opt.setup.targets = {v[0], v[1]};
        } else if (flag == "--weights") {
            const auto v = detail::parse_list(flag, value, 8, "w1,...,w8");
            for (std::size_t k = 0; k < 8; ++k) opt.setup.weights[k] = v[k];
        } else if (flag == "--biases") {
            const auto v = detail::parse_list(flag, value, 2, "b1,b2");
            opt.setup.biases = Pair{v[0], v[1]};
        } else if (flag == "--lrs") {
            opt.lrs = detail::parse_list(flag, value, 0, "");
            for (double lr : opt.lrs)
                if (!(lr > 0)) throw UsageError("--lrs: learning rates must be > 0, got " + format_number(lr));
        } else if (flag == "--iterations") {
            opt.iterations = detail::parse_count(flag, value);
        } else {  // --csv, --plot
            if (value.empty()) throw UsageError(flag + ": expected a file path, got an empty string");
            (flag == "--csv" ? opt.csv_path : opt.plot_path) = value;
        }
    }
    // Checked after every flag is read, so the order of the two flags does not matter. Training biases that do not
    // exist has no sensible meaning (starting them at 0 would silently change the network), so it is refused.
    if (opt.setup.train_biases && !opt.setup.biases)
        throw UsageError("--train-biases needs --biases b1,b2 (the biases' starting values); the network has none");
    return opt;
}

}  // namespace toy
