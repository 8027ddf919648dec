// One training step of the course's MNIST net at batch 128, one evaluation pass over 10k images, and each layer of
// the net on its own (forward + backward at its real input shape) — the per-layer profile that says where a step's
// time goes. Threads: --threads=N (default 1) sets minitorch::set_num_threads before the benchmarks run.
//
// Counters, against the two ceilings measured at startup on the same threads (bench/fma_peak.hpp's FMA loop, times
// the thread count, and bench/bandwidth.hpp's copy bandwidth; printed in the context as peak_GFLOPs and copy_GBps,
// or given with --peak_gflops=X, --copy_gbps=X):
//   BM_TrainForward / BM_Evaluate10k   us_per_image: a training-mode forward against evaluation, per image.
//   BM_TrainStep   GFLOP/s of the convolutions (3 × the forward FLOP) and %peak; epoch_s (469 steps);
//                  idle_ms: per step, the workers' time outside tasks (wall·(threads − 1) − their busy time, summed
//                  over the workers), and wait_ms: the calling thread's time waiting for them after its own share.
//   BM_NetLayer/i  layer i alone on the buffers a Sequential hands it (no input copy): a convolution's GFLOP/s and
//                  %peak, a memory-bound layer's GB/s and %bw on bench/layer_traffic.hpp's yardstick.
#include "../examples/mnist/mnist_net.hpp"

#include <benchmark/benchmark.h>

#include "bench_args.hpp"
#include "fma_peak.hpp"
#include "layer_traffic.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace minitorch;

namespace {

constexpr std::size_t kBatch = 128;
double g_peak_gflops = 0, g_copy_gbps = 0;  // set in main, before any benchmark runs

void flop_counters(benchmark::State& state, double flops) {
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["%peak"] =
        benchmark::Counter(flops * 1e-9 * 100.0 / g_peak_gflops, benchmark::Counter::kIsIterationInvariantRate);
}

Tensor<float> random_images(std::size_t n, std::uint64_t seed) {
    Tensor<float> x({n, 1, 28, 28});
    Generator gen(seed);
    normal_(x, 0.0, 1.0, gen);
    return x;
}

std::vector<std::int64_t> random_labels(std::size_t n, std::uint64_t seed) {
    Generator gen(seed);
    std::vector<std::int64_t> labels(n);
    for (auto& l : labels) l = static_cast<std::int64_t>(gen.below(10));
    return labels;
}

/// Wall microseconds per image, for a benchmark that handles `images` per iteration.
benchmark::Counter us_per_image(double images) {
    return benchmark::Counter(images * 1e-6,
                              benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

bool starts_with(const std::string& s, const char* prefix) {
    return s.rfind(prefix, 0) == 0;
}

/// Forward FLOPs of `conv` on one image of shape `in` [1, C, H, W]: 2·O·K·L.
double conv_flops(const Conv2d<float>& conv, const Shape& in) {
    const auto& w = conv.weight().shape();
    const Shape out = conv.output_shape(in);
    return 2.0 * static_cast<double>(w[0] * w[1] * w[2] * w[3] * out[2] * out[3]);
}

/// FLOPs of the net's convolutions for one image: forward (2·O·K·L per conv); a training step is 3× that.
double conv_flops_per_image(Sequential<float>& net) {
    double flops = 0;
    Shape s{1, 1, 28, 28};
    for (std::size_t i = 0; i < net.size(); ++i) {
        if (starts_with(net.describe(i), "Conv2d")) flops += conv_flops(net.template at<Conv2d<float>>(i), s);
        s = net.slice(i, i + 1).output_shape(s);
    }
    return flops;
}

void BM_TrainStep(benchmark::State& state) {
    Generator gen(1);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    SGD<float> opt(net.parameters(), {.lr = 0.01, .momentum = 0.9});
    NLLLoss<float> loss;
    const Tensor<float> x = random_images(kBatch, 2);
    const auto labels = random_labels(kBatch, 3);
    const auto step = [&] {
        opt.zero_grad();
        loss.forward(net.forward(x), labels);
        net.backward(loss.backward());
        opt.step();
    };
    step();  // warm-up: first-touch page faults of every buffer are not part of a steady-state step
    reset_pool_stats();
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state) step();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const PoolStats pool = pool_stats();
    Generator fresh(1);
    Sequential<float> shapes_only = mnist_example::make_net<float>(fresh);  // FLOP count without cloning buffers
    flop_counters(state, 3.0 * conv_flops_per_image(shapes_only) * kBatch);
    const double steps = static_cast<double>(state.iterations());
    // 469 steps of batch 128 make one MNIST epoch (the data pipeline is not included).
    state.counters["epoch_s"] = 469.0 * seconds / steps;
    const double workers = static_cast<double>(num_threads() - 1);
    state.counters["idle_ms"] = 1e3 * (workers * seconds - pool.worker_busy_seconds) / steps;
    state.counters["wait_ms"] = 1e3 * pool.caller_wait_seconds / steps;
}
BENCHMARK(BM_TrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The forward half of a training step alone (training mode: batch statistics, dropout masks, argmax kept), batch
/// 128, for issue 14's "evaluation at least as fast per image as training's forward": us_per_image beside
/// BM_Evaluate10k's.
void BM_TrainForward(benchmark::State& state) {
    Generator gen(1);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    const Tensor<float> x = random_images(kBatch, 2);
    net.forward(x);  // warm-up
    for (auto _ : state) benchmark::DoNotOptimize(net.forward(x).data());
    state.counters["us_per_image"] = us_per_image(static_cast<double>(kBatch));
}
BENCHMARK(BM_TrainForward)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Eval-mode passes over 10,000 images in batches of range(0): Sequential::infer with range(1) images per thread in a
/// slice (what evaluate() runs, default 8), or with range(1) = 0 forward (the whole batch through one layer after
/// another).
void BM_Evaluate10k(benchmark::State& state) {
    const std::size_t batch = static_cast<std::size_t>(state.range(0));
    const std::size_t per_thread = static_cast<std::size_t>(state.range(1));
    Generator gen(1);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    net.eval();
    const Tensor<float> x = random_images(batch, 2);
    const std::size_t batches = (10000 + batch - 1) / batch;
    const auto pass = [&]() -> const Tensor<float>& { return per_thread ? net.infer(x, per_thread) : net.forward(x); };
    pass();  // warm-up
    for (auto _ : state)
        for (std::size_t b = 0; b < batches; ++b) benchmark::DoNotOptimize(pass().data());
    const double flops = conv_flops_per_image(net) * static_cast<double>(batches * batch);
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["us_per_image"] = us_per_image(static_cast<double>(batches * batch));
}
BENCHMARK(BM_Evaluate10k)
    ->ArgNames({"batch", "infer_per_thread"})
    ->Args({128, 8})
    ->Args({128, 0})
    ->Args({128, 4})
    ->Args({128, 16})
    ->Args({1000, 8})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// `layer` (a copy) alone, forward + backward in training mode on random x of shape `in` and dy, on the buffers a
/// Sequential would hand it (layer.hpp) — no input copy, unlike a one-layer Sequential.
template <class L>
void time_layer(benchmark::State& state, L layer, const Shape& in, Generator& gen) {
    Tensor<float> x(in);
    normal_(x, 0.0, 1.0, gen);
    Tensor<float> dy(layer.output_shape(in));
    normal_(dy, 0.0, 1.0, gen);
    Tensor<float> y_buffer, dx;
    typename L::Cache cache{};
    layer.train(true);
    const auto run = [&] {
        const Tensor<float>& y = layer.forward(x, y_buffer, cache);
        layer.backward(x, y, cache, dy, dx);
        benchmark::DoNotOptimize(dx.data());
        benchmark::ClobberMemory();
    };
    run();  // warm-up
    for (auto _ : state) run();
    state.SetLabel(layer.describe() + " " + to_string(in));
}

void traffic_counters(benchmark::State& state, const layer_traffic::Traffic& traffic, const Shape& in) {
    const double gigabytes = traffic.training() * static_cast<double>(num_elements(in)) * sizeof(float) * 1e-9;
    state.counters["GB/s"] = benchmark::Counter(gigabytes, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["%bw"] =
        benchmark::Counter(gigabytes * 100.0 / g_copy_gbps, benchmark::Counter::kIsIterationInvariantRate);
}

/// Layer i of the net alone: forward + backward at its real input shape in a training step.
void BM_NetLayer(benchmark::State& state) {
    const auto index = static_cast<std::size_t>(state.range(0));
    Generator gen(1);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    const Shape in = net.slice(0, index).output_shape({kBatch, 1, 28, 28});
    const std::string name = net.describe(index);
    if (starts_with(name, "Conv2d")) {
        const auto& conv = net.at<Conv2d<float>>(index);
        time_layer(state, conv, in, gen);
        flop_counters(state, 3.0 * conv_flops(conv, {1, in[1], in[2], in[3]}) * static_cast<double>(kBatch));
    } else if (starts_with(name, "ReLU")) {
        time_layer(state, net.at<ReLU<float>>(index), in, gen);
        traffic_counters(state, layer_traffic::kReLU, in);
    } else if (starts_with(name, "BatchNorm2d")) {
        time_layer(state, net.at<BatchNorm2d<float>>(index), in, gen);
        traffic_counters(state, layer_traffic::kBatchNorm, in);
    } else if (starts_with(name, "Dropout")) {
        time_layer(state, net.at<Dropout<float>>(index), in, gen);
        traffic_counters(state, layer_traffic::kDropout, in);
    } else if (starts_with(name, "MaxPool2d")) {
        time_layer(state, net.at<MaxPool2d<float>>(index), in, gen);
        traffic_counters(state, layer_traffic::kMaxPool, in);
    } else if (starts_with(name, "AvgPool2d")) {
        const auto& pool = net.at<AvgPool2d<float>>(index);
        time_layer(state, pool, in, gen);
        traffic_counters(state, layer_traffic::avg_pool(static_cast<double>(pool.window().kernel)), in);
    } else if (starts_with(name, "Flatten")) {
        time_layer(state, net.at<Flatten<float>>(index), in, gen);
    } else if (starts_with(name, "LogSoftmax")) {
        time_layer(state, net.at<LogSoftmax<float>>(index), in, gen);
    } else {
        state.SkipWithError(("bench_train_step: no timing for layer " + name).c_str());
    }
}
BENCHMARK(BM_NetLayer)->DenseRange(0, 28)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    if (!bench_args::take_threads(args, "bench_train_step")) return 2;
    if (!bench_args::take_peak(args, "bench_train_step", g_peak_gflops)) return 2;
    if (!bench_args::take_copy_bandwidth(args, "bench_train_step", g_copy_gbps)) return 2;
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
