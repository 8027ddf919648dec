// tests/fuzz/harness.hpp — what each fuzz target does with one input, shared by the libFuzzer entry points
// (tests/fuzz/fuzz_*.cpp, built with clang by scripts/fuzz) and the replay of the seed corpora and of every crash
// found so far (tests/test_fuzz_regressions.cpp, in the normal test suite, release and sanitizer builds).
//
//   idx          the bytes are an IDX file, plain or gzip (read_idx detects gzip by content)
//   idx_gzip     byte 0 picks how to damage the stream, the rest is an IDX file that the harness gzip-compresses:
//                mutations then reach the IDX parser behind the decompressor instead of dying on the gzip CRC
//   safetensors  the bytes are a checkpoint, loaded into a small fixed float model and its double twin
//                (harness_safetensors.hpp: only that target pays for compiling the JSON library and the layers)
//
// The readers take paths, so each input is written to one temporary file per process and read back through the
// public API (nothing in the readers is special-cased for fuzzing). An input passes when the reader either succeeds
// with a result that satisfies the format's invariants, or throws the documented error type (IdxError,
// SafetensorsError) with a message that starts with the file path and leaves the model untouched. Anything else —
// another exception type escaping (std::bad_alloc, std::length_error, a JSON exception), a broken invariant
// (fuzz::Violation), or a memory error / undefined behaviour caught by the sanitizers — is a crash.
#pragma once

#include <minitorch/data/idx.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace minitorch::fuzz {

/// A broken invariant: the reader accepted or refused an input in a way its documentation rules out.
class Violation : public std::logic_error {
  public:
    using std::logic_error::logic_error;
};

namespace detail {

/// One temporary file per process and target, rewritten in place for every input (pwrite + ftruncate on a descriptor
/// kept open: truncating to zero and rewriting would make ext4 flush on every close), removed at exit.
class InputFile {
  public:
    explicit InputFile(const std::string& target)
        : path_(std::filesystem::temp_directory_path() /
                ("minitorch-fuzz-" + target + "-" + std::to_string(::getpid()))),
          fd_(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
        if (fd_ < 0) throw std::runtime_error(path_.string() + ": cannot create the fuzz input file");
    }
    ~InputFile() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    const std::filesystem::path& write(std::span<const std::uint8_t> bytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t w = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) throw std::runtime_error(path_.string() + ": cannot write the fuzz input file");
            done += static_cast<std::size_t>(w);
        }
        if (::ftruncate(fd_, static_cast<off_t>(bytes.size())) != 0)
            throw std::runtime_error(path_.string() + ": cannot resize the fuzz input file");
        return path_;
    }

  private:
    std::filesystem::path path_;
    int fd_;
};

/// Every documented error starts with the file path ("<path>: <problem>").
inline void check_message(const char* what, const std::filesystem::path& path) {
    const std::string_view message(what);
    if (!message.starts_with(path.string() + ": ") || message.size() <= path.string().size() + 2)
        throw Violation("error message does not start with the file path and a reason: " + std::string(message));
}

/// Reads `bytes` as an IDX file and checks what comes back; true when the file was accepted.
inline bool read_idx_checked(InputFile& file, std::span<const std::uint8_t> bytes) {
    const auto& path = file.write(bytes);
    try {
        const IdxArray a = read_idx(path);
        if (a.dims.empty() || a.dims.size() > 255) throw Violation("accepted an IDX rank outside 1..255");
        std::size_t count = 1;
        for (std::size_t d : a.dims) count *= d;  // cannot overflow: read_idx refuses that
        if (a.data.size() != count) throw Violation("IDX data size differs from the product of the dimensions");
        const bool gzip = bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
        if (!gzip && bytes.size() != 4 + 4 * a.dims.size() + count)
            throw Violation("accepted a plain IDX file whose size is not header + data");
        return true;
    } catch (const IdxError& e) {
        check_message(e.what(), path);
        return false;
    }
}

/// gzip-compresses `raw` (zlib's gzip wrapper) at the given level.
inline std::vector<std::uint8_t> gzip(std::span<const std::uint8_t> raw, int level) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 64);
    zs.next_in = const_cast<Bytef*>(raw.data());  // zlib never writes through next_in
    zs.avail_in = static_cast<uInt>(raw.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int ret = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (ret != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
    return out;
}

}  // namespace detail

/// Target "idx": the input is the file.
inline void idx(std::span<const std::uint8_t> input) {
    static detail::InputFile file("idx");
    (void)detail::read_idx_checked(file, input);
}

/// Target "idx_gzip": input[0] is a mode byte, input[1..] an IDX file (usually valid: the seeds are) that is
/// gzip-compressed here. Mode bits: 0x01 split into two gzip members (as `cat a.gz b.gz`), 0x02 cut the last
/// 1 + (mode >> 4) bytes of the stream, 0x04 append bytes that are not gzip, 0x08 append zero padding;
/// (mode >> 4) & 3 also picks the compression level (0, 1, 6, 9).
inline void idx_gzip(std::span<const std::uint8_t> input) {
    static detail::InputFile file("idx_gzip");
    if (input.empty()) return;
    const std::uint8_t mode = input[0];
    const auto raw = input.subspan(1);
    constexpr int levels[] = {0, 1, 6, 9};
    const int level = levels[(mode >> 4) & 3];
    std::vector<std::uint8_t> stream;
    if (mode & 0x01) {
        const std::size_t half = raw.size() / 2;
        stream = detail::gzip(raw.first(half), level);
        const auto second = detail::gzip(raw.subspan(half), level);
        stream.insert(stream.end(), second.begin(), second.end());
    } else {
        stream = detail::gzip(raw, level);
    }
    if (mode & 0x02) stream.resize(stream.size() - std::min<std::size_t>(stream.size(), 1 + (mode >> 4)));
    if (mode & 0x04) stream.insert(stream.end(), {'j', 'u', 'n', 'k'});
    if (mode & 0x08) stream.insert(stream.end(), 7, 0);
    const bool accepted = detail::read_idx_checked(file, stream);
    // A reader that accepts a file has read to the end of the last gzip member (it asks for one byte past the data),
    // so a cut stream with nothing after it, or non-gzip bytes after a complete stream, can never be accepted. (A cut
    // stream followed by padding or junk can be valid again: the appended bytes may re-create the cut trailer, e.g.
    // the zero high byte of the length — tests/fuzz/regressions/idx_gzip/cut-trailer-restored-by-zero-padding.)
    const bool cut = mode & 0x02, appended = mode & 0x0C, junk = mode & 0x04;
    if (accepted && cut && !appended) throw Violation("accepted a truncated gzip stream");
    if (accepted && junk && !cut) throw Violation("accepted a gzip stream followed by trailing garbage");
}

}  // namespace minitorch::fuzz
