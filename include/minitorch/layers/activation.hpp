// minitorch/layers/activation.hpp — elementwise activations: ReLU and Sigmoid.
// Derivations: docs/layers/relu.md, docs/layers/sigmoid.md. Tests: tests/test_activation.cpp.
#pragma once

#include "minitorch/kernels/parallel.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace minitorch {

/// y = max(x, 0). Any shape.
template <class T>
class ReLU : public TrainingMode {
public:
    using scalar_type = T;

    std::string describe() const { return "ReLU()"; }
    Shape output_shape(const Shape& in) const { return in; }

    // x: any shape → y: same shape.   y = max(x, 0)
    const Tensor<T>& forward(const Tensor<T>& x) {
        y_.resize(x.shape());
        const T* xp = x.data();
        T* yp = y_.data();
        parallel_for(x.size(), [&](std::size_t b, std::size_t e, std::size_t) {  // elementwise: any split works
            segment(yp, b, e) = segment(xp, b, e).max(T(0));  // Eigen: vectorised selects, no branches
        });
        has_cache_ = is_training();  // backward reads y: y > 0 exactly where x > 0
        return y_;
    }
    /// forward's values on the calling thread, into y (layer.hpp: infer_into).
    const Tensor<T>& infer_into(const Tensor<T>& x, Tensor<T>& y) const {
        y.resize(x.shape());
        y.array() = x.array().max(T(0));
        return y;
    }

    // dy: y's shape → dx.   dx = dy · 1[x > 0]   (the subgradient at x = 0 is taken as 0, as PyTorch does)
    const Tensor<T>& backward(const Tensor<T>& dy) {
        backward_into(dy, dx_);
        return dx_;
    }
    /// backward writing dx into the caller's buffer (resized; must not be dy): see layer.hpp.
    void backward_into(const Tensor<T>& dy, Tensor<T>& dx) {
        check_backward(has_cache_, describe(), y_.shape(), dy.shape());
        dx.resize(dy.shape());
        const T *yp = y_.data(), *gp = dy.data();
        T* dxp = dx.data();
        parallel_for(dy.size(), [&](std::size_t b, std::size_t e, std::size_t) {
            segment(dxp, b, e) = (segment(yp, b, e) > T(0)).select(segment(gp, b, e), T(0));
        });
    }

    std::vector<ParameterRef<T>> parameters() { return {}; }

private:
    Tensor<T> y_, dx_;  // y doubles as the cache
    bool has_cache_ = false;
};

/// y = σ(x) = 1 / (1 + e^(−x)). Any shape.
template <class T>
class Sigmoid : public TrainingMode {
public:
    using scalar_type = T;

    std::string describe() const { return "Sigmoid()"; }
    Shape output_shape(const Shape& in) const { return in; }

    // x: any shape → y: same shape.   y = 1 / (1 + e^(−x))
    const Tensor<T>& forward(const Tensor<T>& x) {
        infer_into(x, y_);
        has_cache_ = is_training();  // backward needs only y: σ'(x) = σ(x)(1 − σ(x))
        return y_;
    }
    /// forward's values (forward computes them here; to the last bit of Eigen's exp on another slice, see
    /// Sequential::infer) into y (layer.hpp: infer_into).
    const Tensor<T>& infer_into(const Tensor<T>& x, Tensor<T>& y) const {
        y.resize(x.shape());
        y.array() = T(1) / (T(1) + (-x.array()).exp());
        return y;
    }

    // dy → dx.   dx = dy · y · (1 − y)
    const Tensor<T>& backward(const Tensor<T>& dy) {
        check_backward(has_cache_, describe(), y_.shape(), dy.shape());
        dx_.resize(dy.shape());
        dx_.array() = dy.array() * y_.array() * (T(1) - y_.array());
        return dx_;
    }

    std::vector<ParameterRef<T>> parameters() { return {}; }

private:
    Tensor<T> y_, dx_;
    bool has_cache_ = false;
};

}  // namespace minitorch
