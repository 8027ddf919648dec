// minitorch/kernels/body/batchnorm.inl — BatchNorm's float kernels, written once over the SIMD trait V and compiled
// once per ISA by kernels/batchnorm.hpp (through simd/for_each_isa.hpp). No include guard, no includes. What each
// kernel computes, and the same-bits rule: kernels/batchnorm.hpp.
//
// Every formula is a small struct template over a trait W (Xhat, NormalizeStep, …): the vector loop instantiates it
// with V, the elements of a run that do not fill a vector with simd::Scalar — the same IEEE operations, one lane at a
// time, so a run's tail gives the bits its lanes would. Reductions keep kSum double partial sums as kChains vectors
// of V::lanes_d, spill them to kSum doubles for the tail, then add them in lane order.

namespace batchnorm_detail {

using S = ::minitorch::simd::Scalar;
using ::minitorch::kernels::Runs;
using ::minitorch::kernels::XhatParams;

inline constexpr std::size_t kSum = ::minitorch::kernels::batchnorm_sum_lanes;  // partial sums per reduction
inline constexpr std::size_t kChains = kSum / V::lanes_d;                         // … as this many D vectors
inline constexpr std::size_t kWide = V::lanes / V::lanes_d;  // D vectors of one widened F vector (1 scalar, 2 SIMD)
/// Floats per step of dot_sums_of_x: whole F vectors and whole sets of kSum lanes (AVX-512: 16, others 8).
inline constexpr std::size_t kBlock = V::lanes > kSum ? V::lanes : kSum;
static_assert(kSum % V::lanes_d == 0 && kBlock % V::lanes == 0 && kBlock % kSum == 0);

/// x̂ = ((x − mu_hi) − mu_lo)·inv_std on W's lanes.
template <class W>
struct Xhat {
    typename W::F mu_hi, mu_lo, inv_std;
    explicit Xhat(const XhatParams& p) noexcept
        : mu_hi(W::set1(p.mu_hi)), mu_lo(W::set1(p.mu_lo)), inv_std(W::set1(p.inv_std)) {}
    typename W::F operator()(typename W::F x) const noexcept {
        return W::mul(W::sub(W::sub(x, mu_hi), mu_lo), inv_std);
    }
};

/// The kSum partial sums of the two reductions of one run.
struct Lanes {
    double a[kSum], b[kSum];
};

/// Spills the chain vectors of a run to kSum doubles (lane l of vector j is partial sum j·lanes_d + l).
inline void spill(const typename V::D (&va)[kChains], const typename V::D (&vb)[kChains], Lanes& out) noexcept {
    for (std::size_t j = 0; j < kChains; ++j) {
        V::store_d(out.a + j * V::lanes_d, va[j]);
        V::store_d(out.b + j * V::lanes_d, vb[j]);
    }
}

/// sa += lanes 0, 1, …, kSum − 1 of a, in that order; sb likewise.
inline void combine(const Lanes& l, double& sa, double& sb) noexcept {
    for (std::size_t k = 0; k < kSum; ++k) {
        sa += l.a[k];
        sb += l.b[k];
    }
}

/// One run of shifted_sums: a_k += u, b_k = fma(u, u, b_k), u = double(x_i) − shift, for i ≡ k (mod kSum).
inline void shifted_sums_run(const float* x, std::size_t len, double shift, double& s1, double& s2) noexcept {
    const typename V::D sh = V::set1_d(shift);
    typename V::D a[kChains], b[kChains];
    for (std::size_t j = 0; j < kChains; ++j) a[j] = b[j] = V::zero_d();
    std::size_t i = 0;
    for (; i + kSum <= len; i += kSum)
        for (std::size_t j = 0; j < kChains; ++j) {
            const typename V::D u = V::sub_d(V::load_widen(x + i + j * V::lanes_d), sh);
            a[j] = V::add_d(a[j], u);
            b[j] = V::fma_d(u, u, b[j]);
        }
    Lanes l;
    spill(a, b, l);
    for (; i < len; ++i) {  // the tail, i ≡ k (mod kSum) as above
        const double u = S::sub_d(S::load_widen(x + i), shift);
        l.a[i % kSum] = S::add_d(l.a[i % kSum], u);
        l.b[i % kSum] = S::fma_d(u, u, l.b[i % kSum]);
    }
    combine(l, s1, s2);
}

/// One run of dot_sums_of_x: a_k += w, b_k = fma(w, double(x̂_i), b_k), w = double(dy_i), for i ≡ k (mod kSum), with
/// x̂_i = Xhat(x_i) computed in float, kBlock elements at a time: each F vector of x̂ is widened
/// into kWide D vectors, D vector t of the block (elements t·lanes_d …) going to chain t mod kChains — lane i mod
/// kSum for element i, since kBlock is a multiple of kSum.
inline void dot_sums_of_x_run(const float* dy, const float* x, const XhatParams& p, std::size_t len, double& s_dy,
                              double& s_dy_xhat) noexcept {
    const Xhat<V> xhat(p);
    typename V::D a[kChains], b[kChains];
    for (std::size_t j = 0; j < kChains; ++j) a[j] = b[j] = V::zero_d();
    std::size_t i = 0;
    for (; i + kBlock <= len; i += kBlock)
        for (std::size_t f = 0; f < kBlock / V::lanes; ++f) {
            typename V::D h[kWide];
            V::widen(xhat(V::load(x + i + f * V::lanes)), h);
            for (std::size_t part = 0; part < kWide; ++part) {
                const std::size_t t = f * kWide + part, j = t % kChains;
                const typename V::D w = V::load_widen(dy + i + t * V::lanes_d);
                a[j] = V::add_d(a[j], w);
                b[j] = V::fma_d(w, h[part], b[j]);
            }
        }
    Lanes l;
    spill(a, b, l);
    const Xhat<S> one(p);
    for (; i < len; ++i) {
        const double w = S::load_widen(dy + i);
        l.a[i % kSum] = S::add_d(l.a[i % kSum], w);
        l.b[i % kSum] = S::fma_d(w, static_cast<double>(one(x[i])), l.b[i % kSum]);
    }
    combine(l, s_dy, s_dy_xhat);
}

/// Runs `Step` over every element of the channel: Step<V> a vector at a time, then Step<S> for each run's last
/// len mod V::lanes elements. Step<W>(args…) holds the pointers and W-broadcast constants; step(i) does element
/// (or vector) i, an offset from the channel's first value.
template <template <class> class Step, class... Args>
inline void for_each_element(const Runs& runs, const Args&... args) noexcept {
    const Step<V> vec(args...);
    const Step<S> one(args...);
    for (std::size_t r = 0; r < runs.count; ++r) {
        const std::size_t at = r * runs.step;
        std::size_t i = 0;
        for (; i + V::lanes <= runs.len; i += V::lanes) vec(at + i);
        for (; i < runs.len; ++i) one(at + i);
    }
}

/// Training forward, pass 2: xhat = x̂ (WriteXhat), y = fma(x̂, γ, β) (WriteY).
template <class W, bool WriteXhat, bool WriteY>
struct NormalizeStep {
    const float* x;
    float *xhat, *y;
    Xhat<W> of;
    typename W::F gamma, beta;
    NormalizeStep(const float* x_, const XhatParams& p, float g, float b, float* xhat_, float* y_) noexcept
        : x(x_), xhat(xhat_), y(y_), of(p), gamma(W::set1(g)), beta(W::set1(b)) {}
    void operator()(std::size_t i) const noexcept {
        const typename W::F h = of(W::load(x + i));
        if constexpr (WriteXhat) W::store(xhat + i, h);
        if constexpr (WriteY) W::store(y + i, W::fma(h, gamma, beta));
    }
};
template <class W>
using NormalizeBoth = NormalizeStep<W, true, true>;
template <class W>
using NormalizeXhat = NormalizeStep<W, true, false>;
template <class W>
using NormalizeY = NormalizeStep<W, false, true>;

/// Eval forward: y = fma(x − mean, scale, shift).
template <class W>
struct EvalStep {
    const float* x;
    float* y;
    typename W::F mean, scale, shift;
    EvalStep(const float* x_, float m, float a, float b, float* y_) noexcept
        : x(x_), y(y_), mean(W::set1(m)), scale(W::set1(a)), shift(W::set1(b)) {}
    void operator()(std::size_t i) const noexcept {
        W::store(y + i, W::fma(W::sub(W::load(x + i), mean), scale, shift));
    }
};

/// Backward, pass 2: dx = k·fma(x̂, −b, dy − a), x̂ recomputed from x.
template <class W>
struct InputGradOfX {
    const float *dy, *x;
    float* dx;
    Xhat<W> of;
    typename W::F k, a, neg_b;
    InputGradOfX(const float* dy_, const float* x_, const XhatParams& p, float k_, float a_, float b_,
                 float* dx_) noexcept
        : dy(dy_), x(x_), dx(dx_), of(p), k(W::set1(k_)), a(W::set1(a_)), neg_b(W::set1(-b_)) {}
    void operator()(std::size_t i) const noexcept {
        W::store(dx + i, W::mul(k, W::fma(of(W::load(x + i)), neg_b, W::sub(W::load(dy + i), a))));
    }
};

// ---- the table's entries ------------------------------------------------------------------------------------------

// The sums are carried in locals and written back once: through the references, every one of combine's adds would
// be a store and a reload (the compiler cannot rule out that s1 and s2 alias), a store-forwarding wait per add — on
// small maps (8×8: a run is 64 values) most of the kernel's time.

inline void shifted_sums(const float* x, Runs runs, double shift, double& s1, double& s2) noexcept {
    double a = s1, b = s2;
    for (std::size_t r = 0; r < runs.count; ++r) shifted_sums_run(x + r * runs.step, runs.len, shift, a, b);
    s1 = a;
    s2 = b;
}

inline void dot_sums_of_x(const float* dy, const float* x, XhatParams p, Runs runs, double& s_dy,
                          double& s_dy_xhat) noexcept {
    double a = s_dy, b = s_dy_xhat;
    for (std::size_t r = 0; r < runs.count; ++r)
        dot_sums_of_x_run(dy + r * runs.step, x + r * runs.step, p, runs.len, a, b);
    s_dy = a;
    s_dy_xhat = b;
}

inline void normalize(const float* x, XhatParams p, float gamma, float beta, Runs runs, float* xhat,
                      float* y) noexcept {
    if (xhat && y)
        for_each_element<NormalizeBoth>(runs, x, p, gamma, beta, xhat, y);
    else if (xhat)
        for_each_element<NormalizeXhat>(runs, x, p, gamma, beta, xhat, y);
    else if (y)
        for_each_element<NormalizeY>(runs, x, p, gamma, beta, xhat, y);
}

inline void normalize_eval(const float* x, float mean, float scale, float shift, Runs runs, float* y) noexcept {
    for_each_element<EvalStep>(runs, x, mean, scale, shift, y);
}

inline void input_grad_of_x(const float* dy, const float* x, XhatParams p, float k, float a, float b, Runs runs,
                            float* dx) noexcept {
    for_each_element<InputGradOfX>(runs, dy, x, p, k, a, b, dx);
}

}  // namespace batchnorm_detail

MINITORCH_KERNEL_TABLE ::minitorch::kernels::BatchNormKernels batchnorm_kernels{
    V::isa,
    &batchnorm_detail::shifted_sums,
    &batchnorm_detail::dot_sums_of_x,
    &batchnorm_detail::normalize,
    &batchnorm_detail::normalize_eval,
    &batchnorm_detail::input_grad_of_x,
};
