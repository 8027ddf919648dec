// The MNIST example's log: what it prints, to stdout and to the --log file. Shared by mnist.cpp and report.cpp.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

namespace mnist_example {

/// Everything printed goes to stdout and, when --log is given, to the log file (without progress bars); error lines
/// go to stderr and the log file. A write to the log file that fails (a full disk) throws naming the file and the
/// reason, like the CSV's: the run stops with exit 1 rather than lose its log silently.
class Log {
  public:
    explicit Log(const std::string& path) : path_(path) {
        if (!path.empty()) {
            if (std::filesystem::path(path).has_parent_path())
                std::filesystem::create_directories(std::filesystem::path(path).parent_path());
            fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd_ < 0) {
                const int err = errno;
                throw std::runtime_error(path + ": cannot open the log file for writing: " + std::strerror(err));
            }
        }
    }
    ~Log() {
        if (fd_ >= 0) ::close(fd_);
    }
    Log(const Log&) = delete;
    Log& operator=(const Log&) = delete;

    void line(const std::string& text) {
        std::cout << text << '\n' << std::flush;
        write_file(text + '\n');
    }
    /// Never throws: after a failed log write the error itself still reaches stderr.
    void error(const std::string& text) noexcept {
        std::cout << std::flush;  // keeps the order of the lines when both streams go to one place
        std::cerr << text << '\n' << std::flush;
        if (!failed_) {
            try {
                write_file(text + '\n');
            } catch (const std::exception&) {
            }
        }
    }

  private:
    void write_file(const std::string& text) {
        if (fd_ < 0 || failed_) return;
        for (std::size_t done = 0; done < text.size();) {
            const ssize_t w = ::write(fd_, text.data() + done, text.size() - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                const int err = errno;
                failed_ = true;
                throw std::runtime_error(path_ + ": cannot write the log file: " + std::strerror(err));
            }
            done += static_cast<std::size_t>(w);
        }
    }

    std::string path_;
    int fd_ = -1;
    bool failed_ = false;
};

}  // namespace mnist_example
