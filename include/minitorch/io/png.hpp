// minitorch/io/png.hpp — a small PNG writer: 8-bit greyscale or RGB images (weight visualisations, MNIST digits,
// feature maps, plots) written as files any viewer opens.
//
// Needs zlib, like data/gzip.hpp (Debian: zlib1g-dev; CMake: find_package(ZLIB) and ZLIB::ZLIB). POSIX
// (open/write/rename). Tests: tests/test_png.cpp (the file layout, parsed chunk by chunk) and tests/png/ (the files
// read back by an independent decoder, tests/png/check_png.py).
//
//   png::Image image{28, 28, png::Color::gray, std::vector<std::uint8_t>(28 * 28)};
//   png::write("digit.png", image);
//
// The file (https://www.w3.org/TR/png/): the 8-byte signature, IHDR (width, height, bit depth 8, colour type 0 or 2,
// no interlace), the zlib stream of the rows (each row: filter type 0 "None", then its pixels) split into IDAT chunks
// of at most 1 MiB, IEND. Every chunk ends with the CRC-32 of its type and data (zlib's crc32).
//
// Writing never leaves a half-written file: write() encodes first (an invalid image touches nothing), writes
// "<target>.tmp-<pid>" next to the target, checks every write and the close, then renames it over the target; on any
// failure the temporary file is removed. The target follows the rules of io/files.hpp: a directory, a device or a FIFO
// is refused, a symbolic link is followed. (No fsync: an image is cheap to write again after a power cut.)
// Every error is a PngError: encode's start with "png: ", write's with the path.
#pragma once

#include "minitorch/io/files.hpp"

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace minitorch::png {

/// The pixel format: 1 byte per pixel (8-bit greyscale, PNG colour type 0) or 3 (8-bit RGB, colour type 2).
enum class Color { gray, rgb };

/// An 8-bit image, row-major, top row first: pixels holds width × height × (1 for gray, 3 for rgb) bytes.
struct Image {
    std::size_t width = 0;             ///< Pixels per row, 1 to 2^31 − 1.
    std::size_t height = 0;            ///< Rows, 1 to 2^31 − 1.
    Color color = Color::gray;         ///< Greyscale or RGB.
    std::vector<std::uint8_t> pixels;  ///< The rows, top first; RGB pixels as r, g, b.
};

/// An image that cannot be encoded or a file that cannot be written; what() says what was expected and what came.
class PngError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

namespace detail {

// What is wrong with `image` ("image is 0×5: …"), or "" when it can be encoded.
inline std::string problem_of(const Image& image) {
    const std::string size = std::to_string(image.width) + "×" + std::to_string(image.height);
    const std::size_t limit = 0x7fffffff;  // PNG's limit on both dimensions
    if (image.width == 0 || image.height == 0) return "image is " + size + ": width and height must be at least 1";
    if (image.width > limit || image.height > limit)
        return "image is " + size + ": width and height must be at most 2147483647 (PNG's limit)";
    const std::size_t channels = image.color == Color::rgb ? 3 : 1;
    const std::string what = "image " + size + (channels == 3 ? " rgb" : " gray") + " needs ";
    if (image.width > std::numeric_limits<std::size_t>::max() / channels / image.height)
        return what + "more bytes of pixels than memory holds, got " + std::to_string(image.pixels.size());
    const std::size_t needed = image.width * image.height * channels;
    if (image.pixels.size() != needed)
        return what + std::to_string(needed) + " bytes of pixels, got " + std::to_string(image.pixels.size());
    return "";
}

inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// Appends the chunk: length, type, data, CRC-32 of type and data. n is at most 1 MiB.
inline void put_chunk(std::vector<std::uint8_t>& out, const char* type, const std::uint8_t* data, std::size_t n) {
    put_u32(out, static_cast<std::uint32_t>(n));
    const std::size_t start = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data, data + n);
    put_u32(out, static_cast<std::uint32_t>(::crc32(0L, out.data() + start, static_cast<uInt>(4 + n))));
}

}  // namespace detail

/// The whole PNG file of `image`. Throws PngError for a width or height of 0 or above 2^31 − 1 ("png: image is 0×5:
/// width and height must be at least 1") and for a wrong number of pixel bytes ("png: image 3×2 rgb needs 18 bytes of
/// pixels, got 17").
inline std::vector<std::uint8_t> encode(const Image& image) {
    if (const std::string problem = detail::problem_of(image); !problem.empty()) throw PngError("png: " + problem);
    const std::size_t row = image.width * (image.color == Color::rgb ? 3 : 1);
    std::vector<std::uint8_t> raw;  // each row: filter type 0, then its pixels
    raw.reserve(image.height * (row + 1));
    for (std::size_t y = 0; y < image.height; ++y) {
        raw.push_back(0);
        raw.insert(raw.end(), image.pixels.begin() + static_cast<std::ptrdiff_t>(y * row),
                   image.pixels.begin() + static_cast<std::ptrdiff_t>((y + 1) * row));
    }
    std::vector<std::uint8_t> z(::compressBound(static_cast<uLong>(raw.size())));
    uLongf z_size = static_cast<uLongf>(z.size());
    if (const int rc = ::compress2(z.data(), &z_size, raw.data(), static_cast<uLong>(raw.size()), 6); rc != Z_OK)
        throw PngError("png: zlib cannot compress the image (compress2 returned " + std::to_string(rc) + ")");

    std::vector<std::uint8_t> out{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    std::vector<std::uint8_t> ihdr;
    detail::put_u32(ihdr, static_cast<std::uint32_t>(image.width));
    detail::put_u32(ihdr, static_cast<std::uint32_t>(image.height));
    ihdr.insert(ihdr.end(), {8, static_cast<std::uint8_t>(image.color == Color::rgb ? 2 : 0), 0, 0, 0});
    detail::put_chunk(out, "IHDR", ihdr.data(), ihdr.size());
    const std::size_t idat_max = std::size_t{1} << 20;
    for (std::size_t at = 0; at < z_size; at += idat_max)
        detail::put_chunk(out, "IDAT", z.data() + at, std::min<std::size_t>(idat_max, z_size - at));
    detail::put_chunk(out, "IEND", nullptr, 0);
    return out;
}

/// Writes the PNG file of `image` to `path` atomically (a temporary file next to the target, then a rename). Throws
/// PngError "<path>: cannot write the image: <reason>" (an invalid image, a target that is not a regular file, the
/// OS's reason); the file at `path` is then as it was.
inline void write(const std::string& path, const Image& image) {
    const auto fail = [&](const std::string& reason) { throw PngError(path + ": cannot write the image: " + reason); };
    std::vector<std::uint8_t> bytes;
    try {
        bytes = encode(image);  // before anything is touched
    } catch (const PngError& e) {
        fail(std::string(e.what()).substr(5));  // without "png: "
    }
    std::filesystem::path target;
    try {
        target = files::replace_target(path);
    } catch (const std::runtime_error& e) {
        fail(e.what());
    }
    const std::string tmp = target.string() + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot create " + tmp + ": " + std::strerror(errno));
    const auto give_up = [&](const std::string& what, bool close_fd) {  // what failed, with errno's reason
        const std::string reason = what + ": " + std::strerror(errno);
        if (close_fd) ::close(fd);
        ::unlink(tmp.c_str());
        fail(reason);
    };
    for (const std::uint8_t *p = bytes.data(), *end = p + bytes.size(); p < end;) {
        const ssize_t w = ::write(fd, p, static_cast<std::size_t>(end - p));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) give_up("cannot write " + tmp, true);
        p += w;
    }
    if (::close(fd) != 0) give_up("cannot close " + tmp, false);
    if (std::rename(tmp.c_str(), target.c_str()) != 0) give_up("cannot rename " + tmp + " to it", false);
    files::remove_stale_temporaries(target);  // left by runs killed during a write of the same file
}

}  // namespace minitorch::png
