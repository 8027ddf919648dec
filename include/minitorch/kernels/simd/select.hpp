// minitorch/kernels/simd/select.hpp — MINITORCH_SELECT_FOR_ISA(isa, name): the object `name` (a kernel family's table
// of function pointers, defined in its body) of the namespace kernels::<isa>. Throws for an ISA this build lacks.
#pragma once

#include "minitorch/kernels/isa.hpp"

#include <stdexcept>
#include <string>

namespace minitorch::detail {
[[noreturn]] inline void no_kernels_for(Isa isa) {
    throw std::invalid_argument("minitorch: this build has no kernels for " + std::string(isa_name(isa)));
}
}  // namespace minitorch::detail

#if defined(MINITORCH_X86_64)
#define MINITORCH_SELECT_FOR_ISA(isa, name)                                             \
    ((isa) == ::minitorch::Isa::avx512 ? ::minitorch::kernels::avx512::name            \
     : (isa) == ::minitorch::Isa::avx2 ? ::minitorch::kernels::avx2::name              \
     : (isa) == ::minitorch::Isa::scalar ? ::minitorch::kernels::scalar::name          \
                                         : (::minitorch::detail::no_kernels_for(isa), \
                                            ::minitorch::kernels::scalar::name))
#elif defined(MINITORCH_AARCH64)
#define MINITORCH_SELECT_FOR_ISA(isa, name)                                             \
    ((isa) == ::minitorch::Isa::neon     ? ::minitorch::kernels::neon::name            \
     : (isa) == ::minitorch::Isa::scalar ? ::minitorch::kernels::scalar::name          \
                                         : (::minitorch::detail::no_kernels_for(isa), \
                                            ::minitorch::kernels::scalar::name))
#else
#define MINITORCH_SELECT_FOR_ISA(isa, name)                                             \
    ((isa) == ::minitorch::Isa::scalar ? ::minitorch::kernels::scalar::name            \
                                       : (::minitorch::detail::no_kernels_for(isa), \
                                          ::minitorch::kernels::scalar::name))
#endif
