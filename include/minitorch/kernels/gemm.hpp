// minitorch/kernels/gemm.hpp — small-matrix GEMM for the im2col convolution: the three products of Conv2d.
// Tests: tests/test_gemm.cpp (against the plain references below). Benchmarks: bench/bench_gemm.cpp.
//
// Per image, with W: [O, K] (K = C·kh·kw), col: [K, L] (L = outH·outW), every matrix row-major:
//
//   forward            Y  [O, L]  = W · col      gemm_nn(O, L, K, W, K, 1, col, L, Y, L, false)
//   backward-data      dcol [K, L] = Wᵀ · dY      gemm_nn(K, L, O, W, 1, K, dY, L, dcol, L, false)
//   backward-weights   dW [O, K] += dY · colᵀ     gemm_nt(O, K, L, dY, L, col, L, dW, K, true)
//
// gemm_nn reads A through two strides (A[m, k] = A[m·a_row + k·a_col]), so one kernel serves W (strides K, 1) and
// Wᵀ (strides 1, K) without a transposed copy. gemm_nt takes dot products along the contiguous axis of both operands.
//
// ---- the AVX-512 kernels (float, builds with __AVX512F__) ---------------------------------------------------------
// gemm_nn: register tile of up to 8 rows × 48 columns of C (24 zmm accumulators). For each k the tile loads 3
//   vectors of B's row k (the last one masked when the tile's width is not a multiple of 16) and broadcasts the 8
//   values A[m, k]; 24 FMAs follow. C is touched once per tile: loaded (accumulate) and stored after the k loop. Tiles
//   walk the 48-column panels of B in the outer loop and the row blocks of A in the inner loop, so one B panel
//   (Kd × 48 floats: 27 KB for Kd = 144) stays in the 48 KB L1 while every row block of A passes over it. The row
//   blocks are balanced (M = 14 → 7 + 7, not 8 + 6), and short column tails use a 1- or 2-vector tile.
// gemm_nt: register tile of up to 4 rows of A × 6 rows of B (24 zmm accumulators) holding 16-lane partial dot
//   products along Kd (both operands contiguous there); 4 + 6 loads feed 24 FMAs per 16 values of Kd, the last
//   chunk masked. At the end of the tile the 24 vectors are reduced by a transposing tree (16 vectors → one vector of
//   16 sums with 15 shuffle-pairs and adds) instead of 24 separate horizontal sums, and each row of sums is moved into
//   place with one permute and added to C with one masked load/store. Tiles walk 6-row blocks of B in the outer loop
//   (13.5 KB for Kd = 576, kept in L1) and 4-row blocks of A in the inner loop.
// Both kernels keep every loaded vector in a register (in_register below): left alone, GCC 12 re-reads it from
//   memory for each FMA that uses it, and the load ports, not the FMA units, set the pace.
// Why no packing: the classic GEMM (Goto/BLIS, Eigen) copies panels of A and B into contiguous blocks so the
//   micro-kernel streams them from cache. Here Kd ≤ 676 and every operand is a few hundred KB at most: im2col has
//   already laid B out row by row, the B panel of gemm_nn and the row blocks of gemm_nt fit L1 as they are, and the
//   operands fit L2. Packing would copy O(Kd·N) values per product to save nothing; on these shapes it is the
//   packing, the blocking decisions for large matrices and the per-call overhead that keep Eigen near half of peak.
// Determinism: the summation order is a fixed function of the shapes (k ascending per lane in gemm_nn; 16 lane
//   chains then a fixed tree in gemm_nt); no threads here (Conv2d parallelises over the batch).
//
// Measured (bench/bench_gemm.cpp, medians of 5, GFLOP/s). The FMA peak probe (bench_peak's loop) reported 207–210
// per core and 410 on 2 cores around these runs, below the 274 / 545 that issue 6 records for this machine kind (the
// host's clock varies). Both fractions are given: of the same-run peak | of 274 (545 for 2 threads).
//
//   16→32 conv, (O, K, L) = (32, 144, 576)   ours                 Eigen
//   forward           gemm_nn                191  (92% | 70%)     106
//   backward-data     gemm_nn (Wᵀ strides)   204  (98% | 75%)     127
//   backward-weights  gemm_nt                186  (89% | 68%)     100
//   all three, 1 thread                      191  (92% | 70%)     112
//   all three, 2 threads (batch split)       357  (87% | 66%)     210
//
//   the other MNIST shapes: forward and backward-data 145–204 (Eigen 59–99); backward-weights 116–157 (Eigen 53–95)
//   except the two with L = 36, 75 (Eigen 72): dot products of 36 values are 2 vectors and a masked one, and the
//   reduction of each tile then costs about as much as its FMAs. (10, 14, 1) takes well under a microsecond either way.
//
// Other scalar types (double: gradient checks), or builds without AVX-512, use Eigen (gemm_nn_eigen, gemm_nt_eigen).
// C must not overlap A or B.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

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

// ---- Eigen: any scalar type, any build ----------------------------------------------------------------------------

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

// ---- AVX-512 (float) ----------------------------------------------------------------------------------------------

/// True when gemm_nn<float> and gemm_nt<float> run the AVX-512 kernels in this build (false: they call Eigen).
#if defined(__AVX512F__)
inline constexpr bool gemm_uses_avx512 = true;
#else
inline constexpr bool gemm_uses_avx512 = false;
#endif

#if defined(__AVX512F__)
namespace detail::gemm {

// The loops over a tile's rows and vectors carry `#pragma GCC unroll 16`: unrolled completely before GCC's scalar
// replacement of aggregates, the accumulator arrays live in zmm registers; without it GCC 12 keeps them in memory
// and stores all 24 accumulators on every k.

inline constexpr std::size_t kLanes = 16;
inline constexpr std::size_t kNnRows = 8;     // gemm_nn tile: up to 8 rows of C …
inline constexpr std::size_t kNnVectors = 3;  // … × up to 3 vectors (48 columns)
inline constexpr std::size_t kNtRows = 4;     // gemm_nt tile: up to 4 rows of A …
inline constexpr std::size_t kNtCols = 6;     // … × up to 6 rows of B

/// The lanes [0, n) of a 16-lane vector, n in [1, 16].
inline __mmask16 first_lanes(std::size_t n) noexcept {
    return static_cast<__mmask16>((1u << n) - 1u);
}

/// [0, n) cut into ceil(n / most) blocks whose sizes differ by at most one (14 rows, most 8 → 7 + 7).
struct Blocks {
    std::size_t count, base, extra;
    Blocks(std::size_t n, std::size_t most) noexcept
        : count((n + most - 1) / most), base(count ? n / count : 0), extra(count ? n % count : 0) {}
    std::size_t size(std::size_t b) const noexcept { return base + (b < extra ? 1 : 0); }
};

// ---- gemm_nn ----

/// Returns v, forced into a register: without it GCC folds the load of an A or B row into each of the FMAs that use
/// it (a memory operand per FMA), e.g. 28 loads instead of 10 per 24 FMAs, which costs gemm_nt 30% or more.
inline __m512 in_register(__m512 v) noexcept {
#if defined(__GNUC__)
    __asm__("" : "+v"(v));
#endif
    return v;
}

/// One gemm_nn tile: C[MR, 16·(NV−1) + popcount(last)] (+)= A[MR, Kd] · B[Kd, same columns].
/// UnitRowStride: A's rows are adjacent (a_row == 1, the Wᵀ case), so the MR values A[·, k] are contiguous.
/// RowTable: row k of B starts at B + b_rows[k] (gemm_nn_rows) instead of B + k·ldb.
template <std::size_t MR, std::size_t NV, bool UnitRowStride, bool RowTable = false>
void nn_tile(std::size_t Kd, const float* A, std::size_t a_row, std::size_t a_col, const float* B, std::size_t ldb,
             const std::size_t* b_rows, float* C, std::size_t ldc, __mmask16 last, bool accumulate) {
    __m512 acc[MR][NV];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i)
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NV; ++j) acc[i][j] = _mm512_setzero_ps();
    for (std::size_t k = 0; k < Kd; ++k) {
        const float* b = RowTable ? B + b_rows[k] : B + k * ldb;  // row k of B, this tile's columns
        const float* a = A + k * a_col;
        __m512 bv[NV];
#pragma GCC unroll 16
        for (std::size_t j = 0; j + 1 < NV; ++j) bv[j] = in_register(_mm512_loadu_ps(b + j * kLanes));
        bv[NV - 1] = in_register(_mm512_maskz_loadu_ps(last, b + (NV - 1) * kLanes));
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MR; ++i) {
            const __m512 ai = _mm512_set1_ps(a[UnitRowStride ? i : i * a_row]);  // A[m0 + i, k] in every lane
#pragma GCC unroll 16
            for (std::size_t j = 0; j < NV; ++j) acc[i][j] = _mm512_fmadd_ps(ai, bv[j], acc[i][j]);
        }
    }
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i) {
        float* c = C + i * ldc;
#pragma GCC unroll 16
        for (std::size_t j = 0; j + 1 < NV; ++j) {
            __m512 v = acc[i][j];
            if (accumulate) v = _mm512_add_ps(_mm512_loadu_ps(c + j * kLanes), v);
            _mm512_storeu_ps(c + j * kLanes, v);
        }
        __m512 v = acc[i][NV - 1];
        if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(last, c + (NV - 1) * kLanes), v);
        _mm512_mask_storeu_ps(c + (NV - 1) * kLanes, last, v);
    }
}

using NnTile = void (*)(std::size_t, const float*, std::size_t, std::size_t, const float*, std::size_t,
                        const std::size_t*, float*, std::size_t, __mmask16, bool);

template <bool Unit, bool RowTable, std::size_t... I>
constexpr std::array<NnTile, sizeof...(I)> make_nn_table(std::index_sequence<I...>) {
    return {&nn_tile<I / kNnVectors + 1, I % kNnVectors + 1, Unit, RowTable>...};
}
/// nn_table<Unit, RowTable>[(MR − 1)·kNnVectors + NV − 1] is the tile for MR rows and NV vectors.
template <bool Unit, bool RowTable = false>
inline constexpr auto nn_table = make_nn_table<Unit, RowTable>(std::make_index_sequence<kNnRows * kNnVectors>{});

/// The tile loop of gemm_nn and gemm_nn_rows: B panels of 48 columns outside, row blocks of A inside.
inline void nn_tiles(const std::array<NnTile, kNnRows * kNnVectors>& table, std::size_t M, std::size_t N,
                     std::size_t Kd, const float* A, std::size_t a_row, std::size_t a_col, const float* B,
                     std::size_t ldb, const std::size_t* b_rows, float* C, std::size_t ldc, bool accumulate) {
    const Blocks rows(M, kNnRows);
    constexpr std::size_t panel = kNnVectors * kLanes;
    for (std::size_t n0 = 0; n0 < N; n0 += panel) {  // one B panel [Kd, ≤ 48] …
        const std::size_t width = std::min(panel, N - n0);
        const std::size_t nv = (width + kLanes - 1) / kLanes;
        const __mmask16 last = first_lanes(width - (nv - 1) * kLanes);
        for (std::size_t r = 0, m0 = 0; r < rows.count; m0 += rows.size(r), ++r)  // … meets every row block of A
            table[(rows.size(r) - 1) * kNnVectors + nv - 1](Kd, A + m0 * a_row, a_row, a_col, B + n0, ldb, b_rows,
                                                            C + m0 * ldc + n0, ldc, last, accumulate);
    }
}

inline void gemm_nn(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t a_row, std::size_t a_col,
                    const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    nn_tiles(a_row == 1 ? nn_table<true> : nn_table<false>, M, N, Kd, A, a_row, a_col, B, ldb, nullptr, C, ldc,
             accumulate);
}

/// gemm_nn with A row-major (a_col = 1) and row k of B at B + b_rows[k]: the implicit im2col of Conv2d's forward.
inline void gemm_nn_rows(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t lda, const float* B,
                         const std::size_t* b_rows, float* C, std::size_t ldc) {
    nn_tiles(nn_table<false, true>, M, N, Kd, A, lda, 1, B, 0, b_rows, C, ldc, false);
}

// ---- gemm_nt ----

// Full-width shuffles written as their zero-masking forms with an all-ones mask (the same instruction): GCC 12's
// unmasked _mm512_shuffle_* start from _mm512_undefined_ps(), which -Werror=uninitialized rejects.
template <int Imm>
__m512 shuffle_blocks(__m512 a, __m512 b) noexcept {  // 128-bit blocks: [a[i0], a[i1], b[i2], b[i3]]
    return _mm512_maskz_shuffle_f32x4(static_cast<__mmask16>(0xFFFF), a, b, Imm);
}
template <int Imm>
__m512 shuffle_lanes(__m512 a, __m512 b) noexcept {  // inside each 128-bit block: [a[i0], a[i1], b[i2], b[i3]]
    return _mm512_maskz_shuffle_ps(static_cast<__mmask16>(0xFFFF), a, b, Imm);
}

/// Given 16 vectors u, returns the vector whose lane i is the sum of the 16 lanes of v_i, where v_{4r+s} = u_{4s+r}
/// (so callers pass the vectors in transposed order, see lane_sums). A fixed tree: 4 levels of shuffle-pairs + add.
inline __m512 transposed_lane_sums(const __m512 (&u)[16]) noexcept {
    // level 1: halves of 256 bits → [Σ-halves of u_a (8 lanes) | of u_b (8 lanes)]
    __m512 p[8];
#pragma GCC unroll 16
    for (int t = 0; t < 8; ++t)
        p[t] =
            _mm512_add_ps(shuffle_blocks<0x44>(u[2 * t], u[2 * t + 1]), shuffle_blocks<0xEE>(u[2 * t], u[2 * t + 1]));
    // level 2: 128-bit blocks → block r of w_q holds 4 partial sums of u_{4q + r}
    __m512 w[4];
#pragma GCC unroll 16
    for (int q = 0; q < 4; ++q)
        w[q] =
            _mm512_add_ps(shuffle_blocks<0x88>(p[2 * q], p[2 * q + 1]), shuffle_blocks<0xDD>(p[2 * q], p[2 * q + 1]));
    // level 3: pairs inside 128-bit blocks → block r of y_h holds [u_{8h+r} ×2 | u_{8h+4+r} ×2]
    __m512 y[2];
#pragma GCC unroll 16
    for (int h = 0; h < 2; ++h)
        y[h] = _mm512_add_ps(shuffle_lanes<0x44>(w[2 * h], w[2 * h + 1]), shuffle_lanes<0xEE>(w[2 * h], w[2 * h + 1]));
    // level 4: lane 4r + s holds the full sum of u_{4s + r}
    return _mm512_add_ps(shuffle_lanes<0x88>(y[0], y[1]), shuffle_lanes<0xDD>(y[0], y[1]));
}

/// Lane i of sums[c] is the sum of the 16 lanes of v[16·c + i], for the Count ≤ 32 vectors v (the rest are 0).
template <std::size_t Count>
void lane_sums(const __m512 (&v)[Count], __m512 (&sums)[2]) noexcept {
    static_assert(Count <= 32);
#pragma GCC unroll 16
    for (std::size_t c = 0; c < 2; ++c) {
        __m512 u[16];
#pragma GCC unroll 16
        for (std::size_t j = 0; j < 16; ++j) {
            const std::size_t i = 16 * c + (j % 4) * 4 + j / 4;  // u_{4s+r} = v_{4r+s}
            u[j] = i < Count ? v[i] : _mm512_setzero_ps();
        }
        sums[c] = 16 * c < Count ? transposed_lane_sums(u) : _mm512_setzero_ps();
    }
}

/// One gemm_nt tile: C[MR, NR] (+)= A[MR, Kd] · B[NR, Kd]ᵀ, 16-lane partial dot products, masked last chunk.
template <std::size_t MR, std::size_t NR>
void nt_tile(std::size_t Kd, const float* A, std::size_t lda, const float* B, std::size_t ldb, float* C,
             std::size_t ldc, bool accumulate) {
    // acc[i·NR + j]: 16 partial sums of row i of A · row j of B. Zeroed by the initialiser: a zeroing loop would become
    // a memset, which keeps GCC from holding the array in registers.
    __m512 acc[MR * NR] = {};
    std::size_t k = 0;
    for (; k + kLanes <= Kd; k += kLanes) {
        __m512 a[MR];
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MR; ++i) a[i] = in_register(_mm512_loadu_ps(A + i * lda + k));
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NR; ++j) {
            const __m512 b = in_register(_mm512_loadu_ps(B + j * ldb + k));
#pragma GCC unroll 16
            for (std::size_t i = 0; i < MR; ++i) acc[i * NR + j] = _mm512_fmadd_ps(a[i], b, acc[i * NR + j]);
        }
    }
    if (k < Kd) {
        const __mmask16 tail = first_lanes(Kd - k);
        __m512 a[MR];
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MR; ++i) a[i] = _mm512_maskz_loadu_ps(tail, A + i * lda + k);
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NR; ++j) {
            const __m512 b = _mm512_maskz_loadu_ps(tail, B + j * ldb + k);
#pragma GCC unroll 16
            for (std::size_t i = 0; i < MR; ++i) acc[i * NR + j] = _mm512_fmadd_ps(a[i], b, acc[i * NR + j]);
        }
    }
    __m512 sums[2];  // the dot product of row i of A and row j of B is lane i·NR + j of [sums[0], sums[1]]
    lane_sums<MR * NR>(acc, sums);
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __mmask16 row = first_lanes(NR);
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i) {  // row i of the tile: lanes i·NR … i·NR + NR − 1, moved to lanes 0 … NR − 1
        const __m512i from = _mm512_add_epi32(lanes, _mm512_set1_epi32(static_cast<int>(i * NR)));
        __m512 c = _mm512_permutex2var_ps(sums[0], from, sums[1]);
        if (accumulate) c = _mm512_add_ps(_mm512_maskz_loadu_ps(row, C + i * ldc), c);
        _mm512_mask_storeu_ps(C + i * ldc, row, c);
    }
}

using NtTile = void (*)(std::size_t, const float*, std::size_t, const float*, std::size_t, float*, std::size_t, bool);

template <std::size_t... I>
constexpr std::array<NtTile, sizeof...(I)> make_nt_table(std::index_sequence<I...>) {
    return {&nt_tile<I / kNtCols + 1, I % kNtCols + 1>...};
}
/// nt_table[(MR − 1)·kNtCols + NR − 1] is the tile for MR rows of A and NR rows of B.
inline constexpr auto nt_table = make_nt_table(std::make_index_sequence<kNtRows * kNtCols>{});

inline void gemm_nt(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t lda, const float* B,
                    std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    const Blocks rows(M, kNtRows), cols(N, kNtCols);
    for (std::size_t c = 0, n0 = 0; c < cols.count; n0 += cols.size(c), ++c)      // NR rows of B stay in L1 …
        for (std::size_t r = 0, m0 = 0; r < rows.count; m0 += rows.size(r), ++r)  // … while A streams past
            nt_table[(rows.size(r) - 1) * kNtCols + cols.size(c) - 1](Kd, A + m0 * lda, lda, B + n0 * ldb, ldb,
                                                                      C + m0 * ldc + n0, ldc, accumulate);
}

}  // namespace detail::gemm
#endif

// ---- the entry points ---------------------------------------------------------------------------------------------

/// C[M, N] (+)= A[M, Kd] · B[Kd, N], row-major, A[m, k] = A[m·a_row + k·a_col] (W: a_row = Kd, a_col = 1;
/// Wᵀ of a row-major W [Kd, M]: a_row = 1, a_col = M). accumulate = false assigns C, true adds to it.
/// float with AVX-512: the tiled kernel above; otherwise Eigen.
template <class T>
void gemm_nn(std::size_t M, std::size_t N, std::size_t Kd, const T* A, std::size_t a_row, std::size_t a_col, const T* B,
             std::size_t ldb, T* C, std::size_t ldc, bool accumulate) {
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float>) {
        detail::gemm::gemm_nn(M, N, Kd, A, a_row, a_col, B, ldb, C, ldc, accumulate);
        return;
    }
#endif
    gemm_nn_eigen(M, N, Kd, A, a_row, a_col, B, ldb, C, ldc, accumulate);
}

/// C[M, N] (+)= A[M, Kd] · B[N, Kd]ᵀ, row-major with row strides lda, ldb, ldc (dW += dY·colᵀ).
/// float with AVX-512: the tiled kernel above; otherwise Eigen.
template <class T>
void gemm_nt(std::size_t M, std::size_t N, std::size_t Kd, const T* A, std::size_t lda, const T* B, std::size_t ldb,
             T* C, std::size_t ldc, bool accumulate) {
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float>) {
        detail::gemm::gemm_nt(M, N, Kd, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
#endif
    gemm_nt_eigen(M, N, Kd, A, lda, B, ldb, C, ldc, accumulate);
}

}  // namespace minitorch
