// bench/bandwidth_body.inl — the memory-bandwidth loops over the SIMD trait V, compiled once per ISA by
// bandwidth.hpp (through minitorch/kernels/simd/for_each_isa.hpp, as fma_peak_body.inl is). No include guard, no
// includes. n is a multiple of 4·V::lanes (bandwidth.hpp sizes its buffers so).

/// Σ p[i], in 4 independent vector sums (so the adds never wait on each other and the loads set the pace).
inline float bandwidth_read(const float* p, std::size_t n) {
    typename V::F s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
    for (std::size_t i = 0; i < n; i += 4 * V::lanes) {
        s0 = V::add(s0, V::load(p + i));
        s1 = V::add(s1, V::load(p + i + V::lanes));
        s2 = V::add(s2, V::load(p + i + 2 * V::lanes));
        s3 = V::add(s3, V::load(p + i + 3 * V::lanes));
    }
    float lanes[4 * 16];  // room for the widest ISA
    V::store(lanes, V::add(V::add(s0, s1), V::add(s2, s3)));
    float sum = 0;
    for (std::size_t l = 0; l < V::lanes; ++l) sum += lanes[l];
    return sum;
}

/// p[i] = v.
inline void bandwidth_write(float* p, std::size_t n, float v) {
    const typename V::F x = V::set1(v);
    for (std::size_t i = 0; i < n; i += V::lanes) V::store(p + i, x);
}

/// dst[i] = src[i].
inline void bandwidth_copy(const float* src, float* dst, std::size_t n) {
    for (std::size_t i = 0; i < n; i += V::lanes) V::store(dst + i, V::load(src + i));
}
