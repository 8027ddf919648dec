// A consumer of the installed (or add_subdirectory'd) package: builds a tiny model, runs one training step.
#include <minitorch/minitorch.hpp>

#include <cstdio>

int main() {
    using namespace minitorch;
    Sequential<float> net(Linear<float>({.in = 2, .out = 3}), ReLU<float>(), Linear<float>({.in = 3, .out = 1}));
    SGD<float> opt(net.parameters(), {.lr = 0.1f});
    const Tensor<float> x({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
    const Tensor<float> t({4, 1}, {0, 1, 1, 0});
    MSELoss<float> loss;
    const float before = loss.forward(net.forward(x), t);
    net.backward(loss.backward());
    opt.step();
    const float after = loss.forward(net.forward(x), t);
    std::printf("loss %.4f -> %.4f\n", before, after);
    if (!(after < before)) return 1;
    std::printf("consumer ok\n");
    return 0;
}
