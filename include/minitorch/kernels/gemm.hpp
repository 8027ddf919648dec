// minitorch/kernels/gemm.hpp — small-matrix GEMM for the im2col convolution: the three products of Conv2d (and
// Linear's, through kernels/matrix.hpp).
// Tests: tests/test_gemm.cpp (against the plain references below), tests/test_kernels.cpp (every ISA against the
// scalar one, bit for bit). Benchmarks: bench/bench_gemm.cpp. The micro-kernel: kernels/body/gemm.inl.
//
// Per image, with W: [O, K] (K = C·kh·kw), col: [K, L] (L = outH·outW), every matrix row-major:
//
//   forward            Y  [O, L]  = W · col      gemm_nn(O, L, K, W, K, 1, col, L, Y, L, false)
//   backward-data      dcol [K, L] = Wᵀ · dY      gemm_nn(K, L, O, W, 1, K, dY, L, dcol, L, false)
//   backward-weights   dW [O, K] += dY · colᵀ     gemm_nt(O, K, L, dY, L, col, L, dW, K, true)
//
// gemm_nn reads A through two strides (A[m, k] = A[m·a_row + k·a_col]), so one kernel serves W (strides K, 1) and
// Wᵀ (strides 1, K) without a transposed copy.
//
// float: the register-tiled kernel of body/gemm.inl for the ISA in use (kernels/isa.hpp), the same bits on every ISA:
// each element of C is one chain of fused multiply-adds over k ascending, started from 0 and then stored or added to
// C. gemm_nt takes one of two forms, chosen by the shape alone (gemm_nt_uses_dot_form): the transposed form computes
// gemm_nn on transposed copies, Cᵀ[N, M] = B[N, Kd]·Aᵀ[Kd, M] (one FMA chain per element; extra cost the two
// transposes, Kd·M + M·N values); the dot form (long rows, few of them) splits each dot product into 16 partial sums
// — a fixed number, not the vector width — combined in a fixed tree (body/gemm.inl), so it too is the same on every
// ISA.
// double (gradient checks): Eigen (gemm_nn_eigen, gemm_nt_eigen).
// C must not overlap A or B.
#pragma once

#include "minitorch/kernels/isa.hpp"
#include "minitorch/kernels/scratch.hpp"
#include "minitorch/kernels/simd/select.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace minitorch {

// ---- plain references: the definition, accumulating in double ----------------------------------------------------

/// C[M, N] (+)= A[M, Kd] · B[Kd, N] with A[m, k] = A[m·a_row + k·a_col], B[k, n] = B[k·ldb + n], C[m, n] = C[m·ldc +
/// n]. accumulate = false assigns C, true adds to it.
template <class T>
void gemm_nn_reference(std::size_t M, std::size_t N, std::size_t Kd, const T* A, std::size_t a_row, std::size_t a_col,
                       const T* B, std::size_t ldb, T* C, std::size_t ldc, bool accumulate) {
    for (std::size_t m = 0; m < M; ++m)
        for (std::size_t n = 0; n < N; ++n) {
            double s = accumulate ? static_cast<double>(C[m * ldc + n]) : 0.0;
            for (std::size_t k = 0; k < Kd; ++k)
                s += static_cast<double>(A[m * a_row + k * a_col]) * static_cast<double>(B[k * ldb + n]);
            C[m * ldc + n] = static_cast<T>(s);
        }
}

/// C[M, N] (+)= A[M, Kd] · B[N, Kd]ᵀ: C[m, n] (+)= Σ_k A[m·lda + k]·B[n·ldb + k].
template <class T>
void gemm_nt_reference(std::size_t M, std::size_t N, std::size_t Kd, const T* A, std::size_t lda, const T* B,
                       std::size_t ldb, T* C, std::size_t ldc, bool accumulate) {
    for (std::size_t m = 0; m < M; ++m)
        for (std::size_t n = 0; n < N; ++n) {
            double s = accumulate ? static_cast<double>(C[m * ldc + n]) : 0.0;
            for (std::size_t k = 0; k < Kd; ++k)
                s += static_cast<double>(A[m * lda + k]) * static_cast<double>(B[n * ldb + k]);
            C[m * ldc + n] = static_cast<T>(s);
        }
}

/// The exact float result every ISA's kernel must give: acc = fma(A[m, k], B[k, n], acc) over k ascending from 0,
/// then C = acc or C + acc. Scalar loops; the bit-for-bit reference of tests/test_kernels.cpp.
inline void gemm_nn_fma_chain(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t a_row,
                              std::size_t a_col, const float* B, std::size_t ldb, float* C, std::size_t ldc,
                              bool accumulate) {
    for (std::size_t m = 0; m < M; ++m)
        for (std::size_t n = 0; n < N; ++n) {
            float acc = 0.f;
            for (std::size_t k = 0; k < Kd; ++k) acc = std::fma(A[m * a_row + k * a_col], B[k * ldb + n], acc);
            C[m * ldc + n] = accumulate ? C[m * ldc + n] + acc : acc;
        }
}

/// The exact float result of gemm_nt's dot form on every ISA: for each element, 16 partial sums p[j] =
/// fma(A[m, k], B[n, k], p[j]) over k = j, j + 16, … ascending, with both rows zero-padded to a multiple of 16; then
/// s8[j] = p[j] + p[j + 8], s4[j] = s8[j] + s8[j + 4], s = (s4[0] + s4[2]) + (s4[1] + s4[3]); C = s or C + s.
inline void gemm_nt_fma_16(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t lda,
                           const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    const std::size_t padded = (Kd + 15) / 16 * 16;
    for (std::size_t m = 0; m < M; ++m)
        for (std::size_t n = 0; n < N; ++n) {
            float p[16] = {}, s8[8], s4[4];
            for (std::size_t k = 0; k < padded; ++k)
                p[k % 16] =
                    k < Kd ? std::fma(A[m * lda + k], B[n * ldb + k], p[k % 16]) : std::fma(0.f, 0.f, p[k % 16]);
            for (int j = 0; j < 8; ++j) s8[j] = p[j] + p[j + 8];
            for (int j = 0; j < 4; ++j) s4[j] = s8[j] + s8[j + 4];
            const float s = (s4[0] + s4[2]) + (s4[1] + s4[3]);
            C[m * ldc + n] = accumulate ? C[m * ldc + n] + s : s;
        }
}

// ---- Eigen: any scalar type ---------------------------------------------------------------------------------------

/// gemm_nn through Eigen (Map + noalias). Same arguments and result as gemm_nn_reference, up to rounding.
template <class T>
void gemm_nn_eigen(std::size_t M, std::size_t N, std::size_t Kd, const T* A, std::size_t a_row, std::size_t a_col,
                   const T* B, std::size_t ldb, T* C, std::size_t ldc, bool accumulate) {
    using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using ColMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
    using Outer = Eigen::OuterStride<>;
    using Strides = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
    if (M == 0 || N == 0) return;
    const auto m = static_cast<Eigen::Index>(M), n = static_cast<Eigen::Index>(N), kd = static_cast<Eigen::Index>(Kd);
    const Eigen::Map<const RowMajor, 0, Outer> Bm(B, kd, n, Outer(static_cast<Eigen::Index>(ldb)));
    Eigen::Map<RowMajor, 0, Outer> Cm(C, m, n, Outer(static_cast<Eigen::Index>(ldc)));
    auto run = [&](const auto& Am) {
        if (accumulate)
            Cm.noalias() += Am * Bm;
        else
            Cm.noalias() = Am * Bm;
    };
    if (a_col == 1)  // A row-major with row stride a_row (W)
        run(Eigen::Map<const RowMajor, 0, Outer>(A, m, kd, Outer(static_cast<Eigen::Index>(a_row))));
    else if (a_row == 1)  // A column-major with column stride a_col (Wᵀ)
        run(Eigen::Map<const ColMajor, 0, Outer>(A, m, kd, Outer(static_cast<Eigen::Index>(a_col))));
    else
        run(Eigen::Map<const RowMajor, 0, Strides>(
            A, m, kd, Strides(static_cast<Eigen::Index>(a_row), static_cast<Eigen::Index>(a_col))));
}

/// gemm_nt through Eigen (Map + noalias). Same arguments and result as gemm_nt_reference, up to rounding.
template <class T>
void gemm_nt_eigen(std::size_t M, std::size_t N, std::size_t Kd, const T* A, std::size_t lda, const T* B,
                   std::size_t ldb, T* C, std::size_t ldc, bool accumulate) {
    using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Outer = Eigen::OuterStride<>;
    if (M == 0 || N == 0) return;
    const auto m = static_cast<Eigen::Index>(M), n = static_cast<Eigen::Index>(N), kd = static_cast<Eigen::Index>(Kd);
    const Eigen::Map<const RowMajor, 0, Outer> Am(A, m, kd, Outer(static_cast<Eigen::Index>(lda)));
    const Eigen::Map<const RowMajor, 0, Outer> Bm(B, n, kd, Outer(static_cast<Eigen::Index>(ldb)));
    Eigen::Map<RowMajor, 0, Outer> Cm(C, m, n, Outer(static_cast<Eigen::Index>(ldc)));
    if (accumulate)
        Cm.noalias() += Am * Bm.transpose();
    else
        Cm.noalias() = Am * Bm.transpose();
}

// ---- the float kernels, one set per ISA ---------------------------------------------------------------------------

namespace kernels {
/// The GEMM kernels of one ISA (body/gemm.inl).
struct GemmKernels {
    Isa isa;
    std::size_t lanes;  ///< floats per vector: products whose N is a multiple of it need no edge handling
    /// C[M, N] (+)= A[M, Kd]·B[Kd, N]; arguments as gemm_nn below.
    void (*nn)(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t a_row, std::size_t a_col,
               const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate);
    /// C[M, N] = A[M, Kd]·B, row k of B at B + b_rows[k], A row-major with row stride lda (conv_implicit.hpp).
    void (*nn_rows)(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t lda, const float* B,
                    const std::size_t* b_rows, float* C, std::size_t ldc);
    /// dst[k·ldd + m] = src[m·lds + k] for m < M, k < K (data movement: gemm_nt's transposed copies).
    void (*transpose)(const float* src, std::size_t M, std::size_t K, std::size_t lds, float* dst,
                      std::size_t ldd) noexcept;
    /// C[M, N] (+)= A[M, Kd]·B[N, Kd]ᵀ, 16 partial sums per element (body/gemm.inl); arguments as gemm_nt below.
    void (*nt_dot)(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t lda, const float* B,
                   std::size_t ldb, float* C, std::size_t ldc, bool accumulate);
};
}  // namespace kernels

}  // namespace minitorch

MINITORCH_DECLARE_KERNEL_TABLES(GemmKernels, gemm_kernels)
#if !defined(MINITORCH_COMPILED_LIB) || defined(MINITORCH_COMPILING_GEMM_KERNELS)
#define MINITORCH_KERNEL_BODY "minitorch/kernels/body/gemm.inl"
#include "minitorch/kernels/simd/for_each_isa.hpp"
#endif

namespace minitorch {

namespace kernels {

/// The GEMM kernels of `isa` (which this build must contain: isa_compiled). Tests run every supported ISA this way.
inline const GemmKernels& gemm_for(Isa isa) {
    return MINITORCH_SELECT_FOR_ISA(isa, gemm_kernels);
}

/// The GEMM kernels of active_isa(), looked up once.
inline const GemmKernels& gemm() {
    static const GemmKernels& k = gemm_for(active_isa());
    return k;
}

/// gemm_nt with the kernels k: C[M, N] (+)= A[M, Kd]·B[N, Kd]ᵀ as Cᵀ[N, M] = B·Aᵀ (gemm_nn), then C (+)= (Cᵀ)ᵀ.
/// Aᵀ is stored with its rows padded with zeros to Mp, a whole number of vectors (M = 10, 12, 14 output channels:
/// 16 on AVX-512): the product then has no edge columns to handle, and the padding's columns of Cᵀ are dropped.
inline void gemm_nt_transposed(const GemmKernels& k, std::size_t M, std::size_t N, std::size_t Kd, const float* A,
                               std::size_t lda, const float* B, std::size_t ldb, float* C, std::size_t ldc,
                               bool accumulate) {
    if (M == 0 || N == 0) return;
    const std::size_t Mp = (M + k.lanes - 1) / k.lanes * k.lanes;
    float* a_t = detail::thread_scratch<detail::NtTransposedA, float>(Kd * Mp);  // Aᵀ: [Kd, Mp]
    float* c_t = detail::thread_scratch<detail::NtTransposedC, float>(N * Mp);   // Cᵀ: [N, Mp]
    if (Mp != M)
        for (std::size_t kk = 0; kk < Kd; ++kk)
            for (std::size_t m = M; m < Mp; ++m) a_t[kk * Mp + m] = 0.f;
    // The transposes move Kd·M + N·M values, against N·M·Kd FMAs; in vector blocks (8 × 8 on AVX2/AVX-512) they
    // cost a tenth of what a plain double loop does (one cache line per element).
    k.transpose(A, M, Kd, lda, a_t, Mp);
    k.nn(N, Mp, Kd, B, ldb, 1, a_t, Mp, c_t, Mp, false);
    float* c_back = detail::thread_scratch<detail::NtTransposedBack, float>(M * N);  // (Cᵀ)ᵀ: [M, N]
    k.transpose(c_t, N, M, Mp, c_back, N);
    for (std::size_t m = 0; m < M; ++m)
        for (std::size_t n = 0; n < N; ++n) {
            float& c = C[m * ldc + n];
            c = accumulate ? c + c_back[m * N + n] : c_back[m * N + n];
        }
}

/// Which form gemm_nt uses for a shape: a function of the shape alone, never of the ISA, so that every ISA computes
/// the same sums. The transposed form pays Kd·M + M·N copies, about 1/N of its FMAs; the dot form pays a reduction
/// of 16 partial sums per element of C, about 1/Kd of its FMAs times the cost of a tree. Measured on AVX-512 and
/// AVX2 (docs/benchmarks.md, bench_gemm's backward_weights): the dot form is 1.2–2.2× faster at Kd/N = 18 and 75
/// (the 10×32×576 and 16×9×676 convs) and 1.2–2.5× slower at Kd/N ≤ 4 (the 16→32 conv's 32×144×576 and the small
/// maps' Kd = 36 … 100).
inline bool gemm_nt_uses_dot_form(std::size_t N, std::size_t Kd) noexcept {
    return Kd >= 8 * N;
}

/// gemm_nt with the kernels k, in the form gemm_nt_uses_dot_form chooses.
inline void gemm_nt(const GemmKernels& k, std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t lda,
                    const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    if (gemm_nt_uses_dot_form(N, Kd))
        k.nt_dot(M, N, Kd, A, lda, B, ldb, C, ldc, accumulate);
    else
        gemm_nt_transposed(k, M, N, Kd, A, lda, B, ldb, C, ldc, accumulate);
}

}  // namespace kernels

// ---- the entry points ---------------------------------------------------------------------------------------------

/// C[M, N] (+)= A[M, Kd] · B[Kd, N], row-major, A[m, k] = A[m·a_row + k·a_col] (W: a_row = Kd, a_col = 1;
/// Wᵀ of a row-major W [Kd, M]: a_row = 1, a_col = M). accumulate = false assigns C, true adds to it.
/// float: the kernel of the ISA in use; double: Eigen.
template <class T>
void gemm_nn(std::size_t M, std::size_t N, std::size_t Kd, const T* A, std::size_t a_row, std::size_t a_col, const T* B,
             std::size_t ldb, T* C, std::size_t ldc, bool accumulate) {
    if constexpr (std::is_same_v<T, float>)
        kernels::gemm().nn(M, N, Kd, A, a_row, a_col, B, ldb, C, ldc, accumulate);
    else
        gemm_nn_eigen(M, N, Kd, A, a_row, a_col, B, ldb, C, ldc, accumulate);
}

/// C[M, N] (+)= A[M, Kd] · B[N, Kd]ᵀ, row-major with row strides lda, ldb, ldc (dW += dY·colᵀ).
/// float: through gemm_nn of the ISA in use (kernels::gemm_nt); double: Eigen.
template <class T>
void gemm_nt(std::size_t M, std::size_t N, std::size_t Kd, const T* A, std::size_t lda, const T* B, std::size_t ldb,
             T* C, std::size_t ldc, bool accumulate) {
    if constexpr (std::is_same_v<T, float>)
        kernels::gemm_nt(kernels::gemm(), M, N, Kd, A, lda, B, ldb, C, ldc, accumulate);
    else
        gemm_nt_eigen(M, N, Kd, A, lda, B, ldb, C, ldc, accumulate);
}

}  // namespace minitorch
