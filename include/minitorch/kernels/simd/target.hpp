// minitorch/kernels/simd/target.hpp — compile a region of code for one instruction set, whatever -march the build
// uses: MINITORCH_BEGIN_AVX2 … MINITORCH_END_TARGET gives every function defined in between the target attribute
// "avx2,fma" (GCC: #pragma GCC target; clang: #pragma clang attribute), so its intrinsics are accepted and its code
// uses those instructions, while the rest of the translation unit keeps the build's flags. Only the kernel layer uses
// these (kernels/simd/ and the kernel bodies it includes); such code runs only after isa.hpp has checked the CPU.
//
// Inside a region g++ does not define __AVX2__ and friends: code there must not switch on those macros.
#pragma once

#include "minitorch/kernels/isa.hpp"

#if defined(MINITORCH_X86_64)
#include <immintrin.h>
#if defined(__clang__)
#define MINITORCH_BEGIN_AVX2 \
    _Pragma("clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)")
#define MINITORCH_BEGIN_AVX512 \
    _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx2,fma\"))), apply_to = function)")
#define MINITORCH_END_TARGET _Pragma("clang attribute pop")
#elif defined(__GNUC__)
#define MINITORCH_BEGIN_AVX2 _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define MINITORCH_BEGIN_AVX512 _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx2,fma\")")
#define MINITORCH_END_TARGET _Pragma("GCC pop_options")
#else
#error "minitorch's x86-64 kernels need GCC or clang (per-function target attributes)"
#endif
#endif

#if defined(MINITORCH_AARCH64)
#include <arm_neon.h>
#endif
