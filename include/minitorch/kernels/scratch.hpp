// minitorch/kernels/scratch.hpp — per-thread scratch buffers for the kernels (Conv2d runs images on several threads).
#pragma once

#include <cstddef>
#include <vector>

namespace minitorch::detail {

/// Scratch space of at least n values of T for the calling thread, grown when needed and kept. One buffer per Purpose
/// (a tag type below), so buffers in use at the same time never share memory.
template <class Purpose, class T>
T* thread_scratch(std::size_t n) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < n) buffer.resize(n);
    return buffer.data();
}
struct PaddedImage;  // thread_scratch purposes: the zero-padded image (im2col, col2im, conv_forward_implicit) …
struct TapOffsets;   // … conv_forward_implicit's table of tap offsets and its wide product …
struct WideProduct;
struct ConvCol;        // … Conv2d's col (forward) and col, then dcol (backward) …
struct NtDotTails;     // … gemm_nt's padded last blocks (dot form) …
struct NtTransposedA;  // … gemm_nt's Aᵀ, Cᵀ and C (transposed form) …
struct NtTransposedC;
struct NtTransposedBack;
struct GemmRowPanel;  // … and gemm_nn_rows' copy of a row-table panel with a partial last vector

}  // namespace minitorch::detail
