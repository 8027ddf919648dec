// minitorch/layers/linear.hpp — fully connected layer, y = x·Wᵀ + b.
// Derivation: docs/layers/linear.md. Tests: tests/test_linear.cpp.
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/layers/weighted.hpp"
#include "minitorch/random.hpp"
#include "minitorch/tensor.hpp"

#include <string>
#include <vector>

namespace minitorch {

struct LinearOptions {
    std::size_t in = 0;   ///< in_features
    std::size_t out = 0;  ///< out_features
    bool bias = true;
};

template <class T>
class Linear : public TrainingMode, public WeightAndBias<Linear<T>, T> {
    using Parameters = WeightAndBias<Linear<T>, T>;  // weight_ [out, in], bias_ [out] and their gradients
    using Parameters::weight_, Parameters::bias_, Parameters::weight_grad_, Parameters::bias_grad_;
    using Parameters::check_parameters;

public:
    using scalar_type = T;

    /// Weights initialised as PyTorch does: W, b ~ U(−1/√in, 1/√in).
    explicit Linear(LinearOptions options, Generator& gen = default_generator()) : opt_(checked(options)) {
        this->init_parameters({opt_.out, opt_.in}, opt_.bias, opt_.in, gen);
    }

    std::string describe() const {
        return "Linear(" + std::to_string(opt_.in) + "→" + std::to_string(opt_.out) + (opt_.bias ? "" : ", bias=false") +
               ")";
    }

    Shape output_shape(const Shape& in) const {
        check_input(in.size() == 2 && in[1] == opt_.in, describe(), "[N, " + std::to_string(opt_.in) + "]", in);
        return {in[0], opt_.out};
    }

    // x: [N, in] → y: [N, out].   y = x·Wᵀ + b
    const Tensor<T>& forward(const Tensor<T>& x) {
        infer_into(x, y_);
        has_cache_ = is_training();
        if (has_cache_) x_ = x;  // backward needs x for dW
        return y_;
    }

    /// forward's values (forward computes them here) into y (layer.hpp: infer_into). Eigen picks its product
    /// algorithm by the sizes, so the rows of a slice of a batch may round differently from the whole batch's.
    const Tensor<T>& infer_into(const Tensor<T>& x, Tensor<T>& y) const {
        check_parameters(false);
        y.resize(output_shape(x.shape()));
        const std::size_t n = x.dim(0);
        auto Y = y.matrix(n, opt_.out);
        Y.noalias() = x.matrix(n, opt_.in) * weight_.matrix(opt_.out, opt_.in).transpose();
        if (opt_.bias) Y.rowwise() += bias_.matrix(1, opt_.out).row(0);
        return y;
    }

    // dy: [N, out] → dx: [N, in].   dx = dy·W,  dW += dyᵀ·x,  db += Σ_n dy[n, :]
    const Tensor<T>& backward(const Tensor<T>& dy) {
        check_backward(has_cache_, describe(), y_.shape(), dy.shape());
        check_parameters(true);
        const std::size_t n = x_.dim(0);
        const auto dY = dy.matrix(n, opt_.out);
        dx_.resize(x_.shape());
        dx_.matrix(n, opt_.in).noalias() = dY * weight_.matrix(opt_.out, opt_.in);
        weight_grad_.matrix(opt_.out, opt_.in).noalias() += dY.transpose() * x_.matrix(n, opt_.in);
        if (opt_.bias) bias_grad_.matrix(1, opt_.out).row(0) += dY.colwise().sum();
        return dx_;
    }

    // parameters(), zero_grad(), weight(), bias(), weight_grad(), bias_grad(), set_weight, set_bias: WeightAndBias.

    const LinearOptions& options() const noexcept { return opt_; }

private:
    /// The options, refused when a feature count is 0 or the weight [out, in] cannot exist (checked before the weight
    /// is allocated: 2^32 × 2^32 used to wrap around to an empty weight).
    static LinearOptions checked(LinearOptions o) {
        if (o.in == 0 || o.out == 0)
            throw std::invalid_argument("Linear: in and out features must be positive, got in=" + std::to_string(o.in) +
                                        ", out=" + std::to_string(o.out));
        check_parameter_size<T>("Linear(" + std::to_string(o.in) + "→" + std::to_string(o.out) + ")", "weight",
                                {o.out, o.in});
        return o;
    }

    LinearOptions opt_;
    Tensor<T> x_;                     // cache: the input, [N, in]
    Tensor<T> y_, dx_;                // outputs, reused between steps
    bool has_cache_ = false;
};

}  // namespace minitorch
