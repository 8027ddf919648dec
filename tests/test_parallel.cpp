// parallel_for: every item visited once, chunking as documented, exceptions propagate, thread count settable.
#include <minitorch/kernels/parallel.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace minitorch;

TEST_CASE("chunk_of splits evenly, earlier chunks take the remainder") {
    CHECK(chunk_of(10, 3, 0).begin == 0);
    CHECK(chunk_of(10, 3, 0).end == 4);
    CHECK(chunk_of(10, 3, 1).begin == 4);
    CHECK(chunk_of(10, 3, 2).end == 10);
    CHECK(chunk_of(1, 2, 1).begin == chunk_of(1, 2, 1).end);
}

TEST_CASE("parallel_for visits each item exactly once with 1, 2 and 3 threads") {
    for (std::size_t threads : {1u, 2u, 3u}) {
        set_num_threads(threads);
        CHECK(num_threads() == threads);
        std::vector<std::atomic<int>> visits(1000);
        std::atomic<std::size_t> calls{0};
        parallel_for(visits.size(), [&](std::size_t b, std::size_t e, std::size_t t) {
            CHECK(t < threads);
            ++calls;
            for (std::size_t i = b; i < e; ++i) ++visits[i];
        });
        CHECK(calls == threads);
        for (auto& v : visits) CHECK(v == 1);
    }
    set_num_threads(1);
}

TEST_CASE("parallel_for rethrows an exception from a worker") {
    set_num_threads(2);
    CHECK_THROWS_AS(parallel_for(10,
                                 [](std::size_t, std::size_t, std::size_t t) {
                                     if (t == 1) throw std::runtime_error("boom");
                                 }),
                    std::runtime_error);
    // The pool still works afterwards.
    std::atomic<int> n{0};
    parallel_for(4, [&](std::size_t b, std::size_t e, std::size_t) { n += static_cast<int>(e - b); });
    CHECK(n == 4);
    set_num_threads(1);
    CHECK_THROWS_AS(set_num_threads(0), std::invalid_argument);
}

TEST_CASE("pool_stats counts runs, the workers' busy time and the caller's wait") {
    set_num_threads(2);
    reset_pool_stats();
    CHECK(pool_stats().runs == 0);
    CHECK(pool_stats().worker_busy_seconds == 0.0);
    // Worker 1 sleeps 20 ms while the caller's chunk returns at once: the worker is busy for at least 20 ms and the
    // caller waits for most of them (sleep_for never returns early).
    parallel_for(2, [](std::size_t, std::size_t, std::size_t t) {
        if (t == 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    });
    const PoolStats stats = pool_stats();
    CHECK(stats.runs == 1);
    CHECK(stats.worker_busy_seconds >= 0.020);
    CHECK(stats.caller_wait_seconds >= 0.010);
    reset_pool_stats();
    CHECK(pool_stats().runs == 0);
    CHECK(pool_stats().caller_wait_seconds == 0.0);
    set_num_threads(1);
}
