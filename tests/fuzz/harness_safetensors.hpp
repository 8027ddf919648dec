// tests/fuzz/harness_safetensors.hpp — the "safetensors" fuzz target's harness (see harness.hpp for what a harness
// checks): the input is a checkpoint, loaded into a small fixed model in float and in double.
#pragma once

#include "harness.hpp"

#include <minitorch/io/safetensors.hpp>
#include <minitorch/layers/activation.hpp>
#include <minitorch/layers/batchnorm.hpp>
#include <minitorch/layers/linear.hpp>
#include <minitorch/random.hpp>
#include <minitorch/sequential.hpp>

#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace minitorch::fuzz {

namespace detail {

/// The fixed model the checkpoint fuzzer loads into: Linear(4→3), BatchNorm1d(3) (with the I64 step counter),
/// ReLU, Linear(3→2) — 9 named tensors, two dtypes, a rank-0 tensor.
template <class T>
Sequential<T> small_model() {
    Generator gen(7);
    return Sequential<T>(Linear<T>({.in = 4, .out = 3}, gen), BatchNorm1d<T>({.features = 3}), ReLU<T>(),
                         Linear<T>({.in = 3, .out = 2}, gen));
}

template <class T>
std::vector<std::vector<T>> snapshot(Sequential<T>& model) {
    std::vector<std::vector<T>> values;
    for (const auto& p : model.parameters()) values.emplace_back(p.value->begin(), p.value->end());
    return values;
}

template <class T>
void load_checked(Sequential<T>& model, const std::filesystem::path& path) {
    const auto before = snapshot(model);
    try {
        load_safetensors(path, model.parameters());
    } catch (const SafetensorsError& e) {
        check_message(e.what(), path);
        const auto after = snapshot(model);
        for (std::size_t i = 0; i < before.size(); ++i)
            if (before[i].size() != after[i].size() ||
                std::memcmp(before[i].data(), after[i].data(), before[i].size() * sizeof(T)) != 0)
                throw Violation("a refused checkpoint modified the model: " + std::string(e.what()));
        return;
    }
    // Accepted: the format is valid, so reading its metadata must succeed too.
    (void)read_safetensors_metadata(path);
}

}  // namespace detail

/// Target "safetensors": the input is a checkpoint, loaded into the float model and into its double twin.
inline void safetensors(std::span<const std::uint8_t> input) {
    static detail::InputFile file("safetensors");
    static Sequential<float> model_f = detail::small_model<float>();
    static Sequential<double> model_d = detail::small_model<double>();
    const auto& path = file.write(input);
    detail::load_checked(model_f, path);
    detail::load_checked(model_d, path);
}

}  // namespace minitorch::fuzz
