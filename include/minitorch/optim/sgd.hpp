// minitorch/optim/sgd.hpp — stochastic gradient descent with PyTorch's exact update rule.
//
// For each trainable parameter p with gradient g (torch.optim.SGD, "maximize" left out):
//     g ← g + weight_decay·p                         (if weight_decay ≠ 0)
//     b ← g                   on the first step       (if momentum ≠ 0: the buffer starts as the gradient itself)
//     b ← momentum·b + (1 − dampening)·g   afterwards
//     g ← g + momentum·b   (nesterov)   or   g ← b   (plain momentum)
//     p ← p − lr·g
// Buffers (grad == nullptr) are skipped. The optimiser keeps pointers into the model: the model must outlive it.
// Tests: tests/test_sgd.cpp.
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace minitorch {

struct SGDOptions {
    double lr = 0.01;
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
};

template <class T>
class SGD {
public:
    SGD(const std::vector<ParameterRef<T>>& params, SGDOptions options) : opt_(options) {
        if (!(opt_.lr >= 0) || !std::isfinite(opt_.lr))
            throw std::invalid_argument("SGD: lr must be a finite number ≥ 0, got " + std::to_string(opt_.lr));
        if (!(opt_.momentum >= 0)) throw std::invalid_argument("SGD: momentum must be ≥ 0, got " + std::to_string(opt_.momentum));
        if (!(opt_.weight_decay >= 0))
            throw std::invalid_argument("SGD: weight_decay must be ≥ 0, got " + std::to_string(opt_.weight_decay));
        if (opt_.nesterov && (opt_.momentum <= 0 || opt_.dampening != 0))
            throw std::invalid_argument("SGD: Nesterov momentum requires a momentum > 0 and zero dampening");
        for (const auto& p : params)
            if (p.trainable()) params_.push_back(p);
        buffers_.resize(params_.size());
    }

    /// One update of every parameter from its current gradient. A parameter whose value and gradient differ in shape
    /// (one of them replaced through its ParameterRef) is refused with std::invalid_argument naming it, before any
    /// parameter is updated.
    void step() {
        for (const auto& p : params_)
            if (p.value->shape() != p.grad->shape())
                throw std::invalid_argument("SGD::step: parameter " + p.name + " has shape " +
                                            to_string(p.value->shape()) + " but its gradient has shape " +
                                            to_string(p.grad->shape()) + "; they must agree");
        const T lr = static_cast<T>(opt_.lr), mu = static_cast<T>(opt_.momentum),
                damp = static_cast<T>(1.0 - opt_.dampening), wd = static_cast<T>(opt_.weight_decay);
        for (std::size_t i = 0; i < params_.size(); ++i) {
            auto p = params_[i].value->array();
            auto g = params_[i].grad->array();
            Tensor<T>& buf = buffers_[i];
            const bool first = buf.empty();
            if (mu != T(0)) {
                buf.resize(params_[i].value->shape());
                auto b = buf.array();
                if (first)
                    b = g + wd * p;
                else
                    b = mu * b + damp * (g + wd * p);
                if (opt_.nesterov)
                    p -= lr * ((g + wd * p) + mu * b);
                else
                    p -= lr * b;
            } else {
                p -= lr * (g + wd * p);
            }
        }
    }

    /// Sets every trained parameter's gradient to zero.
    void zero_grad() {
        for (auto& p : params_) p.grad->zero();
    }

    double lr() const noexcept { return opt_.lr; }
    /// Throws std::invalid_argument (and keeps the old value) unless lr is a finite number ≥ 0, as the constructor.
    void set_lr(double lr) {
        if (!(lr >= 0) || !std::isfinite(lr))
            throw std::invalid_argument("SGD::set_lr: lr must be a finite number ≥ 0, got " + std::to_string(lr));
        opt_.lr = lr;
    }
    double momentum() const noexcept { return opt_.momentum; }
    /// Throws std::invalid_argument (and keeps the old value) unless m is a finite number ≥ 0, as the constructor.
    void set_momentum(double m) {
        if (!(m >= 0) || !std::isfinite(m))
            throw std::invalid_argument("SGD::set_momentum: momentum must be a finite number ≥ 0, got " +
                                        std::to_string(m));
        opt_.momentum = m;
    }
    const SGDOptions& options() const noexcept { return opt_; }

private:
    SGDOptions opt_;
    std::vector<ParameterRef<T>> params_;
    std::vector<Tensor<T>> buffers_;  // momentum buffers, created on the first step
};

}  // namespace minitorch
