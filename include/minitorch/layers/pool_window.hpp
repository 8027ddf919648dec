// minitorch/layers/pool_window.hpp — what MaxPool2d and AvgPool2d share: a square window, its stride, and the
// contract's describe, window and output_shape (PyTorch's pooling with padding 0, dilation 1, ceil_mode false: the
// output size is floor((H − k)/s) + 1).
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace minitorch {

/// MaxPool2dOptions and AvgPool2dOptions: a square window and its stride.
struct Pool2dOptions {
    std::size_t kernel = 0;  ///< square window size
    std::size_t stride = 0;  ///< 0 means stride = kernel (PyTorch's default)
};
using MaxPool2dOptions = Pool2dOptions;
using AvgPool2dOptions = Pool2dOptions;

namespace detail {

/// What the two pooling layers share: a square kernel k and a stride s (0 in the options means s = k, PyTorch's
/// default), checked once, the mode, and the contract's describe, window and output_shape.
class PoolWindow : public TrainingMode {
  public:
    /// "MaxPool2d(k=2)", plus ", s=1" when the stride is not the kernel size.
    std::string describe() const {
        return std::string(name_) + "(k=" + std::to_string(opt_.kernel) +
               (opt_.stride != opt_.kernel ? ", s=" + std::to_string(opt_.stride) : std::string()) + ")";
    }
    Window window() const noexcept { return {opt_.kernel, opt_.stride}; }
    /// [N, C, H, W] → [N, C, (H − k)/s + 1, (W − k)/s + 1], needs H, W ≥ k.
    Shape output_shape(const Shape& in) const {
        const auto d = output_dims(in);
        return {d[0], d[1], d[2], d[3]};
    }
    /// The extents of output_shape, building no Shape or string unless the check fails (for forward: a
    /// steady-state step allocates nothing).
    std::array<std::size_t, 4> output_dims(const Shape& in) const {
        const std::size_t k = opt_.kernel, s = opt_.stride;
        check_input(
            in.size() == 4 && in[2] >= k && in[3] >= k, [this] { return describe(); },
            [k] { return "[N, C, H, W] with H, W ≥ " + std::to_string(k); }, in);
        return {in[0], in[1], (in[2] - k) / s + 1, (in[3] - k) / s + 1};
    }
    /// The options with the stride resolved (never 0).
    const Pool2dOptions& options() const noexcept { return opt_; }

  protected:
    PoolWindow(const char* name, Pool2dOptions o) : name_(name), opt_(o) {
        if (opt_.kernel == 0) throw std::invalid_argument(std::string(name) + ": kernel must be positive, got 0");
        if (opt_.stride == 0) opt_.stride = opt_.kernel;
    }

    const char* name_;   // "MaxPool2d" or "AvgPool2d"
    Pool2dOptions opt_;  // kernel k and stride s (resolved)
};

}  // namespace detail

}  // namespace minitorch
