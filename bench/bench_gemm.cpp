// The three GEMMs of an im2col convolution, per image, single-threaded, for every conv shape of the MNIST net:
//   forward            Y [O, L]    = W·col        gemm_nn(O, L, K, W, K, 1, …)
//   backward-data      dcol [K, L] = Wᵀ·dY        gemm_nn(K, L, O, W, 1, K, …)
//   backward-weights   dW [O, K]  += dY·colᵀ      gemm_nt(O, K, L, …)
// each by kernels/gemm.hpp's kernel ("ours": AVX-512 in a native build, else Eigen), by Eigen (Map + noalias) and
// by the plain reference. The GFLOP/s counter is 2·O·K·L per call; compare it with bench_peak's one-core figure.
//
//   bench_gemm --benchmark_filter='32x144x576' --benchmark_min_time=0.2 --benchmark_repetitions=5
//              --benchmark_report_aggregates_only=true
#include <minitorch/kernels/gemm.hpp>
#include <minitorch/random.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
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

void run(benchmark::State& state, ConvShape s, Product product, Impl impl) {
    Generator gen(42);
    auto random = [&](std::size_t n) {
        std::vector<float> v(n);
        for (auto& x : v) x = static_cast<float>(gen.normal());
        return v;
    };
    const std::vector<float> W = random(s.O * s.K), col = random(s.K * s.L), dY = random(s.O * s.L);
    std::vector<float> Y(s.O * s.L), dcol(s.K * s.L), dW(s.O * s.K);
    for (auto _ : state) {
        switch (product) {
            case Product::forward:  // Y = W·col
                if (impl == Impl::ours) gemm_nn(s.O, s.L, s.K, W.data(), s.K, 1, col.data(), s.L, Y.data(), s.L, false);
                if (impl == Impl::eigen)
                    gemm_nn_eigen(s.O, s.L, s.K, W.data(), s.K, 1, col.data(), s.L, Y.data(), s.L, false);
                if (impl == Impl::reference)
                    gemm_nn_reference(s.O, s.L, s.K, W.data(), s.K, 1, col.data(), s.L, Y.data(), s.L, false);
                benchmark::DoNotOptimize(Y.data());
                break;
            case Product::backward_data:  // dcol = Wᵀ·dY
                if (impl == Impl::ours)
                    gemm_nn(s.K, s.L, s.O, W.data(), 1, s.K, dY.data(), s.L, dcol.data(), s.L, false);
                if (impl == Impl::eigen)
                    gemm_nn_eigen(s.K, s.L, s.O, W.data(), 1, s.K, dY.data(), s.L, dcol.data(), s.L, false);
                if (impl == Impl::reference)
                    gemm_nn_reference(s.K, s.L, s.O, W.data(), 1, s.K, dY.data(), s.L, dcol.data(), s.L, false);
                benchmark::DoNotOptimize(dcol.data());
                break;
            case Product::backward_weights:  // dW += dY·colᵀ
                if (impl == Impl::ours) gemm_nt(s.O, s.K, s.L, dY.data(), s.L, col.data(), s.L, dW.data(), s.K, true);
                if (impl == Impl::eigen)
                    gemm_nt_eigen(s.O, s.K, s.L, dY.data(), s.L, col.data(), s.L, dW.data(), s.K, true);
                if (impl == Impl::reference)
                    gemm_nt_reference(s.O, s.K, s.L, dY.data(), s.L, col.data(), s.L, dW.data(), s.K, true);
                benchmark::DoNotOptimize(dW.data());
                break;
        }
        benchmark::ClobberMemory();
    }
    const double flops = 2.0 * static_cast<double>(s.O * s.K * s.L);
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops * 1e-9 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.SetLabel(impl == Impl::ours    ? (gemm_uses_avx512 ? "ours (AVX-512)" : "ours (Eigen fallback)")
                   : impl == Impl::eigen ? "Eigen"
                                         : "reference");
}

}  // namespace

int main(int argc, char** argv) {
    const std::pair<Product, const char*> products[] = {{Product::forward, "forward"},
                                                        {Product::backward_data, "backward_data"},
                                                        {Product::backward_weights, "backward_weights"}};
    const std::pair<Impl, const char*> impls[] = {
        {Impl::ours, "ours"}, {Impl::eigen, "eigen"}, {Impl::reference, "reference"}};
    for (const auto& s : kShapes)
        for (const auto& [product, pname] : products)
            for (const auto& [impl, iname] : impls) {
                // e.g. gemm/forward/ours/32x144x576 (O×K×L of the conv)
                const std::string name = std::string("gemm/") + pname + "/" + iname + "/" + std::to_string(s.O) + "x" +
                                         std::to_string(s.K) + "x" + std::to_string(s.L);
                benchmark::RegisterBenchmark(name.c_str(), run, s, product, impl);
            }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
