// Every convolution of the MNIST net (examples/mnist/mnist_net.hpp) at batch 128, at its real input shape:
//
//   conv/forward/<shape>                  Conv2d<float>::forward in training mode (im2col + GEMM + the input cache)
//   conv/forward_eval/<shape>             the same in eval mode (no cache: what evaluation runs)
//   conv/backward/<shape>                 Conv2d<float>::backward: backward-data and backward-weights together
//   conv/gemm_forward/<shape>             the GEMMs alone, per image over the batch, split across the threads as
//   conv/gemm_backward_data/<shape>       Conv2d splits it (each thread one col buffer, kernels/gemm.hpp):
//   conv/gemm_backward_weights/<shape>      Y_n = W·col (gemm_nn), dcol = Wᵀ·dY_n (gemm_nn), dW += dY_n·colᵀ (gemm_nt)
//   conv/reference_forward/<shape>        the direct loops of kernels/conv_reference.hpp, 1 thread, batch 8
//   im2col/<shape>, col2im/<shape>        the data movement alone, on the 16→32 conv, over the batch
//
// Counters: "GFLOP/s" (2·O·K·L per image for the forward and for each backward product, so 4·O·K·L for the whole
// backward; K = C·kh·kw, L = outH·outW) and "%peak" (GFLOP/s against the peak of this run: --peak_gflops=X, or by
// default the FMA loop of bench_peak measured at startup on one thread, times the thread count; printed in the
// context as peak_gflops). im2col/col2im report "GB/s": the image and the col matrix, each read or written once.
// The difference between conv/forward and conv/gemm_forward is what im2col, the bias and the cache copy cost.
//
//   bench_conv --threads=2 --benchmark_filter='16to32' --benchmark_repetitions=5
//              --benchmark_report_aggregates_only=true
//
// Every benchmark runs its operation once before the timed loop: first-touch page faults of the outputs and
// per-thread buffers are expensive on this kind of VM and are not part of a steady-state training step.
#include "fma_peak.hpp"

#include <minitorch/kernels/conv_reference.hpp>
#include <minitorch/kernels/gemm.hpp>
#include <minitorch/kernels/im2col.hpp>
#include <minitorch/kernels/parallel.hpp>
#include <minitorch/layers/conv2d.hpp>
#include <minitorch/random.hpp>
#include <minitorch/tensor.hpp>

#include <benchmark/benchmark.h>

#include "bench_args.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace minitorch;

namespace {

constexpr std::size_t kBatch = 128;
constexpr std::size_t kReferenceBatch = 8;  // the direct loops are slow; GFLOP/s compares across batch sizes

/// One convolution of the net: in → out channels, k×k kernel, zero padding, square input of size hw.
struct ConvCase {
    std::size_t in, out, k, pad, hw;
};
const ConvCase kCases[] = {{1, 16, 3, 0, 28},  {16, 32, 3, 0, 26}, {32, 10, 1, 0, 24}, {10, 16, 3, 0, 12},
                           {16, 12, 3, 0, 10}, {12, 12, 3, 0, 8},  {12, 14, 3, 1, 6},  {14, 10, 1, 0, 1}};
constexpr std::size_t kBigCase = 1;  // 16→32 on 26×26: about 80% of the net's FLOPs

/// "16to32_k3p0_26": the benchmark-name form of a case (no characters a shell or a regex would trip on).
std::string case_name(const ConvCase& c) {
    return std::to_string(c.in) + "to" + std::to_string(c.out) + "_k" + std::to_string(c.k) + "p" +
           std::to_string(c.pad) + "_" + std::to_string(c.hw);
}

ConvGeometry geometry(const ConvCase& c) {
    return {.channels = c.in,
            .height = c.hw,
            .width = c.hw,
            .kernel_h = c.k,
            .kernel_w = c.k,
            .stride = 1,
            .padding = c.pad};
}

/// 2·O·K·L: the FLOPs of one image's forward GEMM (and of each of its two backward GEMMs).
double gemm_flops_per_image(const ConvCase& c) {
    const ConvGeometry g = geometry(c);
    return 2.0 * static_cast<double>(c.out * g.col_rows() * g.col_cols());
}

Tensor<float> random_tensor(const Shape& shape, std::uint64_t seed) {
    Tensor<float> t(shape);
    Generator gen(seed);
    normal_(t, 0.0, 1.0, gen);
    return t;
}

double g_peak_gflops = 0;  // set in main, before any benchmark runs

/// "GFLOP/s" and "%peak" for `flops` floating-point operations per iteration.
void flop_counters(benchmark::State& state, double flops, bool with_peak = true) {
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    if (with_peak)
        state.counters["%peak"] =
            benchmark::Counter(flops * 1e-9 * 100.0 / g_peak_gflops, benchmark::Counter::kIsIterationInvariantRate);
}

/// The layer as the net builds it (no bias), with a random batch and a random output gradient, and the buffers a
/// Sequential would hand it (layer.hpp).
struct LayerSetup {
    Conv2d<float> conv;
    Tensor<float> x, dy, y, dx;
    Conv2d<float>::Cache cache;
    explicit LayerSetup(const ConvCase& c, std::size_t batch)
        : conv(make_conv(c)),
          x(random_tensor({batch, c.in, c.hw, c.hw}, 2)),
          dy(random_tensor(conv.output_shape(x.shape()), 3)) {}
    static Conv2d<float> make_conv(const ConvCase& c) {
        Generator gen(1);
        return Conv2d<float>({.in = c.in, .out = c.out, .kernel = c.k, .padding = c.pad, .bias = false}, gen);
    }
    std::string label() const { return conv.describe() + " " + to_string(x.shape()); }
};

// ---- the layer ------------------------------------------------------------------------------------------------

void BM_ConvForward(benchmark::State& state, ConvCase c, bool training) {
    LayerSetup s(c, kBatch);
    s.conv.train(training);
    s.conv.forward(s.x, s.y, s.cache);  // warm-up
    for (auto _ : state) benchmark::DoNotOptimize(s.conv.forward(s.x, s.y, s.cache).data());
    flop_counters(state, gemm_flops_per_image(c) * kBatch);
    state.SetLabel(s.label());
}

void BM_ConvBackward(benchmark::State& state, ConvCase c) {
    LayerSetup s(c, kBatch);
    s.conv.forward(s.x, s.y, s.cache);
    s.conv.backward(s.x, s.y, s.cache, s.dy, s.dx);  // warm-up. weight_grad accumulates over the calls (a step
                                                     // zeroes it): same work
    for (auto _ : state) {
        s.conv.backward(s.x, s.y, s.cache, s.dy, s.dx);
        benchmark::DoNotOptimize(s.dx.data());
    }
    flop_counters(state, 2 * gemm_flops_per_image(c) * kBatch);  // backward-data + backward-weights
    state.SetLabel(s.label());
}

// ---- the GEMMs alone, split over the batch as Conv2d splits it -----------------------------------------------------

enum class Product { forward, backward_data, backward_weights };

/// The operands of Conv2d's GEMMs for a whole batch: W [O, K], x and dx [N, C, H, W], y and dy [N, O, L], and per
/// thread one col buffer [K, L] (holding im2col of the first image of the thread's chunk, as it would after im2col)
/// and one partial dW [O, K]. For a 1×1 conv (col is the image itself) the products read and write x_n / dx_n.
struct GemmSetup {
    ConvGeometry g;
    std::size_t O, K, L, N;
    Tensor<float> W, x, dx, y, dy;
    std::vector<Tensor<float>> col, dw;

    GemmSetup(const ConvCase& c, std::size_t batch)
        : g(geometry(c)),
          O(c.out),
          K(g.col_rows()),
          L(g.col_cols()),
          N(batch),
          W(random_tensor({O, K}, 1)),
          x(random_tensor({N, c.in, c.hw, c.hw}, 2)),
          dx({N, c.in, c.hw, c.hw}),
          y({N, O, L}),
          dy(random_tensor({N, O, L}, 3)),
          col(num_threads()),
          dw(num_threads()) {
        parallel_for(N, [&](std::size_t begin, std::size_t, std::size_t t) {  // each thread touches its own buffers
            col[t].resize({K, L});
            dw[t].resize({O, K});
            dw[t].zero();
            im2col(x.data() + std::min(begin, N - 1) * image(), g, col[t].data());
        });
    }
    std::size_t image() const { return g.channels * g.height * g.width; }

    void run(Product p) {
        parallel_for(N, [&](std::size_t begin, std::size_t end, std::size_t t) {
            float* c = col[t].data();
            if (p == Product::backward_weights) dw[t].zero();  // Conv2d zeroes its partial dW each backward
            for (std::size_t n = begin; n < end; ++n) {
                const float* B = g.is_identity() ? x.data() + n * image() : c;  // col_n [K, L]
                const float* dyn = dy.data() + n * O * L;                       // dY_n [O, L]
                switch (p) {
                    case Product::forward:  // Y_n = W·col_n
                        gemm_nn(O, L, K, W.data(), K, 1, B, L, y.data() + n * O * L, L, false);
                        break;
                    case Product::backward_data:  // dcol = Wᵀ·dY_n (into dx_n directly for a 1×1 conv)
                        gemm_nn(K, L, O, W.data(), 1, K, dyn, L, g.is_identity() ? dx.data() + n * image() : c, L,
                                false);
                        break;
                    case Product::backward_weights:  // dW += dY_n·col_nᵀ
                        gemm_nt(O, K, L, dyn, L, B, L, dw[t].data(), K, true);
                        break;
                }
            }
        });
        benchmark::ClobberMemory();
    }
};

void BM_ConvGemm(benchmark::State& state, ConvCase c, Product p) {
    GemmSetup s(c, kBatch);
    s.run(p);  // warm-up
    for (auto _ : state) s.run(p);
    flop_counters(state, gemm_flops_per_image(c) * kBatch);
    state.SetLabel(std::string(isa_name(active_isa())) + " O=" + std::to_string(s.O) +
                   " K=" + std::to_string(s.K) + " L=" + std::to_string(s.L));
}

// ---- the direct reference -----------------------------------------------------------------------------------------

void BM_ConvReferenceForward(benchmark::State& state, ConvCase c) {
    LayerSetup s(c, kReferenceBatch);
    const Tensor<float> no_bias;
    benchmark::DoNotOptimize(conv2d_forward_reference(s.x, s.conv.weight(), no_bias, 1, c.pad).data());  // warm-up
    for (auto _ : state) {
        const Tensor<float> y = conv2d_forward_reference(s.x, s.conv.weight(), no_bias, 1, c.pad);
        benchmark::DoNotOptimize(y.data());
    }
    flop_counters(state, gemm_flops_per_image(c) * kReferenceBatch, /*with_peak=*/false);
    state.SetLabel("direct loops, 1 thread, " + s.label());
}

// ---- im2col / col2im alone ----------------------------------------------------------------------------------------

void BM_Im2col(benchmark::State& state, ConvCase c, bool adjoint) {
    GemmSetup s(c, kBatch);  // x [N, C, H, W] and a col buffer per thread
    const auto pass = [&] {
        parallel_for(s.N, [&](std::size_t begin, std::size_t end, std::size_t t) {
            for (std::size_t n = begin; n < end; ++n) {
                if (adjoint)
                    col2im(s.col[t].data(), s.g, s.dx.data() + n * s.image());  // dx_n = col2im(col)
                else
                    im2col(s.x.data() + n * s.image(), s.g, s.col[t].data());  // col = im2col(x_n)
            }
        });
        benchmark::ClobberMemory();
    };
    pass();  // warm-up
    for (auto _ : state) pass();
    // Bytes per image: the image [C, H, W] (read by im2col, written by col2im) and the col matrix [K, L] (written by
    // im2col, read by col2im), each counted once. col2im's zero-fill and read-modify-write of the image stay in L1.
    const double bytes = static_cast<double>(kBatch * (s.image() + s.K * s.L) * sizeof(float));
    state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(std::string(adjoint ? "col2im " : "im2col ") + "[" + std::to_string(s.K) + ", " +
                   std::to_string(s.L) + "] per image");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    if (!bench_args::take_threads(args, "bench_conv")) return 2;
    if (!bench_args::take_peak(args, "bench_conv", g_peak_gflops)) return 2;

    // Wall-clock time: the work runs on every minitorch thread, not only the one that Google Benchmark times.
    const auto add = [](const std::string& name, auto&&... fn_and_args) {
        benchmark::RegisterBenchmark(name.c_str(), fn_and_args...)->UseRealTime()->Unit(benchmark::kMicrosecond);
    };
    for (const ConvCase& c : kCases) {
        const std::string n = case_name(c);
        add("conv/forward/" + n, BM_ConvForward, c, true);
        add("conv/forward_eval/" + n, BM_ConvForward, c, false);
        add("conv/backward/" + n, BM_ConvBackward, c);
        add("conv/gemm_forward/" + n, BM_ConvGemm, c, Product::forward);
        add("conv/gemm_backward_data/" + n, BM_ConvGemm, c, Product::backward_data);
        add("conv/gemm_backward_weights/" + n, BM_ConvGemm, c, Product::backward_weights);
        add("conv/reference_forward/" + n, BM_ConvReferenceForward, c);
    }
    add("im2col/" + case_name(kCases[kBigCase]), BM_Im2col, kCases[kBigCase], false);
    add("col2im/" + case_name(kCases[kBigCase]), BM_Im2col, kCases[kBigCase], true);

    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
