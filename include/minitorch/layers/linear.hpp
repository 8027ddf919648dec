// minitorch/layers/linear.hpp — fully connected layer, y = x·Wᵀ + b.
// Derivation: docs/layers/linear.md. Tests: tests/test_linear.cpp.
#pragma once

#include "minitorch/kernels/matrix.hpp"
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
    using Parameters::check_parameters;
    using Parameters::weight_, Parameters::bias_, Parameters::weight_grad_, Parameters::bias_grad_;

  public:
    using scalar_type = T;

    /// Weights initialised as PyTorch does: W, b ~ U(−1/√in, 1/√in).
    explicit Linear(LinearOptions options, Generator& gen = default_generator()) : opt_(checked(options)) {
        this->init_parameters({opt_.out, opt_.in}, opt_.bias, opt_.in, gen);
    }

    std::string describe() const {
        return "Linear(" + std::to_string(opt_.in) + "→" + std::to_string(opt_.out) +
               (opt_.bias ? "" : ", bias=false") + ")";
    }

    Shape output_shape(const Shape& in) const {
        check_shape(in);
        return {in[0], opt_.out};
    }

    struct Cache {};  // backward needs x (for dW), which the caller keeps

    // x: [N, in] → y: [N, out].   y = x·Wᵀ + b
    // The product is the kernel layer's (kernels/gemm.hpp: float on the ISA's tiles, the same bits on every ISA and
    // for any batch size, as every row of y is computed from its own row of x in an order fixed by in and out;
    // double through Eigen).
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache&) {
        check_parameters(false);
        check_shape(x.shape());
        const std::size_t n = x.dim(0), in = opt_.in, out = opt_.out;
        y.resize({n, out});
        const auto W = matrix(weight_.data(), out, in);
        multiply(matrix(y.data(), n, out), matrix(x.data(), n, in), W.t());  // Y = X·Wᵀ
        if (opt_.bias)                                                       // Y += 1·bᵀ
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t o = 0; o < out; ++o) y.data()[i * out + o] += bias_.data()[o];
        return y;
    }

    // dy: [N, out] → dx: [N, in].   dx = dy·W,  dW += dyᵀ·x,  db += Σ_n dy[n, :]
    void backward(const Tensor<T>& x, const Tensor<T>&, const Cache&, const Tensor<T>& dy, Tensor<T>& dx) {
        check_parameters(true);
        check_shape(x.shape());  // the products below read x and dy through raw views: their shapes are checked first
        const std::size_t n = x.dim(0), in = opt_.in, out = opt_.out;
        check_output_grad([this] { return describe(); }, Shape{n, out}, dy.shape());
        dx.resize(x.shape());
        const auto dY = matrix(dy.data(), n, out);
        multiply(matrix(dx.data(), n, in), dY, matrix(weight_.data(), out, in));              // dX = dY·W
        multiply_add(matrix(weight_grad_.data(), out, in), dY.t(), matrix(x.data(), n, in));  // dW += dYᵀ·X
        if (opt_.bias) add_row_sums(dY.t(), bias_grad_.data());                               // db += Σ_n dY[n, :]
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
