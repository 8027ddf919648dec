// GEMM kernels (kernels/gemm.hpp): gemm_nn and gemm_nt — the float kernels of every ISA this CPU supports, the Eigen
// path (float and double) — against the plain triple-loop references, on every MNIST conv shape and on random odd
// shapes (tails along every axis), both layouts of A, accumulate on and off, padded leading dimensions; the references
// against hand-computed values.
//
// Two kinds of check:
//   * integer-valued inputs (|a|, |b| ≤ 4, |C0| ≤ 4): every product and partial sum is an integer below 2^24, so float
//     arithmetic is exact in any summation order and the kernels must equal the reference bit for bit;
//   * normal inputs: |got − want| ≤ γ·(|C0| + Σ_k |a_k||b_k|) with γ = n·u/(1 − n·u), u the unit roundoff (2^-24
//     float, 2^-53 double). An inner product of Kd terms computed in any order, with or without FMA, is within
//     γ_Kd·Σ|a_k||b_k| of the exact value (Higham, Accuracy and Stability of Numerical Algorithms, §3.1: every term
//     carries at most Kd rounding factors); adding C0 is one more rounding, rounding the reference's double sum to
//     float one more: n = Kd + 2 for float. For double the reference's own sum is no more exact than the kernel's, so
//     its γ_Kd is added too: n = 2·Kd + 2. A theorem, not a fitted tolerance: about 9e-6 relative for float and
//     Kd = 144. A wrong or missing term is off by about |a||b| ≈ Σ|a||b|/Kd, far above γ·Σ|a||b| for Kd ≤ 676.
// Entries of C outside [M, N] (the padding of a leading dimension) carry a sentinel that must survive.
#include <minitorch/kernels/gemm.hpp>
#include <minitorch/kernels/matrix.hpp>
#include <minitorch/random.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

using namespace minitorch;

namespace {

struct ConvShape {
    std::size_t O, K, L;  // W [O, K], col [K, L]
};
// The MNIST net's convolutions (batch-independent, per image).
const ConvShape kMnistShapes[] = {{16, 9, 676},  {32, 144, 576}, {10, 32, 576}, {16, 90, 100},
                                  {12, 144, 64}, {12, 108, 36},  {14, 108, 36}, {10, 14, 1}};

enum class Values { integers, normal };
enum class Layout { a_row_major, a_col_major };  // A = W (strides Kd, 1) or A = Wᵀ (strides 1, M)

template <class T>
void fill(std::vector<T>& v, Values values, Generator& gen) {
    for (auto& x : v)
        x = values == Values::integers ? static_cast<T>(static_cast<int>(gen.below(9)) - 4)
                                       : static_cast<T>(gen.normal());
}

template <class T>
constexpr double unit_roundoff() {
    return std::numeric_limits<T>::epsilon() / 2;
}

/// bound[m·N + n] = |C0[m, n]| (when accumulating) + Σ_k |a_mk·b_kn| for every entry of the [M, N] block, the
/// products a_mk·b_kn given by product(m, n, k) (each layout indexes A and B its own way): the scale of each entry's
/// rounding error (see the top of the file).
template <class T, class Product>
std::vector<double> error_bounds(std::size_t M, std::size_t N, std::size_t Kd, bool accumulate,
                                 const std::vector<T>& C0, std::size_t ldc, Product product) {
    std::vector<double> bound(M * N);
    for (std::size_t m = 0; m < M; ++m)
        for (std::size_t n = 0; n < N; ++n) {
            double s = accumulate ? std::abs(static_cast<double>(C0[m * ldc + n])) : 0.0;
            for (std::size_t k = 0; k < Kd; ++k) s += std::abs(product(m, n, k));
            bound[m * N + n] = s;
        }
    return bound;
}

/// Compares got against want on the [M, N] block of a row-major C with row stride ldc; every other entry must still
/// equal c0 (the sentinel). bound[m·N + n] = |C0| + Σ|a||b| for that entry. Exact: bit-for-bit equality.
template <class T>
void expect_close(const std::vector<T>& got, const std::vector<T>& want, const std::vector<T>& c0,
                  const std::vector<double>& bound, std::size_t M, std::size_t N, std::size_t Kd, std::size_t ldc,
                  bool exact) {
    // n rounding factors per term, see the top of the file: the kernel's Kd, C0, and the reference's (1 or Kd)
    const std::size_t reference_roundings = std::is_same_v<T, float> ? 1 : Kd;
    const double n = static_cast<double>(Kd + 1 + reference_roundings), u = unit_roundoff<T>();
    const double gamma = n * u / (1 - n * u);
    std::size_t bad = 0, untouched = 0;
    std::string first;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const std::size_t m = i / ldc, c = i % ldc;
        if (m >= M || c >= N) {
            if (got[i] != c0[i]) ++untouched;
            continue;
        }
        const double err = std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
        const double tol = exact ? 0.0 : gamma * bound[m * N + c];
        if (!(err <= tol)) {  // also catches NaN
            if (bad++ == 0) {
                std::ostringstream s;
                s << "first bad entry C[" << m << ", " << c << "]: got " << got[i] << ", want " << want[i]
                  << ", |error| " << err << " > tolerance " << tol;
                first = s.str();
            }
        }
    }
    INFO(first);
    CHECK(bad == 0);
    CHECK(untouched == 0);  // nothing outside [M, N] written
}

/// One gemm_nn problem: C[M, N] (+)= A[M, Kd]·B[Kd, N] with padded leading dimensions, run through `kernel` and
/// through gemm_nn_reference.
template <class T, class Kernel>
void check_nn(Kernel kernel, std::size_t M, std::size_t N, std::size_t Kd, Layout layout, bool accumulate,
              Values values, std::size_t pad, Generator& gen) {
    const std::size_t a_row = layout == Layout::a_row_major ? Kd + pad : 1;
    const std::size_t a_col = layout == Layout::a_row_major ? 1 : M + pad;
    const std::size_t ldb = N + pad, ldc = N + pad;
    std::vector<T> A(layout == Layout::a_row_major ? M * a_row : Kd * a_col), B(Kd * ldb), C0(M * ldc);
    for (auto* operand : {&A, &B, &C0}) fill(*operand, values, gen);
    const auto bound = error_bounds(M, N, Kd, accumulate, C0, ldc, [&](std::size_t m, std::size_t n, std::size_t k) {
        return static_cast<double>(A[m * a_row + k * a_col]) * static_cast<double>(B[k * ldb + n]);
    });
    std::vector<T> got = C0, want = C0;
    kernel(M, N, Kd, A.data(), a_row, a_col, B.data(), ldb, got.data(), ldc, accumulate);
    gemm_nn_reference(M, N, Kd, A.data(), a_row, a_col, B.data(), ldb, want.data(), ldc, accumulate);
    INFO("gemm_nn M=" << M << " N=" << N << " Kd=" << Kd << (layout == Layout::a_row_major ? " A" : " Aᵀ-layout")
                      << (accumulate ? " accumulate" : " assign") << " pad=" << pad);
    expect_close(got, want, C0, bound, M, N, Kd, ldc, values == Values::integers);
}

/// One gemm_nt problem: C[M, N] (+)= A[M, Kd]·B[N, Kd]ᵀ with padded leading dimensions.
template <class T, class Kernel>
void check_nt(Kernel kernel, std::size_t M, std::size_t N, std::size_t Kd, bool accumulate, Values values,
              std::size_t pad, Generator& gen) {
    const std::size_t lda = Kd + pad, ldb = Kd + pad, ldc = N + pad;
    std::vector<T> A(M * lda), B(N * ldb), C0(M * ldc);
    for (auto* operand : {&A, &B, &C0}) fill(*operand, values, gen);
    const auto bound = error_bounds(M, N, Kd, accumulate, C0, ldc, [&](std::size_t m, std::size_t n, std::size_t k) {
        return static_cast<double>(A[m * lda + k]) * static_cast<double>(B[n * ldb + k]);
    });
    std::vector<T> got = C0, want = C0;
    kernel(M, N, Kd, A.data(), lda, B.data(), ldb, got.data(), ldc, accumulate);
    gemm_nt_reference(M, N, Kd, A.data(), lda, B.data(), ldb, want.data(), ldc, accumulate);
    INFO("gemm_nt M=" << M << " N=" << N << " Kd=" << Kd << (accumulate ? " accumulate" : " assign") << " pad=" << pad);
    expect_close(got, want, C0, bound, M, N, Kd, ldc, values == Values::integers);
}

// The kernels under test, as generic lambdas (template functions cannot be passed unnamed). fast_*: the entry points
// (the active ISA for float, Eigen for double); the float tests also run each ISA's kernels (isa_nn, isa_nt).
const auto fast_nn = [](auto... args) { gemm_nn(args...); };
const auto fast_nt = [](auto... args) { gemm_nt(args...); };
auto isa_nn(Isa isa) {
    return [&k = kernels::gemm_for(isa)](auto... args) { k.nn(args...); };
}
auto isa_nt(Isa isa) {
    return [&k = kernels::gemm_for(isa)](auto... args) { kernels::gemm_nt(k, args...); };
}
/// gemm_nt of `isa` in one form, whatever the shape would choose (kernels::gemm_nt_uses_dot_form).
auto isa_nt_dot(Isa isa) {
    return [&k = kernels::gemm_for(isa)](auto... args) { k.nt_dot(args...); };
}
auto isa_nt_transposed(Isa isa) {
    return [&k = kernels::gemm_for(isa)](auto... args) { kernels::gemm_nt_transposed(k, args...); };
}
const auto eigen_nn = [](auto... args) { gemm_nn_eigen(args...); };
const auto eigen_nt = [](auto... args) { gemm_nt_eigen(args...); };

/// All three conv products of one MNIST shape, as Conv2d issues them (no padding of leading dimensions).
template <class T, class Nn, class Nt>
void check_conv_products(Nn nn, Nt nt, const ConvShape& s, Values values, Generator& gen) {
    for (bool accumulate : {false, true}) {
        check_nn<T>(nn, s.O, s.L, s.K, Layout::a_row_major, accumulate, values, 0, gen);  // Y = W·col
        // dcol = Wᵀ·dY: A = W [O, K] read as [K, O] through strides (1, K)
        check_nn<T>(nn, s.K, s.L, s.O, Layout::a_col_major, accumulate, values, 0, gen);
        check_nt<T>(nt, s.O, s.K, s.L, accumulate, values, 0, gen);  // dW (+)= dY·colᵀ
    }
}

/// Edge sizes around the tile and vector widths, then random sizes in [1, 70].
template <class T, class Nn, class Nt>
void check_odd_shapes(Nn nn, Nt nt, Values values, std::uint64_t seed) {
    Generator gen(seed);
    const std::size_t edges[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 47, 48, 49, 65};
    for (std::size_t M : {1, 3, 4, 5, 7, 8, 9, 13, 17})
        for (std::size_t N : edges) {
            const std::size_t Kd = edges[(M + N) % std::size(edges)];
            const bool accumulate = (M + N) % 2 == 0;
            const std::size_t pad = (M * N) % 3;
            check_nn<T>(nn, M, N, Kd, Layout::a_row_major, accumulate, values, pad, gen);
            check_nn<T>(nn, M, N, Kd, Layout::a_col_major, !accumulate, values, pad, gen);
            check_nt<T>(nt, M, N, Kd, accumulate, values, pad, gen);
            check_nt<T>(nt, N, M, Kd + 16, !accumulate, values, pad, gen);
        }
    for (int i = 0; i < 120; ++i) {
        const std::size_t M = 1 + gen.below(70), N = 1 + gen.below(70), Kd = 1 + gen.below(70);
        const std::size_t pad = gen.below(5);
        const bool accumulate = gen.below(2) == 1;
        check_nn<T>(nn, M, N, Kd, Layout::a_row_major, accumulate, values, pad, gen);
        check_nn<T>(nn, M, N, Kd, Layout::a_col_major, accumulate, values, pad, gen);
        check_nt<T>(nt, M, N, Kd, accumulate, values, pad, gen);
    }
}

}  // namespace

TEST_CASE("gemm references: hand-computed 2×3 · 3×2, both layouts of A, assign and accumulate") {
    // A = [[1, 2, 3], [4, 5, 6]], B = [[1, -1], [0, 2], [-2, 1]]: A·B = [[-5, 6], [-8, 12]]
    const double A[] = {1, 2, 3, 4, 5, 6};
    const double At[] = {1, 4, 2, 5, 3, 6};  // the same A stored column-major (Aᵀ row-major)
    const double B[] = {1, -1, 0, 2, -2, 1};
    const double Bt[] = {1, 0, -2, -1, 2, 1};  // Bᵀ row-major, for gemm_nt
    double C[4];
    gemm_nn_reference<double>(2, 2, 3, A, 3, 1, B, 2, C, 2, false);
    CHECK(C[0] == -5);
    CHECK(C[1] == 6);
    CHECK(C[2] == -8);
    CHECK(C[3] == 12);
    gemm_nn_reference<double>(2, 2, 3, At, 1, 2, B, 2, C, 2, true);  // C += A·B
    CHECK(C[0] == -10);
    CHECK(C[3] == 24);
    gemm_nt_reference<double>(2, 2, 3, A, 3, Bt, 3, C, 2, false);
    CHECK(C[0] == -5);
    CHECK(C[1] == 6);
    CHECK(C[2] == -8);
    CHECK(C[3] == 12);
    gemm_nt_reference<double>(2, 2, 3, A, 3, Bt, 3, C, 2, true);
    CHECK(C[2] == -16);
}

TEST_CASE_TEMPLATE("matrix views (kernels/matrix.hpp): Conv2d's three products are gemm_nn and gemm_nt, bit for bit", T,
                   float, double) {
    // The 16→32, 3×3 conv of the MNIST net at 24×24: W [O, K], col [K, L], dY [O, L].
    const std::size_t O = 32, K = 144, L = 576;
    Generator gen(7);
    std::vector<T> W(O * K), col(K * L), dY(O * L), dW(O * K);
    for (auto* v : {&W, &col, &dY, &dW})
        for (T& e : *v) e = static_cast<T>(gen.normal());
    const auto same = [](const std::vector<T>& a, const std::vector<T>& b) {
        return std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
    };
    std::vector<T> Y(O * L), Y_ref(O * L);
    multiply(matrix(Y.data(), O, L), matrix(W.data(), O, K), matrix(col.data(), K, L));  // Y = W·col
    gemm_nn(O, L, K, W.data(), K, 1, col.data(), L, Y_ref.data(), L, false);
    CHECK(same(Y, Y_ref));
    std::vector<T> dcol(K * L), dcol_ref(K * L);
    multiply(matrix(dcol.data(), K, L), matrix(W.data(), O, K).t(), matrix(dY.data(), O, L));  // dcol = Wᵀ·dY
    gemm_nn(K, L, O, W.data(), 1, K, dY.data(), L, dcol_ref.data(), L, false);
    CHECK(same(dcol, dcol_ref));
    std::vector<T> dW_ref = dW;
    multiply_add(matrix(dW.data(), O, K), matrix(dY.data(), O, L), matrix(col.data(), K, L).t());  // dW += dY·colᵀ
    gemm_nt(O, K, L, dY.data(), L, col.data(), L, dW_ref.data(), K, true);
    CHECK(same(dW, dW_ref));
    // And against the plain reference: Y[0, 0] = Σ_k W[0, k]·col[k, 0].
    double y00 = 0;
    for (std::size_t k = 0; k < K; ++k) y00 += static_cast<double>(W[k]) * static_cast<double>(col[k * L]);
    CHECK(static_cast<double>(Y[0]) == doctest::Approx(y00).epsilon(1e-5));
    // Shapes that do not agree, and a layout no kernel takes, are refused.
    CHECK_THROWS_AS(multiply(matrix(Y.data(), O, L), matrix(W.data(), O, K), matrix(col.data(), L, K)),
                    std::logic_error);
    CHECK_THROWS_AS(multiply(matrix(Y.data(), O, L).t(), matrix(col.data(), L, K), matrix(W.data(), K, O)),
                    std::logic_error);
    CHECK_THROWS_AS(multiply(matrix(dW.data(), O, K), matrix(dY.data(), L, O).t(), matrix(col.data(), K, L).t()),
                    std::logic_error);
}

TEST_CASE("gemm_nn/gemm_nt float, every ISA: the MNIST conv shapes, exact on integer-valued inputs") {
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        Generator gen(1);
        for (const auto& s : kMnistShapes)
            check_conv_products<float>(isa_nn(isa), isa_nt(isa), s, Values::integers, gen);
    }
}

TEST_CASE("gemm_nn/gemm_nt float, every ISA: the MNIST conv shapes, normal inputs within the rounding bound") {
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        Generator gen(2);
        for (const auto& s : kMnistShapes) check_conv_products<float>(isa_nn(isa), isa_nt(isa), s, Values::normal, gen);
    }
}

TEST_CASE("gemm_nn/gemm_nt float, every ISA: odd shapes (tails along M, N, Kd), both A layouts, padded strides") {
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        check_odd_shapes<float>(isa_nn(isa), isa_nt(isa), Values::integers, 3);
        check_odd_shapes<float>(isa_nn(isa), isa_nt(isa), Values::normal, 4);
    }
}

TEST_CASE("gemm_nt float, every ISA, each form (dot, transposed): MNIST and odd shapes within the rounding bound") {
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        Generator gen(10);
        for (const auto& s : kMnistShapes) {
            for (bool accumulate : {false, true}) {
                check_nt<float>(isa_nt_dot(isa), s.O, s.K, s.L, accumulate, Values::normal, 0, gen);
                check_nt<float>(isa_nt_transposed(isa), s.O, s.K, s.L, accumulate, Values::normal, 0, gen);
            }
        }
        check_odd_shapes<float>(isa_nn(isa), isa_nt_dot(isa), Values::normal, 11);
        check_odd_shapes<float>(isa_nn(isa), isa_nt_transposed(isa), Values::integers, 12);
    }
}

TEST_CASE("gemm_nn/gemm_nt float entry points (the active ISA): MNIST shapes") {
    INFO("active ISA: " << isa_name(active_isa()));
    Generator gen(9);
    for (const auto& s : kMnistShapes) check_conv_products<float>(fast_nn, fast_nt, s, Values::normal, gen);
}

TEST_CASE("gemm_nn_eigen/gemm_nt_eigen float: MNIST and odd shapes") {
    Generator gen(5);
    for (const auto& s : kMnistShapes) check_conv_products<float>(eigen_nn, eigen_nt, s, Values::normal, gen);
    check_odd_shapes<float>(eigen_nn, eigen_nt, Values::integers, 6);
}

TEST_CASE("gemm_nn/gemm_nt double (Eigen, for gradient checks): MNIST and odd shapes") {
    Generator gen(7);
    for (const auto& s : kMnistShapes) check_conv_products<double>(fast_nn, fast_nt, s, Values::normal, gen);
    check_odd_shapes<double>(fast_nn, fast_nt, Values::normal, 8);
}

TEST_CASE("gemm_nn/gemm_nt: Kd = 0 gives C = 0 (assign) or leaves C (accumulate); M or N = 0 touches nothing") {
    const float A[1] = {7}, B[1] = {9};
    for (bool accumulate : {false, true}) {
        float C[6] = {1, 2, 3, 4, 5, 6};
        gemm_nn<float>(2, 3, 0, A, 1, 1, B, 3, C, 3, accumulate);
        for (int i = 0; i < 6; ++i) CHECK(C[i] == (accumulate ? static_cast<float>(i + 1) : 0.0f));
        float D[6] = {1, 2, 3, 4, 5, 6};
        gemm_nt<float>(2, 3, 0, A, 1, B, 1, D, 3, accumulate);
        for (int i = 0; i < 6; ++i) CHECK(D[i] == (accumulate ? static_cast<float>(i + 1) : 0.0f));
        float E[2] = {1, 2};
        gemm_nn<float>(0, 2, 4, A, 4, 1, B, 2, E, 2, accumulate);
        gemm_nn<float>(2, 0, 4, A, 4, 1, B, 0, E, 1, accumulate);
        gemm_nt<float>(0, 2, 4, A, 4, B, 4, E, 2, accumulate);
        gemm_nt<float>(2, 0, 4, A, 4, B, 4, E, 1, accumulate);
        CHECK(E[0] == 1);
        CHECK(E[1] == 2);
    }
}
