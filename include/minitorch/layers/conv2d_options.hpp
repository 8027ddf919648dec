// minitorch/layers/conv2d_options.hpp — Conv2d's options and their validation (layers/conv2d.hpp).
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace minitorch {

/// Give `kernel` for a square kernel, or `kernel_h` and `kernel_w` for a rectangular one (not both, unless they agree).
struct Conv2dOptions {
    std::size_t in = 0;        ///< in_channels
    std::size_t out = 0;       ///< out_channels
    std::size_t kernel = 0;    ///< square kernel size (0: use kernel_h × kernel_w)
    std::size_t kernel_h = 0;  ///< kernel height (rectangular kernels)
    std::size_t kernel_w = 0;  ///< kernel width (rectangular kernels)
    std::size_t stride = 1;    ///< same stride along H and W
    std::size_t padding = 0;   ///< zero padding on every side
    bool bias = true;
};

namespace detail {

/// The options with kernel, kernel_h and kernel_w resolved, for a Conv2d<T>; throws std::invalid_argument naming the
/// bad option.
template <class T>
Conv2dOptions normalise_conv2d_options(Conv2dOptions o) {
    if (o.in == 0 || o.out == 0)
        throw std::invalid_argument("Conv2d: in and out channels must be positive, got in=" + std::to_string(o.in) +
                                    ", out=" + std::to_string(o.out));
    if (o.kernel != 0) {
        if ((o.kernel_h != 0 && o.kernel_h != o.kernel) || (o.kernel_w != 0 && o.kernel_w != o.kernel))
            throw std::invalid_argument("Conv2d: kernel=" + std::to_string(o.kernel) + " conflicts with kernel_h=" +
                                        std::to_string(o.kernel_h) + ", kernel_w=" + std::to_string(o.kernel_w) +
                                        "; give either kernel or kernel_h and kernel_w");
        o.kernel_h = o.kernel_w = o.kernel;
    } else if (o.kernel_h == 0 || o.kernel_w == 0) {
        throw std::invalid_argument(
            "Conv2d: kernel size must be positive (give kernel, or kernel_h and kernel_w), got kernel_h=" +
            std::to_string(o.kernel_h) + ", kernel_w=" + std::to_string(o.kernel_w));
    }
    if (o.kernel_h == o.kernel_w) o.kernel = o.kernel_h;
    if (o.stride == 0) throw std::invalid_argument("Conv2d: stride must be positive, got 0");
    // 2·padding wrapping around to a small number would silently drop the padding (1 << 63 became 0); the
    // weight's element count must fit too.
    checked_mul(2, o.padding, "Conv2d: padding " + std::to_string(o.padding) + " is too large: 2·padding");
    check_parameter_size<T>("Conv2d", "weight", {o.out, o.in, o.kernel_h, o.kernel_w});
    return o;
}

}  // namespace detail

}  // namespace minitorch
