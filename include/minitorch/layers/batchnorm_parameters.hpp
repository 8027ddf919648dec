// minitorch/layers/batchnorm_parameters.hpp — the state of a BatchNorm layer: the affine parameters γ ("weight") and
// β ("bias") with their gradients, and the buffers running_mean, running_var and num_batches_tracked, with everything
// the layer contract and a user need of them, written once (as weighted.hpp is for Linear and Conv2d).
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace minitorch {

/// Base of BatchNorm<T, Dims> (CRTP: the layer's describe() names it in errors). The layer's constructor calls
/// init_parameters once; its forward and backward call check_parameters before they use the tensors.
template <class Layer, class T>
class BatchNormParameters {
  public:
    /// weight, bias (trainable; absent without affine), then the buffers running_mean, running_var,
    /// num_batches_tracked (grad == nullptr), in PyTorch's state_dict order.
    std::vector<ParameterRef<T>> parameters() {
        std::vector<ParameterRef<T>> p;
        if (affine_) {
            p.push_back({"weight", &weight_, &weight_grad_});
            p.push_back({"bias", &bias_, &bias_grad_});
        }
        p.push_back({"running_mean", &running_mean_, nullptr});
        p.push_back({"running_var", &running_var_, nullptr});
        p.push_back({"num_batches_tracked", &num_batches_tracked_, nullptr});
        return p;
    }

    /// Sets the parameter gradients to zero (PyTorch's module.zero_grad()); they accumulate over backward calls.
    void zero_grad() { minitorch::zero_grad(static_cast<Layer&>(*this)); }

    const Tensor<T>& weight() const noexcept { return weight_; }
    const Tensor<T>& bias() const noexcept { return bias_; }
    const Tensor<T>& weight_grad() const noexcept { return weight_grad_; }
    const Tensor<T>& bias_grad() const noexcept { return bias_grad_; }
    const Tensor<T>& running_mean() const noexcept { return running_mean_; }
    const Tensor<T>& running_var() const noexcept { return running_var_; }
    /// Rank-0 tensor (shape []) holding the number of training-mode forwards; exact in float up to 2^24 batches.
    const Tensor<T>& num_batches_tracked() const noexcept { return num_batches_tracked_; }
    /// weight: [C]
    void set_weight(const Tensor<T>& w) {
        require_affine("set_weight");
        assign_parameter(weight_, w, layer().describe() + ".set_weight");
    }
    /// bias: [C]
    void set_bias(const Tensor<T>& b) {
        require_affine("set_bias");
        assign_parameter(bias_, b, layer().describe() + ".set_bias");
    }
    /// running_mean: [C]
    void set_running_mean(const Tensor<T>& m) {
        assign_parameter(running_mean_, m, layer().describe() + ".set_running_mean");
    }
    /// running_var: [C]
    void set_running_var(const Tensor<T>& v) {
        assign_parameter(running_var_, v, layer().describe() + ".set_running_var");
    }

  protected:
    /// γ = 1, β = 0 (with their gradients, zero) when affine; running_mean = 0, running_var = 1,
    /// num_batches_tracked = 0, as in PyTorch.
    void init_parameters(std::size_t features, bool affine) {
        features_ = features;
        affine_ = affine;
        running_mean_ = Tensor<T>({features}, T(0));
        running_var_ = Tensor<T>({features}, T(1));
        num_batches_tracked_ = Tensor<T>(Shape{}, T(0));
        if (!affine) return;
        weight_ = Tensor<T>({features}, T(1));
        weight_grad_ = Tensor<T>({features}, T(0));
        bias_ = Tensor<T>({features}, T(0));
        bias_grad_ = Tensor<T>({features}, T(0));
    }

    /// weight, bias [C] (and their gradients), running_mean, running_var [C], num_batches_tracked []: a tensor of
    /// another shape, put there through parameters(), is refused naming the layer and the tensor.
    void check_parameters(bool grads) const {
        const std::size_t C = features_;
        if (affine_) {
            check_parameter_shape(layer(), "weight", weight_, {C});
            check_parameter_shape(layer(), "bias", bias_, {C});
            if (grads) {
                check_parameter_shape(layer(), "weight's gradient", weight_grad_, {C});
                check_parameter_shape(layer(), "bias's gradient", bias_grad_, {C});
            }
        }
        check_parameter_shape(layer(), "running_mean", running_mean_, {C});
        check_parameter_shape(layer(), "running_var", running_var_, {C});
        check_parameter_shape(layer(), "num_batches_tracked", num_batches_tracked_, {});
    }

    /// γ_c and β_c (1 and 0 without affine), as double.
    double gamma(std::size_t c) const { return affine_ ? static_cast<double>(weight_[c]) : 1.0; }
    double beta(std::size_t c) const { return affine_ ? static_cast<double>(bias_[c]) : 0.0; }

    Tensor<T> weight_, weight_grad_, bias_, bias_grad_;  // [C] each (empty without affine)
    Tensor<T> running_mean_, running_var_;               // [C] buffers
    Tensor<T> num_batches_tracked_;                      // [] buffer

  private:
    const Layer& layer() const noexcept { return static_cast<const Layer&>(*this); }
    void require_affine(const char* what) const {
        if (!affine_)
            throw std::logic_error(layer().describe() + "." + what +
                                   ": this layer was built without affine parameters");
    }

    std::size_t features_ = 0;
    bool affine_ = false;
};

}  // namespace minitorch
