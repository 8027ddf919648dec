// minitorch/kernels/conv_implicit.hpp — Conv2d's forward product without the col matrix (stride 1, float, every ISA).
// Tests: tests/test_conv_implicit.cpp (bit for bit against im2col + gemm_nn), tests/test_kernels.cpp (every ISA).
// Benchmarks: bench/bench_conv.cpp (forward).
//
// At stride 1, row (c, i, j) of col = im2col(x) holds x[c, oh + i, ow + j] for the outputs (oh, ow). Index the
// outputs "wide" instead, n = oh·W + ow with the image's row length W (ow running on past outW into columns that are
// thrown away), and that row becomes one contiguous run of the image itself:
//     colwide[(c, i, j), n] = x[c, oh + i, ow + j] = x_flat[(c·H + i)·W + j + n],   n < (outH − 1)·W + outW
// so the GEMM can read row k of its B operand straight from x at offset b_rows[k] = (c·H + i)·W + j
// (gemm_nn_rows), with no copy into col. The wide product Ywide[O, (outH − 1)·W + outW] is then compacted into
// Y[O, outH·outW] (its last kw − 1 columns of every output row dropped). With padding, the image is first copied into
// a zero-padded one (im2col.hpp's pad_image) and the unpadded case runs on that.
//
// Why: im2col writes C·kh·kw·outH·outW values per image (9× the image for a 3×3 kernel, 332 KB for the 16→32 conv
// of the MNIST net) that the GEMM then reads back; here the GEMM reads the image, which stays in L1/L2, and the only
// extra traffic is the compaction of the O·outH·outW outputs. The GEMM computes (kw − 1)/W more columns (8% for
// 26 → 24), far less than the copy it saves.
// Same numbers: each output is the same k-ascending chain of FMAs over the same values as gemm_nn on the explicit
// col (the tile loop and kernel are shared, only where row k of B starts differs), so Y is bit for bit the im2col +
// gemm_nn result, and a model trains to the same digits either way.
#pragma once

#include "minitorch/kernels/gemm.hpp"
#include "minitorch/kernels/im2col.hpp"

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace minitorch {

/// True when conv_forward_implicit computes this geometry (float, stride 1, not a 1×1 kernel without padding —
/// there col is the image itself and no copy is made anyway).
template <class T>
constexpr bool conv_forward_implicit_applies(const ConvGeometry& g) noexcept {
    return std::is_same_v<T, float> && g.stride == 1 && !g.is_identity();
}

/// Y[O, outH·outW] = W[O, C·kh·kw] · im2col(image), without building col; W row-major, image [C, H, W], with the
/// GEMM and data-movement kernels gemm and moves (the active ISA's by default: tests pass each ISA's).
inline void conv_forward_implicit(const kernels::GemmKernels& gemm, const kernels::Im2colKernels& moves,
                                  const float* weight, std::size_t O, const float* image, const ConvGeometry& g,
                                  float* y) {
    ConvGeometry pg = g;  // the geometry the product reads: the image itself, or its zero-padded copy
    const float* src = image;
    if (g.padding > 0) {
        pg = detail::padded_geometry(g);
        float* padded = detail::thread_scratch<detail::PaddedImage, float>(pg.channels * pg.height * pg.width);
        detail::pad_image(image, g, padded);
        src = padded;
    }
    const std::size_t H = pg.height, W = pg.width, out_h = pg.out_h(), out_w = pg.out_w(), K = pg.col_rows();
    const std::size_t wide = (out_h - 1) * W + out_w;  // columns of the wide product
    std::size_t* b_rows = detail::thread_scratch<detail::TapOffsets, std::size_t>(K);
    float* y_wide = detail::thread_scratch<detail::WideProduct, float>(O * wide);
    for (std::size_t c = 0, k = 0; c < pg.channels; ++c)
        for (std::size_t i = 0; i < pg.kernel_h; ++i)
            for (std::size_t j = 0; j < pg.kernel_w; ++j, ++k) b_rows[k] = (c * H + i) * W + j;
    gemm.nn_rows(O, wide, K, weight, K, src, b_rows, y_wide, wide);
    moves.compact_wide(y_wide, O, out_h, out_w, W, y);
}

/// conv_forward_implicit with the active ISA's kernels. Returns false, doing nothing, where
/// conv_forward_implicit_applies is false for T and g: the caller then runs im2col + gemm_nn.
template <class T>
bool conv_forward_implicit(const T* weight, std::size_t O, const T* image, const ConvGeometry& g, T* y) {
    if constexpr (std::is_same_v<T, float>) {
        if (!conv_forward_implicit_applies<T>(g)) return false;
        conv_forward_implicit(kernels::gemm(), kernels::im2col(), weight, O, image, g, y);
        return true;
    } else {
        (void)weight, (void)O, (void)image, (void)g, (void)y;
        return false;
    }
}

}  // namespace minitorch
