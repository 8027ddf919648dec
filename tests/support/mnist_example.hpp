// Test support: the MNIST example run as a user runs it, on a tiny synthetic data folder written by the test (the
// standard file names, 28×28 images): tests/test_faults.cpp (exit statuses and messages) and
// tests/test_mnist_report.cpp (--report). MINITORCH_MNIST_EXE, the executable's path, is set by
// tests/reliability.cmake.
#pragma once

#include "temp_files.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace test_support {

struct SplitShape {
    std::uint32_t images = 0, labels = 0, height = 28, width = 28;
};

// A data folder under MNIST's file names: image i has label i mod 10 and a pattern of horizontal stripes that depends
// on its label (learnable, deterministic).
inline void write_mnist_folder(const fs::path& dir, SplitShape train, SplitShape test) {
    fs::create_directories(dir);
    const auto split = [&](const std::string& prefix, const SplitShape& s) {
        Bytes images(std::size_t{s.images} * s.height * s.width), labels(s.labels);
        for (std::size_t i = 0; i < s.images; ++i)
            for (std::size_t k = 0; k < std::size_t{s.height} * s.width; ++k)
                images[i * s.height * s.width + k] =
                    (k / s.width + i % 10) % 3 == 0 ? static_cast<std::uint8_t>((k * 7 + i * 31) % 256) : 0;
        for (std::size_t i = 0; i < s.labels; ++i) labels[i] = static_cast<std::uint8_t>(i % 10);
        write_file(dir / (prefix + "-images-idx3-ubyte"), idx_bytes({s.images, s.height, s.width}, images));
        write_file(dir / (prefix + "-labels-idx1-ubyte"), idx_bytes({s.labels}, labels));
    };
    split("train", train);
    split("t10k", test);
}

// 16 training and 8 test images of 28×28.
inline void write_small_mnist(const fs::path& dir) {
    write_mnist_folder(dir, {16, 16}, {8, 8});
}

#ifdef MINITORCH_MNIST_EXE
struct Run {
    int status = -1;     // exit status, or 128 + signal
    std::string output;  // stdout and stderr, interleaved (mnist), or stdout alone (mnist_apart)
    std::string errors;  // stderr alone (mnist_apart)
};

// Runs `command` through /bin/sh, reading its stdout through a pipe (which no file-size limit applies to).
inline Run shell(const std::string& command) {
    Run r;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) r.output.append(buffer, n);
    const int status = ::pclose(pipe);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
    return r;
}

// The path in single quotes, for the shell. (Appended step by step: "'" + std::string&& trips GCC 12's -Wrestrict.)
inline std::string q(const fs::path& path) {
    std::string quoted(1, '\'');
    quoted += path.string();
    quoted += '\'';
    return quoted;
}

// Runs the MNIST example with `args`, stdout and stderr together. `prefix` is shell code run before the program
// (e.g. a ulimit).
inline Run mnist(const std::string& args, const std::string& prefix = "") {
    return shell(prefix + "exec '" MINITORCH_MNIST_EXE "' " + args + " 2>&1");
}

// The same with the streams apart: stdout in `output`, stderr in `errors` (through the file `stderr_file`).
inline Run mnist_apart(const std::string& args, const fs::path& stderr_file) {
    Run r = shell("exec '" MINITORCH_MNIST_EXE "' " + args + " 2>" + q(stderr_file));
    r.errors = read_bytes(stderr_file);
    return r;
}

// The divergence recipe: plain SGD at lr 10 on 16 images in batches of 4, no augmentation, one thread. It diverges
// in training in epoch 5, after four epochs whose test loss is still finite. The epoch moves with the last bits of
// the sums (it moved when the kernels became the same on every ISA, and again when gemm_nt's dot form came): lr 8–12
// all diverge in training in epoch 5; from lr 15 up the test loss mostly turns non-finite first, in an evaluation —
// a different error. 10 is the middle of the stable range.
inline const std::string diverging = "--batch-size 4 --scheduler none --lr 10 --rotate 0 --progress lines --threads 1";
// One ordinary epoch.
inline const std::string one_epoch = " --epochs 1 --batch-size 8 --rotate 0 --progress lines";
#endif

}  // namespace test_support
