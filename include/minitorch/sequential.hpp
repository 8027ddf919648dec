// minitorch/sequential.hpp — a flat, value-semantic container of layers, composed at run time.
//
//   Sequential<float> net(Conv2d<float>({.in = 1, .out = 16, .kernel = 3}), ReLU<float>(), ...);
//
// forward runs the layers left to right, backward right to left (no autograd: each layer's hand-written backward is
// called in reverse). train()/eval() reach every layer. parameters() names every tensor "<index>.<name>" exactly as
// PyTorch's nn.Sequential does ("0.weight", "2.running_mean"), which is also the checkpoint naming.
// Layers are held type-erased (any type modelling the Layer concept), so a model's type is just Sequential<T>;
// copying a Sequential copies every layer (weights, caches and all).
#pragma once

#include "minitorch/kernels/parallel.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/state_dict.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <concepts>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace minitorch {

template <class T>
class Sequential : public TrainingMode {
public:
    using scalar_type = T;

    Sequential() = default;
    template <class... Ls>
        requires(sizeof...(Ls) > 0 && (Layer<std::decay_t<Ls>> && ...) &&
                 (std::is_same_v<typename std::decay_t<Ls>::scalar_type, T> && ...))
    explicit Sequential(Ls&&... layers) {
        (add(std::forward<Ls>(layers)), ...);
    }
    Sequential(const Sequential& other) : TrainingMode(other) {
        for (const auto& l : other.layers_) layers_.push_back(l->clone());
    }
    Sequential& operator=(const Sequential& other) {
        if (this != &other) *this = Sequential(other);
        return *this;
    }
    Sequential(Sequential&&) noexcept = default;
    Sequential& operator=(Sequential&&) noexcept = default;

    /// Appends a layer (moved or copied in); it takes the container's current mode.
    template <class L>
        requires Layer<std::decay_t<L>> && std::is_same_v<typename std::decay_t<L>::scalar_type, T>
    Sequential& add(L&& layer) {
        layers_.push_back(std::make_unique<Holder<std::decay_t<L>>>(std::forward<L>(layer)));
        layers_.back()->train(is_training());
        return *this;
    }

    std::size_t size() const noexcept { return layers_.size(); }

    /// The layer at `index`, as its concrete type. Throws std::out_of_range / std::invalid_argument on a wrong index
    /// or type.
    template <Layer L>
    L& at(std::size_t index) {
        check_index(index);
        auto* holder = dynamic_cast<Holder<L>*>(layers_[index].get());
        if (!holder)
            throw std::invalid_argument("Sequential::at(" + std::to_string(index) + "): layer is " +
                                        layers_[index]->describe() + ", not the requested type");
        return holder->layer;
    }
    template <Layer L>
    const L& at(std::size_t index) const {
        return const_cast<Sequential*>(this)->template at<L>(index);
    }
    /// describe() of the layer at `index`.
    std::string describe(std::size_t index) const {
        check_index(index);
        return layers_[index]->describe();
    }

    std::string describe() const { return "Sequential(" + std::to_string(layers_.size()) + " layers)"; }

    /// A new container holding copies of layers [begin, end) — like PyTorch's net[begin:end].
    Sequential slice(std::size_t begin, std::size_t end) const {
        if (begin > end || end > layers_.size())
            throw std::out_of_range("Sequential::slice(" + std::to_string(begin) + ", " + std::to_string(end) +
                                    "): out of range for " + std::to_string(layers_.size()) + " layers");
        Sequential part;
        part.train(is_training());
        for (std::size_t i = begin; i < end; ++i) part.layers_.push_back(layers_[i]->clone());
        return part;
    }

    Shape output_shape(const Shape& in) const {
        Shape s = in;
        for (const auto& l : layers_) s = l->output_shape(s);
        return s;
    }

    // x: the first layer's input → the last layer's output.
    const Tensor<T>& forward(const Tensor<T>& x) {
        if (layers_.empty()) throw std::logic_error("Sequential: forward on an empty container");
        // Every layer after the first gets the output of the layer before it, which that layer owns and rewrites only
        // on its next forward: a layer with forward_borrowing may keep a pointer to it instead of a copy (layer.hpp).
        // Not so for x, the caller's tensor, nor for a layer that handed x itself back (Dropout in eval mode).
        const Tensor<T>* cur = &x;
        for (auto& l : layers_) cur = &l->forward(*cur, cur != &x);
        return *cur;
    }

    /// Eval-mode forward for inference (evaluation, prediction): forward(x)'s eval-mode result, computed so that the
    /// activations stay in the cores' caches. forward runs the whole batch through one layer after another, so a batch
    /// of 128 MNIST images streams ~10 MB of activations through memory at every layer, and every layer is one
    /// hand-off between the threads. infer gives each thread a contiguous share of the batch (chunk_of) and runs it,
    /// images_per_thread images at a time (default 8), through all the layers with their infer_into (layer.hpp):
    /// one hand-off per call, a slice's activations in the core's own L2. A model with a layer lacking infer_into
    /// runs forward on slices of images_per_thread × num_threads() images instead (the layers' own threads).
    /// The same numbers as forward, bit for bit, except after Linear, whose Eigen product is evaluated differently
    /// for different batch sizes (Eigen picks its product algorithm by the matrix sizes): it agrees with forward to
    /// rounding. Every layer must compute each image independently in eval mode
    /// (true of every minitorch layer; a custom layer mixing the images of a batch must not be used with infer).
    /// Needs eval mode: training mode mixes the images (BatchNorm's batch statistics) and keeps caches for backward;
    /// nothing is kept for a backward after infer. x: [N, …] → the last layer's output, [N, …], valid until the next
    /// infer.
    const Tensor<T>& infer(const Tensor<T>& x, std::size_t images_per_thread = 8) {
        if (layers_.empty()) throw std::logic_error("Sequential: infer on an empty container");
        if (is_training())
            throw std::logic_error("Sequential::infer: the container is in training mode; call eval() first (or use "
                                   "forward to train)");
        if (images_per_thread == 0) throw std::invalid_argument("Sequential::infer: images_per_thread must be ≥ 1");
        if (x.rank() == 0) throw std::invalid_argument("Sequential::infer: expected a batch [N, …], got a scalar");
        const std::size_t N = x.dim(0);
        const Shape out_shape = output_shape(x.shape());  // checks the shapes (each layer's messages) before any work
        if (out_shape.empty() || out_shape[0] != N) throw_not_batch_first(N, out_shape);
        infer_out_.resize(out_shape);
        if (N == 0) return infer_out_;  // an empty batch: an empty output of the right shape
        const std::size_t threads = num_threads();
        if (std::all_of(layers_.begin(), layers_.end(), [](const auto& l) { return l->can_infer_into(); })) {
            if (infer_buffers_.size() < 3 * threads) infer_buffers_.resize(3 * threads);
            parallel_for(N, [&](std::size_t begin, std::size_t end, std::size_t t) {
                Tensor<T>* buffers = infer_buffers_.data() + 3 * t;  // this thread's: the slice, two to alternate
                infer_range(x, begin, end, images_per_thread, buffers[0], [&](const Tensor<T>& slice) {
                    const Tensor<T>* cur = &slice;
                    for (const auto& layer : layers_)  // the output goes to the buffer not holding the input
                        cur = &layer->infer_into(*cur, cur == &buffers[1] ? buffers[2] : buffers[1]);
                    return cur;
                });
            });
        } else {  // forward on slices, the layers splitting each slice over the threads
            if (infer_buffers_.empty()) infer_buffers_.resize(1);
            infer_range(x, 0, N, images_per_thread * threads, infer_buffers_[0],
                        [&](const Tensor<T>& slice) { return &forward(slice); });
        }
        return infer_out_;
    }

    // dy: the last output's shape → dx: the first input's shape. Parameter gradients accumulate in every layer.
    // A layer's dx is dead once the layer before it has used it, so layers with backward_into (the large ones) write
    // into two buffers the container alternates between instead of each holding its own: the gradients of a whole
    // step then need two activation-sized buffers, not one per layer.
    const Tensor<T>& backward(const Tensor<T>& dy) {
        if (layers_.empty()) throw std::logic_error("Sequential: backward on an empty container");
        const Tensor<T>* cur = &dy;
        for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) {
            Tensor<T>& spare = cur == &grad_buffers_[0] ? grad_buffers_[1] : grad_buffers_[0];  // never dy itself
            cur = &(*it)->backward(*cur, spare);
        }
        return *cur;
    }

    /// Every layer's tensors, named "<index>.<name>", in layer order.
    std::vector<ParameterRef<T>> parameters() {
        std::vector<ParameterRef<T>> all;
        for (std::size_t i = 0; i < layers_.size(); ++i)
            for (auto& p : layers_[i]->parameters()) all.push_back({std::to_string(i) + "." + p.name, p.value, p.grad});
        return all;
    }

    /// Copies of every layer's tensors (parameters and buffers) under parameters()' names, as PyTorch's
    /// state_dict() (state_dict.hpp; the copies do not share storage with the model).
    StateDict<T> state_dict() { return minitorch::state_dict(parameters()); }
    /// Copies `sd` into the model, as PyTorch's load_state_dict: every mismatch (missing, unexpected, wrong shape)
    /// is reported at once in a StateDictError, and the model is untouched unless everything fits; strict = false
    /// accepts missing and unexpected names and returns them (never a shape mismatch).
    LoadStateDictResult load_state_dict(const StateDict<T>& sd, bool strict = true) {
        return minitorch::load_state_dict(parameters(), sd, strict);
    }

    void train(bool on = true) {
        TrainingMode::train(on);
        for (auto& l : layers_) l->train(on);
    }
    void eval() { train(false); }

    /// Sets every trainable parameter's gradient to zero.
    void zero_grad() { minitorch::zero_grad(*this); }

    /// Number of trainable scalars (buffers not counted, as torchsummary and PyTorch's numel() over parameters()).
    std::size_t num_parameters() {
        std::size_t n = 0;
        for (auto& p : parameters())
            if (p.trainable()) n += p.value->size();
        return n;
    }

    /// A torchsummary-style table for one sample of shape `sample_shape` (batch dimension excluded, printed as −1):
    /// layer, output shape, parameter count, and the receptive field (rf) and jump of each output, where
    /// rf_out = rf_in + (k − 1)·jump_in and jump_out = jump_in·stride, starting from rf = jump = 1 at the input.
    std::string summary(const Shape& sample_shape) {
        Shape s{1};
        s.insert(s.end(), sample_shape.begin(), sample_shape.end());
        std::string out;
        const auto row = [&](const std::string& layer, const std::string& shape, const std::string& params,
                             const std::string& rf, const std::string& jump) {
            out += pad(layer, 40, false) + pad(shape, 18, false) + pad(params, 10, true) + pad(rf, 8, true) +
                   pad(jump, 8, true) + '\n';
        };
        const std::string rule(84, '-'), double_rule(84, '=');
        out += rule + '\n';
        row("Layer (type)", "Output Shape", "Param #", "RF", "Jump");
        out += double_rule + '\n';
        std::size_t rf = 1, jump = 1, trainable = 0, buffers = 0;
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            s = layers_[i]->output_shape(s);
            const Window w = layers_[i]->window();
            rf += (w.kernel - 1) * jump;
            jump *= w.stride;
            std::size_t count = 0;
            for (auto& p : layers_[i]->parameters()) (p.trainable() ? count : buffers) += p.value->size();
            trainable += count;
            std::string shape = "[-1";
            for (std::size_t d = 1; d < s.size(); ++d) shape += ", " + std::to_string(s[d]);
            row(layers_[i]->describe() + "-" + std::to_string(i), shape + "]", with_commas(count), std::to_string(rf),
                std::to_string(jump));
        }
        out += double_rule + '\n';
        out += "Trainable params: " + with_commas(trainable) + '\n';
        out += "Buffers (running statistics, not trained): " + with_commas(buffers) + '\n';
        out += "Receptive field of the output: " + std::to_string(rf) + " x " + std::to_string(rf) + " input pixels\n";
        out += rule + '\n';
        return out;
    }

private:
    struct Base {
        virtual ~Base() = default;
        virtual std::unique_ptr<Base> clone() const = 0;
        /// borrow: x outlives the layer's backward unchanged (forward_borrowing, when the layer has it).
        virtual const Tensor<T>& forward(const Tensor<T>& x, bool borrow) = 0;
        /// dx, written into `spare` when the layer supports backward_into, else the layer's own buffer.
        virtual const Tensor<T>& backward(const Tensor<T>& dy, Tensor<T>& spare) = 0;
        virtual std::vector<ParameterRef<T>> parameters() = 0;
        virtual void train(bool on) = 0;
        virtual std::string describe() const = 0;
        virtual Shape output_shape(const Shape& in) const = 0;
        virtual Window window() const = 0;
        /// The layer's infer_into, when it has one (can_infer_into()).
        virtual bool can_infer_into() const = 0;
        virtual const Tensor<T>& infer_into(const Tensor<T>& x, Tensor<T>& y) const = 0;
    };

    template <Layer L>
    struct Holder final : Base {
        explicit Holder(L l) : layer(std::move(l)) {}
        std::unique_ptr<Base> clone() const override { return std::make_unique<Holder>(layer); }
        const Tensor<T>& forward(const Tensor<T>& x, bool borrow) override {
            if constexpr (requires { layer.forward_borrowing(x); }) {
                if (borrow) return layer.forward_borrowing(x);
            }
            if constexpr (std::is_reference_v<decltype(layer.forward(x))>) {
                return layer.forward(x);
            } else {  // a layer returning by value: keep the result alive until the next call
                y = layer.forward(x);
                return y;
            }
        }
        const Tensor<T>& backward(const Tensor<T>& dy, Tensor<T>& spare) override {
            if constexpr (requires { layer.backward_into(dy, spare); }) {
                layer.backward_into(dy, spare);
                return spare;
            } else if constexpr (std::is_reference_v<decltype(layer.backward(dy))>) {
                return layer.backward(dy);
            } else {
                dx = layer.backward(dy);
                return dx;
            }
        }
        std::vector<ParameterRef<T>> parameters() override { return layer.parameters(); }
        void train(bool on) override { layer.train(on); }
        std::string describe() const override { return layer.describe(); }
        Shape output_shape(const Shape& in) const override { return layer.output_shape(in); }
        Window window() const override {
            if constexpr (WindowedLayer<L>)
                return layer.window();
            else
                return Window{};
        }
        /// infer_into as layer.hpp defines it: const, returning a reference (to y or to x). One returning by value
        /// would leave infer a reference to a temporary, so it counts as absent (infer falls back to slices).
        static constexpr bool has_infer_into = requires(const L& l, const Tensor<T>& x, Tensor<T>& y) {
            { l.infer_into(x, y) } -> std::same_as<const Tensor<T>&>;
        };
        bool can_infer_into() const override { return has_infer_into; }
        const Tensor<T>& infer_into(const Tensor<T>& x, Tensor<T>& y_out) const override {
            if constexpr (has_infer_into)
                return layer.infer_into(x, y_out);
            else
                throw std::logic_error(layer.describe() + " has no infer_into");
        }
        L layer;
        Tensor<T> y, dx;  // only used by layers that return by value
    };

    /// infer's loop: images [begin, end) of x, `slice` at a time, copied into `input` and run through the layers by
    /// run(input) (→ a pointer to the slice's output), whose rows go to their place in infer_out_.
    template <class Run>
    void infer_range(const Tensor<T>& x, std::size_t begin, std::size_t end, std::size_t slice, Tensor<T>& input,
                     Run&& run) {
        const std::size_t N = x.dim(0), in_per_image = x.size() / N, out_per_image = infer_out_.size() / N;
        Shape slice_shape = x.shape();
        for (std::size_t first = begin; first < end; first += slice) {
            const std::size_t n = std::min(slice, end - first);
            slice_shape[0] = n;
            input.resize(slice_shape);
            std::copy_n(x.data() + first * in_per_image, n * in_per_image, input.data());
            const Tensor<T>* y = run(input);
            if (y->rank() == 0 || y->dim(0) != n || y->size() != n * out_per_image)
                throw_not_batch_first(n, y->shape());
            std::copy_n(y->data(), y->size(), infer_out_.data() + first * out_per_image);
        }
    }

    [[noreturn]] static void throw_not_batch_first(std::size_t n, const Shape& got) {
        throw std::logic_error("Sequential::infer: the output for " + std::to_string(n) + " images has shape " +
                               to_string(got) + ", not [" + std::to_string(n) +
                               ", …] with the same size per image: infer needs layers that keep the batch as the "
                               "first dimension; use forward");
    }

    void check_index(std::size_t index) const {
        if (index >= layers_.size())
            throw std::out_of_range("Sequential: layer index " + std::to_string(index) + " out of range (size " +
                                    std::to_string(layers_.size()) + ")");
    }

    /// Pads to `width` terminal columns, counting UTF-8 code points (describe() strings contain "→").
    static std::string pad(const std::string& text, std::size_t width, bool right_align) {
        std::size_t columns = 0;
        for (unsigned char c : text) columns += (c & 0xC0) != 0x80;
        const std::string fill(columns < width ? width - columns : 1, ' ');
        return right_align ? fill + text : text + fill;
    }

    static std::string with_commas(std::size_t n) {
        std::string digits = std::to_string(n), out;
        for (std::size_t i = 0; i < digits.size(); ++i) {
            if (i && (digits.size() - i) % 3 == 0) out += ',';
            out += digits[i];
        }
        return out;
    }

    std::vector<std::unique_ptr<Base>> layers_;
    Tensor<T> grad_buffers_[2];  // backward's alternating dx buffers (see backward)
    std::vector<Tensor<T>> infer_buffers_;  // infer: per thread, a slice of the input and two activation buffers
    Tensor<T> infer_out_;                   // infer: the whole batch's output
};

}  // namespace minitorch
