// examples/toy_backprop/toy_backprop.cpp — backpropagation by hand on the course's 2-2-2 network, next to what
// minitorch's own layers compute, then plain gradient descent at six learning rates.
//
//   toy_backprop                          the course values: the iteration-0 walk-through, 100 iterations at each of
//                                         η = 0.1, 0.2, 0.5, 0.8, 1.0, 2.0, toy_backprop.csv and
//                                         toy_backprop_error_curves.png in the current directory
//   toy_backprop --lrs 0.5,3 --iterations 500 --csv run.csv --plot run.png
//   toy_backprop --biases 0.35,0.60 --targets 0.01,0.99 --lrs 0.5 --iterations 10000
//                                         Matt Mazur's "A Step by Step Backpropagation Example" (2015): biases fixed
//                                         at b1 = 0.35, b2 = 0.6; add --train-biases to update them too
//   toy_backprop --help
//
// The network and the closed-form equations live in toy_network.hpp (shared with the test). Every printed equation
// is derived in docs/backprop.md; tests/test_toy_backprop.cpp checks the numbers.
#include "toy_network.hpp"

#include <minitorch/loss.hpp>
#include <minitorch/tensor.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

/// The shortest text that reads back as exactly the same double (as the reference CSV and Python print them).
std::string num(double v) {
    return toy::format_number(v);
}

/// Pads to `width` terminal columns, counting UTF-8 code points (the labels contain σ, ∂, δ, ·, −).
std::string pad(const std::string& text, std::size_t width) {
    std::size_t columns = 0;
    for (unsigned char c : text) columns += (c & 0xC0) != 0x80;
    return text + std::string(columns < width ? width - columns : 1, ' ');
}

void print_line(const std::string& name, const std::string& equation, double value) {
    std::cout << "  " << pad(name, 10) << "= " << pad(equation, 40) << "= " << num(value) << '\n';
}

// ---- iteration 0, step by step -----------------------------------------------------------------------------------

/// How the walk-through names the biases: Mazur's b1 and b2 while they are fixed (each is shared by a layer's two
/// neurons), one name per neuron once they are trained (they start equal and then drift apart).
struct BiasNames {
    const char* h1;
    const char* h2;
    const char* o1;
    const char* o2;
};

BiasNames bias_names(const toy::Setup& s) {
    if (s.train_biases) return {"b_h1", "b_h2", "b_o1", "b_o2"};
    return {"b1", "b1", "b2", "b2"};
}

/// "w1·i1 + w2·i2" and, with biases, " + b1".
std::string net_input(const std::string& weighted_sum, const char* bias, bool has_bias) {
    return has_bias ? weighted_sum + " + " + bias : weighted_sum;
}

void print_walkthrough(const toy::Setup& s) {
    using namespace minitorch;
    const auto& [i1, i2] = s.inputs;
    const auto& [t1, t2] = s.targets;
    const auto& w = s.weights;
    const auto f = toy::format_number;
    const bool has_bias = s.biases.has_value();
    const toy::Biases b = has_bias ? toy::per_neuron(*s.biases) : toy::Biases{};
    const BiasNames bn = bias_names(s);

    // The library's side: the network from its layers, one forward, the half-sum squared error, one backward.
    auto net = has_bias ? toy::make_network(w, b) : toy::make_network(w);
    MSELoss<double> loss(Reduction::half_sum);
    const Tensor<double> x({1, 2}, {i1, i2});
    const Tensor<double> t({1, 2}, {t1, t2});
    const Tensor<double>& a_o = net.forward(x);  // [1, 2]: a_o1, a_o2
    const double E_library = loss.forward(a_o, t);
    net.backward(loss.backward());  // every ∂E/∂w (and ∂E/∂b) lands in the layers' parameter gradients
    const toy::Weights grad_library = toy::flatten(net, true);

    // The spreadsheet's side: the same numbers from the closed-form equations (docs/backprop.md).
    const toy::ClosedForm c = toy::closed_form(s.inputs, s.targets, w, b);

    std::cout << "The 2-2-2 toy network, built from minitorch's layers\n"
              << "  model    " << net.describe(0) << " → " << net.describe(1) << " → " << net.describe(2) << " → "
              << net.describe(3) << ",  loss " << loss.describe() << '\n'
              << "  inputs   i1 = " << f(i1) << ", i2 = " << f(i2) << "    targets  t1 = " << f(t1)
              << ", t2 = " << f(t2) << '\n'
              << "  weights  layer 0 [[w1, w2], [w3, w4]] = [[" << f(w[0]) << ", " << f(w[1]) << "], [" << f(w[2])
              << ", " << f(w[3]) << "]]\n"
              << "           layer 2 [[w5, w6], [w7, w8]] = [[" << f(w[4]) << ", " << f(w[5]) << "], [" << f(w[6])
              << ", " << f(w[7]) << "]]\n";
    if (has_bias && s.train_biases)
        std::cout
            << "  biases   layer 0 [b_h1, b_h2] = [" << f(b[0]) << ", " << f(b[1]) << "], layer 2 [b_o1, b_o2] = ["
            << f(b[2]) << ", " << f(b[3]) << "]\n"
            << "           trained with the weights, one per neuron: each layer's two start at its --biases value and\n"
            << "           may drift apart\n";
    else if (has_bias)
        std::cout << "  biases   b1 = " << f(b[0]) << " (both hidden neurons, layer 0), b2 = " << f(b[2])
                  << " (both outputs, layer 2); fixed, not trained\n";
    std::cout << '\n';

    std::cout << "Iteration 0, forward pass (closed form; σ(x) = 1 / (1 + e^(−x)))\n";
    print_line("h1", net_input("w1·i1 + w2·i2", bn.h1, has_bias), c.h1);
    print_line("a_h1", "σ(h1)", c.a_h1);
    print_line("h2", net_input("w3·i1 + w4·i2", bn.h2, has_bias), c.h2);
    print_line("a_h2", "σ(h2)", c.a_h2);
    print_line("o1", net_input("w5·a_h1 + w6·a_h2", bn.o1, has_bias), c.o1);
    print_line("a_o1", "σ(o1)", c.a_o1);
    print_line("o2", net_input("w7·a_h1 + w8·a_h2", bn.o2, has_bias), c.o2);
    print_line("a_o2", "σ(o2)", c.a_o2);
    print_line("E1", "½(t1 − a_o1)²", c.E1);
    print_line("E2", "½(t2 − a_o2)²", c.E2);
    print_line("E_total", "E1 + E2", c.E_total);
    std::cout << "  library: net.forward(x) = [" << num(a_o[0]) << ", " << num(a_o[1]) << "]\n"
              << "           loss.forward(a_o, t) = " << num(E_library)
              << "   (minus E_total above: " << num(E_library - c.E_total) << ")\n\n";

    std::cout << "Iteration 0, backward pass (closed form by the chain rule; σ'(x) = σ(x)(1 − σ(x)))\n";
    print_line("δ_o1", "∂E/∂o1 = (a_o1 − t1)·a_o1(1 − a_o1)", c.delta_o1);
    print_line("δ_o2", "∂E/∂o2 = (a_o2 − t2)·a_o2(1 − a_o2)", c.delta_o2);
    print_line("∂E/∂a_h1", "δ_o1·w5 + δ_o2·w7", c.dE_da_h1);
    print_line("∂E/∂a_h2", "δ_o1·w6 + δ_o2·w8", c.dE_da_h2);
    print_line("δ_h1", "∂E/∂h1 = ∂E/∂a_h1·a_h1(1 − a_h1)", c.delta_h1);
    print_line("δ_h2", "∂E/∂h2 = ∂E/∂a_h2·a_h2(1 − a_h2)", c.delta_h2);
    std::cout << "  written out:  ∂E/∂w5 = (a_o1 − t1)·a_o1(1 − a_o1)·a_h1\n"
              << "                ∂E/∂w1 = [(a_o1 − t1)·a_o1(1 − a_o1)·w5 + (a_o2 − t2)·a_o2(1 − a_o2)·w7]"
                 "·a_h1(1 − a_h1)·i1\n";
    if (s.train_biases)
        std::cout
            << "                ∂E/∂b_o1 = (a_o1 − t1)·a_o1(1 − a_o1)·1    (∂o1/∂b_o1 = 1: the bias's input is 1)\n"
            << "                ∂E/∂b_h1 = [(a_o1 − t1)·a_o1(1 − a_o1)·w5 + (a_o2 − t2)·a_o2(1 − a_o2)·w7]"
               "·a_h1(1 − a_h1)·1\n";
    std::cout << '\n';

    const char* chain[8] = {"δ_h1·i1",   "δ_h1·i2",   "δ_h2·i1",   "δ_h2·i2",
                            "δ_o1·a_h1", "δ_o1·a_h2", "δ_o2·a_h1", "δ_o2·a_h2"};
    std::cout << "  " << pad("∂E/∂w", 9) << pad("chain rule", 12) << pad("closed form", 26)
              << pad("library backward", 26) << "library − closed form\n";
    for (std::size_t k = 0; k < 8; ++k)
        std::cout << "  w" << pad(std::to_string(k + 1), 8) << pad(chain[k], 12) << pad(num(c.grad[k]), 26)
                  << pad(num(grad_library[k]), 26) << num(grad_library[k] - c.grad[k]) << '\n';
    if (s.train_biases) {
        // Layer 0's bias gradient is δ_h itself, layer 2's δ_o: Linear::backward sums dy over the batch (of one).
        const toy::Biases bias_grad_library = toy::flatten_biases(net, true);
        const char* names[4] = {"b_h1", "b_h2", "b_o1", "b_o2"};
        const char* bias_chain[4] = {"δ_h1·1", "δ_h2·1", "δ_o1·1", "δ_o2·1"};
        std::cout << "  ∂E/∂b\n";
        for (std::size_t k = 0; k < 4; ++k)
            std::cout << "  " << pad(names[k], 9) << pad(bias_chain[k], 12) << pad(num(c.bias_grad[k]), 26)
                      << pad(num(bias_grad_library[k]), 26) << num(bias_grad_library[k] - c.bias_grad[k]) << '\n';
    }
    std::cout << '\n';
}

/// The first update at one learning rate, by hand from iteration 0's closed-form gradients next to what the
/// library's SGD.step made of its own backward (toy::train's row 1), and the error at the new weights.
void print_first_update(const toy::Setup& s, double lr) {
    const bool has_bias = s.biases.has_value();
    const toy::Biases b = has_bias ? toy::per_neuron(*s.biases) : toy::Biases{};
    const toy::ClosedForm c = toy::closed_form(s.inputs, s.targets, s.weights, b);
    const toy::Row after = toy::train(s, lr, 1).back();
    const std::string eta = toy::format_number(lr);

    std::cout << "The first update at η = " << eta << ": w ← w − η·∂E/∂w"
              << (s.train_biases ? " and b ← b − η·∂E/∂b" : "") << ", all from iteration 0's gradients above"
              << (has_bias && !s.train_biases ? " (the biases stay fixed)" : "") << '\n'
              << "  " << pad("", 7) << pad("before", 12) << pad("by hand", 26) << pad("library SGD.step", 26)
              << "library − by hand\n";
    const auto print_row = [&](const std::string& name, double before, double grad, double library) {
        const double by_hand = before - lr * grad;
        std::cout << "  " << pad(name, 7) << pad(num(before), 12) << pad(num(by_hand), 26) << pad(num(library), 26)
                  << num(library - by_hand) << '\n';
    };
    // std::string("w").append(...), not "w" + std::to_string(...): GCC 12's -Wrestrict false positive on the latter.
    for (std::size_t k = 0; k < 8; ++k)
        print_row(std::string("w").append(std::to_string(k + 1)), s.weights[k], c.grad[k], after.w[k]);
    if (s.train_biases) {
        const char* names[4] = {"b_h1", "b_h2", "b_o1", "b_o2"};
        for (std::size_t k = 0; k < 4; ++k) print_row(names[k], b[k], c.bias_grad[k], after.b[k]);
    }
    std::cout << "  E_total at the new weights (iteration 1) = " << num(after.E_total)
              << "   (iteration 0: " << num(c.E_total) << ")\n\n";
}

// ---- training, CSV, picture ----------------------------------------------------------------------------------------

/// Writes lr,iteration,E_total,w1..w8 (and b_h1,b_h2,b_o1,b_o2 when the network has biases) through a temporary
/// file renamed into place: never a half-written CSV.
bool write_csv(const std::string& path, const std::vector<std::vector<toy::Row>>& runs, bool has_bias) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        if (!out) {
            std::cerr << "toy_backprop: cannot write " << path << ": cannot create " << tmp << " ("
                      << std::strerror(errno) << ")\n";
            return false;
        }
        out << "lr,iteration,E_total,w1,w2,w3,w4,w5,w6,w7,w8" << (has_bias ? ",b_h1,b_h2,b_o1,b_o2" : "") << '\n';
        for (const auto& run : runs)
            for (const auto& r : run) {
                out << toy::format_number(r.lr) << ',' << r.iteration << ',' << num(r.E_total);
                for (double v : r.w) out << ',' << num(v);
                if (has_bias)
                    for (double v : r.b) out << ',' << num(v);
                out << '\n';
            }
        out.close();
        if (!out) {
            std::cerr << "toy_backprop: cannot write " << path << ": writing " << tmp << " failed\n";
            std::remove(tmp.c_str());
            return false;
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::cerr << "toy_backprop: cannot write " << path << ": renaming " << tmp << " failed ("
                  << std::strerror(errno) << ")\n";
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

/// A string literal for gnuplot: single quotes, a quote inside doubled.
std::string gnuplot_quote(const std::string& s) {
    std::string out = "'";
    for (char ch : s) out += ch == '\'' ? std::string("''") : std::string(1, ch);
    return out + "'";
}

/// Renders the error curves with gnuplot (pngcairo when it has it, else png). Returns false on failure; a missing
/// gnuplot is not a failure (the CSV holds the same numbers).
bool render_plot(const std::string& path, const std::vector<std::vector<toy::Row>>& runs, const toy::Setup& s) {
    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
        std::cout << "gnuplot not found: skipped the plot (install gnuplot-nox)\n";
        return true;
    }
    const std::string tmp = path + ".tmp";
    std::FILE* gp = popen("gnuplot", "w");
    if (!gp) {
        std::cerr << "toy_backprop: cannot start gnuplot\n";
        return false;
    }
    const auto f = toy::format_number;
    std::string title = "2-2-2 toy network, plain gradient descent: i = (" + f(s.inputs[0]) + ", " + f(s.inputs[1]) +
                        "), t = (" + f(s.targets[0]) + ", " + f(s.targets[1]) + ")";
    if (s.biases)
        title += ", b = (" + f((*s.biases)[0]) + ", " + f((*s.biases)[1]) + (s.train_biases ? ") trained" : ") fixed");
    std::string script =
        "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
        "  set terminal pngcairo size 960,600 enhanced font 'DejaVu Sans,11'\n"
        "} else {\n"
        "  set terminal png size 960,600 enhanced\n"
        "}\n";
    script += "set output " + gnuplot_quote(tmp) + "\n";
    script += "set title " + gnuplot_quote(title) + "\n";
    script +=
        "set xlabel 'iteration'\n"
        "set ylabel 'E_{total} = ½(t_1 − a_{o1})² + ½(t_2 − a_{o2})²   (log scale)'\n"
        "set logscale y\n"
        "set format y '10^{%L}'\n"
        "set grid\n"
        "set key outside right top Left reverse title 'learning rate'\n"
        "set linetype 1 lc rgb '#1b9e77'\nset linetype 2 lc rgb '#d95f02'\nset linetype 3 lc rgb '#7570b3'\n"
        "set linetype 4 lc rgb '#e7298a'\nset linetype 5 lc rgb '#66a61e'\nset linetype 6 lc rgb '#a6761d'\n";
    for (std::size_t r = 0; r < runs.size(); ++r) {
        script += "$run" + std::to_string(r) + " << EOD\n";
        for (const auto& row : runs[r]) script += std::to_string(row.iteration) + ' ' + num(row.E_total) + '\n';
        script += "EOD\n";
    }
    script += "plot ";
    for (std::size_t r = 0; r < runs.size(); ++r)
        script += (r ? ", " : "") + std::string("$run") + std::to_string(r) + " using 1:2 with lines lw 2 title " +
                  gnuplot_quote("η = " + f(runs[r].front().lr));
    script += "\nunset output\n";
    std::fputs(script.c_str(), gp);
    if (pclose(gp) != 0) {  // gnuplot has printed its own error above
        std::cerr << "toy_backprop: gnuplot failed: " << path << " not written\n";
        std::remove(tmp.c_str());
        return false;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::cerr << "toy_backprop: cannot write " << path << ": renaming " << tmp << " failed ("
                  << std::strerror(errno) << ")\n";
        std::remove(tmp.c_str());
        return false;
    }
    std::cout << "wrote " << path << " (gnuplot)\n";
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    toy::Options opt;
    try {
        opt = toy::parse_args(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const toy::UsageError& e) {
        std::cerr << "toy_backprop: " << e.what() << "\n\n" << toy::usage(argv[0]);
        return 2;
    }
    if (opt.help) {
        std::cout << toy::usage(argv[0]);
        return 0;
    }
    std::signal(SIGPIPE, SIG_IGN);  // a gnuplot that dies early must not kill us mid-write: pclose reports it

    try {
        print_walkthrough(opt.setup);
        // With one learning rate the walk-through follows it through its first update (Mazur's walk-through ends
        // there). With several, each has its own; their rows "iteration 1" are in the CSV.
        if (opt.lrs.size() == 1) print_first_update(opt.setup, opt.lrs.front());

        const bool has_bias = opt.setup.biases.has_value();
        std::cout << "Training: plain gradient descent w ← w − η·∂E/∂w"
                  << (opt.setup.train_biases ? " and b ← b − η·∂E/∂b" : "") << " (minitorch::SGD, no momentum"
                  << (has_bias && !opt.setup.train_biases ? ", biases fixed" : "") << "), " << opt.iterations
                  << " iterations per learning rate\n"
                  << "  " << pad("η", 8) << pad("E_total at 0", 26) << "E_total at " << opt.iterations << '\n';
        std::vector<std::vector<toy::Row>> runs;
        for (double lr : opt.lrs) {
            runs.push_back(toy::train(opt.setup, lr, opt.iterations));
            std::cout << "  " << pad(toy::format_number(lr), 8) << pad(num(runs.back().front().E_total), 26)
                      << num(runs.back().back().E_total) << '\n';
        }
        std::cout << '\n';

        if (!write_csv(opt.csv_path, runs, has_bias)) return 1;
        std::cout << "wrote " << opt.csv_path << " (" << runs.size() * runs.front().size()
                  << " rows: lr, iteration, E_total, w1..w8" << (has_bias ? ", b_h1..b_o2" : "")
                  << "; each row is the state before that iteration's update)\n";
        if (opt.plot && !render_plot(opt.plot_path, runs, opt.setup)) return 1;
    } catch (const std::exception& e) {
        std::cerr << "toy_backprop: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
