// minitorch/kernels/matrix.hpp — matrix views over a layer's buffers, so that its products read as its equations:
//
//   multiply(Y, W, col)              Y = W·col          (gemm_nn)
//   multiply(dcol, W.t(), dY)        dcol = Wᵀ·dY       (gemm_nn, Wᵀ read through strides)
//   multiply_add(dW, dY, col.t())    dW += dY·colᵀ      (gemm_nt)
//
// A view is a pointer, a shape and two strides; t() swaps them, copying nothing. The products are the entry points
// of kernels/gemm.hpp with the arguments the views spell out, so the numbers are gemm_nn's and gemm_nt's, bit for
// bit. Tests: tests/test_gemm.cpp.
#pragma once

#include "minitorch/kernels/gemm.hpp"

#include <cstddef>
#include <stdexcept>
#include <type_traits>

namespace minitorch {

/// A rows × cols matrix of T at data: element (i, j) at data[i·row_stride + j·col_stride].
template <class T>
struct MatrixView {
    T* data;
    std::size_t rows, cols, row_stride, col_stride;
    /// The transpose: the same values, strides swapped.
    MatrixView t() const noexcept { return {data, cols, rows, col_stride, row_stride}; }
    /// A read-only view of the same values.
    operator MatrixView<const T>() const noexcept requires(!std::is_const_v<T>) {
        return {data, rows, cols, row_stride, col_stride};
    }
};

/// A row-major rows × cols view of data.
template <class T>
MatrixView<T> matrix(T* data, std::size_t rows, std::size_t cols) noexcept {
    return {data, rows, cols, cols, 1};
}

namespace detail {
/// C (+)= A·B. C must be row-major; B row-major (gemm_nn, any strides of A) or the transpose of a row-major matrix
/// with A row-major (gemm_nt).
template <class T>
void matrix_product(MatrixView<T> C, MatrixView<const T> A, MatrixView<const T> B, bool accumulate) {
    if (C.col_stride != 1 || A.rows != C.rows || B.cols != C.cols || A.cols != B.rows)
        throw std::logic_error("matrix product: C must be row-major and the shapes must agree");
    if (B.col_stride == 1)
        gemm_nn(C.rows, C.cols, A.cols, A.data, A.row_stride, A.col_stride, B.data, B.row_stride, C.data, C.row_stride,
                accumulate);
    else if (B.row_stride == 1 && A.col_stride == 1)
        gemm_nt(C.rows, C.cols, A.cols, A.data, A.row_stride, B.data, B.col_stride, C.data, C.row_stride, accumulate);
    else
        throw std::logic_error("matrix product: B must be row-major, or transposed with A row-major");
}
}  // namespace detail

/// C = A·B.
template <class T, class TA, class TB>
void multiply(MatrixView<T> C, MatrixView<TA> A, MatrixView<TB> B) {
    detail::matrix_product<T>(C, A, B, false);
}

/// C += A·B.
template <class T, class TA, class TB>
void multiply_add(MatrixView<T> C, MatrixView<TA> A, MatrixView<TB> B) {
    detail::matrix_product<T>(C, A, B, true);
}

/// sums[i] += Σ_j M(i, j), each row summed from j = 0 up: a fixed order, so the same bits on every CPU (Eigen's
/// vectorised sums group the terms by its packet width, which differs between SSE and NEON). A bias gradient:
/// Conv2d's db from dY [O, L], Linear's from dYᵀ (dY [N, out] through t()).
template <class T>
void add_row_sums(MatrixView<const T> M, T* sums) {
    for (std::size_t i = 0; i < M.rows; ++i) {
        T s = 0;
        for (std::size_t j = 0; j < M.cols; ++j) s += M.data[i * M.row_stride + j * M.col_stride];
        sums[i] += s;
    }
}

}  // namespace minitorch
