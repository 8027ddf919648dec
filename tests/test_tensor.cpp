// Tensor: shapes, element access, value semantics, alignment, Eigen views, errors.
#include <minitorch/tensor.hpp>

#include <doctest/doctest.h>

#include <cstdint>

using minitorch::Shape;
using minitorch::Tensor;

TEST_CASE("Tensor: construction from shape fills, from values keeps row-major order") {
    Tensor<float> z({2, 3}, 1.5f);
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.rank() == 2);
    CHECK(z.size() == 6);
    for (float v : z) CHECK(v == 1.5f);

    Tensor<double> t({2, 3}, {1, 2, 3, 4, 5, 6});
    CHECK(t(0, 0) == 1);
    CHECK(t(0, 2) == 3);
    CHECK(t(1, 0) == 4);
    CHECK(t(1, 2) == 6);
    CHECK(t[4] == 5);

    Tensor<float> img({2, 3, 4, 5});
    img(1, 2, 3, 4) = 7.f;
    CHECK(img[((1 * 3 + 2) * 4 + 3) * 5 + 4] == 7.f);
}

TEST_CASE("Tensor: wrong value count and out-of-range indices are clear errors") {
    CHECK_THROWS_WITH_AS((Tensor<float>({2, 2}, {1.f, 2.f, 3.f})), "Tensor: shape [2, 2] needs 4 values, got 3",
                         std::invalid_argument);
    Tensor<float> t({2, 3});
    CHECK_THROWS_WITH_AS(t(2, 0), "Tensor: index 2 out of range for dimension 0 of shape [2, 3]", std::out_of_range);
    CHECK_THROWS_WITH_AS(t(0), "Tensor: 1 indices for a tensor of shape [2, 3]", std::out_of_range);
    CHECK_THROWS_AS(t.dim(2), std::out_of_range);
    CHECK_THROWS_WITH_AS(t.reshape({4, 2}), "Tensor::reshape: cannot view [2, 3] (6 elements) as [4, 2]",
                         std::invalid_argument);
}

TEST_CASE("Tensor: storage is 64-byte aligned") {
    for (std::size_t n : {1u, 3u, 17u, 1000u}) {
        Tensor<float> t({n});
        CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
        Tensor<double> d({n, 3});
        CHECK(reinterpret_cast<std::uintptr_t>(d.data()) % 64 == 0);
    }
}

TEST_CASE("Tensor: copies are deep, moves transfer") {
    Tensor<float> a({3}, {1, 2, 3});
    Tensor<float> b = a;
    b[0] = 10;
    CHECK(a[0] == 1);
    CHECK(b[0] == 10);
    CHECK(a != b);
    b[0] = 1;
    CHECK(a == b);
    Tensor<float> c = std::move(b);
    CHECK(c == a);
}

TEST_CASE("Tensor: Eigen views share the storage") {
    Tensor<float> t({2, 3}, {1, 2, 3, 4, 5, 6});
    auto m = t.matrix();
    CHECK(m.rows() == 2);
    CHECK(m.cols() == 3);
    CHECK(m(1, 0) == 4);
    m(0, 1) = 20;
    CHECK(t(0, 1) == 20);
    t.array() *= 2.f;
    CHECK(t(1, 2) == 12);
    CHECK_THROWS_AS(t.matrix(4, 2), std::invalid_argument);
}

TEST_CASE("Tensor: resize keeps the allocation when it fits, reshape keeps the elements") {
    Tensor<float> t({4, 4});
    const float* p = t.data();
    t.resize({2, 8});
    CHECK(t.data() == p);
    t.resize({2, 2});
    CHECK(t.data() == p);
    CHECK(t.shape() == Shape{2, 2});
    Tensor<float> r({2, 3}, {1, 2, 3, 4, 5, 6});
    r.reshape({3, 2});
    CHECK(r(2, 1) == 6);
    CHECK(minitorch::to_string(r.shape()) == "[3, 2]");
}

TEST_CASE("Tensor: cast converts element type") {
    Tensor<float> f({2}, {1.5f, -2.25f});
    Tensor<double> d = f.cast<double>();
    CHECK(d[0] == 1.5);
    CHECK(d[1] == -2.25);
}

TEST_CASE("Tensor: a shape whose element count overflows or cannot be allocated is refused naming it (issue 15)") {
    // [2^40, 2^40] used to wrap to size() == 0, and t(1000, 1000) = 1 then died with SIGBUS.
    CHECK_THROWS_WITH_AS(Tensor<float>({1ull << 40, 1ull << 40}),
                         "shape [1099511627776, 1099511627776]: the number of elements overflows size_t",
                         std::invalid_argument);
    // 2^63 elements fit in size_t but not in memory: a length_error from std::vector before.
    CHECK_THROWS_WITH_AS(Tensor<float>({1ull << 32, 1ull << 31}),
                         "Tensor: shape [4294967296, 2147483648] has 9223372036854775808 elements, more than a tensor "
                         "of 4-byte elements can hold (2305843009213693951)",
                         std::invalid_argument);
    Tensor<double> t({2, 3});
    CHECK_THROWS_AS(t.resize({1ull << 40, 1ull << 40}), std::invalid_argument);
    CHECK(t.shape() == Shape{2, 3});  // unchanged
    CHECK(t.size() == 6);
    CHECK_THROWS_AS(t.reshape({1ull << 63, 2}), std::invalid_argument);
    CHECK_THROWS_AS(t.matrix(1ull << 63, 2), std::invalid_argument);  // 2^64 wraps to 0, not 6
    CHECK(minitorch::num_elements({1ull << 32, 1ull << 31}) == 1ull << 63);
    CHECK_THROWS_AS(minitorch::num_elements({1ull << 32, 1ull << 32}), std::invalid_argument);
}
