// minitorch/kernels/body/elementwise.inl — elementwise kernels (ReLU), written once over the SIMD trait V and compiled
// once per ISA by kernels/elementwise.hpp. No include guard, no includes: see simd/for_each_isa.hpp.
//
// The same bits on every ISA: each element goes through the same comparison and selection, a vector at a time and
// then the tail through the scalar trait (the same operations, one lane).

namespace elementwise_detail {
/// y = x where x > 0 or x is NaN (PyTorch's relu propagates NaN), else +0.
template <class W>
typename W::F relu(typename W::F x) noexcept {
    const typename W::F zero = W::zero();
    return W::select(W::mask_or(W::greater(x, zero), W::is_nan(x)), x, zero);
}
/// dx = dy where y > 0, else +0 (y > 0 exactly where x > 0; the subgradient at 0 is 0, as in PyTorch).
template <class W>
typename W::F relu_grad(typename W::F y, typename W::F dy) noexcept {
    return W::select(W::greater(y, W::zero()), dy, W::zero());
}
}  // namespace elementwise_detail

/// y[0, n) = relu(x[0, n)). y may be x.
inline void relu_forward(const float* x, float* y, std::size_t n) noexcept {
    using S = ::minitorch::simd::Scalar;
    std::size_t i = 0;
    for (; i + V::lanes <= n; i += V::lanes) V::store(y + i, elementwise_detail::relu<V>(V::load(x + i)));
    for (; i < n; ++i) y[i] = elementwise_detail::relu<S>(x[i]);
}

/// dx[0, n) = dy where y > 0, else 0.
inline void relu_backward(const float* y, const float* dy, float* dx, std::size_t n) noexcept {
    using S = ::minitorch::simd::Scalar;
    std::size_t i = 0;
    for (; i + V::lanes <= n; i += V::lanes)
        V::store(dx + i, elementwise_detail::relu_grad<V>(V::load(y + i), V::load(dy + i)));
    for (; i < n; ++i) dx[i] = elementwise_detail::relu_grad<S>(y[i], dy[i]);
}

MINITORCH_KERNEL_TABLE ::minitorch::kernels::ElementwiseKernels elementwise_kernels{V::isa, &relu_forward, &relu_backward};
