// Dropout: eval identity, mask rate and values, reproducibility (seed, copies, thread count), the fast mask kernel
// against the plain reference, gradcheck with a frozen mask, errors; the apply kernel of every ISA this CPU supports
// (kernels/dropout.hpp) against the scalar ISA bit for bit.
#include <minitorch/gradcheck.hpp>
#include <minitorch/kernels/dropout.hpp>
#include <minitorch/kernels/parallel.hpp>
#include <minitorch/layers/dropout.hpp>
#include <minitorch/standalone.hpp>

#include <doctest/doctest.h>

#include "support/random_values.hpp"
#include "support/same_bits.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace minitorch;

using test_support::first_bit_difference;
using test_support::random_tensor;
using test_support::same_bits;

TEST_CASE("Dropout: eval mode is the identity, forward and backward (PyTorch back-propagates through it)") {
    Standalone<Dropout<double>> d({.p = 0.4});
    d.eval();
    const auto x = random_tensor({3, 5}, 1);
    CHECK(d.forward(x) == x);
    Tensor<double> y_buffer;
    Dropout<double>::Cache cache;
    CHECK(&d.forward(x, y_buffer, cache) == &x);  // the layer's own forward: no copy, the input itself is handed back
    // Backward in eval mode used to throw "backward called without a training-mode forward" (issue 15).
    const auto dy = random_tensor({3, 5}, 2);
    CHECK(d.backward(dy) == dy);
    CHECK_THROWS_WITH_AS(d.backward(random_tensor({5, 3}, 3)),
                         "Dropout(p=0.4): expected gradient of the output's shape [3, 5], got [5, 3]",
                         std::invalid_argument);
    const auto r = gradcheck(d, x, {.training = false});
    INFO(r.report);
    CHECK(r.ok);
    // A training forward afterwards: backward is the mask's again.
    d.train();
    const auto& y = d.forward(x);
    const Tensor<double> mask = d.cache().mask();
    const auto& dx = d.backward(dy);
    for (std::size_t i = 0; i < x.size(); ++i) {
        CHECK(y[i] == x[i] * mask[i]);
        CHECK(dx[i] == dy[i] * mask[i]);
    }
}

TEST_CASE("Dropout: training zeroes a fraction p and scales the rest by 1/(1 − p)") {
    for (double p : {0.05, 0.3, 0.5}) {
        Generator gen(2);
        Standalone<Dropout<float>> d({.p = p}, gen);
        const Tensor<float> x = random_tensor({64, 1000}, 3).cast<float>();
        const auto& y = d.forward(x);
        const auto& mask = d.cache().mask();
        const float scale = static_cast<float>(1.0 / (1.0 - p));
        std::size_t dropped = 0, bad = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            dropped += mask[i] == 0.0f;
            bad += !(mask[i] == 0.0f || mask[i] == scale) || y[i] != x[i] * mask[i];
        }
        CHECK(bad == 0);
        // 64 000 Bernoulli(p) draws: standard deviation ≤ 0.002 of the rate; allow 5 of them
        const double rate = static_cast<double>(dropped) / static_cast<double>(x.size());
        INFO("p = ", p, ", observed drop rate ", rate);
        CHECK(std::abs(rate - p) < 5 * std::sqrt(p * (1 - p) / 64000.0));
        CHECK(y[7] == doctest::Approx(mask[7] == 0 ? 0.0 : x[7] / (1 - p)).epsilon(1e-6));
        // Independent decisions: neighbours in a sample, and the same element of neighbouring samples, are both
        // dropped at rate p² (63 936 and 63 000 pairs; the same 5-sigma bound).
        std::size_t along = 0, across = 0;
        for (std::size_t n = 0; n < 64; ++n)
            for (std::size_t i = 0; i + 1 < 1000; ++i) along += mask[n * 1000 + i] == 0 && mask[n * 1000 + i + 1] == 0;
        for (std::size_t n = 0; n + 1 < 64; ++n)
            for (std::size_t i = 0; i < 1000; ++i) across += mask[n * 1000 + i] == 0 && mask[(n + 1) * 1000 + i] == 0;
        const double q = p * p;
        CHECK(std::abs(static_cast<double>(along) / 63936.0 - q) < 5 * std::sqrt(q * (1 - q) / 63936.0));
        CHECK(std::abs(static_cast<double>(across) / 63000.0 - q) < 5 * std::sqrt(q * (1 - q) / 63000.0));
    }
}

TEST_CASE("Dropout: the same seed gives the same masks, each forward draws a new one, copies continue identically") {
    Generator g1(5), g2(5);
    Standalone<Dropout<double>> a({.p = 0.5}, g1), b({.p = 0.5}, g2);
    const auto x = random_tensor({4, 50}, 6);
    const Tensor<double> first = a.forward(x);
    CHECK(b.forward(x) == first);
    const Standalone<Dropout<double>> copy = a;
    const Tensor<double> second = a.forward(x);
    CHECK(second != first);
    Standalone<Dropout<double>> c = copy;
    CHECK(c.forward(x) == second);
    // samples use different streams: rows of one mask differ
    const auto& m = a.cache().mask();
    bool rows_differ = false;
    for (std::size_t j = 0; j < 50; ++j) rows_differ |= m[j] != m[50 + j];
    CHECK(rows_differ);
    // reseed restarts the sequence
    a.reseed(99);
    const Tensor<double> r1 = a.forward(x);
    a.reseed(99);
    CHECK(a.forward(x) == r1);
}

TEST_CASE("Dropout: the mask does not depend on the thread count") {
    const Tensor<float> x = random_tensor({7, 3, 11, 11}, 8).cast<float>();
    const auto masks = [&](std::size_t threads) {
        set_num_threads(threads);
        Generator gen(9);
        Standalone<Dropout<float>> d({.p = 0.2}, gen);
        d.forward(x);
        Tensor<float> m1 = d.cache().mask();
        d.forward(x);
        Tensor<float> m2 = d.cache().mask();
        set_num_threads(1);
        return std::pair{m1, m2};
    };
    const auto one = masks(1), two = masks(2);
    CHECK(one.first == two.first);
    CHECK(one.second == two.second);
    CHECK(one.first != one.second);
}

TEST_CASE("Dropout: the fast mask kernel equals the plain reference bit for bit") {
    // odd per-sample sizes (a vector's tail), sizes crossing the 256-element blocks, one element per sample, p = 0
    // (keep all)
    const Shape shapes[] = {{5, 3, 7, 7}, {4, 601}, {2, 512}, {9}, {3, 1, 1}};
    for (double p : {0.0, 0.05, 0.5, 0.9}) {
        for (const Shape& shape : shapes) {
            INFO("p = ", p, ", shape ", to_string(shape));
            Standalone<Dropout<float>> d({.p = p});
            d.reseed(42);
            Generator base(42);
            Tensor<float> ref(shape);
            const Tensor<float> x = random_tensor(shape, 10).cast<float>();
            for (int step = 0; step < 2; ++step) {  // the layer advances its generator by one draw per mask
                d.forward(x);
                reference::dropout_mask(ref, p, base);
                CHECK(d.cache().mask() == ref);
                Tensor<float> fast(shape);
                set_num_threads(2);
                dropout_mask(fast, p, base);
                set_num_threads(1);
                CHECK(fast == ref);
                base.next_u64();
            }
        }
    }
}

TEST_CASE("Dropout: keep threshold and its resolution") {
    CHECK(detail::dropout_threshold(0.0) == (1ull << 32));
    CHECK(detail::dropout_threshold(0.5) == (1ull << 31));
    CHECK(detail::dropout_threshold(0.75) == (1ull << 30));
    // 1 − 0.1 is not a multiple of 2^-32: the keep probability is the nearest one
    const double keep = static_cast<double>(detail::dropout_threshold(0.1)) / 4294967296.0;
    CHECK(keep != 0.9);
    CHECK(std::abs(keep - 0.9) <= 0x1.0p-33);
}

TEST_CASE("Dropout: gradcheck with a frozen mask (and without it the check fails)") {
    const auto x = random_tensor({4, 10}, 11);
    Standalone<Dropout<double>> d({.p = 0.3});
    d.freeze_mask();
    CHECK(d.mask_frozen());
    d.forward(x);
    const Tensor<double> mask = d.cache().mask();
    const auto r = gradcheck(d, x);
    INFO(r.report);
    CHECK(r.ok);
    CHECK(d.cache().mask() == mask);        // gradcheck ran the layer on a cache of its own: d's mask is untouched
    d.forward(random_tensor({2, 10}, 12));  // another shape: a new mask, kept from now on
    CHECK(d.cache().mask().shape() == Shape{2, 10});

    Standalone<Dropout<double>> fresh({.p = 0.3});  // a new mask on every forward: f is not a function of x alone
    const auto bad = gradcheck(fresh, x);
    CHECK_FALSE(bad.ok);
}

TEST_CASE("Dropout: p outside 0 ≤ p < 1, describe(), backward errors") {
    CHECK(Dropout<float>({.p = 0.05}).describe() == "Dropout(p=0.05)");
    CHECK(Dropout<float>().describe() == "Dropout(p=0.5)");
    CHECK_THROWS_WITH_AS(Dropout<float>({.p = 1.0}),
                         "Dropout: p must be in [0, 1), got 1 (p = 1 zeroes every element and the 1/(1 - p) scaling "
                         "divides by zero)",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(Dropout<float>({.p = -0.1}), "Dropout: p must be in [0, 1), got -0.1", std::invalid_argument);
    CHECK_THROWS_WITH_AS(Dropout<float>({.p = std::numeric_limits<double>::quiet_NaN()}),
                         "Dropout: p must be in [0, 1), got nan", std::invalid_argument);
    Tensor<float> m({2, 2});
    CHECK_THROWS_WITH_AS(dropout_mask(m, 1.5, Generator(1)), "dropout_mask: p must be in [0, 1), got 1.5",
                         std::invalid_argument);
    Standalone<Dropout<float>> d;
    CHECK_THROWS_WITH_AS(d.backward(Tensor<float>({2})),
                         doctest::Contains("Dropout(p=0.5): backward called without a forward before it"),
                         std::logic_error);
    d.forward(Tensor<float>({2, 3}));
    CHECK_THROWS_WITH_AS(d.backward(Tensor<float>({3, 2})),
                         "Dropout(p=0.5): expected gradient of the output's shape [2, 3], got [3, 2]",
                         std::invalid_argument);
    static_assert(Layer<Dropout<float>>);
}

TEST_CASE("Dropout kernel, every ISA: bit for bit the scalar ISA and (x·keep)·scale, within ½ ulp of double") {
    // Every length 0 … 70 (whole vectors and every tail on each ISA) from unaligned pointers, and the MNIST net's
    // [4, 32, 24, 24] (batch 4); inputs include ±0, ±∞ and NaN.
    Generator gen(13);
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<std::size_t> sizes;
    for (std::size_t n = 0; n <= 70; ++n) sizes.push_back(n);
    sizes.push_back(4 * 32 * 24 * 24);
    for (double p : {0.05, 0.5}) {
        const float scale = static_cast<float>(1.0 / (1.0 - p));
        for (std::size_t n : sizes) {
            CAPTURE(p);
            CAPTURE(n);
            std::vector<float> in(n + 1);
            std::vector<std::uint8_t> keep(n + 3);
            for (std::size_t i = 0; i < in.size(); ++i) {
                const std::uint64_t pick = gen.below(20);
                in[i] = pick == 0   ? -0.f
                        : pick == 1 ? inf
                        : pick == 2 ? -inf
                        : pick == 3 ? nan
                                    : static_cast<float>(gen.normal());
            }
            for (auto& k : keep) k = gen.uniform01() < p ? 0 : 1;
            const float* x = in.data() + 1;  // unaligned, as a sample's block inside a tensor is
            const std::uint8_t* m = keep.data() + 3;
            std::vector<float> scalar(n, -7.f);
            kernels::dropout_for(Isa::scalar).apply(x, m, scale, scalar.data(), n);
            std::size_t bad = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const float definition = x[i] * static_cast<float>(m[i]) * scale;  // the layer's formula
                bad += !same_bits(scalar[i], definition);
                // x·1 is exact, so a kept finite value is x·scale rounded once: within ½ ulp, 2^-24 relative.
                const double ref = static_cast<double>(x[i]) * m[i] * static_cast<double>(scale);
                if (std::isfinite(ref)) bad += !(std::abs(scalar[i] - ref) <= 0x1.0p-24 * std::abs(ref));
                else bad += !(std::isnan(ref) ? std::isnan(scalar[i]) : scalar[i] == ref);
            }
            CHECK(bad == 0);
            for (Isa isa : supported_isas()) {
                CAPTURE(isa_name(isa));
                std::vector<float> got(n, -7.f);
                kernels::dropout_for(isa).apply(x, m, scale, got.data(), n);
                CHECK(first_bit_difference(got, scalar) == -1);
            }
        }
    }
}

TEST_CASE("Dropout mask kernel, every ISA: keep = bits(key, i) < threshold, then apply, bit for bit the definition") {
    // Lengths 0 … 70, 256 (the kernel's block) and 600 (blocks and a tail), thresholds at their extremes and one near
    // the net's p = 0.05, keys with either half zero, with and without the input (mask only: in and out null).
    Generator gen(14);
    const float scale = static_cast<float>(1.0 / 0.95);
    std::vector<std::size_t> sizes;
    for (std::size_t n = 0; n <= 70; ++n) sizes.push_back(n);
    sizes.push_back(256);
    sizes.push_back(600);
    const std::uint64_t keys[] = {0, 0xFFFFFFFFull, 0xFFFFFFFF00000000ull, gen.next_u64()};
    for (std::uint32_t threshold : {0u, 1u, 0x80000000u, 0xF3333333u, 0xFFFFFFFFu}) {
        for (std::uint64_t key : keys) {
            for (std::size_t n : sizes) {
                CAPTURE(threshold);
                CAPTURE(key);
                CAPTURE(n);
                std::vector<float> in(n + 1);
                for (auto& v : in) v = static_cast<float>(gen.normal());
                const float* x = in.data() + 1;  // unaligned
                std::vector<std::uint8_t> want_keep(n);
                std::vector<float> want_out(n);
                for (std::size_t i = 0; i < n; ++i) {
                    want_keep[i] = kernels::dropout_bits(key, i) < threshold ? 1 : 0;
                    want_out[i] = x[i] * static_cast<float>(want_keep[i]) * scale;
                }
                for (Isa isa : supported_isas()) {
                    CAPTURE(isa_name(isa));
                    const auto& k = kernels::dropout_for(isa);
                    std::vector<std::uint8_t> keep(n + 2, 7), mask_only(n + 1, 7);
                    std::vector<float> out(n + 1, -7.f);
                    k.draw_and_apply(key, threshold, keep.data() + 1, x, scale, out.data(), n);
                    k.draw_and_apply(key, threshold, mask_only.data() + 1, nullptr, scale, nullptr, n);
                    std::size_t bad = 0;
                    for (std::size_t i = 0; i < n; ++i) {
                        bad += keep[i + 1] != want_keep[i] || mask_only[i + 1] != want_keep[i];
                        bad += !same_bits(out[i], want_out[i]);
                    }
                    CHECK(bad == 0);
                    CHECK(keep[0] == 7);      // nothing written before the start
                    CHECK(keep[n + 1] == 7);  // … or after the end
                    CHECK(out[n] == -7.f);
                }
            }
        }
    }
}

TEST_CASE("Dropout bits: mix32 is lowbias32, and the counter's high half reaches the bits") {
    // lowbias32's published form, step by step, on a few inputs (a different constant or shift changes these).
    for (std::uint32_t x : {0u, 1u, 0x12345678u, 0xFFFFFFFFu}) {
        std::uint32_t h = x;
        h ^= h >> 16;
        h *= 0x7feb352dU;
        h ^= h >> 15;
        h *= 0x846ca68bU;
        h ^= h >> 16;
        CHECK(kernels::mix32(x) == h);
    }
    CHECK(kernels::mix32(0) == 0);  // its one fixed point: which is why the key is mixed in before and after
    // Element i and element i + 2^32 of one sample (a sample that large exists only on paper, but must not repeat).
    std::size_t same = 0;
    for (std::uint64_t i = 0; i < 1000; ++i)
        same += kernels::dropout_bits(7, i) == kernels::dropout_bits(7, i + (1ull << 32));
    CHECK(same <= 2);
}
