// minitorch/layers/activation.hpp — elementwise activations: ReLU and Sigmoid.
// Derivations: docs/layers/relu.md, docs/layers/sigmoid.md. Tests: tests/test_activation.cpp.
// Sigmoid's exp is minitorch::fixed's (fixed_math.hpp): the same bits on every CPU, whatever the SIMD width.
#pragma once

#include "minitorch/fixed_math.hpp"
#include "minitorch/kernels/elementwise.hpp"
#include "minitorch/kernels/parallel.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace minitorch {

/// y = max(x, 0). Any shape.
template <class T>
class ReLU : public TrainingMode {
public:
    using scalar_type = T;

    std::string describe() const { return "ReLU()"; }
    Shape output_shape(const Shape& in) const { return in; }

    struct Cache {};  // backward reads y: y > 0 exactly where x > 0

    // x: any shape → y: same shape.   y = max(x, 0)
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache&) {
        y.resize(x.shape());
        const T* xp = x.data();
        T* yp = y.data();
        parallel_for(x.size(), [&](std::size_t b, std::size_t e, std::size_t) {  // elementwise: any split works
            relu(xp + b, yp + b, e - b);
        });
        return y;
    }

    // dy: y's shape → dx.   dx = dy · 1[y > 0]   (= 1[x > 0]; the subgradient at x = 0 is taken as 0, as PyTorch does)
    void backward(const Tensor<T>&, const Tensor<T>& y, const Cache&, const Tensor<T>& dy, Tensor<T>& dx) {
        dx.resize(dy.shape());
        const T *yp = y.data(), *gp = dy.data();
        T* dxp = dx.data();
        parallel_for(dy.size(), [&](std::size_t b, std::size_t e, std::size_t) {
            relu_grad(yp + b, gp + b, dxp + b, e - b);
        });
    }

    std::vector<ParameterRef<T>> parameters() { return {}; }

private:
    // y[0, n) = x where x > 0 or x is NaN (as PyTorch: NaN propagates), else +0. float: the elementwise kernel of the
    // ISA in use (kernels/elementwise.hpp), the same bits on every ISA.
    static void relu(const T* x, T* y, std::size_t n) {
        if constexpr (std::is_same_v<T, float>) {
            kernels::elementwise().relu_forward(x, y, n);
        } else {
            for (std::size_t i = 0; i < n; ++i) y[i] = x[i] > T(0) || x[i] != x[i] ? x[i] : T(0);
        }
    }
    // dx[0, n) = dy where y > 0, else +0.
    static void relu_grad(const T* y, const T* dy, T* dx, std::size_t n) {
        if constexpr (std::is_same_v<T, float>) {
            kernels::elementwise().relu_backward(y, dy, dx, n);
        } else {
            for (std::size_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
        }
    }
};

/// y = σ(x) = 1 / (1 + e^(−x)). Any shape.
template <class T>
class Sigmoid : public TrainingMode {
public:
    using scalar_type = T;

    std::string describe() const { return "Sigmoid()"; }
    Shape output_shape(const Shape& in) const { return in; }

    struct Cache {};  // backward needs only y: σ'(x) = σ(x)(1 − σ(x))

    // x: any shape → y: same shape.   y = 1 / (1 + e^(−x)), elementwise with a scalar exp, so each element's bits
    // depend on its own input only, not on where it falls in a SIMD register.
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache&) {
        y.resize(x.shape());
        y.array() = x.array().unaryExpr([](T v) { return T(1) / (T(1) + fixed::exp(-v)); });
        return y;
    }

    // dy → dx.   dx = dy · y · (1 − y)
    void backward(const Tensor<T>&, const Tensor<T>& y, const Cache&, const Tensor<T>& dy, Tensor<T>& dx) {
        dx.resize(dy.shape());
        dx.array() = dy.array() * y.array() * (T(1) - y.array());
    }

    std::vector<ParameterRef<T>> parameters() { return {}; }
};

}  // namespace minitorch
