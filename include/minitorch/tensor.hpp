// minitorch/tensor.hpp — the one data type: an owning, contiguous, row-major, n-dimensional array.
//
// Images are [N, C, H, W]; matrices are [rows, cols]. Storage is 64-byte aligned (one AVX-512 register, one cache
// line) so Eigen maps and the kernels may use aligned loads. Copy and move behave like values (a copy is deep).
//
// resize() keeps the allocation when the new size fits in it: containers hold their layers' outputs and caches and
// resize them every step, so a steady-state training step does not allocate.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <numeric>
#include <span>
#include <type_traits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace minitorch {

/// Shape of a tensor: one extent per dimension, outermost first.
using Shape = std::vector<std::size_t>;

/// "[128, 10, 24, 24]" — the form every error message uses.
inline std::string to_string(const Shape& shape) {
    std::ostringstream s;
    s << '[';
    for (std::size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
    s << ']';
    return s.str();
}

/// A part of an error message, given as text or as a callable returning it: the callable runs only when the check
/// fails, so a check that passes builds no string (a steady-state training step allocates nothing; issue 14).
template <class Text>
std::string message_text(const Text& text) {
    if constexpr (std::is_invocable_v<const Text&>)
        return std::string(text());
    else
        return std::string(text);
}

/// a·b, or throws std::invalid_argument "<what>: <a> · <b> overflows size_t" (for shape and geometry arithmetic).
/// what: text, or a callable returning it (see message_text).
template <class What>
std::size_t checked_mul(std::size_t a, std::size_t b, const What& what) {
    std::size_t r = 0;
    if (__builtin_mul_overflow(a, b, &r))
        throw std::invalid_argument(message_text(what) + ": " + std::to_string(a) + " · " + std::to_string(b) +
                                    " overflows size_t");
    return r;
}
/// a + b, or throws std::invalid_argument "<what>: <a> + <b> overflows size_t".
template <class What>
std::size_t checked_add(std::size_t a, std::size_t b, const What& what) {
    std::size_t r = 0;
    if (__builtin_add_overflow(a, b, &r))
        throw std::invalid_argument(message_text(what) + ": " + std::to_string(a) + " + " + std::to_string(b) +
                                    " overflows size_t");
    return r;
}

/// Number of elements of a shape (1 for rank 0). Throws std::invalid_argument when the product overflows size_t
/// (a wrapped product would make a tensor smaller than its shape, which every index would then overrun).
inline std::size_t num_elements(const Shape& shape) {
    std::size_t n = 1;
    for (std::size_t extent : shape) {
        if (__builtin_mul_overflow(n, extent, &n))
            throw std::invalid_argument("shape " + to_string(shape) + ": the number of elements overflows size_t");
    }
    return n;
}

/// The most elements a Tensor<T> may have: its bytes must be addressable (fit in a ptrdiff_t), which is also the
/// bound std::vector has.
template <class T>
inline constexpr std::size_t max_tensor_elements = static_cast<std::size_t>(PTRDIFF_MAX) / sizeof(T);

/// Elements [begin, end) of a buffer as an Eigen array (for elementwise math on one thread's chunk).
template <class T>
Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> segment(T* p, std::size_t begin, std::size_t end) {
    return {p + begin, static_cast<Eigen::Index>(end - begin)};
}
template <class T>
Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> segment(const T* p, std::size_t begin, std::size_t end) {
    return {p + begin, static_cast<Eigen::Index>(end - begin)};
}

/// Minimal allocator giving 64-byte aligned storage to std::vector.
template <class T>
struct AlignedAllocator {
    using value_type = T;
    static constexpr std::align_val_t alignment{64};
    AlignedAllocator() noexcept = default;
    template <class U>
    AlignedAllocator(const AlignedAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
    /// Default-initialise on resize (no zero fill): resize() promises nothing about new elements, and zeroing a
    /// buffer that is about to be overwritten costs a full pass over memory each time a batch size grows back.
    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, alignment); }
    template <class U>
    bool operator==(const AlignedAllocator<U>&) const noexcept { return true; }
};

template <class T>
class Tensor {
public:
    using value_type = T;
    /// Row-major dynamic matrix/array types used by the math (Eigen's default is column-major).
    using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using MatrixMap = Eigen::Map<Matrix, Eigen::Aligned64>;
    using ConstMatrixMap = Eigen::Map<const Matrix, Eigen::Aligned64>;
    using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64>;
    using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64>;

    /// Rank-0-like empty tensor: shape [], size 0 (nothing allocated). Layers use it for "no cache yet".
    Tensor() = default;

    /// Tensor of the given shape, every element `fill`. A shape whose element count overflows size_t or exceeds
    /// max_tensor_elements<T> throws std::invalid_argument naming the shape (std::bad_alloc when the memory is
    /// simply not there).
    explicit Tensor(Shape shape, T fill = T(0)) : shape_(std::move(shape)), data_(allocatable_size(shape_), fill) {}

    /// Tensor of the given shape holding `values` (row-major); the counts must agree.
    Tensor(Shape shape, std::initializer_list<T> values) : Tensor(std::move(shape), std::span<const T>(values)) {}
    Tensor(Shape shape, std::span<const T> values) : shape_(std::move(shape)), data_(values.begin(), values.end()) {
        if (values.size() != allocatable_size(shape_))
            throw std::invalid_argument("Tensor: shape " + to_string(shape_) + " needs " +
                                        std::to_string(num_elements(shape_)) + " values, got " +
                                        std::to_string(values.size()));
    }

    const Shape& shape() const noexcept { return shape_; }
    std::size_t rank() const noexcept { return shape_.size(); }
    /// Extent of dimension `d` (bounds-checked).
    std::size_t dim(std::size_t d) const {
        if (d >= shape_.size())
            throw std::out_of_range("Tensor::dim(" + std::to_string(d) + ") of a tensor of shape " + to_string(shape_));
        return shape_[d];
    }
    std::size_t size() const noexcept { return data_.size(); }
    bool empty() const noexcept { return data_.empty(); }

    T* data() noexcept { return data_.data(); }
    const T* data() const noexcept { return data_.data(); }
    std::span<T> span() noexcept { return {data_.data(), data_.size()}; }
    std::span<const T> span() const noexcept { return {data_.data(), data_.size()}; }
    T* begin() noexcept { return data_.data(); }
    T* end() noexcept { return data_.data() + data_.size(); }
    const T* begin() const noexcept { return data_.data(); }
    const T* end() const noexcept { return data_.data() + data_.size(); }

    /// Flat (row-major) element access, unchecked.
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }

    /// Multi-index element access, e.g. x(n, c, h, w). Checked: rank and every index.
    template <class... I>
    T& operator()(I... idx) {
        return data_[offset({static_cast<std::size_t>(idx)...})];
    }
    template <class... I>
    const T& operator()(I... idx) const {
        return data_[offset({static_cast<std::size_t>(idx)...})];
    }

    /// Change the shape, keeping the allocation when it is large enough. Contents are unspecified afterwards
    /// (kept where the size did not change); use fill() when zeros are needed.
    void resize(const Shape& shape) {
        if (shape != shape_) {
            const std::size_t n = allocatable_size(shape);  // checked before anything changes
            shape_ = shape;
            data_.resize(n);
        }
    }
    /// The same from the extents themselves (`y.resize({N, O, H, W})`): no Shape is built, and the shape is assigned
    /// in place, so a tensor whose storage and rank are already large enough (a container's buffer that alternates
    /// between layers) is resized without allocating.
    void resize(std::initializer_list<std::size_t> dims) {
        if (std::equal(dims.begin(), dims.end(), shape_.begin(), shape_.end())) return;
        std::size_t n = 1;
        bool overflow = false;
        for (std::size_t extent : dims) overflow = overflow || __builtin_mul_overflow(n, extent, &n);
        if (overflow || n > max_tensor_elements<T>) return resize(Shape(dims));  // throws, naming the shape
        shape_.assign(dims.begin(), dims.end());
        data_.resize(n);
    }
    /// Same elements, new shape of the same size (like PyTorch's view on a contiguous tensor).
    void reshape(const Shape& shape) {
        if (num_elements(shape) != data_.size())
            throw std::invalid_argument("Tensor::reshape: cannot view " + to_string(shape_) + " (" +
                                        std::to_string(data_.size()) + " elements) as " + to_string(shape));
        shape_ = shape;
    }
    Tensor& fill(T value) noexcept {
        std::fill(data_.begin(), data_.end(), value);
        return *this;
    }
    Tensor& zero() noexcept { return fill(T(0)); }

    /// The data as a rows × cols row-major matrix (a view; rows·cols must equal size()).
    MatrixMap matrix(std::size_t rows, std::size_t cols) {
        check_matrix(rows, cols);
        return MatrixMap(data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    }
    ConstMatrixMap matrix(std::size_t rows, std::size_t cols) const {
        check_matrix(rows, cols);
        return ConstMatrixMap(data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    }
    /// Rank-2 tensor as its matrix.
    MatrixMap matrix() { return matrix(dim(0), size() / std::max<std::size_t>(dim(0), 1)); }
    ConstMatrixMap matrix() const { return matrix(dim(0), size() / std::max<std::size_t>(dim(0), 1)); }
    /// All elements as a flat Eigen array (for elementwise math).
    ArrayMap array() { return ArrayMap(data(), static_cast<Eigen::Index>(size())); }
    ConstArrayMap array() const { return ConstArrayMap(data(), static_cast<Eigen::Index>(size())); }

    /// Element-type conversion (e.g. float weights checked in double).
    template <class U>
    Tensor<U> cast() const {
        Tensor<U> out(shape_);
        std::transform(begin(), end(), out.begin(), [](T v) { return static_cast<U>(v); });
        return out;
    }

    friend bool operator==(const Tensor& a, const Tensor& b) { return a.shape_ == b.shape_ && a.data_ == b.data_; }

private:
    /// num_elements(shape), refused (std::invalid_argument naming the shape) when a tensor cannot have that many.
    static std::size_t allocatable_size(const Shape& shape) {
        const std::size_t n = num_elements(shape);
        if (n > max_tensor_elements<T>)
            throw std::invalid_argument("Tensor: shape " + to_string(shape) + " has " + std::to_string(n) +
                                        " elements, more than a tensor of " + std::to_string(sizeof(T)) +
                                        "-byte elements can hold (" + std::to_string(max_tensor_elements<T>) + ")");
        return n;
    }

    std::size_t offset(std::initializer_list<std::size_t> idx) const {
        if (idx.size() != shape_.size())
            throw std::out_of_range("Tensor: " + std::to_string(idx.size()) + " indices for a tensor of shape " +
                                    to_string(shape_));
        std::size_t off = 0, d = 0;
        for (std::size_t i : idx) {
            if (i >= shape_[d])
                throw std::out_of_range("Tensor: index " + std::to_string(i) + " out of range for dimension " +
                                        std::to_string(d) + " of shape " + to_string(shape_));
            off = off * shape_[d] + i;
            ++d;
        }
        return off;
    }
    void check_matrix(std::size_t rows, std::size_t cols) const {
        std::size_t n = 0;
        if (__builtin_mul_overflow(rows, cols, &n) || n != data_.size())
            throw std::invalid_argument("Tensor::matrix: cannot view " + to_string(shape_) + " as " +
                                        std::to_string(rows) + " x " + std::to_string(cols));
    }

    Shape shape_;
    std::vector<T, AlignedAllocator<T>> data_;
};

}  // namespace minitorch
