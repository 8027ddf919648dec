// minitorch/kernels/body/pool.inl — MaxPool2d's 2×2 eval kernel, written once over the SIMD trait V and compiled once
// per ISA by kernels/pool.hpp (through simd/for_each_isa.hpp). No include guard, no includes. The rule and the
// same-bits argument: kernels/pool.hpp.

namespace pool_detail {

/// One step of the running maximum on V's lanes: v where (v > m or v is NaN) and m is not NaN, else m. The compare
/// is ordered (false when either is NaN), so a NaN v is taken through is_nan and a NaN m is never replaced.
inline typename V::F take(typename V::F m, typename V::F v) noexcept {
    return V::select(V::mask_and_not(V::mask_or(V::greater(v, m), V::is_nan(v)), V::is_nan(m)), v, m);
}

/// V::lanes windows: out[0, lanes) from the 2·lanes values at top and at bottom (the window's two rows).
inline void windows(const float* top, const float* bottom, float* out) noexcept {
    typename V::F top_left, top_right, bottom_left, bottom_right;
    V::load_deinterleaved(top, top_left, top_right);  // even columns: the windows' left values, odd: the right
    V::load_deinterleaved(bottom, bottom_left, bottom_right);
    V::store(out, take(take(take(top_left, top_right), bottom_left), bottom_right));
}

/// One output row: out[0, out_w) from the input rows at top and top + W (columns 0 … 2·out_w − 1 only).
inline void row(const float* top, std::size_t W, float* out, std::size_t out_w) noexcept {
    const float* bottom = top + W;
    std::size_t j = 0;
    for (; j + V::lanes <= out_w; j += V::lanes) windows(top + 2 * j, bottom + 2 * j, out + j);
    if (j == out_w) return;
    // The last n < lanes windows, through zero-padded copies of their 2n values per row: no read past the windows'
    // last column (no masked loads: NEON has none); the padding lanes' results are dropped.
    const std::size_t n = out_w - j;
    float t[2 * V::lanes] = {}, b[2 * V::lanes] = {}, o[V::lanes];
    for (std::size_t l = 0; l < 2 * n; ++l) {
        t[l] = top[2 * j + l];
        b[l] = bottom[2 * j + l];
    }
    windows(t, b, o);
    for (std::size_t l = 0; l < n; ++l) out[j + l] = o[l];
}

inline void max_2x2(const float* x, std::size_t planes, std::size_t H, std::size_t W, float* y) noexcept {
    const std::size_t out_h = H / 2, out_w = W / 2;
    for (std::size_t p = 0; p < planes; ++p)
        for (std::size_t oh = 0; oh < out_h; ++oh)
            row(x + (p * H + 2 * oh) * W, W, y + (p * out_h + oh) * out_w, out_w);
}

}  // namespace pool_detail

MINITORCH_KERNEL_TABLE ::minitorch::kernels::PoolKernels pool_kernels{V::isa, &pool_detail::max_2x2};
