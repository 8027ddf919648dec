// minitorch/fixed_math.hpp — exp, log, sin, cos (and an integer power) that give the same bits on every CPU.
//
// Why: the project promises that training gives the same bits on every machine (x86-64 with or without AVX2 and
// AVX-512, AArch64). The C library cannot keep that promise for transcendental functions: std::exp/log/sin/cos are
// not required to be correctly rounded, differ between libraries (glibc, musl, Apple's, MSVC's) and even between
// x86 CPUs with the same glibc, which picks an FMA variant of exp/log/sin/cos at run time (ifunc) when the CPU has
// FMA. Eigen's array exp() is a third implementation, vectorised differently for SSE, AVX and NEON. So every
// transcendental whose result reaches the training numbers (LogSoftmax, CrossEntropyLoss, Sigmoid, the schedulers,
// Generator::normal, the MNIST rotation) calls the functions below instead.
//
// The guarantee: each function is a fixed sequence of IEEE-754 double operations — +, −, ×, ÷, comparisons,
// conversions between integer and floating types, and bit manipulation through std::bit_cast; no libm call, no
// table, no std::fma (which x86 without FMA hardware emulates in software, slowly) — and IEEE-754 defines each of
// those operations to the last bit. So the result is the same wherever the following hold, as they do for every
// build of this project on x86-64 and AArch64 with GCC or Clang:
//   * no contraction: a·b + c must stay a rounded product and a rounded sum. The CMake target minitorch sets
//     -ffp-contract=off (top-level CMakeLists.txt); a build that lets the compiler fuse multiply-adds (GCC's
//     default in GNU mode, Clang's within an expression) gets other bits on CPUs with FMA — still accurate, no
//     longer identical across machines. Include this header only through the target, or pass the flag yourself;
//   * no reassociation or other value-changing optimisation (-ffast-math is refused below);
//   * double arithmetic in double (FLT_EVAL_METHOD == 0: SSE2 or NEON, not the x87; checked below);
//   * the default floating-point environment: round to nearest even, subnormals not flushed to zero.
//
// Accuracy (tests/test_fixed_math.cpp measures it against long double references over dense sweeps):
//   exp, log (double):  below 1 ulp over the whole range (fdlibm's bound; measured ≤ 0.90 ulp), subnormal results of
//                       exp within 1 unit of the subnormal spacing — faithful, not always correctly rounded:
//                       exp(1) is the double above e (fdlibm gives the same);
//   sin, cos (double):  below 1 ulp for |x| < 2^20·π/2 ≈ 1.6·10^6 (measured ≤ 0.78 ulp, also at the doubles
//                       nearest to multiples of π/2); above that see detail::reduce_half_pi (deterministic, in
//                       [−1, 1], absolute error about ulp(x)/2);
//   exp, log (float):   computed in double and rounded to float once, so correctly rounded except when the true
//                       value lies within about 2^-29 float ulp of a midpoint between two floats (the test sweeps
//                       of 1.2 million floats find none; the test pins one such input); either way within 1 ulp;
//   pown(x, n):         x^n rounded about once (the compensated product below): correctly rounded in every tested
//                       case while the powers stay within [2^-900, 2^900].
// Special values follow C's <cmath>: exp(−∞) = 0, exp(+∞) = +∞, overflow → +∞, underflow → 0 or a subnormal;
// log(±0) = −∞, log(x < 0) = NaN, log(+∞) = +∞; sin, cos(±∞) = NaN; a NaN argument is returned unchanged.
//
// The methods are the classic table-free ones of fdlibm (Sun Microsystems' freely distributable libm, 1993: "Developed
// at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and distribute this software is
// freely granted, provided that this notice is preserved."), whose minimax coefficients are used unchanged (as
// bit-exact hexadecimal literals); each function below states its reduction, its range and why the degree suffices.
// The error bounds of the polynomials were re-measured with mpmath. Tests: tests/test_fixed_math.cpp, which also
// pins the exact bits of a few results (an AArch64 build must reproduce them).
#pragma once

#include <bit>
#include <cfloat>
#include <cstdint>
#include <limits>

#if defined(__FAST_MATH__)
#error "minitorch/fixed_math.hpp: -ffast-math lets the compiler change floating-point results (no same-bits guarantee)"
#endif
static_assert(FLT_EVAL_METHOD == 0, "minitorch/fixed_math.hpp needs double arithmetic evaluated in double (no x87)");
static_assert(std::numeric_limits<double>::is_iec559 && std::numeric_limits<float>::is_iec559,
              "minitorch/fixed_math.hpp needs IEEE-754 float and double");

namespace minitorch::fixed {

namespace detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

/// |x|, by clearing the sign bit.
inline double magnitude(double x) noexcept {
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) & 0x7fffffffffffffffull);
}

/// 2^k for −1022 ≤ k ≤ 1023, built from its bits.
inline double power_of_two(int k) noexcept {
    return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
}

/// The biased exponent field of x (0–2047).
inline int exponent_field(double x) noexcept {
    return static_cast<int>((std::bit_cast<std::uint64_t>(x) >> 52) & 0x7ff);
}

// ln 2 in two parts: kLn2Hi has only 32 significant bits, so k·kLn2Hi is exact for |k| < 2^21.
inline constexpr double kLn2Hi = 0x1.62e42fee00000p-1;  // 6.93147180369123816490e-01
inline constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;  // 1.90821492927058770002e-10, kLn2Hi + kLn2Lo = ln 2 − 1.2e-26
inline constexpr double kInvLn2 = 0x1.71547652b82fep+0;  // 1/ln 2

// exp: the largest x with exp(x) finite (ln of the largest double, rounded down) and the smallest x whose exp still
// rounds to a nonzero subnormal (ln 2^-1075 = ln of half the smallest subnormal).
inline constexpr double kExpOverflow = 0x1.62e42fefa39efp+9;    //  709.782712893383973096
inline constexpr double kExpUnderflow = -0x1.74910d52d3051p+9;  // −745.133219101941108420

// exp: R(t) ≈ 2 + P1·t + P2·t² + … + P5·t⁵ with t = r², minimax on |r| ≤ ln2/2 (fdlibm's e_exp.c).
inline constexpr double kExpP1 = 0x1.555555555553ep-3;    //  1.66666666666666019037e-01
inline constexpr double kExpP2 = -0x1.6c16c16bebd93p-9;   // −2.77777777770155933842e-03
inline constexpr double kExpP3 = 0x1.1566aaf25de2cp-14;   //  6.61375632143793436117e-05
inline constexpr double kExpP4 = -0x1.bbd41c5d26bf1p-20;  // −1.65339022054652515390e-06
inline constexpr double kExpP5 = 0x1.6376972bea4d0p-25;   //  4.13813679705723846039e-08

// log: R(z) ≈ Lg1·z + … + Lg7·z⁷ with z = s², minimax on |s| ≤ (√2 − 1)/(√2 + 1) ≈ 0.1716 (fdlibm's e_log.c).
inline constexpr double kLg1 = 0x1.5555555555593p-1;  // 6.666666666666735130e-01
inline constexpr double kLg2 = 0x1.999999997fa04p-2;  // 3.999999999940941908e-01
inline constexpr double kLg3 = 0x1.2492494229359p-2;  // 2.857142874366239149e-01
inline constexpr double kLg4 = 0x1.c71c51d8e78afp-3;  // 2.222219843214978396e-01
inline constexpr double kLg5 = 0x1.7466496cb03dep-3;  // 1.818357216161805012e-01
inline constexpr double kLg6 = 0x1.39a09d078c69fp-3;  // 1.531383769920937332e-01
inline constexpr double kLg7 = 0x1.2f112df3e5244p-3;  // 1.479819860511658591e-01

// sin on |x| ≤ π/4: sin x ≈ x + S1·x³ + … + S6·x¹³ (fdlibm's k_sin.c).
inline constexpr double kS1 = -0x1.5555555555549p-3;   // −1.66666666666666324348e-01
inline constexpr double kS2 = 0x1.111111110f8a6p-7;    //  8.33333333332248946124e-03
inline constexpr double kS3 = -0x1.a01a019c161d5p-13;  // −1.98412698298579493134e-04
inline constexpr double kS4 = 0x1.71de357b1fe7dp-19;   //  2.75573137070700676789e-06
inline constexpr double kS5 = -0x1.ae5e68a2b9cebp-26;  // −2.50507602534068634195e-08
inline constexpr double kS6 = 0x1.5d93a5acfd57cp-33;   //  1.58969099521155010221e-10

// cos on |x| ≤ π/4: cos x ≈ 1 − x²/2 + C1·x⁴ + … + C6·x¹⁴ (fdlibm's k_cos.c).
inline constexpr double kC1 = 0x1.555555555554cp-5;    //  4.16666666666666019037e-02
inline constexpr double kC2 = -0x1.6c16c16c15177p-10;  // −1.38888888888741095749e-03
inline constexpr double kC3 = 0x1.a01a019cb1590p-16;   //  2.48015872894767294178e-05
inline constexpr double kC4 = -0x1.27e4f809c52adp-22;  // −2.75573143513906633035e-07
inline constexpr double kC5 = 0x1.1ee9ebdb4b1c4p-29;   //  2.08757232129817482790e-09
inline constexpr double kC6 = -0x1.8fae9be8838d4p-37;  // −1.13596475577881948265e-11

// π/2 in three parts of 33 significant bits each (so n·part is exact for |n| < 2^20), and each part's tail:
// kPio2_1 + kPio2_2 + kPio2_3 + kPio2_3t = π/2 − 7·10^-49 (fdlibm's e_rem_pio2.c).
inline constexpr double kPio2_1 = 0x1.921fb54400000p+0;     // 1.57079632673412561417e+00
inline constexpr double kPio2_1t = 0x1.0b4611a626331p-34;   // 6.07710050650619224932e-11 = π/2 − kPio2_1
inline constexpr double kPio2_2 = 0x1.0b4611a600000p-34;    // 6.07710050630396597660e-11
inline constexpr double kPio2_2t = 0x1.3198a2e037073p-69;   // 2.02226624879595063154e-21
inline constexpr double kPio2_3 = 0x1.3198a2e000000p-69;    // 2.02226624871116645580e-21
inline constexpr double kPio2_3t = 0x1.b839a252049c1p-104;  // 8.47842766036889956997e-32
inline constexpr double kTwoOverPi = 0x1.45f306dc9c883p-1;  // 2/π
inline constexpr double kPiOver4 = 0x1.921fb54442d18p-1;    // π/4
inline constexpr double kCodyWaiteLimit = 0x1.921fb6p+20;   // ≈ 2^20·π/2: the three-part reduction is exact below

/// y·2^k for y ∈ [½, 2) and −1075 ≤ k ≤ 1024, with a single rounding (in the last multiplication) when the result
/// is subnormal: 2^k itself is not representable at the ends of that range, so it is applied in two steps there.
inline double scale_by_power_of_two(double y, int k) noexcept {
    if (k > 1023) return y * 2.0 * power_of_two(1023);  // k = 1024: y < 1 there, the result finite
    if (k >= -1022) return y * power_of_two(k);         // normal 2^k (a subnormal result rounds once)
    return y * power_of_two(k + 1000) * 0x1p-1000;      // exact, then one rounding into the subnormals
}

/// The nearest integer to v, ties to even. Below 2^52, adding ±2^52 leaves no fraction bits, so the addition itself
/// rounds v to an integer and subtracting 2^52 again is exact; from 2^52 up every double is an integer.
inline double round_to_integer(double v) noexcept {
    if (!(magnitude(v) < 0x1p52)) return v;
    const double shifter = v < 0 ? -0x1p52 : 0x1p52;
    return (v + shifter) - shifter;
}

/// n mod 4 for an integer-valued double n (two's complement, so −1 → 3); 0 above 2^62, where n is a multiple of 4.
inline unsigned low_two_bits(double n) noexcept {
    if (!(magnitude(n) < 0x1p62)) return 0;
    return static_cast<unsigned>(static_cast<std::int64_t>(n) & 3);
}

/// sin(x + y) for |x| ≤ π/4 (slightly more after a reduction) and a tail |y| ≤ ulp(x): the odd polynomial
/// sin x ≈ x + x³·(S1 + x²·(S2 + … + x⁸·S6)), minimax with |sin x / x − poly / x| ≈ 2^-58 on [−π/4, π/4], plus the
/// tail's first-order effect cos(x)·y ≈ y·(1 − x²/2). The leading x is added last, so the error stays below 1 ulp.
inline double sin_kernel(double x, double y) noexcept {
    const double z = x * x, v = z * x;
    const double r = kS2 + z * (kS3 + z * (kS4 + z * (kS5 + z * kS6)));
    return x - ((z * (0.5 * y - v * r) - y) - v * kS1);
}

/// cos(x + y) for |x| ≤ π/4 and a tail |y| ≤ ulp(x): cos x ≈ 1 − x²/2 + x⁴·(C1 + x²·(C2 + … + x¹⁰·C6)), minimax
/// with error < 2^-59 on [−π/4, π/4], minus the tail's effect sin(x)·y ≈ x·y. 1 − x²/2 is formed as a + (the
/// rounding error of a), both exact (x²/2 ≤ 0.31, so 1 − a is exact by Sterbenz's lemma).
inline double cos_kernel(double x, double y) noexcept {
    const double z = x * x;
    const double r = z * (kC1 + z * (kC2 + z * (kC3 + z * (kC4 + z * (kC5 + z * kC6)))));
    const double hz = 0.5 * z;
    const double a = 1.0 - hz;
    return a + (((1.0 - a) - hz) + (z * r - x * y));
}

/// x = quadrant·π/2 + (hi + lo) (mod 2π), |hi| ≲ π/4, |lo| ≤ ulp(hi)/2.
struct ReducedAngle {
    double hi, lo;
    unsigned quadrant;  // 0–3
};

/// Cody–Waite reduction by π/2 (fdlibm's __ieee754_rem_pio2, medium case), for finite x.
///
/// n = nearest integer to x·2/π, then x − n·π/2 with π/2 in 33-bit parts: n·kPio2_1 is exact for |n| < 2^20 and
/// x − n·kPio2_1 is exact (the two are within a factor 2), so the first subtraction loses nothing; its rounding
/// error is in n·kPio2_1t only: the remainder is good to about 85 bits relative to x. When x is close to a multiple
/// of π/2 the remainder cancels leading bits, so when more than 16 were lost a second round with the next part
/// (good to 118 bits) follows and, past 49 lost bits, a third (151 bits), which fdlibm's analysis of the worst
/// cases shows covers every double below 2^20·π/2. So the remainder is accurate to well under an ulp of itself for
/// |x| < kCodyWaiteLimit ≈ 1.6·10^6 (the test checks the doubles nearest to k·π/2).
///
/// Above that, n·kPio2_1 is no longer exact. There the same subtraction is first repeated with rounded products,
/// each pass shrinking |x| by about 2^-51 (to about an ulp of the previous x), until it is below the limit: the
/// result is deterministic and the sine and cosine stay within [−1, 1], but the remainder carries an absolute error
/// of about ulp(x)/2 (measured: 2·10^-9 at 10^7, 0.03 at 10^14), and above 2^52, where doubles are further apart
/// than π, none of it is meaningful. A true reduction would need 2/π to |x|'s exponent plus ~120 bits
/// (Payne–Hanek); the training path never asks for one (its angles lie within ±2π). Rounding to nearest is assumed
/// (fdlibm's correction for directed rounding is left out).
inline ReducedAngle reduce_half_pi(double x) noexcept {
    unsigned quadrant = 0;
    while (!(magnitude(x) < kCodyWaiteLimit)) {  // huge |x| only: not accurate, see above
        const double n = round_to_integer(x * kTwoOverPi);
        quadrant += low_two_bits(n);
        x = ((x - n * kPio2_1) - n * kPio2_2) - n * kPio2_3;
    }
    const double n = round_to_integer(x * kTwoOverPi);
    double r = x - n * kPio2_1;  // exact
    double w = n * kPio2_1t;
    double hi = r - w;
    const int ex = exponent_field(x);
    if (ex - exponent_field(hi) > 16) {  // more than 16 bits cancelled: the second part
        double t = r;
        w = n * kPio2_2;
        r = t - w;
        w = n * kPio2_2t - ((t - r) - w);
        hi = r - w;
        if (ex - exponent_field(hi) > 49) {  // more than 49: the third
            t = r;
            w = n * kPio2_3;
            r = t - w;
            w = n * kPio2_3t - ((t - r) - w);
            hi = r - w;
        }
    }
    const double lo = (r - hi) - w;
    return {hi, lo, (quadrant + low_two_bits(n)) & 3};
}

/// The rounding error of the product a·b = p (p + error = a·b exactly), with plain operations (Dekker's TwoProduct
/// with Veltkamp's split into 26- and 27-bit halves, whose partial products are exact). Needs |a|, |b| < 2^995 and
/// no underflow in the partial products.
inline double product_error(double a, double b, double p) noexcept {
    constexpr double split = 0x1p27 + 1;
    const double ca = split * a, a_hi = ca - (ca - a), a_lo = a - a_hi;
    const double cb = split * b, b_hi = cb - (cb - b), b_lo = b - b_hi;
    return ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo;
}

}  // namespace detail

/// e^x. NaN → NaN, x > 709.78 → +∞, x < −745.13 → 0.
///
/// Reduction: x = k·ln2 + r with k = the nearest integer to x/ln2, so |r| ≤ ln2/2 ≈ 0.347 and e^x = 2^k·e^r. r is
/// formed as hi − lo with hi = x − k·ln2_hi (exact: k·ln2_hi is exact for |k| ≤ 1075, and for k ≠ 0 x is within a
/// factor 2 of it) and lo = k·ln2_lo, so r is good to ~2^-85 relative even though k·ln2 is not a double.
///
/// Kernel (fdlibm): the function R(r) = r·(e^r + 1)/(e^r − 1) = 2 + r²/6 − r⁴/360 + … is even and smooth, and
/// with t = r², 2 + P1·t + … + P5·t⁵ approximates it with |error| < 2^-58.8 on |r| ≤ ln2/2 (minimax; a Taylor
/// series of e^r would need degree 13 for the same). Solving R's definition for e^r gives e^r = (R + r)/(R − r)
/// = 1 + 2r/(R − r), and with c = r − t·(P1 + … + P5·t⁴) = r − (R − 2) that is e^r = 1 + 2r/(2 − c)
/// = 1 + r + r·c/(2 − c), evaluated as 1 − ((lo − r·c/(2 − c)) − hi) so that the small terms are summed before the
/// 1. Error below 1 ulp (fdlibm's bound; measured ≤ 0.90 ulp). Finally ×2^k, rounding only once even for a
/// subnormal result (detail::scale_by_power_of_two).
inline double exp(double x) noexcept {
    using namespace detail;
    if (x != x) return x;
    if (x > kExpOverflow) return kInf;  // also +∞
    if (x < kExpUnderflow) return 0.0;  // also −∞

    const int k = static_cast<int>(x * kInvLn2 + (x < 0 ? -0.5 : 0.5));  // round half away from zero
    const double dk = k;
    const double hi = x - dk * kLn2Hi;
    const double lo = dk * kLn2Lo;
    const double r = hi - lo;
    const double t = r * r;
    const double c = r - t * (kExpP1 + t * (kExpP2 + t * (kExpP3 + t * (kExpP4 + t * kExpP5))));
    const double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    return scale_by_power_of_two(y, k);
}

/// ln x. NaN → NaN, ±0 → −∞, x < 0 → NaN, +∞ → +∞; subnormal x handled (scaled by 2^54 first).
///
/// Reduction: x = 2^k·m with m ∈ [√½, √2) (the exponent and mantissa bits, with mantissas above √2 counted in the
/// next binade), so ln x = k·ln2 + ln m and f = m − 1 ∈ [−0.293, 0.414] is exact.
///
/// Kernel (fdlibm): s = f/(2 + f) = (m − 1)/(m + 1), |s| ≤ (√2 − 1)/(√2 + 1) ≈ 0.1716, and
///     ln m = ln((1 + s)/(1 − s)) = 2·atanh s = 2s + (2/3)s³ + (2/5)s⁵ + … = 2s + s·R(s²),
/// R(z) ≈ Lg1·z + … + Lg7·z⁷ minimax with |error| < 2^-58.4 on that range (the Taylor series truncated at the same
/// degree would be off by 2^-45 at the ends; degree 7 in z = s² is what the minimax fit needs). Since 2s = f − s·f,
/// ln m = f − hfsq + s·(hfsq + R) with hfsq = f²/2: the large part f − hfsq is nearly exact and the rest is small.
/// k·ln2 is added as k·ln2_hi (exact) last and k·ln2_lo with the small terms. Error below 1 ulp (fdlibm's bound;
/// measured ≤ 0.83 ulp).
inline double log(double x) noexcept {
    using namespace detail;
    if (x != x) return x;
    if (x == 0) return -kInf;                                    // ±0
    if (x < 0) return std::numeric_limits<double>::quiet_NaN();  // including −∞
    if (x == kInf) return x;

    int k = 0;
    if (x < 0x1p-1022) {  // subnormal: into the normal range, exactly
        x *= 0x1p54;
        k = -54;
    }
    // Adding (1.0's − √½'s high word) to the high word carries into the exponent exactly when the mantissa is
    // ≥ √½'s (to 20 bits), so the exponent field then holds k + 1023 for m ∈ [√½, √2); the mantissa bits are put
    // back below √½'s high word to rebuild m.
    const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
    constexpr std::uint32_t sqrt_half_high = 0x3fe6a09e;  // high 32 bits of √½ = 0x3fe6a09e667f3bcd
    std::uint32_t high = static_cast<std::uint32_t>(bits >> 32) + (0x3ff00000 - sqrt_half_high);
    k += static_cast<int>(high >> 20) - 1023;
    high = (high & 0x000fffff) + sqrt_half_high;
    const double m = std::bit_cast<double>((static_cast<std::uint64_t>(high) << 32) | (bits & 0xffffffff));

    const double f = m - 1.0;
    const double hfsq = 0.5 * f * f;
    const double s = f / (2.0 + f);
    const double z = s * s;
    const double R = z * (kLg1 + z * (kLg2 + z * (kLg3 + z * (kLg4 + z * (kLg5 + z * (kLg6 + z * kLg7))))));
    const double dk = k;
    return s * (hfsq + R) + dk * kLn2Lo - hfsq + f + dk * kLn2Hi;
}

/// sin x. NaN → NaN, ±∞ → NaN; sin(−x) = −sin(x) exactly. Below 1 ulp for |x| < 2^20·π/2 ≈ 1.6·10^6 (measured
/// ≤ 0.78 ulp); beyond that deterministic and in [−1, 1], but not accurate (detail::reduce_half_pi).
///
/// |x| ≤ π/4: the polynomial directly. Otherwise x = q·π/2 + r, |r| ≤ π/4 (reduce_half_pi), and by the quadrant q
/// sin x = sin r, cos r, −sin r, −cos r.
inline double sin(double x) noexcept {
    using namespace detail;
    if (magnitude(x) <= kPiOver4) return sin_kernel(x, 0.0);
    if (x != x) return x;
    if (magnitude(x) == kInf) return std::numeric_limits<double>::quiet_NaN();
    const ReducedAngle a = reduce_half_pi(x);
    switch (a.quadrant) {
        case 0:
            return sin_kernel(a.hi, a.lo);
        case 1:
            return cos_kernel(a.hi, a.lo);
        case 2:
            return -sin_kernel(a.hi, a.lo);
        default:
            return -cos_kernel(a.hi, a.lo);
    }
}

/// cos x. NaN → NaN, ±∞ → NaN; cos(−x) = cos(x) exactly. Accuracy and range as sin.
///
/// |x| ≤ π/4: the polynomial directly. Otherwise x = q·π/2 + r and cos x = cos r, −sin r, −cos r, sin r.
inline double cos(double x) noexcept {
    using namespace detail;
    if (magnitude(x) <= kPiOver4) return cos_kernel(x, 0.0);
    if (x != x) return x;
    if (magnitude(x) == kInf) return std::numeric_limits<double>::quiet_NaN();
    const ReducedAngle a = reduce_half_pi(x);
    switch (a.quadrant) {
        case 0:
            return cos_kernel(a.hi, a.lo);
        case 1:
            return -sin_kernel(a.hi, a.lo);
        case 2:
            return -cos_kernel(a.hi, a.lo);
        default:
            return sin_kernel(a.hi, a.lo);
    }
}

/// e^x for float: computed in double (below 1 ulp of double) and rounded to float once.
inline float exp(float x) noexcept {
    return static_cast<float>(exp(static_cast<double>(x)));
}

/// ln x for float: computed in double and rounded to float once (float subnormals are normal doubles).
inline float log(float x) noexcept {
    return static_cast<float>(log(static_cast<double>(x)));
}

/// x^n for an integer n ≥ 0 (x⁰ = 1): n multiplications, each one's rounding error kept (detail::product_error) and
/// carried along in a second double, e ← e·x + error, added at the end. The result is x^n rounded about once — as
/// if computed in twice the precision: correctly rounded in each of ~5000 cases checked with mpmath, where glibc's
/// pow (which Python's float ** int, and so PyTorch's StepLR, use) was off by one in the last bit in 6; plain
/// repeated multiplication would be off by up to (n − 1)/2 ulp. The errors are exact while the powers stay within
/// [2^-900, 2^900]; beyond that (on the way to overflow or underflow) plain products take over. O(n): meant for
/// small counts (schedules).
inline double pown(double x, std::uint64_t n) noexcept {
    using namespace detail;
    double p = 1.0, e = 0.0;  // x^i ≈ p + e
    for (std::uint64_t i = 0; i < n; ++i) {
        const double q = p * x;
        if (!(magnitude(q) <= 0x1p900 && magnitude(q) >= 0x1p-900)) {  // also 0, ±∞, NaN
            p = q;
            for (++i; i < n; ++i) p *= x;
            return p;
        }
        e = e * x + product_error(p, x, q);
        p = q;
    }
    return p + e;
}

}  // namespace minitorch::fixed
