// minitorch/data/gzip.hpp — gzip decompression on top of zlib, in its own header so only data/ needs zlib.
//
// Link with zlib (Debian: zlib1g-dev; CMake: find_package(ZLIB) and ZLIB::ZLIB). Used by data/idx.hpp to read
// "train-images-idx3-ubyte.gz" as it is distributed. Tests: tests/test_idx.cpp.
//
// GzipInflater decompresses incrementally, so a caller can stop once it has what it needs: read_idx() asks for the
// number of bytes the IDX header announces plus one, which bounds memory whatever the compressed file claims (a
// "gzip bomb" cannot make it decompress more). Every error is a GzipError whose message starts with the name given
// to the constructor (the file path) and says what is wrong: a corrupt stream (zlib's own reason, e.g. "invalid
// block type" or "incorrect data check" for a CRC mismatch), a truncated stream, or garbage after the stream.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace minitorch {

/// A decompression failure; what() starts with the file name.
class GzipError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// True when `bytes` starts with the gzip magic number 1f 8b (RFC 1952), whatever the file is called.
inline bool has_gzip_magic(std::span<const std::uint8_t> bytes) noexcept {
    return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

/// Incremental gzip decompression of an in-memory buffer (which must outlive the inflater). Concatenated gzip
/// members (as `cat a.gz b.gz` makes) are decompressed one after the other, as gunzip does; zero padding after the
/// last member is ignored, anything else after it is an error.
class GzipInflater {
  public:
    GzipInflater(std::span<const std::uint8_t> compressed, std::string name)
        : input_(compressed), name_(std::move(name)) {
        // windowBits 16 + MAX_WBITS: expect a gzip wrapper (header + CRC-32 + size trailer), not raw zlib.
        if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) fail("cannot initialise zlib", zs_.msg);
        initialised_ = true;
    }
    GzipInflater(const GzipInflater&) = delete;
    GzipInflater& operator=(const GzipInflater&) = delete;
    ~GzipInflater() {
        if (initialised_) inflateEnd(&zs_);
    }

    /// Decompresses up to n bytes into dst and returns how many were written: fewer than n only at the end of the
    /// data. Throws GzipError on a corrupt or truncated stream.
    std::size_t read(std::uint8_t* dst, std::size_t n) {
        std::size_t produced = 0;
        while (produced < n) {
            if (member_done_ && !start_next_member()) break;
            feed_input();
            const std::size_t want = std::min<std::size_t>(n - produced, UINT_MAX);
            zs_.next_out = dst + produced;
            zs_.avail_out = static_cast<uInt>(want);
            const uInt in_before = zs_.avail_in;
            const int ret = inflate(&zs_, Z_NO_FLUSH);
            const std::size_t got = want - zs_.avail_out;
            consumed_ += in_before - zs_.avail_in;
            produced += got;
            total_out_ += got;
            switch (ret) {
                case Z_STREAM_END:
                    member_done_ = true;
                    break;
                case Z_OK:
                    break;
                case Z_BUF_ERROR:  // no progress possible: only happens here when the input is exhausted
                    if (consumed_ >= input_.size())
                        fail("truncated gzip stream: the compressed data ends after " + std::to_string(input_.size()) +
                             " bytes, before the end-of-stream marker");
                    fail("gzip decompression made no progress", zs_.msg);
                case Z_MEM_ERROR:
                    throw std::bad_alloc();
                case Z_NEED_DICT:
                    fail("corrupt gzip stream: a preset dictionary is required", nullptr);
                default:
                    fail("corrupt gzip stream", zs_.msg);  // Z_DATA_ERROR, Z_STREAM_ERROR
            }
        }
        return produced;
    }

    /// Bytes decompressed so far.
    std::size_t total_out() const noexcept { return total_out_; }

  private:
    [[noreturn]] void fail(const std::string& what, const char* zlib_reason = nullptr) const {
        throw GzipError(name_ + ": " + what + (zlib_reason ? std::string(" (zlib: ") + zlib_reason + ")" : ""));
    }

    void feed_input() {
        if (zs_.avail_in == 0 && consumed_ < input_.size()) {
            const std::size_t chunk = std::min<std::size_t>(input_.size() - consumed_, UINT_MAX);
            // zlib's API is not const-correct; it never writes through next_in.
            zs_.next_in = const_cast<Bytef*>(input_.data() + consumed_);
            zs_.avail_in = static_cast<uInt>(chunk);
        }
    }

    // After a member's end: continue with the next member, or report the end of the data (false).
    bool start_next_member() {
        const auto rest = input_.subspan(consumed_);
        if (rest.empty()) return false;
        if (std::all_of(rest.begin(), rest.end(), [](std::uint8_t b) { return b == 0; })) return false;
        if (!has_gzip_magic(rest))
            fail(std::to_string(rest.size()) + " bytes of trailing garbage after the gzip stream (at byte " +
                     std::to_string(consumed_) + ")",
                 nullptr);
        if (inflateReset(&zs_) != Z_OK) fail("cannot reset zlib", zs_.msg);
        zs_.avail_in = 0;
        member_done_ = false;
        return true;
    }

    std::span<const std::uint8_t> input_;
    std::string name_;
    z_stream zs_{};
    bool initialised_ = false;
    bool member_done_ = false;
    std::size_t consumed_ = 0;   // input bytes handed to zlib and used
    std::size_t total_out_ = 0;  // output bytes produced
};

/// Decompresses a whole gzip buffer, refusing (GzipError) to produce more than max_bytes.
inline std::vector<std::uint8_t> gunzip(std::span<const std::uint8_t> compressed, const std::string& name,
                                        std::size_t max_bytes = std::size_t{1} << 30) {
    GzipInflater inflater(compressed, name);
    std::vector<std::uint8_t> out;
    constexpr std::size_t chunk = std::size_t{1} << 20;
    while (true) {
        const std::size_t old = out.size();
        const std::size_t want = std::min(chunk, max_bytes - old + 1);  // +1: detect going over the limit
        out.resize(old + want);
        const std::size_t got = inflater.read(out.data() + old, want);
        out.resize(old + got);
        if (out.size() > max_bytes)
            throw GzipError(name + ": decompressed data exceeds the limit of " + std::to_string(max_bytes) +
                            " bytes (refusing a possible gzip bomb)");
        if (got < want) return out;
    }
}

}  // namespace minitorch
