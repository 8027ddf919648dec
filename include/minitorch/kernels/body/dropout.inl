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

inline void draw_and_apply(std::uint64_t key, std::uint32_t threshold, std::uint8_t* keep, const float* in,
                           float scale, float* out, std::size_t n) noexcept {
    constexpr std::size_t block = 256;  // a multiple of every ISA's lanes, and 2^32 is a multiple of it
    for (std::size_t start = 0; start < n; start += block) {
        const std::size_t len = n - start < block ? n - start : block;
        // The counter's high half is constant within a block: dropout_bits written out with it hoisted.
        const std::uint32_t salt =
            static_cast<std::uint32_t>(key >> 32) ^ (static_cast<std::uint32_t>(start >> 32) * 0x9E3779B9U);
        const std::uint32_t base = static_cast<std::uint32_t>(start) + static_cast<std::uint32_t>(key);
        std::uint8_t* k = keep + start;
        for (std::size_t j = 0; j < len; ++j) {
            const std::uint32_t bits = mix32(mix32(base + static_cast<std::uint32_t>(j)) ^ salt);  // kernels::mix32
            k[j] = bits < threshold ? 1 : 0;
        }
        if (in) apply(in + start, k, scale, out + start, len);
    }
}

}  // namespace dropout_detail

MINITORCH_KERNEL_TABLE ::minitorch::kernels::DropoutKernels dropout_kernels{V::isa, &dropout_detail::apply,
                                                                      &dropout_detail::draw_and_apply};
