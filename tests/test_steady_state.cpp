// A steady-state training step allocates nothing: after the first steps have sized every buffer (the container's
// outputs and gradients, the layers' caches, the kernels' thread scratch, the optimiser's momentum), forward, loss,
// backward and the SGD update of the MNIST net run without a single call to operator new, on 1 and 2 threads; so does
// a steady-state evaluation (Sequential::infer). Issue 14: an allocation per step is a page fault and a lock away
// from the arithmetic.
//
// This file replaces the global operator new and delete (every form) with counting versions over malloc, so it is its
// own test executable; the counter counts on every thread while `counting` is set.
#include <minitorch/minitorch.hpp>

#include "../examples/mnist/mnist_net.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

namespace {

std::atomic<bool> counting{false};
std::atomic<std::uint64_t> allocations{0};

void* counted_malloc(std::size_t size, std::size_t alignment = 0) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    if (size == 0) size = 1;
    void* p = alignment > alignof(std::max_align_t)
                  ? std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)
                  : std::malloc(size);
    if (!p) throw std::bad_alloc();
    return p;
}

/// The allocations made by f() on any thread.
template <class F>
std::uint64_t allocations_of(F&& f) {
    allocations = 0;
    counting = true;
    f();
    counting = false;
    return allocations.load();
}

}  // namespace

void* operator new(std::size_t size) { return counted_malloc(size); }
void* operator new[](std::size_t size) { return counted_malloc(size); }
void* operator new(std::size_t size, std::align_val_t a) { return counted_malloc(size, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_malloc(size, static_cast<std::size_t>(a)); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return counted_malloc(size);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return counted_malloc(size);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace minitorch;

TEST_CASE("the counter counts: a vector's allocation is seen, from a worker thread too") {
    set_num_threads(2);
    parallel_for(2, [](std::size_t, std::size_t, std::size_t) {});  // starts the workers (their threads allocate)
    CHECK(allocations_of([] { std::vector<int> v(10); }) == 1);
    CHECK(allocations_of([] {
              parallel_for(2, [](std::size_t, std::size_t, std::size_t t) {
                  if (t == 1) std::vector<int> v(10);
              });
          }) == 1);
    CHECK(allocations_of([] {}) == 0);
    set_num_threads(1);
}

TEST_CASE("a steady-state training step of the MNIST net allocates nothing, on 1 and 2 threads") {
    for (std::size_t threads : {1, 2}) {
        CAPTURE(threads);
        set_num_threads(threads);
        Generator gen(1);
        Sequential<float> net = mnist_example::make_net<float>(gen);
        SGD<float> opt(net.parameters(), {.lr = 0.01, .momentum = 0.9});
        NLLLoss<float> loss;
        Tensor<float> x({32, 1, 28, 28});
        normal_(x, 0.0, 1.0, gen);
        std::vector<std::int64_t> labels(32);
        for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int64_t>(i % 10);
        const auto step = [&] {
            opt.zero_grad();
            loss.forward(net.forward(x), labels);
            net.backward(loss.backward());
            opt.step();
        };
        step();  // the first steps size every buffer
        step();
        CHECK(allocations_of([&] {
                  for (int i = 0; i < 3; ++i) step();
              }) == 0);
        // A steady-state evaluation: eval-mode infer of the same batch, as evaluate() runs it.
        net.eval();
        net.infer(x);
        CHECK(allocations_of([&] { net.infer(x); }) == 0);
    }
    set_num_threads(1);
}
