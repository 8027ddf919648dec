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
/// readable_after: how many floats after the image may be read (the rest of the batch): the wide product is computed
/// for its width rounded up to whole vectors, so that it has no edge columns (a GEMM's last partial vector costs a
/// packed copy and a pass of its own); those extra columns read up to lanes − 1 floats past the image, and are
/// dropped. Where fewer may be read (the batch's last image), or with padding, the product reads a copy of the image
/// with that slack.
inline void conv_forward_implicit(const kernels::GemmKernels& gemm, const kernels::Im2colKernels& moves,
                                  const float* weight, std::size_t O, const float* image, const ConvGeometry& g,
                                  float* y, std::size_t readable_after = 0) {
    const std::size_t slack = gemm.lanes - 1;
    ConvGeometry pg = g;  // the geometry the product reads: the image itself, or its zero-padded copy
    const float* src = image;
    if (g.padding > 0 || readable_after < slack) {
        pg = detail::padded_geometry(g);
        const std::size_t size = pg.channels * pg.height * pg.width;
        float* copy = detail::thread_scratch<detail::PaddedImage, float>(size + slack);
        if (g.padding > 0)
            detail::pad_image(image, g, copy);
        else
            std::copy(image, image + size, copy);
        std::fill(copy + size, copy + size + slack, 0.f);
        src = copy;
    }
    const std::size_t H = pg.height, W = pg.width, out_h = pg.out_h(), out_w = pg.out_w(), K = pg.col_rows();
    const std::size_t wide = (out_h - 1) * W + out_w;                            // columns of the wide product …
    const std::size_t wide_ld = (wide + gemm.lanes - 1) / gemm.lanes * gemm.lanes;  // … computed as whole vectors
    std::size_t* b_rows = detail::thread_scratch<detail::TapOffsets, std::size_t>(K);
    float* y_wide = detail::thread_scratch<detail::WideProduct, float>(O * wide_ld);
    for (std::size_t c = 0, k = 0; c < pg.channels; ++c)
        for (std::size_t i = 0; i < pg.kernel_h; ++i)
            for (std::size_t j = 0; j < pg.kernel_w; ++j, ++k) b_rows[k] = (c * H + i) * W + j;
    gemm.nn_rows(O, wide_ld, K, weight, K, src, b_rows, y_wide, wide_ld);
    moves.compact_wide(y_wide, wide_ld, O, out_h, out_w, W, y);
}

/// conv_forward_implicit with the active ISA's kernels. Returns false, doing nothing, where
/// conv_forward_implicit_applies is false for T and g: the caller then runs im2col + gemm_nn.
template <class T>
bool conv_forward_implicit(const T* weight, std::size_t O, const T* image, const ConvGeometry& g, T* y,
                           std::size_t readable_after = 0) {
    if constexpr (std::is_same_v<T, float>) {
        if (!conv_forward_implicit_applies<T>(g)) return false;
        conv_forward_implicit(kernels::gemm(), kernels::im2col(), weight, O, image, g, y, readable_after);
        return true;
    } else {
        (void)weight, (void)O, (void)image, (void)g, (void)y, (void)readable_after;
        return false;
    }
}

}  // namespace minitorch
