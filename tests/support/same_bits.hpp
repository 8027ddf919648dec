// Test support: bit-for-bit comparison of floats and doubles, for the tests that hold a kernel to the exact result
// of another (every ISA against the scalar one, a kernel against its definition), where == would take −0 for +0 and
// never match a NaN.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace test_support {

/// The bits of a float or a double, as the unsigned integer of its size.
template <class T>
auto bits_of(T x) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
    if constexpr (std::is_same_v<T, float>) {
        return std::bit_cast<std::uint32_t>(x);
    } else {
        return std::bit_cast<std::uint64_t>(x);
    }
}

/// True when a and b have the same bits (a NaN matches only a NaN of the same sign and payload).
template <class T>
bool same_bits(T a, T b) {
    return bits_of(a) == bits_of(b);
}

/// Index of the first element whose bits differ, or -1 when every bit is the same (0 when the sizes differ).
template <class T>
long first_bit_difference(const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size()) return 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same_bits(a[i], b[i])) return static_cast<long>(i);
    return -1;
}

}  // namespace test_support
