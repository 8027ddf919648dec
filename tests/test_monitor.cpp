// The training monitor: it leaves training unchanged bit for bit, its statistics equal the values computed directly
// from the weights on a small model, it records the steps it is asked to and lets go of the model after each.
#include <minitorch/data/mnist.hpp>
#include <minitorch/minitorch.hpp>
#include <minitorch/train/loop.hpp>
#include <minitorch/train/monitor.hpp>

#include "support/synthetic_digits.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

using namespace minitorch;
using test_support::small_net, test_support::synthetic_dataset;

namespace {

struct Trained {
    std::vector<double> losses;
    std::vector<std::vector<float>> tensors;  // every parameter and buffer after training
    std::size_t records = 0;
};

/// Two epochs of small_net on the synthetic digits, with a monitor recording one step in `every` (none: no monitor).
Trained train(std::optional<std::size_t> every) {
    set_num_threads(1);
    const MnistDataset ds = synthetic_dataset(7);
    DataLoader loader(ds, {.batch_size = 32, .shuffle = true, .seed = 5});
    Sequential<float> net = small_net(5);
    SGD<float> opt(net.parameters(), {.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-4});
    NLLLoss<float> loss;
    Batch batch;
    std::optional<TrainingMonitor<float>> monitor;
    if (every) monitor.emplace(net, TrainingMonitor<float>::Options{.every = *every});
    Trained out;
    std::FILE* sink = std::tmpfile();
    for (std::size_t epoch = 1; epoch <= 2; ++epoch) {
        const ProgressOptions progress{.out = sink, .mode = ProgressMode::lines};
        const EpochResult r = monitor ? train_epoch(
                                            net, loss, opt, loader, batch, epoch, [] {}, progress, *monitor)
                                      : train_epoch(
                                            net, loss, opt, loader, batch, epoch, [] {}, progress);
        out.losses.push_back(r.loss);
    }
    std::fclose(sink);
    for (auto& p : net.parameters()) out.tensors.emplace_back(p.value->begin(), p.value->end());
    if (monitor) out.records = monitor->layers().size();
    return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

double norm(const Tensor<double>& t) {
    double s = 0;
    for (const double v : t) s += v * v;
    return std::sqrt(s);
}

}  // namespace

TEST_CASE("TrainingMonitor: training with a monitor gives the same numbers bit for bit as without") {
    const Trained plain = train(std::nullopt);
    for (const std::size_t every : {1, 3}) {
        INFO("every ", every);
        const Trained watched = train(every);
        CHECK(watched.records > 0);
        REQUIRE(watched.losses.size() == plain.losses.size());
        for (std::size_t e = 0; e < plain.losses.size(); ++e) CHECK(watched.losses[e] == plain.losses[e]);
        REQUIRE(watched.tensors.size() == plain.tensors.size());
        for (std::size_t i = 0; i < plain.tensors.size(); ++i) CHECK(same_bits(watched.tensors[i], plain.tensors[i]));
    }
}

TEST_CASE("TrainingMonitor: the statistics of a step equal the values computed directly from the weights") {
    // Linear(3→4) → ReLU → Linear(4→2) with MSE, one plain SGD step (no momentum: Δp = −lr·g), in double.
    Generator gen(11);
    Sequential<double> net(Linear<double>({.in = 3, .out = 4}, gen), ReLU<double>(),
                           Linear<double>({.in = 4, .out = 2}, gen));
    const double lr = 0.1;
    SGD<double> opt(net.parameters(), {.lr = lr});
    MSELoss<double> loss;
    const Tensor<double> x({5, 3}, {0.5, -1.0, 2.0, 1.5, 0.25, -0.5, -2.0, 1.0, 0.75, 0.1, 0.2, 0.3, -1.0, -1.0, 1.0});
    const Tensor<double> t({5, 2}, {1.0, 0.0, 0.0, 1.0, 0.5, 0.5, -1.0, 2.0, 0.0, 0.0});
    const Tensor<double> W1 = net.at<Linear<double>>(0).weight(), b1 = net.at<Linear<double>>(0).bias();
    const Tensor<double> W2 = net.at<Linear<double>>(2).weight(), b2 = net.at<Linear<double>>(2).bias();

    TrainingMonitor<double> monitor(net, {.every = 1});
    monitor.begin_step(1, 0, 1);
    opt.zero_grad();
    loss.forward(net.forward(x), t);
    net.backward(loss.backward());
    monitor.before_update();
    opt.step();
    monitor.end_step();

    // Forward and backward by hand. y0 = x W1ᵀ + b1 [5,4], y1 = relu(y0), y2 = y1 W2ᵀ + b2 [5,2];
    // L = mean((y2 − t)²) over 10 values: dy2 = 2(y2 − t)/10, dy1 = dy2 W2, dy0 = dy1 ⊙ [y0 > 0];
    // dW2 = dy2ᵀ y1, db2 = Σ_n dy2, dW1 = dy0ᵀ x, db1 = Σ_n dy0.
    Tensor<double> y0({5, 4}), y1({5, 4}), y2({5, 2}), dy2({5, 2}), dy1({5, 4}), dy0({5, 4});
    Tensor<double> dW1({4, 3}), db1({4}), dW2({2, 4}), db2({2});
    for (std::size_t n = 0; n < 5; ++n) {
        for (std::size_t j = 0; j < 4; ++j) {
            double s = b1(j);
            for (std::size_t i = 0; i < 3; ++i) s += x(n, i) * W1(j, i);
            y0(n, j) = s;
            y1(n, j) = s > 0 ? s : 0;
        }
        for (std::size_t k = 0; k < 2; ++k) {
            double s = b2(k);
            for (std::size_t j = 0; j < 4; ++j) s += y1(n, j) * W2(k, j);
            y2(n, k) = s;
            dy2(n, k) = 2 * (s - t(n, k)) / 10;
        }
        for (std::size_t j = 0; j < 4; ++j) {
            double s = 0;
            for (std::size_t k = 0; k < 2; ++k) s += dy2(n, k) * W2(k, j);
            dy1(n, j) = s;
            dy0(n, j) = y0(n, j) > 0 ? s : 0;
        }
        for (std::size_t k = 0; k < 2; ++k) {
            db2(k) += dy2(n, k);
            for (std::size_t j = 0; j < 4; ++j) dW2(k, j) += dy2(n, k) * y1(n, j);
        }
        for (std::size_t j = 0; j < 4; ++j) {
            db1(j) += dy0(n, j);
            for (std::size_t i = 0; i < 3; ++i) dW1(j, i) += dy0(n, j) * x(n, i);
        }
    }
    const Tensor<double>* ys[] = {&y0, &y1, &y2};
    const Tensor<double>* dys[] = {&dy0, &dy1, &dy2};
    REQUIRE(monitor.layers().size() == 3);
    std::size_t zeros_after_relu = 0;
    for (std::size_t l = 0; l < 3; ++l) {
        INFO("layer ", l);
        const LayerRecord& r = monitor.layers()[l];
        const Tensor<double>& y = *ys[l];
        double mean = 0, var = 0, zeros = 0;
        for (const double v : y) mean += v / static_cast<double>(y.size());
        for (const double v : y) var += (v - mean) * (v - mean) / static_cast<double>(y.size());
        for (const double v : y) zeros += v == 0;
        if (l == 1) zeros_after_relu = static_cast<std::size_t>(zeros);
        CHECK(r.layer == l);
        CHECK(r.at.step == 1);
        CHECK(r.at.epochs == 1.0);
        CHECK(r.mean == doctest::Approx(mean).epsilon(1e-12));
        CHECK(r.std == doctest::Approx(std::sqrt(var)).epsilon(1e-12));
        CHECK(r.zero_fraction == doctest::Approx(zeros / static_cast<double>(y.size())).epsilon(1e-12));
        CHECK(r.grad_norm == doctest::Approx(norm(*dys[l])).epsilon(1e-12));
        CHECK(r.grad_norm > 0);
    }
    CHECK(monitor.layers()[1].name == "ReLU()");
    REQUIRE(zeros_after_relu > 0);  // the inputs are chosen so that some units are off: the fraction is tested

    const Tensor<double>* grads[] = {&dW1, &db1, &dW2, &db2};
    const Tensor<double>* befores[] = {&W1, &b1, &W2, &b2};
    const char* names[] = {"0.weight", "0.bias", "2.weight", "2.bias"};
    REQUIRE(monitor.tensors().size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        INFO(names[i]);
        const TensorRecord& r = monitor.tensors()[i];
        Tensor<double> after = *befores[i];
        for (std::size_t j = 0; j < after.size(); ++j) after[j] -= lr * (*grads[i])[j];
        double lo = after[0], hi = after[0];
        for (const double v : after) lo = std::min(lo, v), hi = std::max(hi, v);
        CHECK(r.name == names[i]);
        CHECK(r.trainable);
        CHECK(r.norm == doctest::Approx(norm(after)).epsilon(1e-12));
        CHECK(r.min == doctest::Approx(lo).epsilon(1e-12));
        CHECK(r.max == doctest::Approx(hi).epsilon(1e-12));
        CHECK(r.grad_norm == doctest::Approx(norm(*grads[i])).epsilon(1e-12));
        CHECK(r.update_ratio == doctest::Approx(lr * norm(*grads[i]) / norm(*befores[i])).epsilon(1e-9));
        CHECK(r.grad_norm > 0);
    }
    CHECK(net.backward_observer() == nullptr);  // let go of the model after the backward
}

TEST_CASE("TrainingMonitor: records the first step and every `every`-th, with BatchNorm's buffers as ranges") {
    set_num_threads(1);
    const MnistDataset ds = synthetic_dataset(7);
    DataLoader loader(ds, {.batch_size = 32});  // 7 batches: steps 1, 4, 7 are recorded
    Sequential<float> net = small_net(2);
    SGD<float> opt(net.parameters(), {.lr = 0.05});
    NLLLoss<float> loss;
    Batch batch;
    std::FILE* sink = std::tmpfile();
    {
        TrainingMonitor<float> monitor(net, {.every = 3});
        train_epoch(
            net, loss, opt, loader, batch, 1, [] {}, {.out = sink, .mode = ProgressMode::lines}, monitor);
        CHECK(monitor.steps() == 7);
        REQUIRE(monitor.layers().size() == 3 * net.size());
        CHECK(monitor.layers()[0].at.step == 1);
        CHECK(monitor.layers()[net.size()].at.step == 4);
        CHECK(monitor.layers().back().at.step == 7);
        CHECK(monitor.layers().back().at.epochs == 1.0);
        CHECK(monitor.layers()[0].at.epochs == doctest::Approx(1.0 / 7));
        // The last record's buffers are the model's now (nothing trained after step 7).
        const auto& bn = net.at<BatchNorm2d<float>>(2);
        for (const auto& r : monitor.tensors()) {
            if (r.at.step != 7 || r.name != "2.running_var") continue;
            CHECK_FALSE(r.trainable);
            CHECK(std::isnan(r.grad_norm));
            CHECK(std::isnan(r.update_ratio));
            CHECK(r.min == *std::min_element(bn.running_var().begin(), bn.running_var().end()));
            CHECK(r.max == *std::max_element(bn.running_var().begin(), bn.running_var().end()));
            CHECK(r.min < r.max);
        }
        // CSV: a header and one row per record; the layer names are quoted (they hold commas).
        const std::string csv = monitor.layers_csv();
        CHECK(csv.rfind("step,epoch,epochs,layer,name,mean,std,zero_fraction,grad_norm\n", 0) == 0);
        CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) == 1 + monitor.layers().size());
        CHECK(csv.find(",\"Conv2d(1→4, k=3") != std::string::npos);
        const std::string tensors = monitor.tensors_csv();
        CHECK(static_cast<std::size_t>(std::count(tensors.begin(), tensors.end(), '\n')) ==
              1 + monitor.tensors().size());
        CHECK(net.backward_observer() == nullptr);
    }
    std::fclose(sink);
    CHECK_THROWS_WITH_AS(TrainingMonitor<float>(net, {.every = 0}),
                         "TrainingMonitor: every must be at least 1 (record one step in every), got 0",
                         std::invalid_argument);
}
