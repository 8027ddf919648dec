// The three GEMMs of an im2col convolution, per image, single-threaded, for every conv shape of the MNIST net:
//   forward            Y [O, L]    = W·col        gemm_nn(O, L, K, W, K, 1, …)
//   backward-data      dcol [K, L] = Wᵀ·dY        gemm_nn(K, L, O, W, 1, K, …)
//   backward-weights   dW [O, K]  += dY·colᵀ      gemm_nt(O, K, L, …)
// each by kernels/gemm.hpp's kernel ("ours": AVX-512 in a native build, else Eigen), by Eigen (Map + noalias) and
// by the plain reference. The GFLOP/s counter is 2·O·K·L per call; compare it with bench_peak's one-core figure.
// gemm/all_three/… runs the three products of the 16→32 conv back to back on 1 and on 2 threads (each thread its own
// operands, as Conv2d splits a batch): compare it with bench_peak's 1- and 2-core figures.
//
//   bench_gemm --benchmark_filter='32x144x576' --benchmark_min_time=0.2 --benchmark_repetitions=5
//              --benchmark_report_aggregates_only=true
#include <minitorch/kernels/gemm.hpp>
#include <minitorch/random.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace minitorch;

struct ConvShape {
    std::size_t O, K, L;  // W [O, K], col [K, L]
};
// The MNIST net's convolutions; 16→32 (32, 144, 576) is about 80% of the FLOPs.
const ConvShape kShapes[] = {{32, 144, 576}, {16, 9, 676},  {10, 32, 576}, {16, 90, 100},
                             {12, 144, 64},  {12, 108, 36}, {14, 108, 36}, {10, 14, 1}};

enum class Product { forward, backward_data, backward_weights };
enum class Impl { ours, eigen, reference };

/// The operands of one image's three products, random normal, owned by the calling (benchmark) thread.
struct Operands {
    ConvShape s;
    std::vector<float> W, col, dY, Y, dcol, dW;
    explicit Operands(ConvShape shape) : s(shape), Y(s.O * s.L), dcol(s.K * s.L), dW(s.O * s.K) {
        Generator gen(42);
        auto random = [&](std::size_t n) {
            std::vector<float> v(n);
            for (auto& x : v) x = static_cast<float>(gen.normal());
            return v;
        };
        W = random(s.O * s.K);
        col = random(s.K * s.L);
        dY = random(s.O * s.L);
    }
};

template <class Nn, class Nt>
void product(Operands& o, Product p, Nn nn, Nt nt) {
    const ConvShape s = o.s;
    switch (p) {
        case Product::forward:  // Y = W·col
            nn(s.O, s.L, s.K, o.W.data(), s.K, 1, o.col.data(), s.L, o.Y.data(), s.L, false);
            benchmark::DoNotOptimize(o.Y.data());
            break;
        case Product::backward_data:  // dcol = Wᵀ·dY
            nn(s.K, s.L, s.O, o.W.data(), 1, s.K, o.dY.data(), s.L, o.dcol.data(), s.L, false);
            benchmark::DoNotOptimize(o.dcol.data());
            break;
        case Product::backward_weights:  // dW += dY·colᵀ
            nt(s.O, s.K, s.L, o.dY.data(), s.L, o.col.data(), s.L, o.dW.data(), s.K, true);
            benchmark::DoNotOptimize(o.dW.data());
            break;
    }
    benchmark::ClobberMemory();
}

void product(Operands& o, Product p, Impl impl) {
    const auto ours_nn = [](auto... a) { gemm_nn<float>(a...); };
    const auto ours_nt = [](auto... a) { gemm_nt<float>(a...); };
    const auto eigen_nn = [](auto... a) { gemm_nn_eigen<float>(a...); };
    const auto eigen_nt = [](auto... a) { gemm_nt_eigen<float>(a...); };
    const auto ref_nn = [](auto... a) { gemm_nn_reference<float>(a...); };
    const auto ref_nt = [](auto... a) { gemm_nt_reference<float>(a...); };
    if (impl == Impl::ours) product(o, p, ours_nn, ours_nt);
    if (impl == Impl::eigen) product(o, p, eigen_nn, eigen_nt);
    if (impl == Impl::reference) product(o, p, ref_nn, ref_nt);
}

std::string label(Impl impl) {
    return impl == Impl::ours    ? "ours (" + std::string(isa_name(active_isa())) + ")"
           : impl == Impl::eigen ? "Eigen"
                                 : "reference";
}

/// One product, one thread.
void run(benchmark::State& state, ConvShape s, Product p, Impl impl) {
    Operands o(s);
    for (auto _ : state) product(o, p, impl);
    const double flops = 2.0 * static_cast<double>(s.O * s.K * s.L);
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops * 1e-9 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.SetLabel(label(impl));
}

/// All three products of an image per iteration (a conv's forward + backward GEMMs). Run with Threads(n): n threads
/// each on their own operands, as Conv2d splits a batch; the counter is the sum over threads, i.e. the n-core rate.
void run_all_three(benchmark::State& state, ConvShape s, Impl impl) {
    Operands o(s);
    for (auto _ : state)
        for (Product p : {Product::forward, Product::backward_data, Product::backward_weights}) product(o, p, impl);
    const double flops = 3 * 2.0 * static_cast<double>(s.O * s.K * s.L);
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops * 1e-9 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.SetLabel(label(impl));
}

}  // namespace

int main(int argc, char** argv) {
    const std::pair<Product, const char*> products[] = {{Product::forward, "forward"},
                                                        {Product::backward_data, "backward_data"},
                                                        {Product::backward_weights, "backward_weights"}};
    const std::pair<Impl, const char*> impls[] = {
        {Impl::ours, "ours"}, {Impl::eigen, "eigen"}, {Impl::reference, "reference"}};
    auto shape_name = [](const ConvShape& s) {  // O×K×L of the conv
        return std::to_string(s.O) + "x" + std::to_string(s.K) + "x" + std::to_string(s.L);
    };
    for (const auto& s : kShapes)
        for (const auto& [p, pname] : products)
            for (const auto& [impl, iname] : impls)  // e.g. gemm/forward/ours/32x144x576
                benchmark::RegisterBenchmark((std::string("gemm/") + pname + "/" + iname + "/" + shape_name(s)).c_str(),
                                             run, s, p, impl);
    // The 16→32 conv's three GEMMs together on 1 and 2 threads (Conv2d's batch split), ours and Eigen.
    for (Impl impl : {Impl::ours, Impl::eigen})
        benchmark::RegisterBenchmark(
            (std::string("gemm/all_three/") + (impl == Impl::ours ? "ours/" : "eigen/") + shape_name(kShapes[0]))
                .c_str(),
            run_all_three, kShapes[0], impl)
            ->Threads(1)
            ->Threads(2)
            ->UseRealTime();
    benchmark::AddCustomContext("minitorch_isa", std::string(isa_description(active_isa())));
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
