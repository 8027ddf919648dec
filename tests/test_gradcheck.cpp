// The gradient checker itself: it passes a right gradient, fails a wrong one, and fails a vacuous all-zero one.
#include <minitorch/gradcheck.hpp>

#include <doctest/doctest.h>

#include <cmath>

using namespace minitorch;

namespace {
/// y = x² elementwise, with a configurable backward: right (2x), wrong (x) or dead (0).
class Square : public TrainingMode {
public:
    enum class Mode { right, wrong, dead };
    using scalar_type = double;
    struct Cache {};
    explicit Square(Mode m) : mode_(m) {}
    std::string describe() const { return "Square()"; }
    Shape output_shape(const Shape& s) const { return s; }
    const Tensor<double>& forward(const Tensor<double>& x, Tensor<double>& y, Cache&) {
        y.resize(x.shape());
        y.array() = x.array().square();
        return y;
    }
    void backward(const Tensor<double>& x, const Tensor<double>&, const Cache&, const Tensor<double>& dy,
                  Tensor<double>& dx) {
        dx.resize(dy.shape());
        const double factor = mode_ == Mode::right ? 2.0 : mode_ == Mode::wrong ? 1.0 : 0.0;
        dx.array() = factor * x.array() * dy.array();
    }
    std::vector<ParameterRef<double>> parameters() { return {}; }

private:
  Mode mode_;
};
static_assert(Layer<Square>);

/// Returns its input unchanged and its gradient as zero *and* has a constant output: all-zero on both sides.
class Constant : public TrainingMode {
public:
    using scalar_type = double;
    struct Cache {};
    std::string describe() const { return "Constant()"; }
    Shape output_shape(const Shape& s) const { return s; }
    const Tensor<double>& forward(const Tensor<double>& x, Tensor<double>& y, Cache&) {
        y = Tensor<double>(x.shape(), 1.0);
        return y;
    }
    void backward(const Tensor<double>&, const Tensor<double>&, const Cache&, const Tensor<double>& dy,
                  Tensor<double>& dx) {
        dx = Tensor<double>(dy.shape(), 0.0);
    }
    std::vector<ParameterRef<double>> parameters() { return {}; }
};
}  // namespace

TEST_CASE("gradcheck: a right backward passes with rtol 1e-6") {
    Square sq(Square::Mode::right);
    Tensor<double> x({2, 3}, {0.5, -1, 2, 0.1, -0.3, 1.5});
    const auto r = gradcheck(sq, x);
    INFO(r.report);
    CHECK(r.ok);
    CHECK(r.worst_ratio <= 1.0);
}

TEST_CASE("gradcheck: a wrong backward fails and names the worst element") {
    Square sq(Square::Mode::wrong);
    Tensor<double> x({2, 3}, {0.5, -1, 2, 0.1, -0.3, 1.5});
    const auto r = gradcheck(sq, x);
    CHECK_FALSE(r.ok);
    CHECK(r.worst_tensor == "input");
    CHECK(std::abs(r.worst_analytic * 2 - r.worst_numeric) < 1e-6);  // the reported pair is the real one
}

TEST_CASE("gradcheck: a backward that returns zeros fails, even against a nonzero numeric gradient") {
    Square sq(Square::Mode::dead);
    Tensor<double> x({2, 2}, {0.5, -1, 2, 0.1});
    CHECK_FALSE(gradcheck(sq, x).ok);
}

TEST_CASE("gradcheck: an all-zero gradient on both sides is a failure, not a vacuous pass") {
    Constant c;
    Tensor<double> x({2, 2}, {0.5, -1, 2, 0.1});
    const auto r = gradcheck(c, x);
    CHECK_FALSE(r.ok);
    CHECK(r.report.find("all zero") != std::string::npos);
}
