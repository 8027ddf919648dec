// minitorch/compiled.hpp — the templates the compiled part holds, named once: for float and double, every layer, the
// losses, SGD, Tensor, Sequential and Sequential's holder of each layer. Included by the umbrella header
// (minitorch/minitorch.hpp), which is where a program gets the savings.
//
// Header-only use (CMake target minitorch::minitorch): this header declares nothing; every translation unit
// instantiates what it uses, as any template library.
// Compiled use (minitorch::compiled, which defines MINITORCH_COMPILED_LIB): each entry is declared `extern template`,
// so a program does not instantiate (or optimise, or emit) them again; the library's src/instantiations_<T>.cpp hold
// their one explicit instantiation each, and src/kernels/ the per-ISA kernel bodies (kernels/simd/select.hpp). The
// code is the same either way — the same headers, compiled once instead of in every file — and so are the numbers.
//
// A template the list does not name (a layer of your own, a Sequential of it) is instantiated where it is used, in
// both modes. Measured cost of each mode: docs/benchmarks.md ("Compile time").
#pragma once

#include "minitorch/layers/activation.hpp"
#include "minitorch/layers/avgpool.hpp"
#include "minitorch/layers/batchnorm.hpp"
#include "minitorch/layers/conv2d.hpp"
#include "minitorch/layers/dropout.hpp"
#include "minitorch/layers/flatten.hpp"
#include "minitorch/layers/linear.hpp"
#include "minitorch/layers/log_softmax.hpp"
#include "minitorch/layers/maxpool.hpp"
#include "minitorch/loss.hpp"
#include "minitorch/optim/sgd.hpp"
#include "minitorch/sequential.hpp"
#include "minitorch/tensor.hpp"

/// X(what) once per explicit instantiation for the scalar type T (`what` as written after `template`).
// clang-format off
#define MINITORCH_FOR_EACH_COMPILED_TEMPLATE(X, T)                                                                    \
    X(class Tensor<T>) X(class Sequential<T>) X(class SGD<T>)                                                         \
    X(class MSELoss<T>) X(class NLLLoss<T>) X(class CrossEntropyLoss<T>)                                              \
    X(class Conv2d<T>) X(class Linear<T>) X(class ReLU<T>) X(class Sigmoid<T>) X(class MaxPool2d<T>)                  \
    X(class AvgPool2d<T>) X(class Flatten<T>) X(class Dropout<T>) X(class LogSoftmax<T>)                              \
    X(class BatchNorm<T, 1>) X(class BatchNorm<T, 2>)                                                                 \
    X(struct Sequential<T>::Holder<Conv2d<T>>) X(struct Sequential<T>::Holder<Linear<T>>)                             \
    X(struct Sequential<T>::Holder<ReLU<T>>) X(struct Sequential<T>::Holder<Sigmoid<T>>)                              \
    X(struct Sequential<T>::Holder<MaxPool2d<T>>) X(struct Sequential<T>::Holder<AvgPool2d<T>>)                       \
    X(struct Sequential<T>::Holder<Flatten<T>>) X(struct Sequential<T>::Holder<Dropout<T>>)                           \
    X(struct Sequential<T>::Holder<LogSoftmax<T>>)                                                                    \
    X(struct Sequential<T>::Holder<BatchNorm<T, 1>>) X(struct Sequential<T>::Holder<BatchNorm<T, 2>>)
// clang-format on

#if defined(MINITORCH_COMPILED_LIB)
#define MINITORCH_EXTERN_TEMPLATE(...) extern template __VA_ARGS__;
namespace minitorch {
MINITORCH_FOR_EACH_COMPILED_TEMPLATE(MINITORCH_EXTERN_TEMPLATE, float)
MINITORCH_FOR_EACH_COMPILED_TEMPLATE(MINITORCH_EXTERN_TEMPLATE, double)
}  // namespace minitorch
#undef MINITORCH_EXTERN_TEMPLATE
#endif
