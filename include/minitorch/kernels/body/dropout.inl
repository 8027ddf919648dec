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

}  // namespace dropout_detail

inline constexpr ::minitorch::kernels::DropoutKernels dropout_kernels{V::isa, &dropout_detail::apply};
