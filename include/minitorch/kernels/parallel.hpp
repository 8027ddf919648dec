// minitorch/kernels/parallel.hpp — the thread count and a deterministic parallel for.
//
// minitorch parallelises over independent work items (images of a batch, channels) with a static split: item range
// [0, n) is cut into num_threads() contiguous chunks, chunk t always goes to worker t. Reductions that cross chunks
// (e.g. a weight gradient summed over the batch) are done per chunk and then added in chunk order, so the same thread
// count always gives bit-identical numbers, and 1 thread gives exactly the single-threaded numbers.
//
// The pool is process-wide and persistent (threads are started once, on the first parallel_for with more than one
// thread). A parallel_for called from inside a worker runs serially on that worker.
//
// Hand-off: a step of the MNIST net runs ~90 parallel_for calls, evaluation in cache-sized slices thousands, each a
// few microseconds to a millisecond of work. Waking a sleeping thread through a condition variable costs tens of
// microseconds (a futex call on each side), so both sides first spin on an atomic counter for up to kSpin
// (~100 µs, with a pause instruction per turn) and only then sleep on the condition variable. A worker that is
// idle longer than that (between epochs, or in a program that stopped using minitorch) costs no CPU.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace minitorch {

/// What the pool has done since the program started (or the last reset_pool_stats()): how many parallel runs, the
/// time the workers spent in tasks, and the time the calling thread spent waiting for them after its own share.
/// A worker's idle time over a stretch of wall time w is w − worker_busy_seconds / (threads − 1) on average. Read by
/// bench_train_step to say how much of a step the threads stand idle; two clock reads per task (~50 ns) are its cost.
struct PoolStats {
    std::uint64_t runs = 0;
    double worker_busy_seconds = 0;  // summed over the workers (not the calling thread)
    double caller_wait_seconds = 0;  // the calling thread, between finishing task 0 and the last worker finishing
};

namespace detail {

/// A non-owning reference to a callable taking the task index: what ThreadPool::run hands the workers. Unlike
/// std::function it never allocates (a parallel_for's lambda does not fit std::function's small buffer), so a
/// steady-state training step makes no heap allocation for its ~90 hand-offs. The callable must outlive the run.
class TaskRef {
  public:
    template <class F>
    explicit TaskRef(F& f) noexcept
        : object_(static_cast<void*>(&f)), call_([](void* o, std::size_t t) { (*static_cast<F*>(o))(t); }) {}
    void operator()(std::size_t t) const { call_(object_, t); }

  private:
    void* object_;
    void (*call_)(void*, std::size_t);
};

class ThreadPool {
public:
    static ThreadPool& instance() {
        static ThreadPool pool;
        return pool;
    }

    std::size_t num_threads() const noexcept { return num_threads_; }

    void set_num_threads(std::size_t n) {
        if (n == 0) throw std::invalid_argument("set_num_threads: need at least 1 thread, got 0");
        if (n == num_threads_) return;
        stop_workers();
        num_threads_ = n;
    }

    /// Runs task(t) for t in [0, num_threads()) — task 0 on the calling thread — and waits for all.
    /// The first exception thrown by any task is rethrown here.
    void run(const TaskRef& task) {
        if (num_threads_ == 1 || in_worker()) {
            for (std::size_t t = 0; t < num_threads_; ++t) task(t);
            return;
        }
        start_workers();
        {
            // Under the mutex, so that a worker between its spin and its sleep cannot miss the new generation.
            std::lock_guard lock(mutex_);
            task_.store(&task, std::memory_order_relaxed);
            error_ = nullptr;
            failed_.store(false, std::memory_order_relaxed);
            pending_.store(num_threads_ - 1, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        std::exception_ptr main_error;
        in_worker() = true;
        try {
            task(0);
        } catch (...) {
            main_error = std::current_exception();
        }
        in_worker() = false;
        const auto wait_start = std::chrono::steady_clock::now();
        if (!spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
            std::unique_lock lock(mutex_);
            done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
        }
        wait_ns_.fetch_add(nanoseconds_since(wait_start), std::memory_order_relaxed);
        runs_.fetch_add(1, std::memory_order_relaxed);
        if (main_error) std::rethrow_exception(main_error);
        if (failed_.load(std::memory_order_acquire)) {
            std::lock_guard lock(mutex_);
            std::rethrow_exception(error_);
        }
    }

    PoolStats stats() const noexcept {
        return {runs_.load(std::memory_order_relaxed),
                1e-9 * static_cast<double>(busy_ns_.load(std::memory_order_relaxed)),
                1e-9 * static_cast<double>(wait_ns_.load(std::memory_order_relaxed))};
    }
    void reset_stats() noexcept {
        runs_.store(0, std::memory_order_relaxed);
        busy_ns_.store(0, std::memory_order_relaxed);
        wait_ns_.store(0, std::memory_order_relaxed);
    }

    ~ThreadPool() { stop_workers(); }

private:
    ThreadPool() = default;

    static bool& in_worker() {
        thread_local bool flag = false;
        return flag;
    }

    void start_workers() {
        if (!workers_.empty()) return;
        std::size_t current;
        {
            std::lock_guard lock(mutex_);
            stopping_ = false;
            current = generation_.load();  // workers wait for the generation after this one
        }
        for (std::size_t t = 1; t < num_threads_; ++t)
            workers_.emplace_back([this, t, current] { worker_loop(t, current); });
    }

    void stop_workers() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            generation_.fetch_add(1);
        }
        wake_.notify_all();
        for (auto& w : workers_) w.join();
        workers_.clear();
    }

    /// Spins (a pause per turn) until ready() or kSpin has passed; true when ready() became true.
    template <class Ready>
    static bool spin_until(Ready&& ready) {
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t turn = 1;; ++turn) {
            if (ready()) return true;
            pause();
            if (turn % 64 == 0 && std::chrono::steady_clock::now() - start > kSpin) return ready();
        }
    }

    static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
    }

    void worker_loop(std::size_t t, std::size_t seen) {
        in_worker() = true;
        while (true) {
            const auto generation_moved = [&] { return generation_.load(std::memory_order_acquire) != seen; };
            const TaskRef* task = nullptr;
            if (!spin_until(generation_moved)) {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, generation_moved);
            }
            // No lock on the hot path: run() stored the task (and stop_workers() stopping_) before the release that
            // moved the generation, and cannot store another before this worker counts itself done.
            seen = generation_.load(std::memory_order_acquire);
            if (stopping_.load(std::memory_order_relaxed)) return;
            task = task_.load(std::memory_order_relaxed);
            std::exception_ptr err;
            const auto start = std::chrono::steady_clock::now();
            try {
                (*task)(t);
            } catch (...) {
                err = std::current_exception();
            }
            busy_ns_.fetch_add(nanoseconds_since(start), std::memory_order_relaxed);
            if (err) {
                std::lock_guard lock(mutex_);
                if (!error_) error_ = err;
                failed_.store(true, std::memory_order_release);
            }
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                // The last worker: the caller may have given up spinning; the lock orders this notify after its
                // check of pending_, so the wake-up cannot be lost.
                { std::lock_guard lock(mutex_); }
                done_.notify_one();
            }
        }
    }

    static std::uint64_t nanoseconds_since(std::chrono::steady_clock::time_point start) noexcept {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
    }

    static constexpr std::chrono::microseconds kSpin{100};

    std::size_t num_threads_ = 1;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::atomic<const TaskRef*> task_{nullptr};
    std::atomic<std::size_t> pending_{0};     // workers still running the current task
    std::atomic<std::size_t> generation_{0};  // bumped once per run() (and on stop): what workers wait for
    std::atomic<bool> stopping_{false};
    std::atomic<bool> failed_{false};  // error_ is set (read without the lock on the hot path)
    std::exception_ptr error_;
    std::atomic<std::uint64_t> runs_{0}, busy_ns_{0}, wait_ns_{0};  // stats()
};

}  // namespace detail

/// The pool's counters (PoolStats); reset_pool_stats() zeroes them. Not thread-safe against a running parallel_for.
inline PoolStats pool_stats() {
    return detail::ThreadPool::instance().stats();
}
inline void reset_pool_stats() {
    detail::ThreadPool::instance().reset_stats();
}

/// Threads used by minitorch's kernels (default 1). Not thread-safe: set it before training, from one thread.
inline void set_num_threads(std::size_t n) { detail::ThreadPool::instance().set_num_threads(n); }
inline std::size_t num_threads() { return detail::ThreadPool::instance().num_threads(); }

/// Contiguous chunk t of [0, n) when split into `parts` chunks (the first n % parts chunks get one more item).
struct Range {
    std::size_t begin, end;
};
inline Range chunk_of(std::size_t n, std::size_t parts, std::size_t t) {
    const std::size_t base = n / parts, extra = n % parts;
    const std::size_t begin = t * base + std::min(t, extra);
    return {begin, begin + base + (t < extra ? 1 : 0)};
}

/// Calls body(begin, end, t) for chunk t of [0, n), t in [0, num_threads()), in parallel. Chunks may be empty
/// (n < threads); body is still called, so per-thread partial results are always initialised.
template <class Body>
void parallel_for(std::size_t n, Body&& body) {
    auto& pool = detail::ThreadPool::instance();
    const std::size_t parts = pool.num_threads();
    auto chunk = [&](std::size_t t) {
        const Range r = chunk_of(n, parts, t);
        body(r.begin, r.end, t);
    };
    pool.run(detail::TaskRef(chunk));
}

}  // namespace minitorch
