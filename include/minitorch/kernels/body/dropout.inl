// minitorch/kernels/body/dropout.inl — Dropout's float kernel, written once over the SIMD trait V and compiled once
// per ISA by kernels/dropout.hpp (through simd/for_each_isa.hpp). No include guard, no includes. The formula and the
// same-bits argument: kernels/dropout.hpp.

namespace dropout_detail {

inline void apply(const float* in, const std::uint8_t* keep, float scale, float* out, std::size_t n) noexcept {
    using S = ::minitorch::simd::Scalar;
    const typename V::F s = V::set1(scale);
    std::size_t i = 0;
    for (; i + V::lanes <= n; i += V::lanes)
        V::store(out + i, V::mul(V::mul(V::load(in + i), V::load_u8(keep + i)), s));
    for (; i < n; ++i) out[i] = S::mul(S::mul(in[i], S::load_u8(keep + i)), scale);
}

inline void keep_and_apply(const std::uint32_t* draws, std::uint32_t threshold, std::uint8_t* keep, const float* in,
                           float scale, float* out, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) keep[i] = draws[i] < threshold ? 1 : 0;
    if (in) apply(in, keep, scale, out, n);
}

}  // namespace dropout_detail

inline constexpr ::minitorch::kernels::DropoutKernels dropout_kernels{V::isa, &dropout_detail::apply,
                                                                      &dropout_detail::keep_and_apply};
