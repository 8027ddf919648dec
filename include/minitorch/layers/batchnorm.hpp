// minitorch/layers/batchnorm.hpp — batch normalisation over the channel axis, as PyTorch does it:
// BatchNorm1d on [N, C] (or [N, C, L]) and BatchNorm2d on [N, C, H, W], one implementation (BatchNorm<T, Dims>).
// Derivation: docs/layers/batchnorm.md. Tests: tests/test_batchnorm.cpp.
//
// Each channel c is normalised over its n = N·H·W values (n = N for [N, C]):
//   training:  x̂ = (x − μ_c)·inv_std_c,  inv_std_c = 1/√(σ²_c + eps),  μ_c, σ²_c the batch mean and BIASED variance;
//              running_mean ← (1 − m)·running_mean + m·μ_c,  running_var ← (1 − m)·running_var + m·σ²_c·n/(n − 1)
//   eval:      x̂ = (x − running_mean_c)/√(running_var_c + eps)
//   both:      y = γ_c·x̂ + β_c   (γ = "weight", β = "bias"; without affine, y = x̂)
//
// Each channel's reductions run on one thread in a fixed order, in double even for float (the same numbers for any
// thread count and ISA). The numerical devices — shifted sums for the statistics, the mean split into two T values,
// x̂ recomputed from x in backward bit for bit as the forward computed it — are the named kernels of
// kernels/batchnorm_channel.hpp; the plain textbook version the tests compare against is
// kernels/batchnorm_reference.hpp.
#pragma once

#include "minitorch/kernels/batchnorm_channel.hpp"
#include "minitorch/kernels/parallel.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/layers/batchnorm_parameters.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace minitorch {

struct BatchNormOptions {
    std::size_t features = 0;  ///< C, the number of channels (PyTorch's num_features)
    double eps = 1e-5;         ///< added to the variance before the square root
    double momentum = 0.1;     ///< weight of the new batch statistic in the running averages
    bool affine = true;        ///< learn a per-channel scale ("weight", init 1) and shift ("bias", init 0)
};

/// Batch normalisation over dimension 1. Dims = 1: input [N, C] or [N, C, L] (BatchNorm1d); Dims = 2: input
/// [N, C, H, W] (BatchNorm2d). Use the aliases BatchNorm1d and BatchNorm2d.
template <class T, int Dims>
class BatchNorm : public TrainingMode, public BatchNormParameters<BatchNorm<T, Dims>, T> {
    static_assert(Dims == 1 || Dims == 2, "BatchNorm: Dims is 1 (BatchNorm1d) or 2 (BatchNorm2d)");
    using Parameters = BatchNormParameters<BatchNorm<T, Dims>, T>;  // γ, β [C], running statistics and gradients
    using Parameters::num_batches_tracked_, Parameters::check_parameters, Parameters::gamma, Parameters::beta;
    using Parameters::weight_grad_, Parameters::bias_grad_, Parameters::running_mean_, Parameters::running_var_;

  public:
    using scalar_type = T;

    /// γ = 1, β = 0, running_mean = 0, running_var = 1, num_batches_tracked = 0, as in PyTorch.
    explicit BatchNorm(BatchNormOptions options) : opt_(options) {
        const std::string name = "BatchNorm" + std::to_string(Dims) + "d";
        if (opt_.features == 0) throw std::invalid_argument(name + ": features must be positive, got 0");
        if (!(opt_.eps >= 0.0))
            throw std::invalid_argument(name + ": eps must be ≥ 0, got " + std::to_string(opt_.eps));
        if (!(opt_.momentum >= 0.0 && opt_.momentum <= 1.0))
            throw std::invalid_argument(name + ": momentum must be in [0, 1], got " + std::to_string(opt_.momentum));
        this->init_parameters(opt_.features, opt_.affine);
    }

    /// "BatchNorm2d(16)"; options that differ from PyTorch's defaults are appended, e.g. "BatchNorm1d(8,
    /// affine=false)".
    std::string describe() const {
        std::ostringstream s;
        s << "BatchNorm" << Dims << "d(" << opt_.features;
        if (opt_.eps != 1e-5) s << ", eps=" << opt_.eps;
        if (opt_.momentum != 0.1) s << ", momentum=" << opt_.momentum;
        if (!opt_.affine) s << ", affine=false";
        s << ')';
        return s.str();
    }

    Shape output_shape(const Shape& in) const {
        check_shape(in);
        return in;
    }

    /// The batch statistics of a training-mode forward, per channel, for backward (x̂ is recomputed from x).
    struct Cache {
        std::vector<kernels::SplitMean<T>> mean;  // μ, [C]
        std::vector<double> inv_std;              // 1/√(σ² + eps), [C]
        bool batch_stats = false;                 // the last forward was in training mode (else: running statistics)
    };

    // parameters(), zero_grad(), weight(), bias(), running_mean(), running_var(), num_batches_tracked(), their
    // gradients and setters: BatchNormParameters.
    const BatchNormOptions& options() const noexcept { return opt_; }

    // x: [N, C, H, W] (2d) or [N, C] / [N, C, L] (1d) → y: x's shape.
    //   training: y = γ·(x − μ)·inv_std + β with the batch statistics (cached); updates the running ones
    //   eval:     y = (x − running_mean)·scale + β, scale = γ/√(running_var + eps)
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache& cache) {
        check_parameters(false);
        check_shape(x.shape());
        y.resize(x.shape());
        const auto runs = kernels::ChannelRuns::of(x.dim(0), opt_.features, spatial_size(x.shape()));
        cache.batch_stats = is_training();
        if (!is_training()) {
            forward_eval(x, y, runs);
            return y;
        }
        const double n = static_cast<double>(runs.count()), m = opt_.momentum;
        if (runs.count() <= 1)
            throw std::invalid_argument(describe() +
                                        ": expected more than 1 value per channel when training, got "
                                        "input " +
                                        to_string(x.shape()));
        cache.mean.resize(opt_.features);
        cache.inv_std.resize(opt_.features);
        T* xhat = opt_.affine ? nullptr : y.data();  // without affine, y is x̂
        T* y_affine = opt_.affine ? y.data() : nullptr;
        parallel_for(opt_.features, [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t c = begin; c < end; ++c) {
                // μ, σ² (biased: it normalises the batch) from sums shifted by the channel's first value.
                const double shift = static_cast<double>(x[runs.start(c, 0)]);
                double s1 = 0, s2 = 0;
                kernels::channel_shifted_sums(x.data(), runs, c, shift, s1, s2);
                const double mean = shift + s1 / n;
                const double var = std::max((s2 - s1 * (s1 / n)) / n, 0.0);
                cache.inv_std[c] = 1.0 / std::sqrt(var + opt_.eps);
                cache.mean[c] = kernels::SplitMean<T>::of(mean);
                // x̂ = (x − μ)·inv_std,  y = γ·x̂ + β
                kernels::channel_normalize(x.data(), runs, c, cache.mean[c], static_cast<T>(cache.inv_std[c]),
                                           static_cast<T>(gamma(c)), static_cast<T>(beta(c)), xhat, y_affine);
                // Running statistics: the UNBIASED variance σ²·n/(n − 1), as PyTorch stores it.
                running_mean_[c] = static_cast<T>((1 - m) * static_cast<double>(running_mean_[c]) + m * mean);
                running_var_[c] =
                    static_cast<T>((1 - m) * static_cast<double>(running_var_[c]) + m * var * n / (n - 1));
            }
        });
        num_batches_tracked_[0] += T(1);
        return y;
    }

    // dy: y's shape → dx: x's shape.   With k = γ·inv_std, per channel over its n values:
    //   dx = k·(dy − Σdy/n − x̂·Σ(dy·x̂)/n),   dγ += Σ dy·x̂,   dβ += Σ dy
    // After an eval-mode forward (frozen statistics, as PyTorch back-propagates through model.eval()) the layer is
    // the affine map y = γ·s·(x − running_mean) + β with s = 1/√(running_var + eps):
    //   dx = γ·s·dy,   dγ += Σ dy·x̂,   dβ += Σ dy,   x̂ = (x − running_mean)·s.
    void backward(const Tensor<T>& x, const Tensor<T>&, const Cache& cache, const Tensor<T>& dy, Tensor<T>& dx) {
        check_parameters(true);
        dx.resize(x.shape());
        const auto runs = kernels::ChannelRuns::of(x.dim(0), opt_.features, spatial_size(x.shape()));
        if (!cache.batch_stats) return backward_eval(x, dy, dx, runs);
        const double n = static_cast<double>(runs.count());
        parallel_for(opt_.features, [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t c = begin; c < end; ++c) {
                const T is = static_cast<T>(cache.inv_std[c]);
                double sum_dy = 0, sum_dy_xhat = 0;  // Σdy and Σdy·x̂
                kernels::channel_grad_sums(dy.data(), x.data(), runs, c, cache.mean[c], is, sum_dy, sum_dy_xhat);
                // dx = k·((dy − a) − x̂·b), k = γ·inv_std, a = Σdy/n, b = Σ(dy·x̂)/n
                const T k = static_cast<T>(gamma(c) * cache.inv_std[c]);
                const T a = static_cast<T>(sum_dy / n), b = static_cast<T>(sum_dy_xhat / n);
                kernels::channel_input_grad(dy.data(), x.data(), runs, c, cache.mean[c], is, k, a, b, dx.data());
                if (opt_.affine) {
                    weight_grad_[c] += static_cast<T>(sum_dy_xhat);
                    bias_grad_[c] += static_cast<T>(sum_dy);
                }
            }
        });
    }

  private:
    /// Throws unless in is [N, C, H, W] (BatchNorm2d) or [N, C] / [N, C, L] (BatchNorm1d); builds no string when it is.
    void check_shape(const Shape& in) const {
        const auto name = [this] { return describe(); };
        const auto c = [this] { return std::to_string(opt_.features); };
        if constexpr (Dims == 2)
            check_input(
                in.size() == 4 && in[1] == opt_.features, name, [&] { return "[N, " + c() + ", H, W]"; }, in);
        else
            check_input((in.size() == 2 || in.size() == 3) && in[1] == opt_.features, name,
                        [&] { return "[N, " + c() + "] or [N, " + c() + ", L]"; }, in);
    }
    static std::size_t spatial_size(const Shape& s) {
        std::size_t n = 1;
        for (std::size_t d = 2; d < s.size(); ++d) n *= s[d];
        return n;
    }
    /// Eval mode: y = fma(x − running_mean, scale, β) per channel, scale = γ/√(running_var + ε). [N, C]: one strided
    /// run per channel, so the channels are split over the threads; [N, C, spatial]: the images are split, as the
    /// layer before (a Conv2d) split them, so each thread normalises the activations it just wrote, from its own
    /// core's cache. Every run is computed the same way in either split.
    void forward_eval(const Tensor<T>& x, Tensor<T>& y, const kernels::ChannelRuns& runs) const {
        const bool split_channels = runs.runs == 1;
        parallel_for(split_channels ? opt_.features : runs.runs, [&](std::size_t begin, std::size_t end, std::size_t) {
            const std::size_t c_begin = split_channels ? begin : 0, c_end = split_channels ? end : opt_.features;
            for (std::size_t c = c_begin; c < c_end; ++c) {
                const T scale = static_cast<T>(gamma(c) / std::sqrt(static_cast<double>(running_var_[c]) + opt_.eps));
                kernels::channel_normalize_eval(x.data(), runs, c, split_channels ? 0 : begin, split_channels ? 1 : end,
                                                running_mean_[c], scale, static_cast<T>(beta(c)), y.data());
            }
        });
    }

    /// Eval-mode backward (see backward), plain loops; sums in double, per channel in a fixed order.
    void backward_eval(const Tensor<T>& x, const Tensor<T>& dy, Tensor<T>& dx, const kernels::ChannelRuns& runs) {
        parallel_for(opt_.features, [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t c = begin; c < end; ++c) {
                const double s = 1.0 / std::sqrt(static_cast<double>(running_var_[c]) + opt_.eps);
                const double mean = static_cast<double>(running_mean_[c]);
                const T k = static_cast<T>(gamma(c) * s);
                double sum_dy = 0, sum_dy_xhat = 0;
                for (std::size_t r = 0; r < runs.runs; ++r)
                    for (std::size_t i = 0, j = runs.start(c, r); i < runs.len; ++i, j += runs.inner) {
                        dx[j] = k * dy[j];
                        sum_dy += static_cast<double>(dy[j]);
                        sum_dy_xhat += static_cast<double>(dy[j]) * ((static_cast<double>(x[j]) - mean) * s);
                    }
                if (opt_.affine) {
                    weight_grad_[c] += static_cast<T>(sum_dy_xhat);
                    bias_grad_[c] += static_cast<T>(sum_dy);
                }
            }
        });
    }

    BatchNormOptions opt_;
};

/// BatchNorm1d<T>({.features = C}): input [N, C] or [N, C, L].
template <class T>
using BatchNorm1d = BatchNorm<T, 1>;
/// BatchNorm2d<T>({.features = C}): input [N, C, H, W].
template <class T>
using BatchNorm2d = BatchNorm<T, 2>;

}  // namespace minitorch
