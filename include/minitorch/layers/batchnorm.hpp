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
// Performance: the work is split over channels with parallel_for, so each channel's reductions run on one thread in a
// fixed order (the same numbers for any thread count). Sums are accumulated in double even for float. The training
// forward makes two passes over x per channel (shifted sums for the statistics, then x̂ and y in one fused pass), the
// backward two over dy (Σdy and Σdy·x̂, then dx). For float on contiguous runs each pass is a kernel of
// kernels/batchnorm.hpp (the ISA in use, the same bits on every ISA); y = γ·x̂ + β, the eval (x − mean)·scale + shift
// and the (dy − a) − x̂·b of dx are fused multiply-adds, in the kernels and in the plain loops (strided runs, double)
// alike. Caches and outputs are members, resized, so a steady-state step does not allocate. A plain reference
// (reference::batch_norm_forward_train / _backward_train, loops in double) is kept at the end of this file; the tests
// compare the two.
#pragma once

#include "minitorch/kernels/batchnorm.hpp"
#include "minitorch/kernels/parallel.hpp"
#include "minitorch/layer.hpp"
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

namespace detail {

/// Where channel c's values lie in a contiguous [N, C, S] tensor (S = the product of the spatial extents):
/// `runs` runs of `len` values; run r starts at flat index c·channel_step + r·run_step, its values `inner` apart.
/// For S > 1 these are the N contiguous rows x[n, c, :]; for S = 1 ([N, C]) one strided run x[:, c].
struct ChannelRuns {
    std::size_t runs, len, run_step, inner, channel_step;
    static ChannelRuns of(std::size_t batch, std::size_t channels, std::size_t spatial) {
        if (spatial == 1) return {1, batch, 0, channels, 1};
        return {batch, spatial, channels * spatial, 1, spatial};
    }
    std::size_t start(std::size_t c, std::size_t r) const { return c * channel_step + r * run_step; }
};

/// Number of partial sums of the reductions below, the kernels' batchnorm_sum_lanes: in each run lane k takes the
/// elements i ≡ k (mod sum_lanes), in order, and the lanes are then added in a fixed order, so the result does not
/// depend on how the lanes are computed. Contiguous float runs go through the kernels of kernels/batchnorm.hpp (the
/// ISA in use); strided runs ([N, C] inputs) and double run the plain loops below, the same formulas element by
/// element (every multiply-add an std::fma, as in the kernels).
inline constexpr std::size_t sum_lanes = kernels::batchnorm_sum_lanes;

/// Adds Σ d and Σ d² to s1, s2, where d = v − shift over the run's values v (as double), d² fused into its sum.
template <bool Strided, class T>
void add_shifted_sums(const T* p, std::size_t len, std::size_t inner, double shift, double& s1, double& s2) {
    const std::size_t step = Strided ? inner : 1;
    double a1[sum_lanes] = {}, a2[sum_lanes] = {};
    for (std::size_t i = 0; i < len; ++i) {
        const double d = static_cast<double>(p[i * step]) - shift;
        a1[i % sum_lanes] += d;
        a2[i % sum_lanes] = std::fma(d, d, a2[i % sum_lanes]);
    }
    for (std::size_t k = 0; k < sum_lanes; ++k) {
        s1 += a1[k];
        s2 += a2[k];
    }
}

/// Adds Σ a and Σ a·b to sa, sab over a run of a and the matching run of b (as double, a·b fused into its sum), where
/// b is the run's values of b_of (ValuesOf: b itself; or XhatOf: x̂ recomputed from x, see below).
template <bool Strided, class T, class B>
void add_dot_sums_of(const T* a, const B& b_of, std::size_t len, std::size_t inner, double& sa, double& sab) {
    const std::size_t step = Strided ? inner : 1;
    double l1[sum_lanes] = {}, l2[sum_lanes] = {};
    for (std::size_t i = 0; i < len; ++i) {
        const double u = static_cast<double>(a[i * step]);
        l1[i % sum_lanes] += u;
        l2[i % sum_lanes] = std::fma(u, static_cast<double>(b_of(i * step)), l2[i % sum_lanes]);
    }
    for (std::size_t k = 0; k < sum_lanes; ++k) {
        sa += l1[k];
        sab += l2[k];
    }
}

/// b read from memory.
template <class T>
struct ValuesOf {
    const T* b;
    T operator()(std::size_t i) const noexcept { return b[i]; }
};

/// x̂ recomputed from x: ((x − mu_hi) − mu_lo)·is in T — the forward's expression (two subtractions and a product,
/// nothing to fuse), so the same bits as the x̂ the forward would have stored.
template <class T>
struct XhatOf {
    const T* x;
    T mu_hi, mu_lo, is;
    T operator()(std::size_t i) const noexcept { return ((x[i] - mu_hi) - mu_lo) * is; }
};

/// Training forward, pass 2, on one run: h = x̂ = ((x − mu_hi) − mu_lo)·is (unless h is null), y = fma(x̂, g, b)
/// (unless y is null). The kernels' normalize, element by element.
template <bool Strided, class T>
void normalize_run(const T* x, std::size_t len, std::size_t inner, T mu_hi, T mu_lo, T is, T g, T b, T* h, T* y) {
    const std::size_t step = Strided ? inner : 1;
    const XhatOf<T> xhat{x, mu_hi, mu_lo, is};
    for (std::size_t i = 0; i < len * step; i += step) {
        const T v = xhat(i);
        if (h) h[i] = v;
        if (y) y[i] = std::fma(v, g, b);
    }
}

/// Eval forward on one run: y = fma(x − mean, scale, shift). The kernels' normalize_eval, element by element.
template <bool Strided, class T>
void normalize_eval_run(const T* x, std::size_t len, std::size_t inner, T mean, T scale, T shift, T* y) {
    const std::size_t step = Strided ? inner : 1;
    for (std::size_t i = 0; i < len * step; i += step) y[i] = std::fma(x[i] - mean, scale, shift);
}

/// Backward, pass 2, on one run: dx = k·fma(x̂, −b, dy − a), x̂ from xhat_of (ValuesOf or XhatOf). The kernels'
/// input_grad and input_grad_of_x, element by element.
template <bool Strided, class T, class B>
void input_grad_run(const T* dy, const B& xhat_of, std::size_t len, std::size_t inner, T k, T a, T b, T* dx) {
    const std::size_t step = Strided ? inner : 1;
    for (std::size_t i = 0; i < len * step; i += step) dx[i] = k * std::fma(xhat_of(i), -b, dy[i] - a);
}

}  // namespace detail

/// Batch normalisation over dimension 1. Dims = 1: input [N, C] or [N, C, L] (BatchNorm1d); Dims = 2: input
/// [N, C, H, W] (BatchNorm2d). Use the aliases BatchNorm1d and BatchNorm2d.
template <class T, int Dims>
class BatchNorm : public TrainingMode {
    static_assert(Dims == 1 || Dims == 2, "BatchNorm: Dims is 1 (BatchNorm1d) or 2 (BatchNorm2d)");

  public:
    using scalar_type = T;

    /// γ = 1, β = 0, running_mean = 0, running_var = 1, num_batches_tracked = 0, as in PyTorch.
    explicit BatchNorm(BatchNormOptions options)
        : opt_(options),
          running_mean_({options.features}, T(0)),
          running_var_({options.features}, T(1)),
          num_batches_tracked_(Shape{}, T(0)),
          inv_std_(options.features, 0.0) {
        const std::string name = "BatchNorm" + std::to_string(Dims) + "d";
        if (opt_.features == 0) throw std::invalid_argument(name + ": features must be positive, got 0");
        if (!(opt_.eps >= 0.0))
            throw std::invalid_argument(name + ": eps must be ≥ 0, got " + std::to_string(opt_.eps));
        if (!(opt_.momentum >= 0.0 && opt_.momentum <= 1.0))
            throw std::invalid_argument(name + ": momentum must be in [0, 1], got " + std::to_string(opt_.momentum));
        if (opt_.affine) {
            weight_ = Tensor<T>({opt_.features}, T(1));
            weight_grad_ = Tensor<T>({opt_.features}, T(0));
            bias_ = Tensor<T>({opt_.features}, T(0));
            bias_grad_ = Tensor<T>({opt_.features}, T(0));
        }
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
        const std::string c = std::to_string(opt_.features);
        if constexpr (Dims == 2)
            check_input(in.size() == 4 && in[1] == opt_.features, describe(), "[N, " + c + ", H, W]", in);
        else
            check_input((in.size() == 2 || in.size() == 3) && in[1] == opt_.features, describe(),
                        "[N, " + c + "] or [N, " + c + ", L]", in);
        return in;
    }

    // x: [N, C, H, W] (2d) or [N, C] / [N, C, L] (1d) → y: x's shape.
    //   training: y = γ·(x − μ)·inv_std + β with the batch statistics (cached: x̂, or with forward_borrowing x itself,
    //             and μ, inv_std); updates the running ones
    //   eval:     y = (x − running_mean)·scale + β, scale = γ/√(running_var + eps) (no cache)
    const Tensor<T>& forward(const Tensor<T>& x) { return forward_impl(x, false); }
    /// forward, keeping a pointer to x instead of writing x̂: x must stay alive and unchanged until backward has run
    /// (layer.hpp). Backward then recomputes x̂ = ((x − mu_hi) − mu_lo)·inv_std from x, bit for bit the stored value,
    /// which saves writing (and holding) one activation-sized tensor per step.
    const Tensor<T>& forward_borrowing(const Tensor<T>& x) { return forward_impl(x, true); }

    // dy: y's shape → dx: x's shape.   With k = γ·inv_std, per channel over its n values:
    //   dx = k·(dy − Σdy/n − x̂·Σ(dy·x̂)/n),   dγ += Σ dy·x̂,   dβ += Σ dy
    const Tensor<T>& backward(const Tensor<T>& dy) {
        backward_into(dy, dx_);
        return dx_;
    }
    /// backward writing dx into the caller's buffer (resized; must not be dy): see layer.hpp.
    /// After an eval-mode forward (frozen statistics, as PyTorch back-propagates through model.eval()), the layer
    /// is the affine map y = γ·s·(x − running_mean) + β with s = 1/√(running_var + eps):
    ///   dx = γ·s·dy,   dγ += Σ dy·x̂,   dβ += Σ dy,   x̂ = (x − running_mean)·s.
    void backward_into(const Tensor<T>& dy, Tensor<T>& dx) {
        if (eval_cache_) {
            check_backward(true, describe(), eval_shape_, dy.shape());
            check_parameters(true);
            dx.resize(dy.shape());
            backward_eval(dy, dx);
            return;
        }
        check_backward(has_cache_ && (!borrowed_ || input_.has_value()), describe(), y_.shape(), dy.shape());
        check_parameters(true);
        dx.resize(dy.shape());
        const auto runs = detail::ChannelRuns::of(dy.dim(0), opt_.features, spatial_size(dy.shape()));
        if (runs.inner == 1)
            backward_train<false>(dy, dx, runs);
        else
            backward_train<true>(dy, dx, runs);
    }

    /// weight, bias (trainable; absent without affine), then the buffers running_mean, running_var,
    /// num_batches_tracked (grad == nullptr), in PyTorch's state_dict order.
    std::vector<ParameterRef<T>> parameters() {
        std::vector<ParameterRef<T>> p;
        if (opt_.affine) {
            p.push_back({"weight", &weight_, &weight_grad_});
            p.push_back({"bias", &bias_, &bias_grad_});
        }
        p.push_back({"running_mean", &running_mean_, nullptr});
        p.push_back({"running_var", &running_var_, nullptr});
        p.push_back({"num_batches_tracked", &num_batches_tracked_, nullptr});
        return p;
    }

    /// Sets the parameter gradients to zero (PyTorch's module.zero_grad()); they accumulate over backward calls.
    void zero_grad() { minitorch::zero_grad(*this); }

    const BatchNormOptions& options() const noexcept { return opt_; }
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
        assign_parameter(weight_, w, describe() + ".set_weight");
    }
    /// bias: [C]
    void set_bias(const Tensor<T>& b) {
        require_affine("set_bias");
        assign_parameter(bias_, b, describe() + ".set_bias");
    }
    /// running_mean: [C]
    void set_running_mean(const Tensor<T>& m) { assign_parameter(running_mean_, m, describe() + ".set_running_mean"); }
    /// running_var: [C]
    void set_running_var(const Tensor<T>& v) { assign_parameter(running_var_, v, describe() + ".set_running_var"); }

    /// Eval mode's values on the calling thread, into y (layer.hpp: infer_into).
    const Tensor<T>& infer_into(const Tensor<T>& x, Tensor<T>& y) const {
        check_parameters(false);
        y.resize(output_shape(x.shape()));
        const auto runs = detail::ChannelRuns::of(x.dim(0), opt_.features, spatial_size(x.shape()));
        if (runs.inner == 1)
            normalise_eval<false>(x.data(), y.data(), runs, 0, opt_.features, 0, runs.runs);
        else
            normalise_eval<true>(x.data(), y.data(), runs, 0, opt_.features, 0, runs.runs);
        return y;
    }

  private:
    const Tensor<T>& forward_impl(const Tensor<T>& x, bool borrow) {
        check_parameters(false);
        y_.resize(output_shape(x.shape()));
        const std::size_t batch = x.dim(0), spatial = spatial_size(x.shape());
        const auto runs = detail::ChannelRuns::of(batch, opt_.features, spatial);
        if (!is_training()) {
            // Eval-mode backward (fine-tuning with frozen statistics) needs x for dγ: borrowed, or a copy.
            has_cache_ = false;
            eval_cache_ = true;
            eval_shape_ = x.shape();
            if (!opt_.affine)
                input_.clear();
            else if (borrow)
                input_.borrow(x);
            else
                std::copy(x.begin(), x.end(), input_.own(x.shape()).begin());
            if (runs.inner == 1)
                forward_eval<false>(x, y_, runs);
            else
                forward_eval<true>(x, y_, runs);
            return y_;
        }
        eval_cache_ = false;
        count_ = batch * spatial;
        if (count_ <= 1)
            throw std::invalid_argument(describe() +
                                        ": expected more than 1 value per channel when training, got input " +
                                        to_string(x.shape()));
        // The cache for backward: x̂ itself, or (borrowing) x and the statistics to recompute x̂. Without affine, y
        // is x̂ and serves as the cache either way.
        borrowed_ = borrow && opt_.affine;
        if (borrowed_)
            input_.borrow(x);
        else
            input_.clear();
        if (opt_.affine && !borrowed_) xhat_.resize(x.shape());
        mu_hi_.resize(opt_.features);
        mu_lo_.resize(opt_.features);
        if (runs.inner == 1)
            forward_train<false>(x, runs);
        else
            forward_train<true>(x, runs);
        num_batches_tracked_[0] += T(1);
        has_cache_ = true;
        return y_;
    }

    /// weight, bias [C] (and their gradients), running_mean, running_var [C], num_batches_tracked []: a tensor of
    /// another shape, put there through parameters(), is refused naming the layer and the tensor.
    void check_parameters(bool grads) const {
        const std::size_t C = opt_.features;
        if (opt_.affine) {
            check_parameter_shape(*this, "weight", weight_, {C});
            check_parameter_shape(*this, "bias", bias_, {C});
            if (grads) {
                check_parameter_shape(*this, "weight's gradient", weight_grad_, {C});
                check_parameter_shape(*this, "bias's gradient", bias_grad_, {C});
            }
        }
        check_parameter_shape(*this, "running_mean", running_mean_, {C});
        check_parameter_shape(*this, "running_var", running_var_, {C});
        check_parameter_shape(*this, "num_batches_tracked", num_batches_tracked_, {});
    }

    static std::size_t spatial_size(const Shape& s) {
        std::size_t n = 1;
        for (std::size_t d = 2; d < s.size(); ++d) n *= s[d];
        return n;
    }
    void require_affine(const char* what) const {
        if (!opt_.affine)
            throw std::logic_error(describe() + "." + what + ": this layer was built without affine parameters");
    }
    double gamma(std::size_t c) const { return opt_.affine ? static_cast<double>(weight_[c]) : 1.0; }
    double beta(std::size_t c) const { return opt_.affine ? static_cast<double>(bias_[c]) : 0.0; }

    /// Contiguous float runs go through the kernels of kernels/batchnorm.hpp; strided runs and double through the
    /// plain loops of detail (the same formulas).
    template <bool Strided>
    static constexpr bool uses_kernels = !Strided && std::is_same_v<T, float>;
    /// Channel c's runs as the kernels address them (from its first value).
    static kernels::Runs kernel_runs(const detail::ChannelRuns& runs) { return {runs.runs, runs.len, runs.run_step}; }

    template <bool Strided>
    void forward_train(const Tensor<T>& x, const detail::ChannelRuns& runs) {
        const T* xp = x.data();
        T* yp = y_.data();
        T* hp = borrowed_ ? nullptr : opt_.affine ? xhat_.data() : yp;  // where x̂ goes (nowhere when borrowing)
        T* y_out = opt_.affine ? yp : nullptr;                         // without affine y is x̂, written as hp
        const double n = static_cast<double>(count_), m = opt_.momentum;
        parallel_for(opt_.features, [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t c = begin; c < end; ++c) {
                // Pass 1: Σd and Σd² of d = x − K, K = the channel's first value (shifted sums: no cancellation
                // when the mean is large against the spread), in double.
                const std::size_t first = runs.start(c, 0);
                const double shift = static_cast<double>(xp[first]);
                double s1 = 0, s2 = 0;
                if constexpr (uses_kernels<Strided>)
                    kernels::batchnorm().shifted_sums(xp + first, kernel_runs(runs), shift, s1, s2);
                else
                    for (std::size_t r = 0; r < runs.runs; ++r)
                        detail::add_shifted_sums<Strided>(xp + runs.start(c, r), runs.len, runs.inner, shift, s1, s2);
                const double mean_d = s1 / n;
                const double mean = shift + mean_d;
                const double var = std::max((s2 - s1 * mean_d) / n, 0.0);  // biased: normalises the batch
                const double inv_std = 1.0 / std::sqrt(var + opt_.eps);
                inv_std_[c] = inv_std;
                // Pass 2 (fused): x̂ = (x − μ)·inv_std and y = γ·x̂ + β. μ is split into mu_hi + mu_lo, both T: in
                // float, rounding μ itself would shift x̂ by up to ½ulp(μ)·inv_std (3e-3 for μ = 1000, σ = 0.01),
                // while x − mu_hi is exact for x near μ and mu_lo carries the rest.
                const T mu_hi = static_cast<T>(mean), mu_lo = static_cast<T>(mean - static_cast<double>(mu_hi));
                const T is = static_cast<T>(inv_std);
                mu_hi_[c] = mu_hi;
                mu_lo_[c] = mu_lo;
                const T g = static_cast<T>(gamma(c)), b = static_cast<T>(beta(c));
                if constexpr (uses_kernels<Strided>) {
                    kernels::batchnorm().normalize(xp + first, {mu_hi, mu_lo, is}, g, b, kernel_runs(runs),
                                                   hp ? hp + first : nullptr, y_out ? y_out + first : nullptr);
                } else {
                    for (std::size_t r = 0; r < runs.runs; ++r) {
                        const std::size_t at = runs.start(c, r);
                        detail::normalize_run<Strided>(xp + at, runs.len, runs.inner, mu_hi, mu_lo, is, g, b,
                                                       hp ? hp + at : nullptr, y_out ? y_out + at : nullptr);
                    }
                }
                // Running statistics: the UNBIASED variance σ²·n/(n − 1), as PyTorch stores it.
                running_mean_[c] = static_cast<T>((1 - m) * static_cast<double>(running_mean_[c]) + m * mean);
                running_var_[c] =
                    static_cast<T>((1 - m) * static_cast<double>(running_var_[c]) + m * var * n / (n - 1));
            }
        });
    }

    /// Eval mode: y = fma(x − running_mean, scale, β) per channel, scale = γ/√(running_var + ε), on the runs
    /// (images) [r_begin, r_end) of channels [c_begin, c_end). (x − running_mean)·scale + β rather than
    /// x·scale + (β − running_mean·scale): the subtraction of two T values is exact for x near the mean, where the
    /// folded form cancels (PyTorch folds).
    template <bool Strided>
    void normalise_eval(const T* xp, T* yp, const detail::ChannelRuns& runs, std::size_t c_begin, std::size_t c_end,
                        std::size_t r_begin, std::size_t r_end) const {
        for (std::size_t c = c_begin; c < c_end; ++c) {
            const T scale = static_cast<T>(gamma(c) / std::sqrt(static_cast<double>(running_var_[c]) + opt_.eps));
            const T mean = running_mean_[c], shift = static_cast<T>(beta(c));
            if constexpr (uses_kernels<Strided>) {
                const std::size_t at = runs.start(c, r_begin);
                kernels::batchnorm().normalize_eval(xp + at, mean, scale, shift,
                                                    {r_end - r_begin, runs.len, runs.run_step}, yp + at);
            } else {
                for (std::size_t r = r_begin; r < r_end; ++r) {
                    const std::size_t at = runs.start(c, r);
                    detail::normalize_eval_run<Strided>(xp + at, runs.len, runs.inner, mean, scale, shift, yp + at);
                }
            }
        }
    }

    template <bool Strided>
    void forward_eval(const Tensor<T>& x, Tensor<T>& y, const detail::ChannelRuns& runs) const {
        if (runs.runs == 1) {  // [N, C]: one strided run per channel; split the channels
            parallel_for(opt_.features, [&](std::size_t begin, std::size_t end, std::size_t) {
                normalise_eval<Strided>(x.data(), y.data(), runs, begin, end, 0, 1);
            });
            return;
        }
        // [N, C, spatial]: split the images, as the layer before (a Conv2d) did, so each thread normalises the
        // activations it just wrote, from its own core's cache. Every run is computed as in the channel split.
        parallel_for(runs.runs, [&](std::size_t begin, std::size_t end, std::size_t) {
            normalise_eval<Strided>(x.data(), y.data(), runs, 0, opt_.features, begin, end);
        });
    }

    /// Eval-mode backward (see backward_into), plain loops; sums in double, per channel in a fixed order.
    void backward_eval(const Tensor<T>& dy, Tensor<T>& dx) {
        const auto runs = detail::ChannelRuns::of(dy.dim(0), opt_.features, spatial_size(dy.shape()));
        const T* xp = opt_.affine ? input_.get(describe()).data() : nullptr;
        const T* gp = dy.data();
        T* dxp = dx.data();
        const std::size_t step = runs.inner;
        parallel_for(opt_.features, [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t c = begin; c < end; ++c) {
                const double s = 1.0 / std::sqrt(static_cast<double>(running_var_[c]) + opt_.eps);
                const double mean = static_cast<double>(running_mean_[c]);
                const T k = static_cast<T>(gamma(c) * s);
                double sum_dy = 0, sum_dy_xhat = 0;
                for (std::size_t r = 0; r < runs.runs; ++r) {
                    const std::size_t at = runs.start(c, r);
                    for (std::size_t i = 0; i < runs.len; ++i) {
                        const std::size_t j = at + i * step;
                        dxp[j] = k * gp[j];
                        if (xp) {
                            sum_dy += static_cast<double>(gp[j]);
                            sum_dy_xhat += static_cast<double>(gp[j]) * ((static_cast<double>(xp[j]) - mean) * s);
                        }
                    }
                }
                if (opt_.affine) {
                    weight_grad_[c] += static_cast<T>(sum_dy_xhat);
                    bias_grad_[c] += static_cast<T>(sum_dy);
                }
            }
        });
    }

    template <bool Strided>
    void backward_train(const Tensor<T>& dy, Tensor<T>& dx, const detail::ChannelRuns& runs) {
        const T* gp = dy.data();
        const T* xp = borrowed_ ? input_.get(describe()).data() : nullptr;  // borrowing: x̂ is recomputed from x
        const T* hp = borrowed_ ? nullptr : opt_.affine ? xhat_.data() : y_.data();
        T* dxp = dx.data();
        const double n = static_cast<double>(count_);
        parallel_for(opt_.features, [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t c = begin; c < end; ++c) {
                const T mu_hi = mu_hi_[c], mu_lo = mu_lo_[c], is = static_cast<T>(inv_std_[c]);
                const std::size_t first = runs.start(c, 0);
                // Pass 1: Σdy and Σdy·x̂, in double.
                double sum_dy = 0, sum_dy_xhat = 0;
                if constexpr (uses_kernels<Strided>) {
                    const auto& kern = kernels::batchnorm();
                    if (xp)
                        kern.dot_sums_of_x(gp + first, xp + first, {mu_hi, mu_lo, is}, kernel_runs(runs), sum_dy,
                                           sum_dy_xhat);
                    else
                        kern.dot_sums(gp + first, hp + first, kernel_runs(runs), sum_dy, sum_dy_xhat);
                } else {
                    for (std::size_t r = 0; r < runs.runs; ++r) {
                        const std::size_t at = runs.start(c, r);
                        if (xp)
                            detail::add_dot_sums_of<Strided>(gp + at, detail::XhatOf<T>{xp + at, mu_hi, mu_lo, is},
                                                             runs.len, runs.inner, sum_dy, sum_dy_xhat);
                        else
                            detail::add_dot_sums_of<Strided>(gp + at, detail::ValuesOf<T>{hp + at}, runs.len,
                                                             runs.inner, sum_dy, sum_dy_xhat);
                    }
                }
                // Pass 2: dx = k·((dy − a) − x̂·b), the inner multiply-add fused, k = γ·inv_std, a = Σdy/n,
                // b = Σ(dy·x̂)/n.
                const T k = static_cast<T>(gamma(c) * inv_std_[c]);
                const T a = static_cast<T>(sum_dy / n), b = static_cast<T>(sum_dy_xhat / n);
                if constexpr (uses_kernels<Strided>) {
                    const auto& kern = kernels::batchnorm();
                    if (xp)
                        kern.input_grad_of_x(gp + first, xp + first, {mu_hi, mu_lo, is}, k, a, b, kernel_runs(runs),
                                             dxp + first);
                    else
                        kern.input_grad(gp + first, hp + first, k, a, b, kernel_runs(runs), dxp + first);
                } else {
                    for (std::size_t r = 0; r < runs.runs; ++r) {
                        const std::size_t at = runs.start(c, r);
                        if (xp)
                            detail::input_grad_run<Strided>(gp + at, detail::XhatOf<T>{xp + at, mu_hi, mu_lo, is},
                                                            runs.len, runs.inner, k, a, b, dxp + at);
                        else
                            detail::input_grad_run<Strided>(gp + at, detail::ValuesOf<T>{hp + at}, runs.len,
                                                            runs.inner, k, a, b, dxp + at);
                    }
                }
                if (opt_.affine) {
                    weight_grad_[c] += static_cast<T>(sum_dy_xhat);
                    bias_grad_[c] += static_cast<T>(sum_dy);
                }
            }
        });
    }

    BatchNormOptions opt_;
    Tensor<T> weight_, weight_grad_, bias_, bias_grad_;  // [C] each (empty without affine)
    Tensor<T> running_mean_, running_var_;               // [C] buffers
    Tensor<T> num_batches_tracked_;                      // [] buffer
    std::vector<double> inv_std_;                        // cache: 1/√(σ² + eps) per channel, [C]
    Tensor<T> xhat_;                                     // cache: x̂, x's shape (affine, not borrowing; else y_ is x̂)
    std::vector<T> mu_hi_, mu_lo_;                       // cache: the batch mean μ = mu_hi + mu_lo per channel, [C]
    InputCache<T> input_;                                // cache when borrowing: x (see forward_borrowing)
    bool borrowed_ = false;                              // the cache is x (borrowed), not x̂
    std::size_t count_ = 0;                              // cache: n = N·H·W of the cached forward
    Tensor<T> y_, dx_;                                   // outputs, reused between steps
    bool has_cache_ = false;
    bool eval_cache_ = false;                            // the last forward was in eval mode (input_ holds x)
    Shape eval_shape_;                                   // its input's (and output's) shape
};

/// BatchNorm1d<T>({.features = C}): input [N, C] or [N, C, L].
template <class T>
using BatchNorm1d = BatchNorm<T, 1>;
/// BatchNorm2d<T>({.features = C}): input [N, C, H, W].
template <class T>
using BatchNorm2d = BatchNorm<T, 2>;

namespace reference {

/// The plain training-mode batch-norm forward, for tests: per channel, the mean, then the mean squared deviation
/// (biased variance), then y = γ·(x − μ)/√(σ² + eps) + β, with straightforward loops in double.
/// x: [N, C, ...]; gamma, beta: [C], or empty for γ = 1, β = 0 → y: x's shape; mean, var: [C] (resized).
template <class T>
void batch_norm_forward_train(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta, double eps,
                              Tensor<double>& y, std::vector<double>& mean, std::vector<double>& var) {
    const std::size_t batch = x.dim(0), channels = x.dim(1), spatial = x.size() / (batch * channels);
    const double n = static_cast<double>(batch * spatial);
    y.resize(x.shape());
    mean.assign(channels, 0.0);
    var.assign(channels, 0.0);
    for (std::size_t c = 0; c < channels; ++c) {
        for (std::size_t i = 0; i < batch; ++i)
            for (std::size_t s = 0; s < spatial; ++s)
                mean[c] += static_cast<double>(x[(i * channels + c) * spatial + s]);
        mean[c] /= n;
        for (std::size_t i = 0; i < batch; ++i)
            for (std::size_t s = 0; s < spatial; ++s) {
                const double d = static_cast<double>(x[(i * channels + c) * spatial + s]) - mean[c];
                var[c] += d * d;
            }
        var[c] /= n;
        const double g = gamma.empty() ? 1.0 : static_cast<double>(gamma[c]);
        const double b = beta.empty() ? 0.0 : static_cast<double>(beta[c]);
        for (std::size_t i = 0; i < batch; ++i)
            for (std::size_t s = 0; s < spatial; ++s) {
                const std::size_t at = (i * channels + c) * spatial + s;
                y[at] = g * (static_cast<double>(x[at]) - mean[c]) / std::sqrt(var[c] + eps) + b;
            }
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
    const std::size_t batch = x.dim(0), channels = x.dim(1), spatial = x.size() / (batch * channels);
    const double n = static_cast<double>(batch * spatial);
    dx.resize(x.shape());
    dgamma.assign(channels, 0.0);
    dbeta.assign(channels, 0.0);
    for (std::size_t c = 0; c < channels; ++c) {
        for (std::size_t i = 0; i < batch; ++i)
            for (std::size_t s = 0; s < spatial; ++s) {
                const std::size_t at = (i * channels + c) * spatial + s;
                dgamma[c] += static_cast<double>(dy[at]) * xhat[at];
                dbeta[c] += static_cast<double>(dy[at]);
            }
        const double g = gamma.empty() ? 1.0 : static_cast<double>(gamma[c]);
        const double k = g / (n * std::sqrt(var[c] + eps));
        for (std::size_t i = 0; i < batch; ++i)
            for (std::size_t s = 0; s < spatial; ++s) {
                const std::size_t at = (i * channels + c) * spatial + s;
                dx[at] = k * (n * static_cast<double>(dy[at]) - dbeta[c] - xhat[at] * dgamma[c]);
            }
    }
}

}  // namespace reference

}  // namespace minitorch
