// minitorch/kernels/simd/select.hpp — MINITORCH_SELECT_FOR_ISA(isa, name): the object `name` (a kernel family's table
// of function pointers, defined in its body) of the namespace kernels::<isa>. Throws for an ISA this build lacks.
//
// Where the tables are defined depends on how minitorch is used (README, "Using minitorch from CMake"):
//   header-only (minitorch::minitorch)   every translation unit compiles the bodies (simd/for_each_isa.hpp) and
//                                        each table is `inline constexpr` — nothing to link;
//   compiled (minitorch::compiled, which defines MINITORCH_COMPILED_LIB)   the family header only declares the
//                                        tables (MINITORCH_DECLARE_KERNEL_TABLES: `extern const`), and the bodies
//                                        are compiled once, in the library's src/kernels/<family>.cpp, which
//                                        defines MINITORCH_COMPILING_<FAMILY>_KERNELS: the family header includes
//                                        its bodies when that macro is defined or MINITORCH_COMPILED_LIB is not.
// Either way a table is the same object with the same functions, so the numbers do not depend on the mode.
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

#if defined(MINITORCH_COMPILED_LIB)
#define MINITORCH_KERNEL_TABLE constexpr  // after the extern declaration below: one definition, in the library
#if defined(MINITORCH_X86_64)
#define MINITORCH_DECLARE_KERNEL_TABLES(Type, name) \
    namespace minitorch::kernels::scalar {          \
    extern const ::minitorch::kernels::Type name;   \
    }                                               \
    namespace minitorch::kernels::avx2 {            \
    extern const ::minitorch::kernels::Type name;   \
    }                                               \
    namespace minitorch::kernels::avx512 {          \
    extern const ::minitorch::kernels::Type name;   \
    }
#elif defined(MINITORCH_AARCH64)
#define MINITORCH_DECLARE_KERNEL_TABLES(Type, name) \
    namespace minitorch::kernels::scalar {          \
    extern const ::minitorch::kernels::Type name;   \
    }                                               \
    namespace minitorch::kernels::neon {            \
    extern const ::minitorch::kernels::Type name;   \
    }
#else
#define MINITORCH_DECLARE_KERNEL_TABLES(Type, name) \
    namespace minitorch::kernels::scalar {          \
    extern const ::minitorch::kernels::Type name;   \
    }
#endif
#else
#define MINITORCH_KERNEL_TABLE inline constexpr
#define MINITORCH_DECLARE_KERNEL_TABLES(Type, name)
#endif
