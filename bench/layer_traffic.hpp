// The memory-bound layers' yardstick, shared by bench_layers.cpp and bench_train_step.cpp: the bytes a pass must
// read and write by its math, each tensor counted once at float width (4 bytes an element), E = the elements of x:
//
//   ReLU       forward  x, y                  2E      backward  y (the cached sign), dy, dx      3E
//   Dropout    forward  x, y, mask            3E      backward  mask, dy, dx                     3E
//   BatchNorm  forward  x, y, x̂ (the cache)   3E      backward  x̂, dy, dx                        3E
//              eval     x, y                  2E
//   MaxPool2d  forward  x, y, argmax          E + E/4 + E/4        backward  argmax, dy, dx    E/4 + E/4 + E
//   AvgPool2d  forward  x, y                  E + E/k²              backward  dy, dx            E/k² + E
//
// What the implementation really moves may be more (BatchNorm reads x twice, once for the statistics and once to
// normalise; MaxPool stores its argmax as 8-byte indices), so a faster implementation shows up as a higher figure on
// the same yardstick; "%bw" divides it by bandwidth.hpp's copy figure measured in the same run.
// Not built on its own (bench/CMakeLists.txt globs bench_*.cpp only).
#pragma once

namespace layer_traffic {

/// The yardstick, in units of E·sizeof(float), of the forward, the backward and the eval-mode forward.
struct Traffic {
    double forward, backward, eval;
    double training() const { return forward + backward; }
};
inline constexpr Traffic kReLU{2, 3, 2}, kDropout{3, 3, 2}, kBatchNorm{3, 3, 2}, kMaxPool{1.5, 1.5, 1.25};
/// AvgPool2d with a k×k window (the output is E/k² elements).
constexpr Traffic avg_pool(double k) {
    return {1 + 1 / (k * k), 1 / (k * k) + 1, 1 + 1 / (k * k)};
}

}  // namespace layer_traffic
