// minitorch/kernels/body/gemm.inl — the GEMM micro-kernels, written once over the SIMD trait V and compiled once per
// ISA by kernels/gemm.hpp (through simd/for_each_isa.hpp). No include guard and no includes: see for_each_isa.hpp.
//
// C[M, N] (+)= A[M, Kd] · B[Kd, N], row-major, A[m, k] = A[m·a_row + k·a_col], row k of B at B + k·ldb (or at
// B + b_rows[k]: gemm_nn_rows, the implicit im2col of Conv2d's forward).
//
// Register tile: up to R = V::gemm_rows rows of C × up to NV = V::gemm_vectors vectors of V::lanes columns
// (AVX-512 8 × 48, AVX2 6 × 16, NEON 8 × 12, scalar 4 × 4), R·NV accumulators. For each k the tile loads its NV
// vectors of row k of B, broadcasts the R values A[m, k], and does R·NV FMAs. C is touched once per tile, after the
// k loop: stored (assign) or added to (accumulate). Tiles walk panels of NV·lanes columns of B in the outer loop and
// row blocks of A in the inner loop, so one panel (Kd × 48 floats, 27 KB for Kd = 144 on AVX-512) stays in L1 while
// every row block passes over it; the row blocks are balanced (M = 14, R = 8 → 7 + 7).
//
// Same bits on every ISA: every element of C is acc = 0; acc = fma(A[m, k], B[k, n], acc) for k = 0, 1, …, Kd − 1;
// then C = acc or C = C + acc — one chain, in one order, whatever the tile or the vector width. The vector width
// only decides which elements are computed side by side.
//
// Edges: a panel narrower than NV vectors runs a tile of fewer vectors; the last columns that do not fill a vector
// (N mod lanes of them) are the last vector of the last panel, read with V::load_first and written with
// V::store_first (masked on AVX2 and AVX-512, through a local copy on NEON): the lanes past N are zeros that no store
// keeps, so every element is still the same chain.
//
// Why no packing of whole panels (Goto/BLIS, Eigen): here Kd ≤ 676 and every operand is a few hundred KB at most;
// im2col has already laid B out row by row and one panel of it fits L1 as it is.

namespace gemm_detail {

inline constexpr std::size_t kLanes = V::lanes;
inline constexpr std::size_t kRows = V::gemm_rows;
inline constexpr std::size_t kVectors = V::gemm_vectors;

/// [0, n) cut into ceil(n / most) blocks whose sizes differ by at most one.
struct Blocks {
    std::size_t count, base, extra;
    Blocks(std::size_t n, std::size_t most) noexcept
        : count((n + most - 1) / most), base(count ? n / count : 0), extra(count ? n % count : 0) {}
    std::size_t size(std::size_t b) const noexcept { return base + (b < extra ? 1 : 0); }
};

/// Where row k of B starts: B + k·ldb, or B + b_rows[k] (the implicit im2col).
struct RowsOfB {
    const float* B;
    std::size_t ldb;
    const std::size_t* b_rows;  // nullptr: strided rows
    template <bool RowTable>
    const float* row(std::size_t k) const noexcept {
        return RowTable ? B + b_rows[k] : B + k * ldb;
    }
    RowsOfB shifted(std::size_t n0) const noexcept { return {B + n0, ldb, b_rows}; }
};

/// One tile: C[MR, NV·lanes] (+)= A[MR, Kd] · B[Kd, the tile's columns]. RowTable: B's rows through b.b_rows (a
/// template parameter, so that the k loop has no branch: as a run-time test GCC leaves it inside the loop, and the
/// products lose 5–20%). PartialLast: the last vector holds only `last` < lanes columns.
/// Each combination is kRows·kVectors functions of fully unrolled code per ISA, compiled again by every header-only
/// program, so only three are made: strided B, strided B with a partial last vector, and the row table with whole
/// vectors (conv_implicit.hpp rounds its width up to whole vectors; run() copies any other row-table panel). A's row
/// stride stays a run-time value: Wᵀ (a_row = 1) runs as fast through it as through a constant (bench_gemm's
/// backward_data), so a variant for it would only cost compile time.
template <std::size_t MR, std::size_t NV, bool RowTable, bool PartialLast>
void tile(std::size_t Kd, const float* A, std::size_t a_row, std::size_t a_col, RowsOfB b, float* C, std::size_t ldc,
          bool accumulate, std::size_t last) {
    const auto load_b = [last](const float* p, std::size_t j) {
        return PartialLast && j == NV - 1 ? V::load_first(p, last) : V::load(p);
    };
    typename V::F acc[MR][NV];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i)
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NV; ++j) acc[i][j] = V::zero();
    for (std::size_t k = 0; k < Kd; ++k) {
        const float* bk = b.row<RowTable>(k);
        const float* ak = A + k * a_col;
        typename V::F bv[NV];
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NV; ++j) bv[j] = V::pin(load_b(bk + j * kLanes, j));
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MR; ++i) {
            const typename V::F ai = V::set1(ak[i * a_row]);  // A[m0 + i, k] in every lane
#pragma GCC unroll 16
            for (std::size_t j = 0; j < NV; ++j) acc[i][j] = V::fma(ai, bv[j], acc[i][j]);
        }
    }
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i)
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NV; ++j) {
            float* c = C + i * ldc + j * kLanes;
            if (PartialLast && j == NV - 1)
                V::store_first(c, accumulate ? V::add(load_b(c, j), acc[i][j]) : acc[i][j], last);
            else
                V::store(c, accumulate ? V::add(V::load(c), acc[i][j]) : acc[i][j]);
        }
}

using Tile = void (*)(std::size_t, const float*, std::size_t, std::size_t, RowsOfB, float*, std::size_t, bool,
                      std::size_t);
using TileTable = std::array<Tile, kRows * kVectors>;

template <bool RowTable, bool Partial, std::size_t... I>
constexpr TileTable make_tiles(std::index_sequence<I...>) {
    return {&tile<I / kVectors + 1, I % kVectors + 1, RowTable, Partial>...};
}
/// tiles<RowTable, Partial>[(MR − 1)·kVectors + NV − 1] is the tile of MR rows and NV vectors.
template <bool RowTable, bool Partial>
inline constexpr TileTable tiles = make_tiles<RowTable, Partial>(std::make_index_sequence<kRows * kVectors>{});

/// B's rows n0 … n0 + cols of every k, copied from the row table into a strided [Kd, cols] buffer: a row-table
/// panel with a partial last vector then runs as a strided one (no such panel comes from Conv2d).
inline RowsOfB strided_copy(const RowsOfB& b, std::size_t Kd, std::size_t cols) {
    float* copy = ::minitorch::detail::thread_scratch<::minitorch::detail::GemmRowPanel, float>(Kd * cols);
    for (std::size_t k = 0; k < Kd; ++k) std::copy_n(b.row<true>(k), cols, copy + k * cols);
    return {copy, cols, nullptr};
}

/// The tiles for B's rows (strided or a table) and the panel's last vector (whole or not).
inline const TileTable& tiles_for(bool row_table, bool partial) noexcept {
    if (row_table) return tiles<true, false>;
    if constexpr (kLanes > 1) {  // with one lane no vector is partial, and the scalar ISA needs no such tiles
        if (partial) return tiles<false, true>;
    }
    return tiles<false, false>;
}

inline void run(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t a_row, std::size_t a_col,
                RowsOfB b, float* C, std::size_t ldc, bool accumulate) {
    if (M == 0 || N == 0) return;
    const std::size_t last = N % kLanes, vectors = (N + kLanes - 1) / kLanes;  // the last one partial if last ≠ 0
    const Blocks rows(M, kRows);
    for (std::size_t v0 = 0; v0 < vectors;) {  // panels of up to kVectors vectors: each meets every row block
        const std::size_t nv = std::min(kVectors, vectors - v0);
        const bool partial = last != 0 && v0 + nv == vectors;
        RowsOfB panel = b.shifted(v0 * kLanes);
        if (partial && panel.b_rows) panel = strided_copy(panel, Kd, N - v0 * kLanes);
        const TileTable& with = tiles_for(panel.b_rows != nullptr, partial);
        for (std::size_t r = 0, m0 = 0; r < rows.count; m0 += rows.size(r), ++r)
            with[(rows.size(r) - 1) * kVectors + nv - 1](Kd, A + m0 * a_row, a_row, a_col, panel,
                                                         C + m0 * ldc + v0 * kLanes, ldc, accumulate, last);
        v0 += nv;
    }
}

}  // namespace gemm_detail

/// C[M, N] (+)= A[M, Kd]·B[Kd, N]: kernels/gemm.hpp's gemm_nn for float.
inline void gemm_nn(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t a_row, std::size_t a_col,
                    const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    gemm_detail::run(M, N, Kd, A, a_row, a_col, gemm_detail::RowsOfB{B, ldb, nullptr}, C, ldc, accumulate);
}

/// C[M, N] = A[M, Kd]·B with row k of B at B + b_rows[k], A row-major with row stride lda (conv_implicit.hpp).
inline void gemm_nn_rows(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t lda, const float* B,
                         const std::size_t* b_rows, float* C, std::size_t ldc) {
    gemm_detail::run(M, N, Kd, A, lda, 1, gemm_detail::RowsOfB{B, 0, b_rows}, C, ldc, false);
}

/// dst[k·ldd + m] = src[m·lds + k] for m < M, k < K: dst = srcᵀ, in V::transpose_size blocks (gemm_nt's copies).
inline void transpose(const float* src, std::size_t M, std::size_t K, std::size_t lds, float* dst,
                      std::size_t ldd) noexcept {
    constexpr std::size_t t = V::transpose_size;
    const std::size_t M_blocks = M / t * t, K_blocks = K / t * t;
    for (std::size_t m0 = 0; m0 < M_blocks; m0 += t)
        for (std::size_t k0 = 0; k0 < K_blocks; k0 += t)
            V::transpose_block(src + m0 * lds + k0, lds, dst + k0 * ldd + m0, ldd);
    for (std::size_t m = 0; m < M; ++m)  // the edges: columns K_blocks… of every row, rows M_blocks… of the rest
        for (std::size_t k = m < M_blocks ? K_blocks : 0; k < K; ++k) dst[k * ldd + m] = src[m * lds + k];
}

// ---- gemm_nt's dot form: C[M, N] (+)= A[M, Kd]·B[N, Kd]ᵀ with both operands read along their rows ----------------
//
// Each element of C is a dot product of a row of A and a row of B, split into 16 partial sums: p[j] is one fma
// chain over k = j, j + 16, j + 32, … ascending (both rows zero-padded to a whole number of 16-blocks), and
// C = V::sum16(p) (a fixed tree) or C + that. 16 is a fixed number, not the vector width: one AVX-512 vector, two
// AVX2 ones, four NEON ones, sixteen scalars hold the same 16 chains, so every ISA gives the same bits.
// Tile: V::dot_rows rows of A × V::dot_cols rows of B; per block of 16 k it loads dot_rows + dot_cols blocks (every
// load a whole vector, contiguous) for dot_rows·dot_cols blocks of FMAs. The padded last block of every row is copied
// once per call into a [M + N, 16] buffer.

namespace gemm_detail {

inline constexpr std::size_t kTerms = 16;                     // partial sums per element of the dot form
inline constexpr std::size_t kTermVectors = kTerms / kLanes;  // vectors holding them
inline constexpr std::size_t kDotRows = V::dot_rows, kDotCols = V::dot_cols;

/// acc[r][c] += the 16 products A[r, k]·B[c, k] of one block (a_row(r), b_row(c) point at its first k).
template <std::size_t R, std::size_t P>
[[gnu::always_inline]] inline void dot_block(typename V::F (&acc)[R][P][kTermVectors], const float* a, std::size_t lda,
                                             const float* b, std::size_t ldb) noexcept {
#pragma GCC unroll 16
    for (std::size_t h = 0; h < kTermVectors; ++h) {
        typename V::F av[R];
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) av[r] = V::pin(V::load(a + r * lda + h * kLanes));
#pragma GCC unroll 16
        for (std::size_t c = 0; c < P; ++c) {
            const typename V::F bv = V::pin(V::load(b + c * ldb + h * kLanes));
#pragma GCC unroll 16
            for (std::size_t r = 0; r < R; ++r) acc[r][c][h] = V::fma(av[r], bv, acc[r][c][h]);
        }
    }
}

/// One tile: C[R, P] (+)= A[R, ·]·B[P, ·]ᵀ over `blocks` whole blocks, then the padded last block from a_tail,
/// b_tail ([R, 16] and [P, 16]; nullptr when Kd is a multiple of 16).
template <std::size_t R, std::size_t P>
void dot_tile(std::size_t blocks, const float* A, std::size_t lda, const float* B, std::size_t ldb, const float* a_tail,
              const float* b_tail, float* C, std::size_t ldc, bool accumulate) {
    typename V::F acc[R][P][kTermVectors];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 16
        for (std::size_t c = 0; c < P; ++c)
#pragma GCC unroll 16
            for (std::size_t h = 0; h < kTermVectors; ++h) acc[r][c][h] = V::zero();
    for (std::size_t blk = 0; blk < blocks; ++blk) dot_block<R, P>(acc, A + blk * kTerms, lda, B + blk * kTerms, ldb);
    if (a_tail) dot_block<R, P>(acc, a_tail, kTerms, b_tail, kTerms);
    for (std::size_t r = 0; r < R; ++r)
        for (std::size_t c = 0; c < P; ++c) {
            const float s = V::sum16(acc[r][c]);
            float& out = C[r * ldc + c];
            out = accumulate ? out + s : s;
        }
}

using DotTile = void (*)(std::size_t, const float*, std::size_t, const float*, std::size_t, const float*, const float*,
                         float*, std::size_t, bool);
template <std::size_t... I>
constexpr std::array<DotTile, sizeof...(I)> make_dot_tiles(std::index_sequence<I...>) {
    return {&dot_tile<I / kDotCols + 1, I % kDotCols + 1>...};
}
/// dot_tiles[(R − 1)·kDotCols + P − 1] is the tile of R rows of A and P rows of B.
inline constexpr auto dot_tiles = make_dot_tiles(std::make_index_sequence<kDotRows * kDotCols>{});

}  // namespace gemm_detail

/// C[M, N] (+)= A[M, Kd]·B[N, Kd]ᵀ in the dot form (16 partial sums per element, above); row strides lda, ldb, ldc.
inline void gemm_nt_dot(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t lda, const float* B,
                        std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    using namespace gemm_detail;
    if (M == 0 || N == 0) return;
    const std::size_t blocks = Kd / kTerms, rest = Kd % kTerms;
    float* tails = nullptr;  // [M + N, 16]: the zero-padded last block of every row of A, then of B
    if (rest != 0) {
        tails = ::minitorch::detail::thread_scratch<::minitorch::detail::NtDotTails, float>((M + N) * kTerms);
        const auto copy_tail = [&](const float* row, float* out) {
            for (std::size_t j = 0; j < kTerms; ++j) out[j] = j < rest ? row[blocks * kTerms + j] : 0.f;
        };
        for (std::size_t m = 0; m < M; ++m) copy_tail(A + m * lda, tails + m * kTerms);
        for (std::size_t n = 0; n < N; ++n) copy_tail(B + n * ldb, tails + (M + n) * kTerms);
    }
    const Blocks rows(M, kDotRows), cols(N, kDotCols);
    for (std::size_t c = 0, n0 = 0; c < cols.count; n0 += cols.size(c), ++c)
        for (std::size_t r = 0, m0 = 0; r < rows.count; m0 += rows.size(r), ++r)
            dot_tiles[(rows.size(r) - 1) * kDotCols + cols.size(c) - 1](
                blocks, A + m0 * lda, lda, B + n0 * ldb, ldb, tails ? tails + m0 * kTerms : nullptr,
                tails ? tails + (M + n0) * kTerms : nullptr, C + m0 * ldc + n0, ldc, accumulate);
}

MINITORCH_KERNEL_TABLE ::minitorch::kernels::GemmKernels gemm_kernels{V::isa,        V::lanes,   &gemm_nn,
                                                                &gemm_nn_rows, &transpose, &gemm_nt_dot};
