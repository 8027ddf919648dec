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
// Edges without masked loads (NEON has none): a panel narrower than NV vectors runs a tile of fewer vectors; the last
// columns that do not fill a vector (N mod lanes of them) are copied, zero-padded, into a Kd × lanes buffer once per
// panel, multiplied there into a small tile of C, and copied out (the same chain for each element, so the same bits).
//
// Why no packing of whole panels (Goto/BLIS, Eigen): here Kd ≤ 676 and every operand is a few hundred KB at most; im2col
// has already laid B out row by row and one panel of it fits L1 as it is.

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

/// One tile: C[MR, NV·lanes] (+)= A[MR, Kd] · B[Kd, the tile's columns]. UnitRowStride: a_row == 1 (Wᵀ), so the MR
/// values A[·, k] are adjacent. RowTable: B's rows through b.b_rows (a template parameter, so that the k loop has
/// no branch: as a run-time test GCC leaves it inside the loop, and the products lose 5–20%).
template <std::size_t MR, std::size_t NV, bool UnitRowStride, bool RowTable>
void tile(std::size_t Kd, const float* A, std::size_t a_row, std::size_t a_col, RowsOfB b, float* C,
          std::size_t ldc, bool accumulate) {
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
        for (std::size_t j = 0; j < NV; ++j) bv[j] = V::pin(V::load(bk + j * kLanes));
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MR; ++i) {
            const typename V::F ai = V::set1(ak[UnitRowStride ? i : i * a_row]);  // A[m0 + i, k] in every lane
#pragma GCC unroll 16
            for (std::size_t j = 0; j < NV; ++j) acc[i][j] = V::fma(ai, bv[j], acc[i][j]);
        }
    }
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i)
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NV; ++j) {
            float* c = C + i * ldc + j * kLanes;
            V::store(c, accumulate ? V::add(V::load(c), acc[i][j]) : acc[i][j]);
        }
}

using Tile = void (*)(std::size_t, const float*, std::size_t, std::size_t, RowsOfB, float*, std::size_t, bool);

template <bool Unit, bool RowTable, std::size_t... I>
constexpr std::array<Tile, sizeof...(I)> make_tiles(std::index_sequence<I...>) {
    return {&tile<I / kVectors + 1, I % kVectors + 1, Unit, RowTable>...};
}
/// tiles<Unit, RowTable>[(MR − 1)·kVectors + NV − 1] is the tile of MR rows and NV vectors.
template <bool Unit, bool RowTable>
inline constexpr auto tiles = make_tiles<Unit, RowTable>(std::make_index_sequence<kRows * kVectors>{});

inline void run(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t a_row, std::size_t a_col,
                RowsOfB b, float* C, std::size_t ldc, bool accumulate) {
    if (M == 0 || N == 0) return;
    const bool row_table = b.b_rows != nullptr;
    const auto& table = row_table ? (a_row == 1 ? tiles<true, true> : tiles<false, true>)
                                  : (a_row == 1 ? tiles<true, false> : tiles<false, false>);
    const auto& plain = a_row == 1 ? tiles<true, false> : tiles<false, false>;  // for the packed last columns
    const Blocks rows(M, kRows);
    const auto each_row_block = [&](const std::array<Tile, kRows * kVectors>& with, std::size_t nv, RowsOfB panel,
                                    float* c0, std::size_t c_ld, bool acc) {
        for (std::size_t r = 0, m0 = 0; r < rows.count; m0 += rows.size(r), ++r)
            with[(rows.size(r) - 1) * kVectors + nv - 1](Kd, A + m0 * a_row, a_row, a_col, panel, c0 + m0 * c_ld,
                                                         c_ld, acc);
    };
    std::size_t n0 = 0;
    while (N - n0 >= kLanes) {  // panels of whole vectors (the last one may be narrower): each meets every row block
        const std::size_t nv = std::min(kVectors, (N - n0) / kLanes);
        each_row_block(table, nv, b.shifted(n0), C + n0, ldc, accumulate);
        n0 += nv * kLanes;
    }
    if (n0 < N) {  // the last N − n0 < lanes columns: through a zero-padded copy, then copied out
        const std::size_t rest = N - n0;
        float* packed = ::minitorch::detail::thread_scratch<::minitorch::detail::GemmTail, float>(Kd * kLanes);
        float* c_tile = ::minitorch::detail::thread_scratch<::minitorch::detail::GemmTailC, float>(M * kLanes);
        for (std::size_t k = 0; k < Kd; ++k) {
            const float* bk = (row_table ? b.row<true>(k) : b.row<false>(k)) + n0;
            for (std::size_t j = 0; j < kLanes; ++j) packed[k * kLanes + j] = j < rest ? bk[j] : 0.f;
        }
        each_row_block(plain, 1, RowsOfB{packed, kLanes, nullptr}, c_tile, kLanes, false);
        for (std::size_t m = 0; m < M; ++m)
            for (std::size_t j = 0; j < rest; ++j) {
                float& c = C[m * ldc + n0 + j];
                c = accumulate ? c + c_tile[m * kLanes + j] : c_tile[m * kLanes + j];
            }
    }
}

}  // namespace gemm_detail

/// C[M, N] (+)= A[M, Kd]·B[Kd, N]: kernels/gemm.hpp's gemm_nn for float.
inline void gemm_nn(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t a_row,
                    std::size_t a_col, const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate) {
    gemm_detail::run(M, N, Kd, A, a_row, a_col, gemm_detail::RowsOfB{B, ldb, nullptr}, C, ldc, accumulate);
}

/// C[M, N] = A[M, Kd]·B with row k of B at B + b_rows[k], A row-major with row stride lda (conv_implicit.hpp).
inline void gemm_nn_rows(std::size_t M, std::size_t N, std::size_t Kd, const float* A, std::size_t lda,
                         const float* B, const std::size_t* b_rows, float* C, std::size_t ldc) {
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

inline constexpr ::minitorch::kernels::GemmKernels gemm_kernels{V::isa, V::lanes, &gemm_nn, &gemm_nn_rows, &transpose};
