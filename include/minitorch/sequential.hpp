// minitorch/sequential.hpp — a flat, value-semantic container of layers, composed at run time.
//
//   Sequential<float> net(Conv2d<float>({.in = 1, .out = 16, .kernel = 3}), ReLU<float>(), ...);
//
// forward runs the layers left to right, backward right to left (no autograd: each layer's hand-written backward is
// called in reverse). train()/eval() reach every layer. parameters() names every tensor "<index>.<name>" exactly as
// PyTorch's nn.Sequential does ("0.weight", "2.running_mean"), which is also the checkpoint naming.
// Layers are held type-erased (any type modelling the Layer concept), so a model's type is just Sequential<T>.
//
// The container owns every buffer its layers work in (layer.hpp), as llm.c's model owns its activations: a copy of
// the input, each layer's output y and Cache, two gradient buffers that the layers' dx alternate between, and for
// infer one set of activation buffers and caches per thread. Each layer's input is then the output of the layer
// before it, alive and unchanged until its backward, so no layer copies its input — a layer you write gets exactly
// the savings the built-in ones get. Copying a Sequential copies every layer (weights, running statistics, a
// Dropout's generator), not the buffers: a copy's backward needs a forward of its own.
#pragma once

#include "minitorch/kernels/parallel.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/standalone.hpp"
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

/// Sees the gradient each layer receives in Sequential::backward, read-only, as the backward runs (the container
/// alternates two buffers for them, so after the backward only the last two are left). A monitor
/// (train/monitor.hpp) registers one with observe_backward for the steps it records; with none registered a
/// backward pays one null-pointer test per layer.
template <class T>
class BackwardObserver {
  public:
    /// Layer `layer`'s dy (the gradient of the loss with respect to its output), before its backward runs; valid
    /// only during the call.
    virtual void output_gradient(std::size_t layer, const Tensor<T>& dy) = 0;

  protected:
    ~BackwardObserver() = default;
};

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
        if (this != &other) *this = Sequential(other);  // (drops this container's observer, as a move does)
        return *this;
    }
    // A moved container keeps its layers, not the forward: its backward needs a forward of its own (the layers'
    // results may point at the input buffer, which a move relocates).
    // Neither copies nor moves take a BackwardObserver: it observes one container.
    Sequential(Sequential&& other) noexcept
        : TrainingMode(other), layers_(std::move(other.layers_)), infer_buffers_(std::move(other.infer_buffers_)) {}
    Sequential& operator=(Sequential&& other) noexcept {
        TrainingMode::operator=(other);
        observer_ = nullptr;
        layers_ = std::move(other.layers_);
        infer_buffers_ = std::move(other.infer_buffers_);
        forwarded_ = false;
        infer_in_shape_.clear();
        return *this;
    }

    /// Appends a layer (moved or copied in); it takes the container's current mode. A Standalone<L> is added as the L
    /// it wraps (its buffers stay behind), so at<L>() finds it.
    template <class L>
        requires Layer<std::decay_t<L>> && std::is_same_v<typename std::decay_t<L>::scalar_type, T>
    Sequential& add(L&& layer) {
        using Held = typename unwrap_standalone<std::decay_t<L>>::type;
        layers_.push_back(std::make_unique<Holder<Held>>(static_cast<Held>(std::forward<L>(layer))));
        layers_.back()->train(is_training());
        forwarded_ = false;       // the new layer has not run
        infer_in_shape_.clear();  // infer's output shape must be worked out again
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
        infer_in_shape_.clear();  // the caller may replace the layer: infer works out its shapes again
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

    // x: the first layer's input → the last layer's output (valid until the next forward). x is copied into the
    // container (the first layer's backward reads it); every layer's output stays alive until the next forward.
    const Tensor<T>& forward(const Tensor<T>& x) {
        if (layers_.empty()) throw std::logic_error("Sequential: forward on an empty container");
        forwarded_ = false;
        input_.resize(x.shape());
        std::copy(x.begin(), x.end(), input_.begin());
        const Tensor<T>* cur = &input_;
        for (auto& l : layers_) cur = &l->forward(*cur);
        forwarded_ = true;
        return *cur;
    }

    /// Layer `index`'s output of the last forward ([N, …], read-only; valid until the next forward): what a monitor
    /// reads the activations from. Throws std::logic_error before a forward, std::out_of_range on a wrong index.
    const Tensor<T>& output(std::size_t index) const {
        check_index(index);
        check_forwarded(forwarded_, "Sequential");
        return layers_[index]->output();
    }

    /// Registers `observer` (nullptr: none) to see every layer's dy in the following backward passes; the observer
    /// must stay alive while registered. One at a time: registering replaces the previous one.
    void observe_backward(BackwardObserver<T>* observer) noexcept { observer_ = observer; }
    BackwardObserver<T>* backward_observer() const noexcept { return observer_; }

    /// Eval-mode forward for inference (evaluation, prediction): forward(x)'s eval-mode result, computed so that the
    /// activations stay in the cores' caches. forward runs the whole batch through one layer after another, so a batch
    /// of 128 MNIST images streams ~10 MB of activations through memory at every layer, and every layer is one
    /// hand-off between the threads. infer gives each thread a contiguous share of the batch (chunk_of) and runs it,
    /// images_per_thread images at a time (default 8), through all the layers — each layer's forward with that
    /// thread's own buffers and caches (layer.hpp: an eval-mode forward changes nothing else, so the threads share the
    /// layers): one hand-off per call, a slice's activations in the core's own L2.
    /// The same numbers as forward, bit for bit (in double, a Linear's Eigen product is evaluated differently for
    /// different batch sizes and agrees with forward to rounding). Every layer must compute each image independently
    /// in eval mode
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
        // Checks the shapes (each layer's messages) before any work; for the input shape of the previous call (every
        // batch of an evaluation but the last) the checks passed then, and no Shape is built again.
        if (infer_in_shape_.empty() || x.shape() != infer_in_shape_) {
            infer_in_shape_.clear();  // until the checks below have passed
            infer_out_shape_ = output_shape(x.shape());
            if (infer_out_shape_.empty() || infer_out_shape_[0] != N) throw_not_batch_first(N, infer_out_shape_);
            infer_in_shape_ = x.shape();
        }
        infer_out_.resize(infer_out_shape_);
        if (N == 0) return infer_out_;  // an empty batch: an empty output of the right shape
        const std::size_t threads = num_threads();
        if (infer_buffers_.size() < 3 * threads) infer_buffers_.resize(3 * threads);
        if (infer_slice_shapes_.size() < threads) infer_slice_shapes_.resize(threads);
        for (auto& l : layers_) l->reserve_thread_caches(threads);
        parallel_for(N, [&](std::size_t begin, std::size_t end, std::size_t t) {
            Tensor<T>* buffers = infer_buffers_.data() + 3 * t;  // this thread's: the slice, two to alternate
            infer_range(x, begin, end, images_per_thread, buffers[0], infer_slice_shapes_[t],
                        [&](const Tensor<T>& slice) {
                            const Tensor<T>* cur = &slice;
                            for (const auto& layer : layers_)  // the output goes to the buffer not holding the input
                                cur = &layer->infer(*cur, cur == &buffers[1] ? buffers[2] : buffers[1], t);
                            return cur;
                        });
        });
        return infer_out_;
    }

    // dy: the last output's shape → dx: the first input's shape (valid until the next backward). Parameter gradients
    // accumulate in every layer. A layer's dx is dead once the layer before it has used it, so every layer writes
    // its dx into one of two buffers the container alternates between: the gradients of a whole step need two
    // activation-sized buffers, not one per layer.
    const Tensor<T>& backward(const Tensor<T>& dy) {
        if (layers_.empty()) throw std::logic_error("Sequential: backward on an empty container");
        check_forwarded(forwarded_, "Sequential");
        check_output_grad([this] { return describe(); }, layers_.back()->output().shape(), dy.shape());
        const Tensor<T>* cur = &dy;
        for (std::size_t i = layers_.size(); i-- > 0;) {
            const Tensor<T>& x = i == 0 ? input_ : layers_[i - 1]->output();
            Tensor<T>& dx = cur == &grad_buffers_[0] ? grad_buffers_[1] : grad_buffers_[0];  // never dy itself
            if (observer_) observer_->output_gradient(i, *cur);
            layers_[i]->backward(x, *cur, dx);
            cur = &dx;
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
        /// The layer's forward on the container's buffers for it; returns (and remembers, as output()) its result.
        virtual const Tensor<T>& forward(const Tensor<T>& x) = 0;
        virtual const Tensor<T>& output() const = 0;
        /// The layer's backward for the last forward, whose input was x: dy → dx.
        virtual void backward(const Tensor<T>& x, const Tensor<T>& dy, Tensor<T>& dx) = 0;
        /// Eval-mode forward on thread t's buffers: y, and the cache the layer keeps for thread t.
        virtual const Tensor<T>& infer(const Tensor<T>& x, Tensor<T>& y, std::size_t t) = 0;
        virtual void reserve_thread_caches(std::size_t threads) = 0;
        virtual std::vector<ParameterRef<T>> parameters() = 0;
        virtual void train(bool on) = 0;
        virtual std::string describe() const = 0;
        virtual Shape output_shape(const Shape& in) const = 0;
        virtual Window window() const = 0;
    };

    /// A layer with the buffers the container keeps for it. Copies (clone) take the layer, not the buffers.
    template <Layer L>
    struct Holder final : Base {
        explicit Holder(L l) : layer(std::move(l)) {}
        std::unique_ptr<Base> clone() const override { return std::make_unique<Holder>(layer); }
        const Tensor<T>& forward(const Tensor<T>& x) override {
            out = &layer.forward(x, y, cache);
            return *out;
        }
        const Tensor<T>& output() const override { return *out; }
        void backward(const Tensor<T>& x, const Tensor<T>& dy, Tensor<T>& dx) override {
            layer.backward(x, *out, cache, dy, dx);
        }
        const Tensor<T>& infer(const Tensor<T>& x, Tensor<T>& y_t, std::size_t t) override {
            return layer.forward(x, y_t, thread_caches[t]);
        }
        void reserve_thread_caches(std::size_t threads) override {
            if (thread_caches.size() < threads) thread_caches.resize(threads);
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
        L layer;
        typename L::Cache cache{};                     // what the layer's last forward kept for its backward
        Tensor<T> y;                                   // the layer's output (unless its forward returned x)
        const Tensor<T>* out = nullptr;                // what its last forward returned: &y, or its input
        std::vector<typename L::Cache> thread_caches;  // infer: one cache per thread
    };

    /// infer's loop: images [begin, end) of x, `slice` at a time, copied into `input` (of shape slice_shape, this
    /// thread's) and run through the layers by run(input) (→ a pointer to the slice's output), whose rows go to their
    /// place in infer_out_.
    template <class Run>
    void infer_range(const Tensor<T>& x, std::size_t begin, std::size_t end, std::size_t slice, Tensor<T>& input,
                     Shape& slice_shape, Run&& run) {
        const std::size_t N = x.dim(0), in_per_image = x.size() / N, out_per_image = infer_out_.size() / N;
        slice_shape.assign(x.shape().begin(), x.shape().end());  // in place: no allocation once sized
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
    Tensor<T> input_;            // forward's copy of its input (the first layer's x in backward)
    bool forwarded_ = false;     // a forward has run since the container was made or copied
    Tensor<T> grad_buffers_[2];  // backward's alternating dx buffers (see backward)
    std::vector<Tensor<T>> infer_buffers_;  // infer: per thread, a slice of the input and two activation buffers
    Tensor<T> infer_out_;                   // infer: the whole batch's output
    std::vector<Shape> infer_slice_shapes_;   // infer: per thread, its slice's shape
    Shape infer_in_shape_, infer_out_shape_;  // infer: the last input shape that passed the checks, and its output
    BackwardObserver<T>* observer_ = nullptr;  // sees each layer's dy in backward (observe_backward), or none
};

}  // namespace minitorch
