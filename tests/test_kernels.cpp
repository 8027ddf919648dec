// The kernel layer under every ISA this CPU supports (kernels/isa.hpp): each ISA's GEMM (gemm_nn in both layouts of
// A, gemm_nt, the implicit-im2col rows), im2col/col2im and the implicit convolution against the scalar ISA bit for
// bit, and against plain double references within a stated bound — on the MNIST net's shapes and on awkward ones
// (widths 1..33, K not a multiple of any tile, one image, odd channel counts). docs/design.md says what is guaranteed.
//
// The scalar ISA is itself checked against the definition of the float result (gemm_nn_fma_chain: one std::fma chain
// per element, k ascending), so "the same bits as scalar" means "the same bits as that definition" on every ISA.
#include <minitorch/kernels/conv_implicit.hpp>
#include <minitorch/kernels/gemm.hpp>
#include <minitorch/kernels/im2col.hpp>
#include <minitorch/random.hpp>

#include <doctest/doctest.h>

#include "support/conv_shapes.hpp"
#include "support/random_values.hpp"
#include "support/same_bits.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace minitorch;

namespace {

using test_support::first_bit_difference;
using test_support::mnist_convs_then;
using test_support::random_floats;

/// Every ISA this CPU supports except scalar (the one they are compared with); scalar itself is checked against the
/// definition. Listed in the test output so a run on an AVX2-only machine shows what it covered.
std::vector<Isa> simd_isas() {
    std::vector<Isa> out;
    for (Isa isa : supported_isas())
        if (isa != Isa::scalar) out.push_back(isa);
    return out;
}

std::string isa_list() {
    std::string s;
    for (Isa isa : supported_isas()) s += std::string(isa_name(isa)) + " ";
    return s;
}

struct Problem {
    std::size_t M, N, Kd;
    bool transposed_a;  // A = Wᵀ: strides (1, M) instead of (Kd, 1)
    bool accumulate;
    std::size_t pad;  // extra columns of every leading dimension
};

/// Runs one gemm_nn problem with `nn` (C starts as a fixed random matrix; padding columns carry a sentinel).
template <class Nn>
std::vector<float> run_nn(Nn nn, const Problem& p, std::uint64_t seed) {
    Generator gen(seed);
    const std::size_t lda = (p.transposed_a ? p.M : p.Kd) + p.pad, ldb = p.N + p.pad, ldc = p.N + p.pad;
    const auto A = random_floats((p.transposed_a ? p.Kd : p.M) * lda, gen);
    const auto B = random_floats(p.Kd * ldb, gen);
    auto C = random_floats(p.M * ldc, gen);
    for (std::size_t m = 0; m < p.M; ++m)
        for (std::size_t n = p.N; n < ldc; ++n) C[m * ldc + n] = 12345.f;
    const std::size_t a_row = p.transposed_a ? 1 : lda, a_col = p.transposed_a ? lda : 1;
    nn(p.M, p.N, p.Kd, A.data(), a_row, a_col, B.data(), ldb, C.data(), ldc, p.accumulate);
    return C;
}

std::vector<Problem> gemm_problems() {
    std::vector<Problem> out;
    // The MNIST convs' three products (O, K, L): forward [O, L] = W·col, backward-data [K, L] = Wᵀ·dY, and the
    // backward-weights product gemm_nt runs, Cᵀ [K, O] = col·dYᵀ.
    const std::size_t shapes[][3] = {{16, 9, 676}, {32, 144, 576}, {10, 32, 576}, {16, 90, 100},
                                     {12, 144, 64}, {12, 108, 36}, {14, 108, 36}, {10, 14, 1}};
    for (const auto& s : shapes) {
        out.push_back({s[0], s[2], s[1], false, false, 0});
        out.push_back({s[1], s[2], s[0], true, false, 0});
        out.push_back({s[1], s[0], s[2], false, true, 0});
    }
    // Awkward: every width 1..33, row counts around every tile height, K not a multiple of anything.
    for (std::size_t N = 1; N <= 33; ++N) out.push_back({1 + N % 9, N, 1 + (N * 7) % 23, N % 2 == 0, N % 3 == 0, N % 4});
    for (std::size_t M : {1, 2, 3, 5, 6, 7, 8, 9, 11, 13, 17, 25})
        out.push_back({M, 49 + M, 13 + M, M % 2 == 1, M % 2 == 0, M % 3});
    out.push_back({3, 622, 144, false, false, 0});  // the implicit conv's wide product: 622 = 38·16 + 14
    out.push_back({5, 7, 0, false, true, 1});       // Kd = 0: C unchanged (accumulate)
    out.push_back({5, 7, 0, false, false, 1});      // … or zero (assign)
    return out;
}

}  // namespace

TEST_CASE("kernels: the ISAs this CPU supports (listed, scalar always first)") {
    INFO("supported: " << isa_list() << "; active: " << isa_name(active_isa()));
    const auto isas = supported_isas();
    REQUIRE_FALSE(isas.empty());
    CHECK(isas.front() == Isa::scalar);
    MESSAGE("kernel ISAs tested on this CPU: " << isa_list());
}

TEST_CASE("gemm_nn, scalar ISA: exactly the definition (one fma chain per element, k ascending)") {
    const auto& scalar = kernels::gemm_for(Isa::scalar);
    std::uint64_t seed = 1;
    for (const auto& p : gemm_problems()) {
        CAPTURE(p.M);
        CAPTURE(p.N);
        CAPTURE(p.Kd);
        const auto got = run_nn(scalar.nn, p, seed);
        const auto want = run_nn(gemm_nn_fma_chain, p, seed);
        CHECK(first_bit_difference(got, want) == -1);
        ++seed;
    }
}

TEST_CASE("gemm_nn, every ISA: bit for bit the scalar ISA; and within the rounding bound of the double reference") {
    const auto& scalar = kernels::gemm_for(Isa::scalar);
    for (Isa isa : simd_isas()) {
        CAPTURE(isa_name(isa));
        const auto& k = kernels::gemm_for(isa);
        CHECK(k.isa == isa);
        std::uint64_t seed = 100;
        for (const auto& p : gemm_problems()) {
            CAPTURE(p.M);
            CAPTURE(p.N);
            CAPTURE(p.Kd);
            CAPTURE(p.transposed_a);
            CAPTURE(p.accumulate);
            const auto got = run_nn(k.nn, p, seed);
            CHECK(first_bit_difference(got, run_nn(scalar.nn, p, seed)) == -1);
            // Against double: |got − want| ≤ γ_{Kd+2}·(|C0| + Σ|a||b|) (test_gemm.cpp derives the bound); here a
            // cruder check with the bound taken as (Kd + 2)·u·(|C0| + Kd·max|a||b|), max|a|,|b| ≤ 6 for normals.
            const auto want = run_nn(gemm_nn_reference<float>, p, seed);
            const double u = 0x1.0p-24, bound = (p.Kd + 2) * u * (6.0 + static_cast<double>(p.Kd) * 36.0);
            std::size_t far = 0;
            for (std::size_t i = 0; i < got.size(); ++i) far += std::fabs(got[i] - want[i]) > bound;
            CHECK(far == 0);
            ++seed;
        }
    }
}

namespace {

/// gemm_nt's shapes: the MNIST convs' dW products (both forms are chosen among them) and odd ones — Kd below, at and
/// past multiples of 16 (the dot form's blocks), M and N past its tiles, Kd = 0.
const std::size_t kNtShapes[][3] = {{32, 144, 576}, {16, 9, 676}, {10, 32, 576}, {14, 108, 36}, {12, 144, 64},
                                    {1, 1, 1},      {3, 17, 33},  {7, 5, 9},     {9, 31, 2},    {13, 8, 65},
                                    {5, 7, 16},     {6, 13, 47},  {2, 3, 0},     {17, 1, 200}};

using NtKernel = void (*)(std::size_t, std::size_t, std::size_t, const float*, std::size_t, const float*, std::size_t,
                          float*, std::size_t, bool);

/// C (+)= A·Bᵀ by `nt` on random operands with padded row strides (lda = Kd + 3, ldb = Kd + 1, ldc = N + 2);
/// returns all of C, padding included (it must be left as it was).
template <class Nt>
std::vector<float> run_nt(Nt nt, std::size_t M, std::size_t N, std::size_t Kd, bool accumulate, std::uint64_t seed) {
    Generator gen(seed);
    const std::size_t lda = Kd + 3, ldb = Kd + 1, ldc = N + 2;
    const auto A = random_floats(M * lda, gen), B = random_floats(N * ldb, gen);
    auto C = random_floats(M * ldc, gen);
    nt(M, N, Kd, A.data(), lda, B.data(), ldb, C.data(), ldc, accumulate);
    return C;
}

}  // namespace

TEST_CASE("gemm_nt dot form, scalar ISA: exactly the definition (16 partial sums, the fixed tree)") {
    std::uint64_t seed = 300;
    for (const auto& s : kNtShapes)
        for (bool accumulate : {false, true}) {
            CAPTURE(s[0]);
            CAPTURE(s[1]);
            CAPTURE(s[2]);
            CAPTURE(accumulate);
            const auto got = run_nt(kernels::gemm_for(Isa::scalar).nt_dot, s[0], s[1], s[2], accumulate, seed);
            CHECK(first_bit_difference(got, run_nt(gemm_nt_fma_16, s[0], s[1], s[2], accumulate, seed)) == -1);
            ++seed;
        }
}

TEST_CASE("gemm_nt, every ISA, both forms: bit for bit the scalar ISA (dW += dY·colᵀ and odd shapes)") {
    const auto& scalar = kernels::gemm_for(Isa::scalar);
    const auto transposed = [](const kernels::GemmKernels& k) {
        return [&k](auto... args) { kernels::gemm_nt_transposed(k, args...); };
    };
    const auto chosen = [](const kernels::GemmKernels& k) {
        return [&k](auto... args) { kernels::gemm_nt(k, args...); };
    };
    for (Isa isa : simd_isas()) {
        CAPTURE(isa_name(isa));
        const auto& k = kernels::gemm_for(isa);
        std::uint64_t seed = 200;
        for (const auto& s : kNtShapes)
            for (bool accumulate : {false, true}) {
                const std::size_t M = s[0], N = s[1], Kd = s[2];
                CAPTURE(M);
                CAPTURE(N);
                CAPTURE(Kd);
                CAPTURE(accumulate);
                CHECK(first_bit_difference(run_nt(k.nt_dot, M, N, Kd, accumulate, seed),
                                           run_nt(scalar.nt_dot, M, N, Kd, accumulate, seed)) == -1);
                CHECK(first_bit_difference(run_nt(transposed(k), M, N, Kd, accumulate, seed),
                                           run_nt(transposed(scalar), M, N, Kd, accumulate, seed)) == -1);
                CHECK(first_bit_difference(run_nt(chosen(k), M, N, Kd, accumulate, seed),
                                           run_nt(chosen(scalar), M, N, Kd, accumulate, seed)) == -1);
                ++seed;
            }
    }
}

TEST_CASE("gemm_nt: the form is chosen by the shape alone (dot form where Kd ≥ 8·N)") {
    CHECK(kernels::gemm_nt_uses_dot_form(9, 676));          // 1→16 conv's dW
    CHECK(kernels::gemm_nt_uses_dot_form(32, 576));         // 32→10 1×1 conv's dW
    CHECK_FALSE(kernels::gemm_nt_uses_dot_form(144, 576));  // 16→32 conv's dW
    CHECK_FALSE(kernels::gemm_nt_uses_dot_form(108, 36));
    // The entry point computes the chosen form's bits: dot form here, transposed form there.
    const auto& k = kernels::gemm();
    const auto chosen = [&k](auto... args) { kernels::gemm_nt(k, args...); };
    const auto transposed = [&k](auto... args) { kernels::gemm_nt_transposed(k, args...); };
    CHECK(first_bit_difference(run_nt(chosen, 16, 9, 676, true, 7), run_nt(k.nt_dot, 16, 9, 676, true, 7)) == -1);
    CHECK(first_bit_difference(run_nt(chosen, 12, 108, 36, true, 8), run_nt(transposed, 12, 108, 36, true, 8)) == -1);
}

namespace {

const std::vector<ConvGeometry> kConvShapes = mnist_convs_then({
    {.channels = 3, .height = 5, .width = 17, .kernel_h = 2, .kernel_w = 2},  // out_w 16
    {.channels = 2, .height = 4, .width = 34, .kernel_h = 3, .kernel_w = 2},  // out_w 33
    {.channels = 5, .height = 3, .width = 3, .kernel_h = 3, .kernel_w = 3},   // one output pixel
    {.channels = 3, .height = 5, .width = 18, .kernel_h = 3, .kernel_w = 2, .padding = 2},
    {.channels = 7, .height = 9, .width = 7, .kernel_h = 3, .kernel_w = 1},     // kw = 1
    {.channels = 2, .height = 3, .width = 1100, .kernel_h = 2, .kernel_w = 2},  // too wide for col2im's lane table
    {.channels = 1, .height = 1, .width = 1, .kernel_h = 1, .kernel_w = 1, .padding = 1},
});

}  // namespace

TEST_CASE("im2col/col2im (stride 1, no padding), every ISA: bit for bit the scalar ISA, which is the definition") {
    const auto& scalar = kernels::im2col_for(Isa::scalar);
    Generator gen(300);
    for (auto g : kConvShapes) {
        g.padding = 0;
        if (g.height < g.kernel_h || g.width < g.kernel_w) continue;
        CAPTURE(g.channels);
        CAPTURE(g.height);
        CAPTURE(g.width);
        const auto im = random_floats(g.channels * g.height * g.width, gen);
        const auto col_in = random_floats(g.col_rows() * g.col_cols(), gen);
        std::vector<float> col_want(col_in.size()), im_want(im.size());
        scalar.im2col_unpadded(im.data(), g, col_want.data());
        scalar.col2im_unpadded(col_in.data(), g, im_want.data());
        // The definition: col[(c, i, j), oh·outW + ow] = im[c, oh + i, ow + j]; col2im adds taps (i, j) in order.
        std::vector<float> im_def(im.size(), 0.f);
        std::size_t wrong = 0;
        for (std::size_t c = 0; c < g.channels; ++c)
            for (std::size_t i = 0; i < g.kernel_h; ++i)
                for (std::size_t j = 0; j < g.kernel_w; ++j)
                    for (std::size_t oh = 0; oh < g.out_h(); ++oh)
                        for (std::size_t ow = 0; ow < g.out_w(); ++ow) {
                            const std::size_t r = (c * g.kernel_h + i) * g.kernel_w + j, q = oh * g.out_w() + ow;
                            const std::size_t px = (c * g.height + oh + i) * g.width + ow + j;
                            wrong += col_want[r * g.col_cols() + q] != im[px];
                        }
        // Per pixel, the taps in (i, j) order: the order of the loops below (c, then i, j, then the pixel's taps).
        for (std::size_t c = 0; c < g.channels; ++c)
            for (std::size_t ih = 0; ih < g.height; ++ih)
                for (std::size_t iw = 0; iw < g.width; ++iw) {
                    float s = 0.f;
                    for (std::size_t i = 0; i < g.kernel_h; ++i)
                        for (std::size_t j = 0; j < g.kernel_w; ++j) {
                            if (ih < i || iw < j || ih - i >= g.out_h() || iw - j >= g.out_w()) continue;
                            const std::size_t r = (c * g.kernel_h + i) * g.kernel_w + j;
                            s += col_in[r * g.col_cols() + (ih - i) * g.out_w() + iw - j];
                        }
                    im_def[(c * g.height + ih) * g.width + iw] = s;
                }
        CHECK(wrong == 0);
        CHECK(first_bit_difference(im_want, im_def) == -1);
        for (Isa isa : simd_isas()) {
            CAPTURE(isa_name(isa));
            const auto& k = kernels::im2col_for(isa);
            std::vector<float> col(col_in.size(), 7.f), back(im.size(), 7.f);
            k.im2col_unpadded(im.data(), g, col.data());
            k.col2im_unpadded(col_in.data(), g, back.data());
            CHECK(first_bit_difference(col, col_want) == -1);
            CHECK(first_bit_difference(back, im_want) == -1);
        }
    }
}

TEST_CASE("conv_forward_implicit, every ISA: bit for bit the scalar ISA and the explicit im2col + gemm_nn") {
    Generator gen(400);
    for (const auto& g : kConvShapes) {
        if (!conv_forward_implicit_applies<float>(g)) continue;
        CAPTURE(g.channels);
        CAPTURE(g.height);
        CAPTURE(g.width);
        CAPTURE(g.padding);
        for (std::size_t O : {1u, 3u, 10u, 32u}) {
            CAPTURE(O);
            const auto w = random_floats(O * g.col_rows(), gen);
            const auto im = random_floats(g.channels * g.height * g.width, gen);
            std::vector<float> want(O * g.col_cols(), 1.f), col(g.col_rows() * g.col_cols());
            conv_forward_implicit(kernels::gemm_for(Isa::scalar), kernels::im2col_for(Isa::scalar), w.data(), O,
                                  im.data(), g, want.data());
            // the explicit product, scalar definition
            std::vector<float> expl(want.size());
            im2col(im.data(), g, col.data());
            gemm_nn_fma_chain(O, g.col_cols(), g.col_rows(), w.data(), g.col_rows(), 1, col.data(), g.col_cols(),
                              expl.data(), g.col_cols(), false);
            CHECK(first_bit_difference(want, expl) == -1);
            // The image followed by more of the batch (NaN here): the product may read up to lanes − 1 of those
            // values into columns it drops, so the result must not change.
            std::vector<float> batch(im);
            batch.resize(im.size() + 16, std::numeric_limits<float>::quiet_NaN());
            for (Isa isa : supported_isas()) {
                CAPTURE(isa_name(isa));
                std::vector<float> got(want.size(), 2.f), got_in_batch(want.size(), 3.f);
                conv_forward_implicit(kernels::gemm_for(isa), kernels::im2col_for(isa), w.data(), O, im.data(), g,
                                      got.data());
                conv_forward_implicit(kernels::gemm_for(isa), kernels::im2col_for(isa), w.data(), O, batch.data(), g,
                                      got_in_batch.data(), 16);
                CHECK(first_bit_difference(got, want) == -1);
                CHECK(first_bit_difference(got_in_batch, want) == -1);
            }
        }
    }
}

TEST_CASE("gemm_nn_rows, every ISA: exactly the definition on B's rows through a table, any width") {
    // Conv2d only calls it with whole vectors of columns (conv_implicit.hpp); other widths copy their last panel
    // (body/gemm.inl's strided_copy), so both paths meet here: widths 1..50 around every ISA's vector and panel.
    Generator gen(450);
    for (std::size_t M : {1u, 3u, 8u, 10u, 17u})
        for (std::size_t N : {1u, 5u, 8u, 15u, 16u, 17u, 33u, 48u, 50u})
            for (std::size_t Kd : {1u, 9u, 20u}) {
                CAPTURE(M);
                CAPTURE(N);
                CAPTURE(Kd);
                const std::size_t lda = Kd + 1, ldc = N + 2, ldb = N + 3;
                std::vector<std::size_t> b_rows(Kd);
                for (std::size_t k = 0; k < Kd; ++k) b_rows[k] = (Kd - 1 - k) * ldb + k % 3;  // rows out of order
                const auto A = random_floats(M * lda, gen), pool = random_floats(Kd * ldb + 2, gen);
                std::vector<float> B(Kd * N);  // the same rows, laid out [Kd, N]
                for (std::size_t k = 0; k < Kd; ++k)
                    for (std::size_t n = 0; n < N; ++n) B[k * N + n] = pool[b_rows[k] + n];
                const auto C0 = random_floats(M * ldc, gen);
                std::vector<float> want(C0);
                gemm_nn_fma_chain(M, N, Kd, A.data(), lda, 1, B.data(), N, want.data(), ldc, false);
                for (Isa isa : supported_isas()) {
                    CAPTURE(isa_name(isa));
                    std::vector<float> got(C0);  // the padding columns must keep C0's values
                    kernels::gemm_for(isa).nn_rows(M, N, Kd, A.data(), lda, pool.data(), b_rows.data(), got.data(),
                                                   ldc);
                    CHECK(first_bit_difference(got, want) == -1);
                }
            }
}

TEST_CASE("transpose (gemm_nt's copies), every ISA: exactly the definition, blocks and edges, padded strides") {
    Generator gen(500);
    const std::size_t sizes[][2] = {{10, 576}, {32, 576}, {16, 676}, {144, 32}, {9, 16}, {1, 1}, {7, 33}, {17, 8}};
    std::vector<std::array<std::size_t, 2>> shapes;
    for (const auto& s : sizes) shapes.push_back({s[0], s[1]});
    for (std::size_t M = 1; M <= 20; ++M) shapes.push_back({M, 21 - M});
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        const auto& k = kernels::gemm_for(isa);
        for (const auto& [M, K] : shapes) {
            CAPTURE(M);
            CAPTURE(K);
            const std::size_t lds = K + 3, ldd = M + 2;
            const auto src = random_floats(M * lds, gen);
            std::vector<float> dst(K * ldd, 12345.f);
            k.transpose(src.data(), M, K, lds, dst.data(), ldd);
            std::size_t wrong = 0;
            for (std::size_t kk = 0; kk < K; ++kk)
                for (std::size_t m = 0; m < ldd; ++m)
                    wrong += dst[kk * ldd + m] != (m < M ? src[m * lds + kk] : 12345.f);  // padding untouched
            CHECK(wrong == 0);
        }
    }
}
