// minitorch/layers/weighted.hpp — the parameters of a weighted layer (Linear, Conv2d): a weight, an optional bias
// [out] and their gradients, with everything the layer contract and a user need of them, written once.
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/random.hpp"
#include "minitorch/tensor.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace minitorch {

/// Base of a weighted layer `Layer` (CRTP: its describe() names it in errors) of scalar type T. The layer's
/// constructor calls init_parameters once; its forward and backward call check_parameters before they use the
/// tensors, and read weight_, bias_ and add into weight_grad_, bias_grad_ directly.
template <class Layer, class T>
class WeightAndBias {
  public:
    std::vector<ParameterRef<T>> parameters() {
        std::vector<ParameterRef<T>> p{{"weight", &weight_, &weight_grad_}};
        if (has_bias_) p.push_back({"bias", &bias_, &bias_grad_});
        return p;
    }

    /// Sets the parameter gradients to zero (PyTorch's module.zero_grad()); they accumulate over backward calls.
    void zero_grad() { minitorch::zero_grad(static_cast<Layer&>(*this)); }

    const Tensor<T>& weight() const noexcept { return weight_; }
    const Tensor<T>& bias() const noexcept { return bias_; }  ///< empty when the layer has no bias
    const Tensor<T>& weight_grad() const noexcept { return weight_grad_; }
    const Tensor<T>& bias_grad() const noexcept { return bias_grad_; }

    /// Copies w into the weight (the layer's weight shape: Linear [out, in], Conv2d [out, in, kh, kw]).
    void set_weight(const Tensor<T>& w) { assign_parameter(weight_, w, layer().describe() + ".set_weight"); }
    /// Copies b into the bias, [out]; a layer built without a bias throws std::logic_error.
    void set_bias(const Tensor<T>& b) {
        if (!has_bias_) throw std::logic_error(layer().describe() + ".set_bias: this layer was built without a bias");
        assign_parameter(bias_, b, layer().describe() + ".set_bias");
    }

  protected:
    /// Allocates the weight of `weight_shape` and, when has_bias, the bias [weight_shape[0]], with their gradients
    /// (zero), and initialises them as PyTorch does: W, then b, ~ U(−1/√fan_in, 1/√fan_in) from gen.
    void init_parameters(Shape weight_shape, bool has_bias, std::size_t fan_in, Generator& gen) {
        has_bias_ = has_bias;
        weight_ = Tensor<T>(weight_shape);
        weight_grad_ = Tensor<T>(weight_shape);
        kaiming_uniform_default_(weight_, fan_in, gen);
        if (has_bias) {
            bias_ = Tensor<T>({weight_shape[0]});
            bias_grad_ = Tensor<T>({weight_shape[0]});
            kaiming_uniform_default_(bias_, fan_in, gen);
        }
        weight_shape_ = std::move(weight_shape);
    }

    /// Throws std::invalid_argument, naming the layer and the parameter, when a tensor (or, with grads, its gradient)
    /// no longer has the shape init_parameters gave it: one put there through parameters() (see layer.hpp).
    void check_parameters(bool grads) const {
        check_parameter_shape(layer(), "weight", weight_, weight_shape_);
        if (grads) check_parameter_shape(layer(), "weight's gradient", weight_grad_, weight_shape_);
        if (!has_bias_) return;
        check_parameter_shape(layer(), "bias", bias_, {weight_shape_[0]});
        if (grads) check_parameter_shape(layer(), "bias's gradient", bias_grad_, {weight_shape_[0]});
    }

    Tensor<T> weight_, weight_grad_;  // weight_shape_
    Tensor<T> bias_, bias_grad_;      // [out] (empty when there is no bias)

  private:
    const Layer& layer() const noexcept { return static_cast<const Layer&>(*this); }

    Shape weight_shape_;
    bool has_bias_ = false;
};

}  // namespace minitorch
