// The MNIST example's checkpoints: the network's weights as safetensors (minitorch/io/safetensors.hpp). In a file of
// its own (checkpoint.cpp) because nlohmann-json, which the format's header needs, is the second-heaviest header of
// the example after CLI11: mnist.cpp compiles without it.
#pragma once

#include <minitorch/sequential.hpp>

#include <cstddef>
#include <string>

namespace mnist_example {

/// Refuses a --save location that cannot be written before any data is loaded or any epoch trained, instead of
/// after the first epoch: creates and removes a trial file under the name save_safetensors gives its temporary file
/// ("<path>.tmp-<pid>"), so the message is the one a failed save gives
/// (`<path>: cannot save: cannot create <path>.tmp-<pid>: <reason>`). Throws minitorch::SafetensorsError.
void check_can_save(const std::string& path);

/// Writes net's parameters to path (atomically: save_safetensors), with the epoch, the test accuracy and the
/// architecture in the file's metadata.
void save_checkpoint(const std::string& path, minitorch::Sequential<float>& net, std::size_t epoch,
                     double test_accuracy);

/// Loads path's tensors into net's parameters (every name and shape must match: load_safetensors).
void load_checkpoint(const std::string& path, minitorch::Sequential<float>& net);

}  // namespace mnist_example
