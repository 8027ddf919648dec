// minitorch/random.hpp — an explicit, seedable random generator and the fills built on it.
//
// Everything random in minitorch (initialisation, dropout masks, shuffles, augmentation) draws from a Generator the
// caller owns and seeds. The generator is xoshiro256** seeded through splitmix64, and the distributions are written
// here rather than taken from <random> (whose normal_distribution differs between standard libraries), so the same
// seed gives the same numbers on every run, compiler and machine. The normal draws' log and cos are minitorch::fixed's
// (fixed_math.hpp), not the C library's, which differ between systems in the last bits.
#pragma once

#include "minitorch/fixed_math.hpp"
#include "minitorch/tensor.hpp"

#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>

namespace minitorch {

/// splitmix64: a 64-bit mixing function; also used to derive independent streams from (seed, index) pairs.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

class Generator {
public:
    explicit Generator(std::uint64_t seed = 0) noexcept { this->seed(seed); }

    void seed(std::uint64_t seed) noexcept {
        std::uint64_t sm = seed;
        for (auto& s : s_) s = splitmix64(sm);
    }

    /// Next 64 random bits (xoshiro256**).
    std::uint64_t next_u64() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, 1) with 53 random bits.
    double uniform01() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
    /// Uniform in [lo, hi).
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform01(); }
    /// Standard normal, Box–Muller (both values of a pair are not cached: one draw = two uniforms, simple to follow).
    double normal(double mean = 0.0, double stddev = 1.0) noexcept {
        const double u1 = 1.0 - uniform01();  // (0, 1]: log is finite
        const double u2 = uniform01();
        return mean + stddev * std::sqrt(-2.0 * fixed::log(u1)) * fixed::cos(2.0 * std::numbers::pi * u2);
    }
    /// Uniform integer in [0, n), unbiased (Lemire's multiply-shift with rejection).
    std::uint64_t below(std::uint64_t n) {
        if (n == 0) throw std::invalid_argument("Generator::below: n must be positive");
        while (true) {
            const u128 m = static_cast<u128>(next_u64()) * n;
            const auto low = static_cast<std::uint64_t>(m);
            if (low >= n || low >= (-n) % n) return static_cast<std::uint64_t>(m >> 64);
        }
    }

    /// An independent generator for stream `index` of this generator's current state, without advancing it.
    /// Used where work is split across threads: stream i gives the same numbers whatever thread runs it.
    Generator stream(std::uint64_t index) const noexcept {
        std::uint64_t sm = s_[0] ^ rotl(s_[2], 17) ^ (index * 0xD1B54A32D192ED03ull);
        return Generator(splitmix64(sm));
    }

private:
    __extension__ using u128 = unsigned __int128;  // GCC/Clang extension; __extension__ keeps -Wpedantic quiet
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4]{};
};

/// x ← U[lo, hi) elementwise.
template <class T>
void uniform_(Tensor<T>& x, double lo, double hi, Generator& gen) {
    for (T& v : x) v = static_cast<T>(gen.uniform(lo, hi));
}

/// x ← N(mean, stddev²) elementwise.
template <class T>
void normal_(Tensor<T>& x, double mean, double stddev, Generator& gen) {
    for (T& v : x) v = static_cast<T>(gen.normal(mean, stddev));
}

/// x ← Bernoulli(p): 1 with probability p, else 0.
template <class T>
void bernoulli_(Tensor<T>& x, double p, Generator& gen) {
    if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("bernoulli_: p must be in [0, 1], got " + std::to_string(p));
    for (T& v : x) v = gen.uniform01() < p ? T(1) : T(0);
}

/// PyTorch's default weight init for Conv2d and Linear: kaiming_uniform_(a = √5), which works out to
/// U(−1/√fan_in, 1/√fan_in); biases use the same bound. fan_in = in_channels·kh·kw (conv) or in_features (linear).
template <class T>
void kaiming_uniform_default_(Tensor<T>& w, std::size_t fan_in, Generator& gen) {
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    uniform_(w, -bound, bound, gen);
}

}  // namespace minitorch

namespace minitorch {

/// The process-wide generator that layer constructors use when none is passed (like PyTorch's global RNG).
/// Seed it with manual_seed() before building a model for reproducible initial weights.
inline Generator& default_generator() {
    static Generator gen(0);
    return gen;
}
inline void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

}  // namespace minitorch
