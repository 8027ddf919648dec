// What docs/reliability.md ("Threads") promises: with set_num_threads(1), independent copies of a model (Sequential's
// copy is deep), each with its own optimiser, loss and data loader, may be used from different user threads at the
// same time, in eval mode and in training, reading the same const inputs and the same const dataset, and give bit for
// bit the numbers of running them one after the other. (One model instance must not be used from two threads at
// once, even in eval mode: forward writes the layers' output buffers; and with more than one minitorch thread the
// shared pool must be driven from one user thread only.) The sanitizer build runs these tests too.
#include <minitorch/data/mnist.hpp>
#include <minitorch/minitorch.hpp>
#include <minitorch/train/loop.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
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

// 30 images of 10×10 in 3 classes (a bright row whose position depends on the class), a training split.
MnistDataset shared_dataset() {
    MnistDataset ds;
    ds.count = 30;
    ds.height = ds.width = 10;
    ds.images.resize(ds.count * 100);
    ds.labels.resize(ds.count);
    Generator gen(5);
    for (std::size_t i = 0; i < ds.count; ++i) {
        ds.labels[i] = static_cast<std::uint8_t>(i % 3);
        for (std::size_t p = 0; p < 100; ++p) ds.images[i * 100 + p] = static_cast<std::uint8_t>(gen.below(50));
        for (std::size_t c = 0; c < 10; ++c) ds.images[i * 100 + (2 + 3 * ds.labels[i]) * 10 + c] = 220;
    }
    return ds;
}

// Three epochs of the textbook loop (SGD with momentum, dropout, batch statistics, shuffled and rotated batches from
// the loader's own state); returns the final parameters and buffers.
std::vector<Tensor<float>> train_epochs(Sequential<float>& net, const MnistDataset& data, std::uint64_t seed,
                                        std::FILE* progress) {
    DataLoader loader(data, {.batch_size = 8, .shuffle = true, .seed = seed, .rotate_degrees = 15});
    SGD<float> opt(net.parameters(), {.lr = 0.05, .momentum = 0.9});
    NLLLoss<float> loss;
    Batch batch;
    for (std::size_t epoch = 1; epoch <= 3; ++epoch)
        train_epoch(net, loss, opt, loader, batch, epoch, [] {}, {.out = progress, .mode = ProgressMode::lines});
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
    for (const auto& x : batches(3, 7)) net.forward(x);
    const auto xs = batches(4, 11), ys = batches(4, 12);

    Sequential<float> ref = net;
    const auto expected_x = evaluate_all(ref, xs, 1);
    const auto expected_y = evaluate_all(ref, ys, 1);

    // Two copies on different inputs, and a third on the same (shared, const) inputs as the first.
    Sequential<float> a = net, b = net, c = net;
    std::vector<Tensor<float>> got_a, got_b, got_c;
    std::thread ta([&] { got_a = evaluate_all(a, xs, 25); });
    std::thread tb([&] { got_b = evaluate_all(b, ys, 25); });
    std::thread tc([&] { got_c = evaluate_all(c, xs, 25); });
    ta.join();
    tb.join();
    tc.join();
    check_same(got_a, expected_x);
    check_same(got_b, expected_y);
    check_same(got_c, expected_x);
}

TEST_CASE("thread safety: two threads training their own copies on one shared dataset match sequential training") {
    set_num_threads(1);
    const Sequential<float> net = small_net(2);
    const MnistDataset data = shared_dataset();
    std::FILE* sink_1 = std::tmpfile();  // each run's progress lines go to a file of its own
    std::FILE* sink_2 = std::tmpfile();
    REQUIRE(sink_1 != nullptr);
    REQUIRE(sink_2 != nullptr);

    Sequential<float> ref_1 = net, ref_2 = net;
    const auto expected_1 = train_epochs(ref_1, data, 1, sink_1);
    const auto expected_2 = train_epochs(ref_2, data, 2, sink_2);
    REQUIRE_FALSE(bitwise_equal(expected_1[0], expected_2[0]));  // other shuffles and angles: the runs really differ

    Sequential<float> a = net, b = net;
    std::vector<Tensor<float>> got_1, got_2;
    std::thread t1([&] { got_1 = train_epochs(a, data, 1, sink_1); });
    std::thread t2([&] { got_2 = train_epochs(b, data, 2, sink_2); });
    t1.join();
    t2.join();
    std::fclose(sink_1);
    std::fclose(sink_2);
    check_same(got_1, expected_1);
    check_same(got_2, expected_2);
}
