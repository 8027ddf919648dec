// bench/fma_peak_body.inl — the peak loop over the SIMD trait V, compiled once per ISA by fma_peak.hpp (through
// minitorch/kernels/simd/for_each_isa.hpp, as the library's kernels are). No include guard, no includes.

/// One block: kIterations × kAccumulators independent fused multiply-adds on vectors of V::lanes floats, starting
/// from and returning to the accumulators in `state` (kAccumulators·V::lanes floats). Returns its flop count.
inline double fma_peak_block(float* state) {
    constexpr int kAccumulators = 12;  // > FMA latency × FMA ports (4 × 2), so the FMA units never wait
    typename V::F acc[kAccumulators];
    for (int i = 0; i < kAccumulators; ++i) acc[i] = V::load(state + i * V::lanes);
    const typename V::F a = V::set1(0.999999f), b = V::set1(1e-7f);
    for (std::int64_t it = 0; it < (std::int64_t{1} << 16); ++it)
#pragma GCC unroll 12
        for (int i = 0; i < kAccumulators; ++i) acc[i] = V::fma(acc[i], a, b);
    for (int i = 0; i < kAccumulators; ++i) V::store(state + i * V::lanes, acc[i]);
    return 2.0 * static_cast<double>(V::lanes) * kAccumulators * static_cast<double>(std::int64_t{1} << 16);
}
inline constexpr std::size_t fma_peak_lanes = V::lanes;
