// minitorch/layers/linear.hpp — fully connected layer, y = x·Wᵀ + b.
// Derivation: docs/layers/linear.md. Tests: tests/test_linear.cpp.
#pragma once

#include "minitorch/layer.hpp"
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
class Linear : public TrainingMode {
public:
    using scalar_type = T;

    /// Weights initialised as PyTorch does: W, b ~ U(−1/√in, 1/√in).
    explicit Linear(LinearOptions options, Generator& gen = default_generator())
        : opt_(checked(options)), weight_({options.out, options.in}), weight_grad_({options.out, options.in}) {
        kaiming_uniform_default_(weight_, opt_.in, gen);
        if (opt_.bias) {
            bias_ = Tensor<T>({opt_.out});
            bias_grad_ = Tensor<T>({opt_.out});
            kaiming_uniform_default_(bias_, opt_.in, gen);
        }
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

    std::vector<ParameterRef<T>> parameters() {
        std::vector<ParameterRef<T>> p{{"weight", &weight_, &weight_grad_}};
        if (opt_.bias) p.push_back({"bias", &bias_, &bias_grad_});
        return p;
    }

    /// Sets the parameter gradients to zero (PyTorch's module.zero_grad()); they accumulate over backward calls.
    void zero_grad() { minitorch::zero_grad(*this); }

    const LinearOptions& options() const noexcept { return opt_; }
    const Tensor<T>& weight() const noexcept { return weight_; }
    const Tensor<T>& bias() const noexcept { return bias_; }
    const Tensor<T>& weight_grad() const noexcept { return weight_grad_; }
    const Tensor<T>& bias_grad() const noexcept { return bias_grad_; }
    /// weight: [out, in]
    void set_weight(const Tensor<T>& w) { assign_parameter(weight_, w, describe() + ".set_weight"); }
    /// bias: [out]
    void set_bias(const Tensor<T>& b) {
        if (!opt_.bias) throw std::logic_error(describe() + ".set_bias: this layer was built without a bias");
        assign_parameter(bias_, b, describe() + ".set_bias");
    }

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

    /// weight [out, in], bias [out] (and their gradients): a tensor of another shape, put there through parameters(),
    /// is refused naming the layer and the parameter.
    void check_parameters(bool grads) const {
        check_parameter_shape(*this, "weight", weight_, {opt_.out, opt_.in});
        if (grads) check_parameter_shape(*this, "weight's gradient", weight_grad_, {opt_.out, opt_.in});
        if (!opt_.bias) return;
        check_parameter_shape(*this, "bias", bias_, {opt_.out});
        if (grads) check_parameter_shape(*this, "bias's gradient", bias_grad_, {opt_.out});
    }

    LinearOptions opt_;
    Tensor<T> weight_, weight_grad_;  // [out, in]
    Tensor<T> bias_, bias_grad_;      // [out] (empty when bias = false)
    Tensor<T> x_;                     // cache: the input, [N, in]
    Tensor<T> y_, dx_;                // outputs, reused between steps
    bool has_cache_ = false;
};

}  // namespace minitorch
