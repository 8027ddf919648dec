// minitorch/kernels/elementwise.hpp — elementwise float kernels for the activations (ReLU), one set per ISA
// (body/elementwise.inl). Tests: tests/test_activation.cpp (every ISA against the scalar one and the definition).
#pragma once

#include "minitorch/kernels/isa.hpp"
#include "minitorch/kernels/simd/select.hpp"

#include <cstddef>

namespace minitorch::kernels {
/// The elementwise kernels of one ISA.
struct ElementwiseKernels {
    Isa isa;
    /// y[i] = x[i] if x[i] > 0 or x[i] is NaN, else +0, for i < n (y may be x).
    void (*relu_forward)(const float* x, float* y, std::size_t n) noexcept;
    /// dx[i] = dy[i] if y[i] > 0, else +0, for i < n.
    void (*relu_backward)(const float* y, const float* dy, float* dx, std::size_t n) noexcept;
};
}  // namespace minitorch::kernels

MINITORCH_DECLARE_KERNEL_TABLES(ElementwiseKernels, elementwise_kernels)
#if !defined(MINITORCH_COMPILED_LIB) || defined(MINITORCH_COMPILING_ELEMENTWISE_KERNELS)
#define MINITORCH_KERNEL_BODY "minitorch/kernels/body/elementwise.inl"
#include "minitorch/kernels/simd/for_each_isa.hpp"
#endif

namespace minitorch::kernels {
/// The elementwise kernels of `isa` (which this build must contain).
inline const ElementwiseKernels& elementwise_for(Isa isa) { return MINITORCH_SELECT_FOR_ISA(isa, elementwise_kernels); }
/// Those of active_isa(), looked up once.
inline const ElementwiseKernels& elementwise() {
    static const ElementwiseKernels& k = elementwise_for(active_isa());
    return k;
}
}  // namespace minitorch::kernels
