// minitorch/layers/conv2d.hpp — 2-d convolution (PyTorch's nn.Conv2d: a cross-correlation with zero padding),
// computed as im2col + one matrix product per image, parallel over the batch.
// Derivation: docs/layers/conv2d.md. Tests: tests/test_conv2d.cpp (against kernels/conv_reference.hpp).
//
//   Conv2d<float> conv({.in = 16, .out = 32, .kernel = 3});
//   Conv2d<float> rect({.in = 1, .out = 4, .kernel_h = 2, .kernel_w = 3, .stride = 2, .padding = 1, .bias = false});
//
// Per image n, with col_n = im2col(x_n): [C·kh·kw, outH·outW] and W viewed as [O, C·kh·kw]:
//   forward    Y_n  = W·col_n + b·1ᵀ                     (Y_n is y[n] viewed as [O, outH·outW])
//   backward   dW  += Σ_n dY_n·col_nᵀ,   db += Σ_n dY_n·1,   dcol_n = Wᵀ·dY_n,   dx_n = col2im(dcol_n)
// At stride 1 in float the forward product reads the image in place of col, bit for bit the same result
// (kernels/conv_implicit.hpp); backward still builds col for the weight gradient. The float products run on the
// kernels of the ISA in use (kernels/gemm.hpp, through the matrix views of kernels/matrix.hpp), with the same bits on
// every ISA.
//
// Threads: the batch is split into num_threads() contiguous chunks (parallel_for), each thread with its col buffer
// (thread_scratch) and a partial dW/db, added into the gradients in thread order after the parallel region. So y and
// dx do not depend on the thread count, dW and db are the same bits for the same thread count.
//
// Cache: nothing — backward reads x, which the caller keeps (layer.hpp). col is recomputed in backward instead of
// being kept for every image — im2col is a copy, O(C·kh·kw·outH·outW) per image, against the GEMM's O times that, and
// keeping all cols would cost N·C·kh·kw·outH·outW values (42 MB at batch 128 for a 16→32, 3×3 conv on 26×26 inputs).
#pragma once

#include "minitorch/kernels/conv_implicit.hpp"
#include "minitorch/kernels/im2col.hpp"
#include "minitorch/kernels/matrix.hpp"
#include "minitorch/kernels/parallel.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/layers/conv2d_options.hpp"
#include "minitorch/layers/weighted.hpp"
#include "minitorch/random.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace minitorch {

template <class T>
class Conv2d : public TrainingMode, public WeightAndBias<Conv2d<T>, T> {
    using Parameters = WeightAndBias<Conv2d<T>, T>;  // weight_ [out, in, kh, kw], bias_ [out] and their gradients
    using Parameters::weight_, Parameters::bias_, Parameters::weight_grad_, Parameters::bias_grad_;
    using Parameters::check_parameters;

  public:
    using scalar_type = T;

    /// Weights initialised as PyTorch does: W, b ~ U(−1/√fan_in, 1/√fan_in) with fan_in = in·kh·kw.
    explicit Conv2d(Conv2dOptions options, Generator& gen = default_generator())
        : opt_(detail::normalise_conv2d_options<T>(options)) {
        this->init_parameters({opt_.out, opt_.in, opt_.kernel_h, opt_.kernel_w}, opt_.bias,
                              opt_.in * opt_.kernel_h * opt_.kernel_w, gen);
    }

    /// "Conv2d(16→32, k=3)", with ", s=2", ", p=1", ", bias=false" only when not the default; "k=2×3" if not square.
    std::string describe() const {
        std::string s =
            "Conv2d(" + std::to_string(opt_.in) + "→" + std::to_string(opt_.out) + ", k=" +
            (opt_.kernel_h == opt_.kernel_w ? std::to_string(opt_.kernel_h)
                                            : std::to_string(opt_.kernel_h) + "×" + std::to_string(opt_.kernel_w));
        if (opt_.stride != 1) s += ", s=" + std::to_string(opt_.stride);
        if (opt_.padding != 0) s += ", p=" + std::to_string(opt_.padding);
        if (!opt_.bias) s += ", bias=false";
        return s + ")";
    }

    /// Kernel and stride along the spatial axes (the kernel height for a rectangular kernel).
    Window window() const noexcept { return {opt_.kernel_h, opt_.stride}; }

    /// [N, in, H, W] → [N, out, (H + 2p − kh)/s + 1, (W + 2p − kw)/s + 1]; needs H + 2p ≥ kh, W + 2p ≥ kw, H, W ≥ 1.
    Shape output_shape(const Shape& in) const {
        const auto d = output_dims(in);
        return {d[0], d[1], d[2], d[3]};
    }

    struct Cache {};  // backward recomputes col from x (see the top of this file)

    // x: [N, C, H, W] → y: [N, O, outH, outW].   per image: col = im2col(x_n), Y_n = W·col + b·1ᵀ
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache&) {
        check_parameters(false);
        const auto dims = output_dims(x.shape());
        y.resize({dims[0], dims[1], dims[2], dims[3]});
        const ConvGeometry g = geometry(x.shape());
        const std::size_t N = x.dim(0), O = opt_.out, L = g.col_cols(), image = g.channels * g.height * g.width;
        const bool needs_col = !conv_forward_implicit_applies<T>(g) && !g.is_identity();
        parallel_for(N, [&](std::size_t begin, std::size_t end, std::size_t) {
            T* col = needs_col ? detail::thread_scratch<detail::ConvCol, T>(g.col_rows() * L) : nullptr;
            for (std::size_t n = begin; n < end; ++n)
                forward_image(x.data() + n * image, g, col, y.data() + n * O * L, (N - 1 - n) * image);
        });
        return y;
    }

    // dy: [N, O, outH, outW] → dx: [N, C, H, W].
    //   per image: col = im2col(x_n) (recomputed), dW += dY_n·colᵀ, db += dY_n·1, dcol = Wᵀ·dY_n, dx_n = col2im(dcol)
    void backward(const Tensor<T>& x, const Tensor<T>&, const Cache&, const Tensor<T>& dy, Tensor<T>& dx) {
        check_parameters(true);
        const ConvGeometry g = geometry(x.shape());
        const std::size_t N = x.dim(0), O = opt_.out, K = g.col_rows(), L = g.col_cols();
        const std::size_t image = g.channels * g.height * g.width;
        dx.resize(x.shape());
        ensure_thread_partials();
        parallel_for(N, [&](std::size_t begin, std::size_t end, std::size_t t) {
            T* col = g.is_identity() ? nullptr : detail::thread_scratch<detail::ConvCol, T>(K * L);  // [K, L]
            Tensor<T>& dw = dw_partial_[t];
            Tensor<T>& db = db_partial_[t];
            dw.resize({O, K});
            dw.zero();
            db.resize({opt_.bias ? O : 0});
            db.zero();
            const auto W = matrix(weight_.data(), O, K), dW = matrix(dw.data(), O, K);
            for (std::size_t n = begin; n < end; ++n) {
                const T* xn = x.data() + n * image;
                T* dxn = dx.data() + n * image;
                const T* dyn = dy.data() + n * O * L;
                const auto dY = matrix(dyn, O, L);  // dy[n]
                if (g.is_identity()) {  // 1×1, stride 1, no padding: col is x_n itself, col2im the identity
                    multiply_add(dW, dY, matrix(xn, K, L).t());  // dW += dY·x_nᵀ
                    multiply(matrix(dxn, K, L), W.t(), dY);      // dx_n = Wᵀ·dY
                } else {
                    im2col(xn, g, col);
                    const auto col_n = matrix(col, K, L);
                    multiply_add(dW, dY, col_n.t());  // dW += dY·col_nᵀ
                    multiply(col_n, W.t(), dY);       // col ← dcol = Wᵀ·dY
                    col2im(col, g, dxn);              // dx_n = col2im(dcol), assigned
                }
                if (opt_.bias) add_row_sums(dY, db.data());  // db += Σ_l dY[·, l]
            }
        });
        // Reduce in thread order: same thread count → same bits; 1 thread → the single-threaded sum.
        for (std::size_t t = 0; t < dw_partial_.size(); ++t) {
            const Range r = chunk_of(N, dw_partial_.size(), t);
            if (r.begin == r.end) continue;  // this thread had no image
            weight_grad_.array() += dw_partial_[t].array();
            if (opt_.bias) bias_grad_.array() += db_partial_[t].array();
        }
    }

    // parameters(), zero_grad(), weight(), bias(), weight_grad(), bias_grad(), set_weight, set_bias: WeightAndBias.

    /// The options with the kernel resolved: kernel_h and kernel_w always set; kernel set when they are equal.
    const Conv2dOptions& options() const noexcept { return opt_; }

  private:
    /// output_shape's checks and extents, with no string or Shape built unless a check fails (a steady-state step
    /// allocates nothing).
    std::array<std::size_t, 4> output_dims(const Shape& in) const {
        const std::size_t min_h = min_extent(opt_.kernel_h), min_w = min_extent(opt_.kernel_w);
        const bool ok = in.size() == 4 && in[1] == opt_.in && in[2] >= min_h && in[3] >= min_w;
        check_input(
            ok, [this] { return describe(); },
            [&] {
                return "[N, " + std::to_string(opt_.in) + ", H, W] with " +
                       (min_h == min_w ? "H, W ≥ " + std::to_string(min_h)
                                       : "H ≥ " + std::to_string(min_h) + ", W ≥ " + std::to_string(min_w));
            },
            in);
        // Every size below must fit in size_t: the padded image, the output, and im2col's [C·kh·kw, outH·outW].
        const auto what = [&](const char* part) {
            return [&, part] { return describe() + " on input " + to_string(in) + ": " + part; };
        };
        checked_add(in[2], 2 * opt_.padding, what("padded height H + 2·padding"));
        checked_add(in[3], 2 * opt_.padding, what("padded width W + 2·padding"));
        const ConvGeometry g = geometry(in);
        const std::size_t L = checked_mul(g.out_h(), g.out_w(), what("output positions outH·outW"));
        checked_mul(g.col_rows(), L, what("im2col size C·kh·kw·outH·outW"));
        checked_mul(checked_mul(in[0], opt_.out, what("output size N·out")), L, what("output size N·out·outH·outW"));
        return {in[0], opt_.out, g.out_h(), g.out_w()};
    }

    /// Smallest image extent along an axis for a kernel of size k: H + 2p ≥ k and H ≥ 1.
    std::size_t min_extent(std::size_t k) const noexcept { return k > 2 * opt_.padding ? k - 2 * opt_.padding : 1; }

    ConvGeometry geometry(const Shape& x) const {
        return {.channels = opt_.in,
                .height = x[2],
                .width = x[3],
                .kernel_h = opt_.kernel_h,
                .kernel_w = opt_.kernel_w,
                .stride = opt_.stride,
                .padding = opt_.padding};
    }

    /// One image: yn [O, L] = W·col + b·1ᵀ, col = im2col(xn) [K, L] written into `col` — or no col at all where
    /// kernels/conv_implicit.hpp applies (float, stride 1: the same numbers), or xn itself (1×1, s = 1, p = 0).
    /// readable_after: the values of the batch after this image (conv_implicit.hpp may read a few of them).
    void forward_image(const T* xn, const ConvGeometry& g, T* col, T* yn, std::size_t readable_after) const {
        const std::size_t O = opt_.out, K = g.col_rows(), L = g.col_cols();
        if (!conv_forward_implicit(weight_.data(), O, xn, g, yn, readable_after)) {
            if (!g.is_identity()) im2col(xn, g, col);
            multiply(matrix(yn, O, L), matrix(weight_.data(), O, K), matrix(g.is_identity() ? xn : col, K, L));
        }
        if (opt_.bias)
            for (std::size_t o = 0; o < O; ++o)
                for (std::size_t l = 0; l < L; ++l) yn[o * L + l] += bias_[o];
    }

    /// One partial dW/db per thread; grows only when the thread count grows.
    void ensure_thread_partials() {
        if (dw_partial_.size() != num_threads()) {
            dw_partial_.resize(num_threads());
            db_partial_.resize(num_threads());
        }
    }

    Conv2dOptions opt_;
    std::vector<Tensor<T>> dw_partial_, db_partial_;  // per thread: [out, C·kh·kw], [out]
};

}  // namespace minitorch
