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
        check_shape(in);
        return {in[0], opt_.out};
    }

    struct Cache {};  // backward needs x (for dW), which the caller keeps

    // x: [N, in] → y: [N, out].   y = x·Wᵀ + b
    // Eigen picks its product algorithm by the sizes, so the rows of a slice of a batch may round differently from
    // the whole batch's (Sequential::infer).
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache&) {
        check_parameters(false);
        check_shape(x.shape());
        y.resize({x.dim(0), opt_.out});
        const std::size_t n = x.dim(0);
        auto Y = y.matrix(n, opt_.out);
        Y.noalias() = x.matrix(n, opt_.in) * weight_.matrix(opt_.out, opt_.in).transpose();
        if (opt_.bias) Y.rowwise() += bias_.matrix(1, opt_.out).row(0);
        return y;
    }

    // dy: [N, out] → dx: [N, in].   dx = dy·W,  dW += dyᵀ·x,  db += Σ_n dy[n, :]
    void backward(const Tensor<T>& x, const Tensor<T>&, const Cache&, const Tensor<T>& dy, Tensor<T>& dx) {
        check_parameters(true);
        const std::size_t n = x.dim(0);
        const auto dY = dy.matrix(n, opt_.out);
        dx.resize(x.shape());
        dx.matrix(n, opt_.in).noalias() = dY * weight_.matrix(opt_.out, opt_.in);
        weight_grad_.matrix(opt_.out, opt_.in).noalias() += dY.transpose() * x.matrix(n, opt_.in);
        if (opt_.bias) bias_grad_.matrix(1, opt_.out).row(0) += dY.colwise().sum();
    }

    // parameters(), zero_grad(), weight(), bias(), weight_grad(), bias_grad(), set_weight, set_bias: WeightAndBias.

    const LinearOptions& options() const noexcept { return opt_; }

private:
  /// Throws unless in is [N, in]; builds no string when it is.
  void check_shape(const Shape& in) const {
      check_input(
          in.size() == 2 && in[1] == opt_.in, [this] { return describe(); },
          [this] { return "[N, " + std::to_string(opt_.in) + "]"; }, in);
  }
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
};

}  // namespace minitorch
