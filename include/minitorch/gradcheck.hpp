// minitorch/gradcheck.hpp — finite-difference gradient checking, in double, for any layer, container or loss.
//
// For a layer, the checked scalar is f(x, θ) = ⟨forward(x), dy⟩ for a fixed random dy; backward must write ∂f/∂x
// into dx and accumulate ∂f/∂θ into every trainable parameter's gradient (the layer runs on the checker's own
// buffers, as a container would run it: layer.hpp). Each element is compared with the central
// difference (f(v + ε) − f(v − ε)) / 2ε, and passes when
//
//     |analytic − numeric| ≤ atol + rtol·|numeric|.
//
// The worst element (largest error relative to its allowance) is reported by tensor name and flat index.
// A gradient that is all zero (analytic and numeric) fails the check: a vacuous pass proves nothing, and is how
// all-zero backward bugs slip through other libraries' checkers.
//
// The layer is run in training mode (BatchNorm's gradients then flow through the batch statistics), or in eval mode
// with GradcheckOptions::training = false (BatchNorm with frozen running statistics, Dropout as the identity). Layers
// with randomness (Dropout) must have it frozen so every forward is the same function (see Dropout::freeze_mask).
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/random.hpp"
#include "minitorch/tensor.hpp"

#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace minitorch {

struct GradcheckOptions {
    double eps = 1e-6;    ///< finite-difference step
    double rtol = 1e-6;   ///< relative tolerance (the acceptance bar: no looser than 1e-6)
    double atol = 1e-9;   ///< absolute tolerance, for elements whose gradient is near zero
    std::uint64_t seed = 1234;  ///< seeds the random dy
    bool training = true;       ///< gradcheck runs the layer in this mode (false: eval mode, e.g. frozen BatchNorm)
};

struct GradcheckResult {
    bool ok = true;
    std::string report;          ///< one line per checked tensor, then the verdict
    std::string worst_tensor;    ///< name of the tensor holding the worst element
    std::size_t worst_index = 0;  ///< its flat index
    double worst_analytic = 0, worst_numeric = 0;
    double worst_ratio = 0;       ///< |a − n| / (atol + rtol·|n|); the check passes when every ratio ≤ 1
    explicit operator bool() const noexcept { return ok; }
};

/// One tensor to check: its values are perturbed in place (and restored); `analytic` is the hand-written gradient.
struct GradcheckTarget {
    std::string name;
    Tensor<double>* value;
    Tensor<double> analytic;
};

/// The core: compares each target's analytic gradient with central differences of the scalar function f().
inline GradcheckResult check_gradients(const std::function<double()>& f, std::vector<GradcheckTarget>& targets,
                                       const GradcheckOptions& opt = {}) {
    GradcheckResult result;
    std::ostringstream report;
    report.precision(6);
    for (auto& target : targets) {
        Tensor<double>& v = *target.value;
        if (target.analytic.shape() != v.shape()) {
            result.ok = false;
            report << target.name << ": analytic gradient has shape " << to_string(target.analytic.shape())
                   << ", expected " << to_string(v.shape()) << '\n';
            continue;
        }
        double max_abs = 0, tensor_worst = 0;
        std::size_t failures = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const double saved = v[i];
            v[i] = saved + opt.eps;
            const double f_plus = f();
            v[i] = saved - opt.eps;
            const double f_minus = f();
            v[i] = saved;
            const double numeric = (f_plus - f_minus) / (2 * opt.eps);
            const double analytic = target.analytic[i];
            max_abs = std::max({max_abs, std::abs(numeric), std::abs(analytic)});
            const double ratio = std::abs(analytic - numeric) / (opt.atol + opt.rtol * std::abs(numeric));
            if (!(ratio <= 1.0)) ++failures;  // NaN fails too
            tensor_worst = std::max(tensor_worst, std::isnan(ratio) ? INFINITY : ratio);
            if (!(ratio <= result.worst_ratio)) {
                result.worst_ratio = std::isnan(ratio) ? INFINITY : ratio;
                result.worst_tensor = target.name;
                result.worst_index = i;
                result.worst_analytic = analytic;
                result.worst_numeric = numeric;
            }
        }
        report << target.name << " " << to_string(v.shape()) << ": " << failures << " of " << v.size()
               << " elements outside tolerance, worst error/allowance " << tensor_worst;
        if (max_abs == 0.0) {
            result.ok = false;
            report << " — FAIL: the gradient is all zero, so the check would prove nothing";
        }
        if (failures) result.ok = false;
        report << '\n';
    }
    report << (result.ok ? "gradcheck passed" : "gradcheck FAILED") << "; worst element " << result.worst_tensor << "["
           << result.worst_index << "]: analytic " << result.worst_analytic << ", numeric " << result.worst_numeric
           << " (rtol " << opt.rtol << ", atol " << opt.atol << ", eps " << opt.eps << ")";
    result.report = report.str();
    return result;
}

namespace detail {
inline double dot(const Tensor<double>& a, const Tensor<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}
}  // namespace detail

namespace detail {
/// The layer check on `forward(input)` → y and `backward(input, y, dy)` → dx (see gradcheck below).
template <class M, class Forward, class Backward>
GradcheckResult gradcheck_with(M& m, const Tensor<double>& x, const GradcheckOptions& opt, Forward forward,
                               Backward backward) {
    m.train(opt.training);
    Tensor<double> input = x;
    Tensor<double> dy(m.output_shape(x.shape()));
    Generator gen(opt.seed);
    normal_(dy, 0.0, 1.0, gen);

    auto params = m.parameters();
    for (auto& p : params)
        if (p.trainable()) p.grad->zero();
    const Tensor<double>& out = forward(input);
    if (out.shape() != dy.shape()) {
        GradcheckResult r;
        r.ok = false;
        r.report = m.describe() + ": forward returned " + to_string(out.shape()) + " but output_shape() says " +
                   to_string(dy.shape());
        return r;
    }
    std::vector<GradcheckTarget> targets;
    targets.push_back({"input", &input, backward(input, out, dy)});
    for (auto& p : params)
        if (p.trainable()) targets.push_back({p.name, p.value, *p.grad});

    const auto f = [&] { return dot(forward(input), dy); };
    return check_gradients(f, targets, opt);
}
}  // namespace detail

/// A container of layers that runs them on its own buffers: forward(x) and backward(dy) (Sequential, Standalone).
template <class M>
concept Model = requires(M& m, const M& const_m, const Tensor<typename M::scalar_type>& t, const Shape& s) {
    { m.forward(t) } -> std::convertible_to<const Tensor<typename M::scalar_type>&>;
    { m.backward(t) } -> std::convertible_to<const Tensor<typename M::scalar_type>&>;
    { m.parameters() } -> std::same_as<std::vector<ParameterRef<typename M::scalar_type>>>;
    m.train(true);
    { const_m.describe() } -> std::convertible_to<std::string>;
    { const_m.output_shape(s) } -> std::convertible_to<Shape>;
};

/// Checks a layer's backward (input gradient and every trainable parameter) at input x, running the layer on the
/// checker's own buffers as a container would (layer.hpp). The layer's parameter gradients are zeroed first and hold
/// the analytic gradient afterwards.
template <Layer L>
    requires std::is_same_v<typename L::scalar_type, double>
GradcheckResult gradcheck(L& layer, const Tensor<double>& x, const GradcheckOptions& opt = {}) {
    Tensor<double> y, dx;
    typename L::Cache cache{};
    return detail::gradcheck_with(
        layer, x, opt, [&](const Tensor<double>& in) -> const Tensor<double>& { return layer.forward(in, y, cache); },
        [&](const Tensor<double>& in, const Tensor<double>& out, const Tensor<double>& dy) {
            layer.backward(in, out, cache, dy, dx);
            return dx;
        });
}

/// The same for a model (a Sequential): its forward(x) and backward(dy).
template <Model M>
    requires(!Layer<M> && std::is_same_v<typename M::scalar_type, double>)
GradcheckResult gradcheck(M& model, const Tensor<double>& x, const GradcheckOptions& opt = {}) {
    return detail::gradcheck_with(
        model, x, opt, [&](const Tensor<double>& in) -> const Tensor<double>& { return model.forward(in); },
        [&](const Tensor<double>&, const Tensor<double>&, const Tensor<double>& dy) { return model.backward(dy); });
}

/// Checks a loss's backward at input x against target t (a tensor for MSELoss, labels for the classification
/// losses): f = loss.forward(x, t), and loss.backward() must return ∂f/∂x.
template <class Loss, class Target>
GradcheckResult gradcheck_loss(Loss& loss, const Tensor<double>& x, const Target& t, const GradcheckOptions& opt = {}) {
    Tensor<double> input = x;
    loss.forward(input, t);
    std::vector<GradcheckTarget> targets;
    targets.push_back({"input", &input, Tensor<double>(loss.backward())});
    const auto f = [&] { return static_cast<double>(loss.forward(input, t)); };
    return check_gradients(f, targets, opt);
}

/// Checks a whole model ending in a loss: f = loss(model(x), t); checks ∂f/∂x and every trainable parameter.
template <Model M, class Loss, class Target>
    requires std::is_same_v<typename M::scalar_type, double>
GradcheckResult gradcheck_model(M& model, Loss& loss, const Tensor<double>& x, const Target& t,
                                const GradcheckOptions& opt = {}) {
    model.train(true);
    Tensor<double> input = x;
    auto params = model.parameters();
    for (auto& p : params)
        if (p.trainable()) p.grad->zero();
    loss.forward(model.forward(input), t);
    std::vector<GradcheckTarget> targets;
    targets.push_back({"input", &input, Tensor<double>(model.backward(loss.backward()))});
    for (auto& p : params)
        if (p.trainable()) targets.push_back({p.name, p.value, *p.grad});
    const auto f = [&] { return static_cast<double>(loss.forward(model.forward(input), t)); };
    return check_gradients(f, targets, opt);
}

}  // namespace minitorch
