// minitorch/kernels/batchnorm_reference.hpp — the plain training-mode batch norm, for tests: straightforward loops in
// double, the textbook formulas with nothing fused or split, to check layers/batchnorm.hpp against.
#pragma once

#include "minitorch/tensor.hpp"

#include <cmath>
#include <cstddef>
#include <vector>

namespace minitorch {

namespace reference {

namespace detail {
/// A contiguous [batch, channels, spatial…] tensor seen channel by channel: n values per channel.
struct Channels {
    std::size_t batch, channels, spatial;
    double n;
    static Channels of(const Shape& s) {
        const std::size_t batch = s[0], channels = s[1];
        std::size_t spatial = 1;
        for (std::size_t d = 2; d < s.size(); ++d) spatial *= s[d];
        return {batch, channels, spatial, static_cast<double>(batch * spatial)};
    }
    /// Calls f(at) for the flat index `at` of every value of channel c, image by image.
    template <class F>
    void each(std::size_t c, F&& f) const {
        for (std::size_t i = 0; i < batch; ++i)
            for (std::size_t s = 0; s < spatial; ++s) f((i * channels + c) * spatial + s);
    }
};
}  // namespace detail

/// The plain training-mode batch-norm forward, for tests: per channel, the mean, then the mean squared deviation
/// (biased variance), then y = γ·(x − μ)/√(σ² + eps) + β, with straightforward loops in double.
/// x: [N, C, ...]; gamma, beta: [C], or empty for γ = 1, β = 0 → y: x's shape; mean, var: [C] (resized).
template <class T>
void batch_norm_forward_train(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta, double eps,
                              Tensor<double>& y, std::vector<double>& mean, std::vector<double>& var) {
    const auto ch = detail::Channels::of(x.shape());
    y.resize(x.shape());
    mean.assign(ch.channels, 0.0);
    var.assign(ch.channels, 0.0);
    for (std::size_t c = 0; c < ch.channels; ++c) {
        ch.each(c, [&](std::size_t at) { mean[c] += static_cast<double>(x[at]); });
        mean[c] /= ch.n;
        ch.each(c, [&](std::size_t at) {
            const double d = static_cast<double>(x[at]) - mean[c];
            var[c] += d * d;
        });
        var[c] /= ch.n;
        const double g = gamma.empty() ? 1.0 : static_cast<double>(gamma[c]);
        const double b = beta.empty() ? 0.0 : static_cast<double>(beta[c]);
        ch.each(c, [&](std::size_t at) {
            y[at] = g * (static_cast<double>(x[at]) - mean[c]) / std::sqrt(var[c] + eps) + b;
        });
    }
}

/// The plain training-mode batch-norm backward, for tests: recomputes the statistics from x and applies
/// dx = (γ/(n·√(σ² + eps)))·(n·dy − Σdy − x̂·Σ(dy·x̂)), dγ = Σ dy·x̂, dβ = Σ dy, with loops in double.
/// x, dy: [N, C, ...]; gamma: [C] or empty → dx: x's shape; dgamma, dbeta: [C] (resized; assigned, not accumulated).
template <class T>
void batch_norm_backward_train(const Tensor<T>& x, const Tensor<T>& gamma, double eps, const Tensor<T>& dy,
                               Tensor<double>& dx, std::vector<double>& dgamma, std::vector<double>& dbeta) {
    Tensor<double> xhat;
    std::vector<double> mean, var;
    batch_norm_forward_train(x, Tensor<T>(), Tensor<T>(), eps, xhat, mean, var);  // γ = 1, β = 0: y is x̂
    const auto ch = detail::Channels::of(x.shape());
    dx.resize(x.shape());
    dgamma.assign(ch.channels, 0.0);
    dbeta.assign(ch.channels, 0.0);
    for (std::size_t c = 0; c < ch.channels; ++c) {
        ch.each(c, [&](std::size_t at) {
            dgamma[c] += static_cast<double>(dy[at]) * xhat[at];
            dbeta[c] += static_cast<double>(dy[at]);
        });
        const double g = gamma.empty() ? 1.0 : static_cast<double>(gamma[c]);
        const double k = g / (ch.n * std::sqrt(var[c] + eps));
        ch.each(c, [&](std::size_t at) {
            dx[at] = k * (ch.n * static_cast<double>(dy[at]) - dbeta[c] - xhat[at] * dgamma[c]);
        });
    }
}

}  // namespace reference

}  // namespace minitorch
