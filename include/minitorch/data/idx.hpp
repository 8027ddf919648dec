// minitorch/data/idx.hpp — reader for IDX files (the format MNIST is distributed in), plain or gzip-compressed.
//
// Needs zlib (see data/gzip.hpp). Tests: tests/test_idx.cpp.
//
// Format (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT"), all integers big-endian:
//   bytes 0-1   zero
//   byte  2     element type: 0x08 unsigned byte (the only type read here; 0x09 int8, 0x0B int16, 0x0C int32,
//               0x0D float32, 0x0E float64 are refused with an error naming them)
//   byte  3     rank r ≥ 1 (labels: 1, images: 3)
//   then r × uint32 dimensions, outermost first, then the d0·d1·…·d(r−1) elements, row-major.
// MNIST's magic numbers are therefore 0x00000801 (labels) and 0x00000803 (images).
//
// read_idx() validates everything and never reads past the end: an unreadable file, a truncated header, non-zero
// leading bytes, an unsupported type, rank 0, a dimension product that overflows, fewer data bytes than the header
// announces ("truncated: header says 60000×28×28 = 47040000 bytes of data, file has 1234 after the 16-byte
// header") and trailing bytes after the data are all errors. A gzip file is recognised by its magic bytes 1f 8b, not
// by its name, and is decompressed only as far as the header announces plus one byte (to detect trailing data), and
// never beyond 1 GiB: a small file cannot make the reader allocate or inflate an unbounded amount.
// Every error is an IdxError (a std::runtime_error) whose message starts with the file path.
#pragma once

#include "minitorch/data/gzip.hpp"
#include "minitorch/io/files.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace minitorch {

/// An IDX array of unsigned bytes: dims outermost first, data row-major (size = product of dims).
struct IdxArray {
    std::vector<std::size_t> dims;
    std::vector<std::uint8_t> data;
};

/// A malformed or unreadable IDX file; what() starts with the file path.
class IdxError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Largest amount of data read from a gzip-compressed IDX file (MNIST's largest file is 47 MB).
inline constexpr std::size_t idx_gzip_limit = std::size_t{1} << 30;

namespace detail {

[[noreturn]] inline void idx_fail(const std::filesystem::path& path, const std::string& what) {
    throw IdxError(path.string() + ": " + what);
}

inline const char* idx_type_name(std::uint8_t type) noexcept {
    switch (type) {
        case 0x08:
            return "unsigned byte";
        case 0x09:
            return "signed byte";
        case 0x0B:
            return "int16";
        case 0x0C:
            return "int32";
        case 0x0D:
            return "float32";
        case 0x0E:
            return "float64";
        default:
            return "not an IDX type";
    }
}

inline std::string hex_byte(std::uint8_t b) {
    constexpr char digits[] = "0123456789abcdef";
    return {digits[b >> 4], digits[b & 15]};
}

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

}  // namespace detail

/// Reads an unsigned-byte IDX file, plain or gzip-compressed (detected by content). Throws IdxError.
inline IdxArray read_idx(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    using detail::idx_fail;

    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status)) idx_fail(path, "no such file");
    try {  // a FIFO would block fopen forever, a device read forever
        files::check_readable_kind(path);
    } catch (const std::runtime_error& e) {
        idx_fail(path, std::string(e.what()) + ", not an IDX file");
    }
    std::unique_ptr<std::FILE, detail::FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) idx_fail(path, std::string("cannot open: ") + std::strerror(errno));
    if (std::fseek(file.get(), 0, SEEK_END) != 0) idx_fail(path, std::string("cannot seek: ") + std::strerror(errno));
    const long end = std::ftell(file.get());
    if (end < 0) idx_fail(path, std::string("cannot determine the size: ") + std::strerror(errno));
    std::rewind(file.get());
    const auto file_size = static_cast<std::size_t>(end);

    auto read_plain = [&](std::uint8_t* dst, std::size_t n) -> std::size_t {
        const std::size_t got = std::fread(dst, 1, n, file.get());
        if (got < n && std::ferror(file.get())) idx_fail(path, std::string("read error: ") + std::strerror(errno));
        return got;
    };

    // gzip? Look at the first two bytes; a compressed file is read whole (it is small) and inflated on demand.
    std::uint8_t lead[2] = {0, 0};
    const std::size_t lead_n = read_plain(lead, 2);
    const bool gzip = has_gzip_magic(std::span<const std::uint8_t>(lead, lead_n));
    std::vector<std::uint8_t> compressed;
    std::unique_ptr<GzipInflater> inflater;
    if (gzip) {
        if (file_size > idx_gzip_limit)
            idx_fail(path, "compressed file of " + std::to_string(file_size) + " bytes is larger than the " +
                               std::to_string(idx_gzip_limit) + "-byte limit");
        compressed.resize(file_size);
        std::rewind(file.get());
        if (read_plain(compressed.data(), file_size) != file_size) idx_fail(path, "file shrank while being read");
        inflater = std::make_unique<GzipInflater>(compressed, path.string());
    } else {
        std::rewind(file.get());
    }
    auto read = [&](std::uint8_t* dst, std::size_t n) -> std::size_t {
        if (!gzip) return read_plain(dst, n);
        try {
            return inflater->read(dst, n);
        } catch (const GzipError& e) {  // same message (it starts with the path), one exception type for callers
            throw IdxError(e.what());
        }
    };
    const std::string after = gzip ? " (after gzip decompression)" : "";

    // ---- header -------------------------------------------------------------------------------------------------
    std::uint8_t magic[4];
    if (const std::size_t got = read(magic, 4); got < 4)
        idx_fail(path, "truncated header: the file has " + std::to_string(got) + " bytes" + after +
                           ", an IDX file starts with a 4-byte magic number");
    if (magic[0] != 0 || magic[1] != 0)
        idx_fail(path, "not an IDX file: magic number " + detail::hex_byte(magic[0]) + " " +
                           detail::hex_byte(magic[1]) + " " + detail::hex_byte(magic[2]) + " " +
                           detail::hex_byte(magic[3]) +
                           ", expected 00 00 08 <rank> (two zero bytes, the type byte, the rank)");
    if (magic[2] != 0x08)
        idx_fail(path, "unsupported data type 0x" + detail::hex_byte(magic[2]) + " (" +
                           detail::idx_type_name(magic[2]) + "): only 0x08 (unsigned byte) is supported");
    const std::size_t rank = magic[3];
    if (rank == 0) idx_fail(path, "rank 0 in the magic number: an IDX array needs at least one dimension");

    const std::size_t header_bytes = 4 + 4 * rank;
    std::vector<std::uint8_t> dim_bytes(4 * rank);
    if (const std::size_t got = read(dim_bytes.data(), dim_bytes.size()); got < dim_bytes.size())
        idx_fail(path, "truncated header: rank " + std::to_string(rank) + " needs a " + std::to_string(header_bytes) +
                           "-byte header, the file has " + std::to_string(4 + got) + " bytes" + after);

    IdxArray out;
    out.dims.resize(rank);
    std::size_t count = 1;
    bool overflow = false;
    std::string dims_text;
    for (std::size_t d = 0; d < rank; ++d) {
        const std::uint8_t* b = &dim_bytes[4 * d];
        out.dims[d] = (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) | (std::size_t{b[2]} << 8) | b[3];
        dims_text += (d ? "×" : "") + std::to_string(out.dims[d]);
        if (out.dims[d] != 0 && count > std::numeric_limits<std::size_t>::max() / out.dims[d]) overflow = true;
        count *= out.dims[d];
    }
    if (overflow) idx_fail(path, "dimensions " + dims_text + " overflow the element count");
    const std::string announced = "header says " + dims_text + " = " + std::to_string(count) + " bytes of data";
    const std::string header_text = "after the " + std::to_string(header_bytes) + "-byte header";

    // ---- data ---------------------------------------------------------------------------------------------------
    if (!gzip) {
        const std::size_t available = file_size - header_bytes;  // ≥ 0: the header was read in full
        if (available < count)
            idx_fail(path, "truncated: " + announced + ", file has " + std::to_string(available) + " " + header_text);
        if (available > count)
            idx_fail(path, "trailing bytes: " + announced + ", file has " + std::to_string(available) + " " +
                               header_text + " (" + std::to_string(available - count) + " too many)");
        out.data.resize(count);
        if (const std::size_t got = read(out.data.data(), count); got != count)
            idx_fail(path, "truncated: " + announced + ", could read only " + std::to_string(got) +
                               " (the file changed while being read?)");
        return out;
    }

    if (count > idx_gzip_limit)
        idx_fail(path, announced + ", more than the " + std::to_string(idx_gzip_limit) +
                           "-byte limit for gzip-compressed IDX files");
    // Grow as data actually arrives, so a header that lies about the size cannot make us allocate it up front.
    constexpr std::size_t chunk = std::size_t{4} << 20;
    std::size_t have = 0;
    while (have < count) {
        const std::size_t want = std::min(chunk, count - have);
        out.data.resize(have + want);
        const std::size_t got = read(out.data.data() + have, want);
        have += got;
        if (got < want)
            idx_fail(path,
                     "truncated: " + announced + ", file has " + std::to_string(have) + " " + header_text + after);
    }
    std::uint8_t extra;
    if (read(&extra, 1) != 0) idx_fail(path, "trailing bytes: " + announced + ", file has more " + header_text + after);
    return out;
}

}  // namespace minitorch
