// minitorch/io/files.hpp — the file-system rules every writer and reader of minitorch follows (POSIX). No
// dependencies beyond the standard library; used by io/safetensors.hpp, data/mnist.hpp and the examples.
//
// Replacing a file (checkpoints, metrics, plots: written to a temporary file, then renamed over the target):
//   - a target that exists and is not a regular file (a directory, a device such as /dev/null, a FIFO, a socket) is
//     refused: rename() would replace the device node or FIFO by a regular file;
//   - a symbolic link is followed: the file it points to is replaced (its temporary file is created next to it),
//     and the link stays a link — what `cp`, shells' `>` and editors do. A dangling link creates its target.
// Reading a file: anything but a regular file is refused with what it is (fopen on a FIFO blocks forever).
// Tests: tests/test_safetensors.cpp, tests/test_faults.cpp.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace minitorch::files {

/// "a directory", "a character device", "a FIFO", …: what a non-regular file is, for messages.
inline std::string kind_of(const std::filesystem::file_status& status) {
    namespace fs = std::filesystem;
    switch (status.type()) {
        case fs::file_type::regular: return "a regular file";
        case fs::file_type::directory: return "a directory";
        case fs::file_type::symlink: return "a symbolic link";
        case fs::file_type::block: return "a block device";
        case fs::file_type::character: return "a character device";
        case fs::file_type::fifo: return "a FIFO (named pipe)";
        case fs::file_type::socket: return "a socket";
        case fs::file_type::not_found: return "missing";
        default: return "not a regular file";
    }
}

/// `path` with every symbolic link along the final component followed (at most 40, as the kernel allows): the file a
/// write through `path` reaches. Throws std::runtime_error "<path>: too many levels of symbolic links".
inline std::filesystem::path follow_links(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    fs::path p = path;
    for (int hops = 0; hops < 40; ++hops) {
        std::error_code ec;
        if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
        const fs::path link = fs::read_symlink(p, ec);
        if (ec) return p;
        p = link.is_absolute() ? link : p.parent_path() / link;
    }
    throw std::runtime_error(path.string() + ": too many levels of symbolic links");
}

/// The file to replace when writing `path` (follow_links), or throws std::runtime_error "<problem>" (without the
/// path: callers prefix it with their own wording) when that file exists and is not a regular file:
///   "is a directory, not a regular file: refusing to replace it"
///   "is a symbolic link to /dev/null, a character device, not a regular file: refusing to replace it"
inline std::filesystem::path replace_target(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    const fs::path target = follow_links(path);
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(target, ec);
    if (status.type() == fs::file_type::not_found || fs::is_regular_file(status)) return target;
    const std::string via = target == path ? "" : "is a symbolic link to " + target.string() + ", which ";
    throw std::runtime_error((via.empty() ? "is " : via + "is ") + kind_of(status) +
                             ", not a regular file: refusing to replace it");
}

/// Throws std::runtime_error "is a FIFO (named pipe)" (no path: callers prefix it and say what they expected) unless
/// `path` is a regular file or a link to one; a missing path passes (the open that follows reports it).
inline void check_readable_kind(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found || fs::is_regular_file(status)) return;
    throw std::runtime_error("is " + kind_of(status));
}

/// Removes the temporary files "<target>.tmp-<pid>" that processes which no longer run left next to `target` (a run
/// killed during a save). Temporaries of a live process (another run saving the same file right now) and anything
/// that is not a regular file are left alone. Best effort: errors are ignored.
inline void remove_stale_temporaries(const std::filesystem::path& target) {
    namespace fs = std::filesystem;
    const std::string prefix = target.filename().string() + ".tmp-";
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.starts_with(prefix) || name.size() == prefix.size()) continue;
        long pid = 0;
        const char* first = name.data() + prefix.size();
        const char* last = name.data() + name.size();
        const auto [stop, err] = std::from_chars(first, last, pid);
        if (err != std::errc() || stop != last || pid <= 0 || pid == ::getpid()) continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
        std::error_code kind_ec;
        if (fs::is_regular_file(fs::symlink_status(it->path(), kind_ec))) fs::remove(it->path(), kind_ec);
    }
}

}  // namespace minitorch::files
