// minitorch/kernels/simd/for_each_isa.hpp — compiles one kernel body once per ISA. No include guard, on purpose:
//
//   #define MINITORCH_KERNEL_BODY "minitorch/kernels/body/gemm.inl"
//   #include "minitorch/kernels/simd/for_each_isa.hpp"
//
// includes the body inside namespace minitorch::kernels::scalar (with `using V = simd::Scalar`), and on x86-64 also
// inside kernels::avx2 and kernels::avx512 under their target regions, on AArch64 inside kernels::neon. Each copy
// is a separate set of functions in its own namespace, so no two are ever merged by the linker (no ODR clash
// whatever -march a translation unit uses) — the scheme of Highway's foreach_target.h. A body includes nothing
// itself (its includes would land inside the namespace): the family's header includes what it needs first.
#ifndef MINITORCH_KERNEL_BODY
#error "define MINITORCH_KERNEL_BODY (the body file to compile per ISA) before including for_each_isa.hpp"
#endif

#include "minitorch/kernels/simd/avx2.hpp"
#include "minitorch/kernels/simd/avx512.hpp"
#include "minitorch/kernels/simd/neon.hpp"
#include "minitorch/kernels/simd/scalar.hpp"

namespace minitorch::kernels::scalar {
using V = ::minitorch::simd::Scalar;
#include MINITORCH_KERNEL_BODY
}  // namespace minitorch::kernels::scalar

#if defined(MINITORCH_X86_64)
MINITORCH_BEGIN_AVX2
namespace minitorch::kernels::avx2 {
using V = ::minitorch::simd::Avx2;
#include MINITORCH_KERNEL_BODY
}  // namespace minitorch::kernels::avx2
MINITORCH_END_TARGET

MINITORCH_BEGIN_AVX512
namespace minitorch::kernels::avx512 {
using V = ::minitorch::simd::Avx512;
#include MINITORCH_KERNEL_BODY
}  // namespace minitorch::kernels::avx512
MINITORCH_END_TARGET
#endif

#if defined(MINITORCH_AARCH64)
namespace minitorch::kernels::neon {
using V = ::minitorch::simd::Neon;
#include MINITORCH_KERNEL_BODY
}  // namespace minitorch::kernels::neon
#endif

#undef MINITORCH_KERNEL_BODY
