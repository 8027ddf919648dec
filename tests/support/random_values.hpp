// Test support: pseudo-random floats and tensors from minitorch's Generator (the same values on every machine), for
// the kernel tests that compare every ISA with the scalar one and the layer tests that need inputs and gradients.
#pragma once

#include <minitorch/random.hpp>
#include <minitorch/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace test_support {

/// n standard-normal floats (Generator::normal, rounded to float).
inline std::vector<float> random_floats(std::size_t n, minitorch::Generator& gen) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(gen.normal());
    return v;
}

/// A tensor of `shape` filled by normal_(mean, stddev) from `gen`: for tests that draw several tensors from one stream.
template <class T = double>
minitorch::Tensor<T> random_tensor(const minitorch::Shape& shape, minitorch::Generator& gen, double mean = 0,
                                   double stddev = 1) {
    minitorch::Tensor<T> t(shape);
    minitorch::normal_(t, mean, stddev, gen);
    return t;
}

/// The same from a fresh Generator(seed): one tensor per seed.
template <class T = double>
minitorch::Tensor<T> random_tensor(const minitorch::Shape& shape, std::uint64_t seed, double mean = 0,
                                   double stddev = 1) {
    minitorch::Generator gen(seed);
    return random_tensor<T>(shape, gen, mean, stddev);
}

}  // namespace test_support
