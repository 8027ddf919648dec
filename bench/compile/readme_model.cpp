// The README's "model in a few lines" as a whole program (issue 16's yardstick of a student's edit-compile-run
// loop): a Conv2d–ReLU–MaxPool2d–Flatten–Linear Sequential, SGD, CrossEntropyLoss, three steps and summary().
// Timed against eigen_baseline.cpp by bench/compile_time.py; not a build target.
#include <minitorch/minitorch.hpp>

#include <iostream>

using namespace minitorch;

int main() {
    Generator gen(1);
    Sequential<float> net(Conv2d<float>({.in = 1, .out = 8, .kernel = 3}, gen), ReLU<float>(),
                          MaxPool2d<float>({.kernel = 2}), Flatten<float>(),
                          Linear<float>({.in = 8 * 13 * 13, .out = 10}, gen));
    SGD<float> opt(net.parameters(), {.lr = 0.01, .momentum = 0.9});
    CrossEntropyLoss<float> loss;
    Tensor<float> x({4, 1, 28, 28});
    normal_(x, 0.0, 1.0, gen);
    const std::vector<std::int64_t> labels{0, 1, 2, 3};
    for (int step = 0; step < 3; ++step) {
        opt.zero_grad();
        std::cout << "loss " << loss.forward(net.forward(x), labels) << '\n';
        net.backward(loss.backward());
        opt.step();
    }
    std::cout << net.summary({1, 28, 28});
}
