// PNG writer: the file layout parsed chunk by chunk (signature, IHDR fields, IDAT split, IEND, every CRC recomputed,
// the inflated rows: filter byte 0 then the pixels), the messages for invalid images, and write(): exactly encode's
// bytes, replacing a file, refusing a directory, a missing folder, no temporary files left. The same files read by an
// independent decoder (Python's zlib): tests/png/.
#include <minitorch/io/png.hpp>

#include <doctest/doctest.h>
#include <zlib.h>

#include "support/error_message.hpp"
#include "support/temp_files.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

using namespace minitorch;
using namespace test_support;  // TempDir, read_bytes, write_bytes, listing; fs = std::filesystem, Bytes

namespace {

struct Chunk {
    std::string type;
    Bytes data;
};

std::uint32_t u32_at(const Bytes& b, std::size_t at) {
    REQUIRE(at + 4 <= b.size());
    return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 | std::uint32_t{b[at + 2]} << 8 | b[at + 3];
}

/// The chunks of a PNG file, after checking the signature, that the chunks tile the file and every CRC.
std::vector<Chunk> chunks_of(const Bytes& file) {
    const Bytes signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    REQUIRE(file.size() >= 8);
    CHECK(Bytes(file.begin(), file.begin() + 8) == signature);
    std::vector<Chunk> chunks;
    for (std::size_t at = 8; at < file.size();) {
        const std::size_t n = u32_at(file, at);
        REQUIRE(at + 12 + n <= file.size());
        const std::uint8_t* type = file.data() + at + 4;
        const auto crc = static_cast<std::uint32_t>(crc32(0L, type, static_cast<uInt>(4 + n)));
        CHECK(u32_at(file, at + 8 + n) == crc);
        chunks.push_back({std::string(type, type + 4), Bytes(type + 4, type + 4 + n)});
        at += 12 + n;
    }
    return chunks;
}

/// Checks the layout of `file`, the PNG of `image`: IHDR, one or more IDAT, IEND; the inflated IDAT data is each row
/// as filter type 0 and its pixels. Returns the number of IDAT chunks.
std::size_t check_layout(const Bytes& file, const png::Image& image) {
    const std::vector<Chunk> chunks = chunks_of(file);
    REQUIRE(chunks.size() >= 3);
    REQUIRE(chunks.front().type == "IHDR");
    const Bytes& ihdr = chunks.front().data;
    REQUIRE(ihdr.size() == 13);
    CHECK(u32_at(ihdr, 0) == image.width);
    CHECK(u32_at(ihdr, 4) == image.height);
    CHECK(ihdr[8] == 8);                                            // bit depth
    CHECK(ihdr[9] == (image.color == png::Color::rgb ? 2 : 0));     // colour type
    CHECK(Bytes(ihdr.begin() + 10, ihdr.end()) == Bytes{0, 0, 0});  // compression, filter method, interlace
    CHECK(chunks.back().type == "IEND");
    CHECK(chunks.back().data.empty());
    Bytes z;
    for (std::size_t i = 1; i + 1 < chunks.size(); ++i) {
        CHECK(chunks[i].type == "IDAT");
        z.insert(z.end(), chunks[i].data.begin(), chunks[i].data.end());
    }
    const std::size_t row = image.width * (image.color == png::Color::rgb ? 3 : 1);
    Bytes expected;
    for (std::size_t y = 0; y < image.height; ++y) {
        expected.push_back(0);
        expected.insert(expected.end(), image.pixels.begin() + static_cast<std::ptrdiff_t>(y * row),
                        image.pixels.begin() + static_cast<std::ptrdiff_t>((y + 1) * row));
    }
    Bytes raw(expected.size() + 1);  // one spare byte: more data than expected would fit and show
    uLongf raw_size = static_cast<uLongf>(raw.size());
    REQUIRE(uncompress(raw.data(), &raw_size, z.data(), static_cast<uLong>(z.size())) == Z_OK);
    raw.resize(raw_size);
    CHECK(raw == expected);
    return chunks.size() - 2;
}

png::Image sample(std::size_t width, std::size_t height, png::Color color) {
    png::Image image{width, height, color, {}};
    image.pixels.resize(width * height * (color == png::Color::rgb ? 3 : 1));
    std::uint32_t state = 12345;
    for (auto& p : image.pixels) {
        state = state * 1664525u + 1013904223u;  // noise: compresses badly
        p = static_cast<std::uint8_t>(state >> 24);
    }
    return image;
}

Bytes file_bytes(const fs::path& path) {
    const std::string s = read_bytes(path);
    return Bytes(s.begin(), s.end());
}

std::string encode_error(const png::Image& image) {
    return message_of<png::PngError>([&] { png::encode(image); });
}

}  // namespace

TEST_CASE("png::encode: a small gray image: signature, IHDR, IDAT, IEND, CRCs and the rows") {
    const png::Image image{
        5, 4, png::Color::gray, {0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255}};
    CHECK(check_layout(png::encode(image), image) == 1);
    const png::Image one{1, 1, png::Color::gray, {42}};
    CHECK(check_layout(png::encode(one), one) == 1);
}

TEST_CASE("png::encode: a small rgb image: signature, IHDR, IDAT, IEND, CRCs and the rows") {
    png::Image image{3, 2, png::Color::rgb, {}};
    for (std::size_t i = 0; i < 18; ++i) image.pixels.push_back(static_cast<std::uint8_t>(i * 14));
    CHECK(check_layout(png::encode(image), image) == 1);
}

TEST_CASE("png::encode: a large noisy image is split into several IDAT chunks") {
    const png::Image image = sample(700, 600, png::Color::rgb);  // 1.26 MB of noise: more than one 1 MiB chunk
    CHECK(check_layout(png::encode(image), image) == 2);
}

TEST_CASE("png::encode: invalid images are refused with what was expected and what came") {
    CHECK(encode_error({0, 5, png::Color::gray, {}}) == "png: image is 0×5: width and height must be at least 1");
    CHECK(encode_error({5, 0, png::Color::rgb, {}}) == "png: image is 5×0: width and height must be at least 1");
    CHECK(encode_error({3, 2, png::Color::rgb, Bytes(17)}) == "png: image 3×2 rgb needs 18 bytes of pixels, got 17");
    CHECK(encode_error({3, 2, png::Color::gray, Bytes(18)}) == "png: image 3×2 gray needs 6 bytes of pixels, got 18");
    CHECK(encode_error({std::size_t{1} << 31, 1, png::Color::gray, {}}) ==
          "png: image is 2147483648×1: width and height must be at most 2147483647 (PNG's limit)");
}

TEST_CASE("png::write: the file holds exactly encode's bytes, and no temporary file is left") {
    TempDir dir;
    const png::Image image = sample(37, 23, png::Color::rgb);
    png::write((dir.path / "out.png").string(), image);
    CHECK(file_bytes(dir.path / "out.png") == png::encode(image));
    CHECK(dir.listing() == std::vector<std::string>{"out.png"});
}

TEST_CASE("png::write: replaces an existing file, and follows a symbolic link") {
    TempDir dir;
    const fs::path path = dir.path / "out.png";
    write_bytes(path, std::string(100000, 'x'));  // longer than the image: nothing of it may remain
    const png::Image image = sample(5, 4, png::Color::gray);
    png::write(path.string(), image);
    CHECK(file_bytes(path) == png::encode(image));

    fs::create_symlink("out.png", dir.path / "link.png");
    const png::Image other = sample(2, 2, png::Color::rgb);
    png::write((dir.path / "link.png").string(), other);
    CHECK(fs::is_symlink(dir.path / "link.png"));
    CHECK(file_bytes(path) == png::encode(other));
    CHECK(dir.listing() == std::vector<std::string>{"link.png", "out.png"});
}

TEST_CASE("png::write: a directory target is refused and left untouched") {
    TempDir dir;
    const fs::path target = dir.path / "images";
    fs::create_directory(target);
    write_bytes(target / "kept.txt", "kept");
    const std::string message =
        message_of<png::PngError>([&] { png::write(target.string(), sample(2, 2, png::Color::gray)); });
    CHECK(message ==
          target.string() + ": cannot write the image: is a directory, not a regular file: refusing to replace it");
    CHECK(fs::is_directory(target));
    CHECK(listing(target) == std::vector<std::string>{"kept.txt"});
    CHECK(dir.listing() == std::vector<std::string>{"images"});
}

TEST_CASE("png::write: a folder that does not exist, and an invalid image, fail naming the path") {
    TempDir dir;
    const std::string missing = (dir.path / "no-such-folder" / "out.png").string();
    const std::string message = message_of<png::PngError>([&] { png::write(missing, sample(2, 2, png::Color::gray)); });
    CHECK(message.starts_with(missing + ": cannot write the image: cannot create " + missing + ".tmp-"));
    CHECK(message.ends_with(": No such file or directory"));

    const std::string path = (dir.path / "bad.png").string();
    CHECK(message_of<png::PngError>([&] {
              png::write(path, {3, 2, png::Color::rgb, Bytes(17)});
          }) == path + ": cannot write the image: image 3×2 rgb needs 18 bytes of pixels, got 17");
    CHECK(dir.listing().empty());
}
