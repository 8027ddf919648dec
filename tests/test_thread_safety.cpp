// What docs/reliability.md ("Threads") promises: with set_num_threads(1), independent copies of a model (Sequential's
// copy is deep), each with its own optimiser and loss, may be used from different user threads at the same time,
// in eval mode and in training, and give bit for bit the numbers of running them one after the other. (One model
// instance must not be used from two threads at once, even in eval mode: forward writes the layers' output buffers;
// and with more than one minitorch thread the shared pool must be driven from one user thread only.)
#include <minitorch/minitorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <thread>
#include <vector>

using namespace minitorch;

namespace {

// Every kind of layer with state or caches: conv, batch norm (running statistics), dropout (its own generator),
// pooling, linear, log-softmax.
Sequential<float> small_net(std::uint64_t seed) {
    Generator gen(seed);
    return Sequential<float>(Conv2d<float>({.in = 1, .out = 4, .kernel = 3}, gen), BatchNorm2d<float>({.features = 4}),
                             ReLU<float>(), Dropout<float>({.p = 0.2}, gen), MaxPool2d<float>({.kernel = 2}),
                             Conv2d<float>({.in = 4, .out = 6, .kernel = 3, .padding = 1}, gen),
                             AvgPool2d<float>({.kernel = 2}), Flatten<float>(),
                             Linear<float>({.in = 6 * 2 * 2, .out = 3}, gen), LogSoftmax<float>());
}

std::vector<Tensor<float>> batches(std::size_t count, std::uint64_t seed) {
    Generator gen(seed);
    std::vector<Tensor<float>> xs;
    for (std::size_t i = 0; i < count; ++i) {
        Tensor<float> x(Shape{5, 1, 10, 10});
        normal_(x, 0, 1, gen);
        xs.push_back(std::move(x));
    }
    return xs;
}

bool bitwise_equal(const Tensor<float>& a, const Tensor<float>& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Evaluates every batch `rounds` times in eval mode; returns the outputs of the last round.
std::vector<Tensor<float>> evaluate_all(Sequential<float>& net, const std::vector<Tensor<float>>& xs, int rounds) {
    net.eval();
    std::vector<Tensor<float>> out(xs.size());
    for (int r = 0; r < rounds; ++r)
        for (std::size_t i = 0; i < xs.size(); ++i) out[i] = net.forward(xs[i]);
    return out;
}

// `steps` SGD steps (momentum, dropout active, batch statistics) on the batches in turn; returns the final state.
std::vector<Tensor<float>> train_steps(Sequential<float>& net, const std::vector<Tensor<float>>& xs, int steps) {
    net.train();
    SGD<float> opt(net.parameters(), {.lr = 0.05, .momentum = 0.9});
    NLLLoss<float> loss;
    const std::vector<std::int64_t> labels{0, 1, 2, 1, 0};
    for (int s = 0; s < steps; ++s) {
        opt.zero_grad();
        loss.forward(net.forward(xs[static_cast<std::size_t>(s) % xs.size()]), std::span(labels));
        net.backward(loss.backward());
        opt.step();
    }
    std::vector<Tensor<float>> state;
    for (const auto& p : net.parameters()) state.push_back(*p.value);
    return state;
}

void check_same(const std::vector<Tensor<float>>& a, const std::vector<Tensor<float>>& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("tensor ", i);
        CHECK(bitwise_equal(a[i], b[i]));
    }
}

}  // namespace

TEST_CASE("thread safety: two threads evaluating their own copies in eval mode match sequential evaluation bitwise") {
    set_num_threads(1);
    Sequential<float> net = small_net(1);
    // Non-trivial running statistics first.
    const auto warmup = batches(3, 7);
    train_steps(net, warmup, 3);
    const auto xs = batches(4, 11), ys = batches(4, 12);

    Sequential<float> ref = net;
    const auto expected_x = evaluate_all(ref, xs, 1);
    const auto expected_y = evaluate_all(ref, ys, 1);

    Sequential<float> a = net, b = net;
    std::vector<Tensor<float>> got_x, got_y;
    std::thread tx([&] { got_x = evaluate_all(a, xs, 25); });
    std::thread ty([&] { got_y = evaluate_all(b, ys, 25); });
    tx.join();
    ty.join();
    check_same(got_x, expected_x);
    check_same(got_y, expected_y);
}

TEST_CASE("thread safety: two threads training their own copies match sequential training bitwise") {
    set_num_threads(1);
    const Sequential<float> net = small_net(2);
    const auto xs = batches(3, 21), ys = batches(3, 22);

    Sequential<float> ref_x = net, ref_y = net;
    const auto expected_x = train_steps(ref_x, xs, 12);
    const auto expected_y = train_steps(ref_y, ys, 12);
    REQUIRE_FALSE(bitwise_equal(expected_x[0], expected_y[0]));  // different data: the two runs really differ

    Sequential<float> a = net, b = net;
    std::vector<Tensor<float>> got_x, got_y;
    std::thread tx([&] { got_x = train_steps(a, xs, 12); });
    std::thread ty([&] { got_y = train_steps(b, ys, 12); });
    tx.join();
    ty.join();
    check_same(got_x, expected_x);
    check_same(got_y, expected_y);
}
