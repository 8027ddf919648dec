// Test support: vectors of pseudo-random floats from minitorch's Generator (the same values on every machine), for the
// kernel tests that compare every ISA with the scalar one.
#pragma once

#include <minitorch/random.hpp>

#include <cstddef>
#include <vector>

namespace test_support {

/// n standard-normal floats (Generator::normal, rounded to float).
inline std::vector<float> random_floats(std::size_t n, minitorch::Generator& gen) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(gen.normal());
    return v;
}

}  // namespace test_support
