// minitorch/kernels/body/im2col.inl — the data movement of the stride-1 convolution, written once over the SIMD trait
// V and compiled once per ISA by kernels/im2col.hpp (through simd/for_each_isa.hpp). No include guard, no includes.
//
// im2col and col2im at stride 1 without padding (padding goes through a zero-padded copy of the image first, in
// im2col.hpp): every tap (c, i, j) of every output row oh is one contiguous run of out_w pixels, so both are loops of
// short runs (out_w = 6 … 26 in the MNIST net). Runs are copied a vector at a time with a scalar tail (no masked
// loads: NEON has none). Data movement only, except col2im's sums, which add every pixel's taps in (i, j) order
// starting from 0, as the scatter form does — so the same bits on every ISA.

/// d[0, n) = s[0, n).
inline void copy_run(float* d, const float* s, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + V::lanes <= n; i += V::lanes) V::store(d + i, V::load(s + i));
    for (; i < n; ++i) d[i] = s[i];
}

/// copy_run that copies whole vectors, n rounded up to a multiple of V::lanes: the caller guarantees that both ranges
/// extend that far and that the extra values of d are written again later.
inline void copy_run_over(float* d, const float* s, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; i += V::lanes) V::store(d + i, V::load(s + i));
}

/// im: [C, H, W] → col: [C·kh·kw, outH·outW], stride 1, no padding: col[(c, i, j), oh·outW + ow] = im[c, oh + i, ow + j].
inline void im2col_unpadded(const float* im, const ::minitorch::ConvGeometry& g, float* col) noexcept {
    // A run is copied as whole vectors (copy_run_over) when that stays inside both buffers: the extra lanes read the
    // pixels that follow in the image and write the start of the next run of col, which the loop writes later (the
    // destination offsets only grow), so they are overwritten. The scalar tail is then needed only at the very end.
    // The rows of a tap where that holds are a prefix (the offsets grow with oh), counted once per tap, so the loop
    // over them has no test.
    const std::size_t out_h = g.out_h(), out_w = g.out_w(), H = g.height, W = g.width;
    const std::size_t kh = g.kernel_h, kw = g.kernel_w;
    const std::size_t image = g.channels * H * W, col_size = g.col_rows() * out_h * out_w;
    const std::size_t whole = (out_w + V::lanes - 1) / V::lanes * V::lanes;
    // rows oh ≥ 0 of a run starting at `at` and advancing `step` per row that stay inside `size` as whole vectors
    const auto rows_inside = [&](std::size_t at, std::size_t step, std::size_t size) {
        return at + whole > size ? 0 : std::min(out_h, (size - at - whole) / step + 1);
    };
    for (std::size_t c = 0; c < g.channels; ++c)
        for (std::size_t i = 0; i < kh; ++i)
            for (std::size_t j = 0; j < kw; ++j) {
                const std::size_t src0 = (c * H + i) * W + j;
                const std::size_t dst0 = ((c * kh + i) * kw + j) * out_h * out_w;
                const std::size_t safe = std::min(rows_inside(src0, W, image), rows_inside(dst0, out_w, col_size));
                const float* s = im + src0;
                float* d = col + dst0;
                std::size_t oh = 0;
                for (; oh < safe; ++oh, s += W, d += out_w) copy_run_over(d, s, out_w);
                for (; oh < out_h; ++oh, s += W, d += out_w) copy_run(d, s, out_w);
            }
}

/// col: [C·kh·kw, outH·outW] → im: [C, H, W] (overwritten), the adjoint of im2col_unpadded: im[c, ih, iw] = Σ over the
/// taps (i, j), in that order, of col[(c, i, j), (ih − i)·outW + iw − j] where that output exists.
/// Gathered per output row, a vector of pixels at a time, accumulated in a register and stored once: the scatter form
/// (add each col row into im) reads back just-stored, overlapping vectors of im — a store-to-load forwarding stall
/// for every tap. A tap that covers only part of the vector's pixels (two of three taps of a 3-wide kernel at each
/// row end) is one whole-vector load with the lanes outside the tap replaced by 0 (V::lanes_in, V::select) — its
/// other lanes read neighbouring values of col, never used. Which lanes a tap covers depends only on the vector and
/// the tap's column j, so it is worked out once per call (the table `covered`). Where a vector load would leave col (the
/// last rows of the last channel) or the table would be too big, col2im_row_general reads through a zero-filled lane
/// buffer instead. Either way an invalid lane adds exactly +0, which leaves every sum's bits alone (a sum that starts
/// at +0 is never −0), so both give the bits of the scatter form.
inline void col2im_row_general(const float* col, const ::minitorch::ConvGeometry& g, std::size_t c, std::size_t ih,
                               float* out) noexcept {
    const std::size_t out_h = g.out_h(), out_w = g.out_w(), W = g.width, L = out_h * out_w;
    const std::size_t kh = g.kernel_h, kw = g.kernel_w, col_size = g.col_rows() * L;
    float lane_buffer[V::lanes];
    for (std::size_t x0 = 0; x0 < W; x0 += V::lanes) {
        const std::size_t width = std::min<std::size_t>(V::lanes, W - x0);  // pixels in this vector
        typename V::F acc = V::zero();
        for (std::size_t i = 0; i < kh; ++i) {
            if (ih < i || ih - i >= out_h) continue;  // no output row oh = ih − i
            std::size_t row = ((c * kh + i) * kw) * L + (ih - i) * out_w;  // offset of tap (c, i, 0), row oh
            for (std::size_t j = 0; j < kw; ++j, row += L) {
                // pixel x0 + l takes col[row + x0 + l − j] where 0 ≤ x0 + l − j < out_w
                const std::size_t lo = std::max(x0, j), hi = std::min(x0 + width, j + out_w);
                if (lo >= hi) continue;
                if (lo == x0 && hi == x0 + V::lanes) {
                    acc = V::add(acc, V::load(col + row + x0 - j));
                } else if (row + x0 - j + V::lanes <= col_size) {  // row ≥ j·L ≥ j: never before col
                    const typename V::F v = V::load(col + row + x0 - j);
                    acc = V::add(acc, V::select(V::lanes_in(lo - x0, hi - x0), v, V::zero()));
                } else {
                    for (std::size_t l = 0; l < V::lanes; ++l)
                        lane_buffer[l] = x0 + l >= lo && x0 + l < hi ? col[row + x0 + l - j] : 0.f;
                    acc = V::add(acc, V::load(lane_buffer));
                }
            }
        }
        if (width == V::lanes)
            V::store(out + x0, acc);
        else
            V::store_first(out + x0, acc, width);
    }
}

/// The most entries of col2im_unpadded's table `covered`: entry v·kw + j holds the lanes of vector v (pixels
/// v·lanes …) that tap column j covers, for v < vectors, j < kw. Wider geometries take col2im_row_general.
inline constexpr std::size_t col2im_table_size = 128;

inline void col2im_unpadded(const float* col, const ::minitorch::ConvGeometry& g, float* im) noexcept {
    const std::size_t out_h = g.out_h(), out_w = g.out_w(), H = g.height, W = g.width, L = out_h * out_w;
    const std::size_t kh = g.kernel_h, kw = g.kernel_w, col_size = g.col_rows() * L;
    const std::size_t vectors = (W + V::lanes - 1) / V::lanes;
    const bool table_fits = vectors * kw <= col2im_table_size;
    typename V::Mask covered[col2im_table_size];
    for (std::size_t v = 0; table_fits && v < vectors; ++v)
        for (std::size_t j = 0; j < kw; ++j) {
            const std::size_t x0 = v * V::lanes, width = std::min<std::size_t>(V::lanes, W - x0);
            const std::size_t lo = std::max(x0, j), hi = std::min(x0 + width, j + out_w);
            covered[v * kw + j] = lo < hi ? V::lanes_in(lo - x0, hi - x0) : V::lanes_in(0, 0);
        }
    for (std::size_t c = 0; c < g.channels; ++c)
        for (std::size_t ih = 0; ih < H; ++ih) {
            float* out = im + (c * H + ih) * W;
            const std::size_t i_lo = ih + 1 > out_h ? ih + 1 - out_h : 0, i_hi = std::min(kh - 1, ih);  // oh = ih − i
            // the furthest vector load of this row: last i, last j, last vector
            const std::size_t furthest =
                ((c * kh + i_hi) * kw) * L + (ih - i_hi) * out_w + (kw - 1) * (L - 1) + (vectors - 1) * V::lanes;
            if (!table_fits || furthest + V::lanes > col_size) {
                col2im_row_general(col, g, c, ih, out);
                continue;
            }
            for (std::size_t v = 0; v < vectors; ++v) {
                const std::size_t x0 = v * V::lanes;
                const typename V::Mask* lanes_of = covered + v * kw;
                typename V::F acc = V::zero();
                for (std::size_t i = i_lo; i <= i_hi; ++i) {
                    // tap (c, i, j), output row ih − i: pixel x0 + l reads p[l], p = col + its row + x0 − j
                    const float* p = col + ((c * kh + i) * kw) * L + (ih - i) * out_w + x0;
                    for (std::size_t j = 0; j < kw; ++j, p += L - 1)
                        acc = V::add(acc, V::select(lanes_of[j], V::load(p), V::zero()));
                }
                const std::size_t width = std::min<std::size_t>(V::lanes, W - x0);
                if (width == V::lanes)
                    V::store(out + x0, acc);
                else
                    V::store_first(out + x0, acc, width);
            }
        }
}

/// y[o, oh, :] = wide[o, oh·W : oh·W + out_w] for every output row: conv_implicit.hpp's compaction.
inline void compact_wide(const float* wide, std::size_t wide_ld, std::size_t O, std::size_t out_h, std::size_t out_w,
                         std::size_t W, float* y) noexcept {
    // Whole vectors where both buffers extend that far (the extra lanes write the start of the next output row,
    // written again next), as in im2col_unpadded.
    const std::size_t whole = (out_w + V::lanes - 1) / V::lanes * V::lanes;
    const std::size_t wide_size = O * wide_ld, y_size = O * out_h * out_w;
    for (std::size_t o = 0; o < O; ++o)
        for (std::size_t oh = 0; oh < out_h; ++oh) {
            const std::size_t d_at = (o * out_h + oh) * out_w, s_at = o * wide_ld + oh * W;
            if (s_at + whole <= wide_size && d_at + whole <= y_size)
                copy_run_over(y + d_at, wide + s_at, out_w);
            else
                copy_run(y + d_at, wide + s_at, out_w);
        }
}

MINITORCH_KERNEL_TABLE ::minitorch::kernels::Im2colKernels im2col_kernels{V::isa, &im2col_unpadded, &col2im_unpadded,
                                                                    &compact_wide};
