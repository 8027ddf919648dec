// minitorch/kernels/isa.hpp — which instruction set the kernels run on: detected once from the CPU, lowered by the
// environment variable MINITORCH_ISA, reported by active_isa().
// Design: docs/design.md ("The kernel layer"); adding an ISA: docs/adding-a-kernel-or-isa.md.
//
// Every build contains the scalar kernels and, on x86-64, the AVX2+FMA and AVX-512F ones (compiled with
// per-function target pragmas, whatever -march the build uses); an AArch64 build contains NEON (and scalar). The
// best one the CPU can run is chosen the first time a kernel is called:
//
//   MINITORCH_ISA unset or empty     the best this CPU supports (avx512 > avx2 > scalar; neon on AArch64)
//   MINITORCH_ISA=scalar|avx2|…      that one, if this CPU and build have it; otherwise a std::runtime_error that
//                                    names the value, what this CPU supports, and the variable
//
// The variable can only lower the choice (as oneDNN's ONEDNN_MAX_CPU_ISA and PyTorch's ATEN_CPU_CAPABILITY): asking
// for AVX-512 on an AVX2 CPU is an error, never a SIGILL. Every ISA gives the same bits (docs/design.md), so the
// variable changes speed only. Tests run each available ISA explicitly through kernels_for(isa).
#pragma once

#include <array>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#define MINITORCH_X86_64 1
#include <cpuid.h>
#elif defined(__aarch64__)
#define MINITORCH_AARCH64 1
#endif

namespace minitorch {

/// The instruction sets the kernel layer has variants for, from the most portable up.
enum class Isa { scalar, avx2, avx512, neon };

inline constexpr std::array<Isa, 4> all_isas{Isa::scalar, Isa::avx2, Isa::avx512, Isa::neon};

/// "scalar", "avx2", "avx512", "neon": the names MINITORCH_ISA accepts.
constexpr std::string_view isa_name(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar: return "scalar";
        case Isa::avx2: return "avx2";
        case Isa::avx512: return "avx512";
        case Isa::neon: return "neon";
    }
    return "?";
}

/// A longer description for headers and reports: "avx2 (AVX2+FMA, 8 float lanes)".
constexpr std::string_view isa_description(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar: return "scalar (1 float lane, std::fma)";
        case Isa::avx2: return "avx2 (AVX2+FMA, 8 float lanes)";
        case Isa::avx512: return "avx512 (AVX-512F, 16 float lanes)";
        case Isa::neon: return "neon (AArch64 NEON, 4 float lanes)";
    }
    return "?";
}

/// True when this build contains kernels for `isa` (scalar always; avx2 and avx512 on x86-64; neon on AArch64).
constexpr bool isa_compiled(Isa isa) noexcept {
    switch (isa) {
        case Isa::scalar: return true;
#if defined(MINITORCH_X86_64)
        case Isa::avx2:
        case Isa::avx512: return true;
#elif defined(MINITORCH_AARCH64)
        case Isa::neon: return true;
#endif
        default: return false;
    }
}

namespace detail {

#if defined(MINITORCH_X86_64)
/// XCR0 (xgetbv 0): which register states the operating system saves on a context switch. A CPU may have AVX-512
/// while the OS does not save zmm registers; then the instructions fault, so the CPUID bits alone are not enough.
inline unsigned long long xcr0() noexcept {
    unsigned eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<unsigned long long>(edx) << 32) | eax;
}

struct X86Features {
    bool avx2_fma = false, avx512f = false;
};

inline X86Features x86_features() noexcept {
    X86Features f;
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
    const bool fma = ecx & (1u << 12), osxsave = ecx & (1u << 27), avx = ecx & (1u << 28);
    if (!osxsave || !avx) return f;
    const unsigned long long xcr = xcr0();
    const bool ymm_saved = (xcr & 0x6) == 0x6;     // SSE and AVX state
    const bool zmm_saved = (xcr & 0xE6) == 0xE6;   // … and opmask, upper zmm, zmm16–31
    if (__get_cpuid_max(0, nullptr) < 7) return f;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    const bool avx2 = ebx & (1u << 5), avx512f = ebx & (1u << 16);
    f.avx2_fma = avx2 && fma && ymm_saved;
    f.avx512f = f.avx2_fma && avx512f && zmm_saved;
    return f;
}
#endif

}  // namespace detail

/// True when this CPU (and OS) can run the kernels of `isa` and this build contains them.
inline bool isa_supported(Isa isa) noexcept {
    if (!isa_compiled(isa)) return false;
#if defined(MINITORCH_X86_64)
    static const detail::X86Features f = detail::x86_features();
    if (isa == Isa::avx2) return f.avx2_fma;
    if (isa == Isa::avx512) return f.avx512f;
#endif
    return true;  // scalar everywhere; NEON is part of every AArch64 CPU
}

/// The ISAs this CPU can run, most portable first: scalar, then avx2 and avx512 (x86-64) or neon (AArch64).
inline std::vector<Isa> supported_isas() {
    std::vector<Isa> out;
    for (Isa isa : all_isas)
        if (isa_supported(isa)) out.push_back(isa);
    return out;
}

/// The best ISA this CPU supports, ignoring MINITORCH_ISA.
inline Isa best_supported_isa() noexcept {
    if (isa_supported(Isa::avx512)) return Isa::avx512;
    if (isa_supported(Isa::avx2)) return Isa::avx2;
    if (isa_supported(Isa::neon)) return Isa::neon;
    return Isa::scalar;
}

/// Parses a MINITORCH_ISA value against what this CPU supports. Empty: the best supported. Throws
/// std::runtime_error naming the value and the choices for an unknown name or one this CPU (or build) lacks.
inline Isa parse_isa_request(std::string_view value) {
    if (value.empty()) return best_supported_isa();
    std::string choices;
    for (Isa isa : supported_isas()) choices += (choices.empty() ? "" : ", ") + std::string(isa_name(isa));
    for (Isa isa : all_isas)
        if (value == isa_name(isa)) {
            if (isa_supported(isa)) return isa;
            throw std::runtime_error("MINITORCH_ISA=" + std::string(value) + ": this " +
                                     (isa_compiled(isa) ? "CPU does not support it" : "build has no such kernels") +
                                     "; it supports " + choices + " (the variable can only lower the choice)");
        }
    throw std::runtime_error("MINITORCH_ISA=" + std::string(value) +
                             ": unknown instruction set; expected one of scalar, avx2, avx512, neon (this CPU: " +
                             choices + "), or the variable unset for the best");
}

/// The ISA every kernel runs on in this process: parse_isa_request(getenv("MINITORCH_ISA")), resolved on first use
/// and then fixed. Throws (on first use) what parse_isa_request throws.
inline Isa active_isa() {
    static const Isa isa = [] {
        const char* env = std::getenv("MINITORCH_ISA");
        return parse_isa_request(env ? std::string_view(env) : std::string_view());
    }();
    return isa;
}

}  // namespace minitorch
