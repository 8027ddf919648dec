// IDX reader and gzip helper: valid plain and gzip files (gzip detected by content), and every malformed case
// (truncated header or data, trailing bytes, wrong magic, unsupported type, rank 0, overflow, corrupt or truncated
// gzip, size limits, missing file), each with its message. Files are written into a temporary directory.
#include <minitorch/data/gzip.hpp>
#include <minitorch/data/idx.hpp>

#include <doctest/doctest.h>

#include "support/gzip_bytes.hpp"
#include "support/error_message.hpp"
#include "support/temp_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace minitorch;
using namespace test_support;  // TempDir, write_file, idx_bytes, gzip; fs = std::filesystem, Bytes

namespace {

Bytes iota_bytes(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return b;
}

std::string error_of(const fs::path& path) {
    return test_support::message_of<IdxError>([&] { read_idx(path); });
}

/// For each (contents, message) of `cases`, in order: a file at `path` holding the contents is refused by read_idx
/// with "<path>: <message>".
void check_refused(const fs::path& path, const std::vector<std::pair<Bytes, std::string>>& cases) {
    for (const auto& [contents, message] : cases) {
        write_file(path, contents);
        CHECK(error_of(path) == path.string() + ": " + message);
    }
}

}  // namespace

TEST_CASE("read_idx: a valid plain file, rank 3 and rank 1") {
    TempDir dir;
    const Bytes pixels = iota_bytes(2 * 3 * 4);
    write_file(dir.path / "images", idx_bytes({2, 3, 4}, pixels));
    const IdxArray a = read_idx(dir.path / "images");
    CHECK(a.dims == std::vector<std::size_t>{2, 3, 4});
    CHECK(a.data == pixels);

    write_file(dir.path / "labels", idx_bytes({5}, {9, 0, 1, 2, 255}));
    const IdxArray l = read_idx(dir.path / "labels");
    CHECK(l.dims == std::vector<std::size_t>{5});
    CHECK(l.data == Bytes{9, 0, 1, 2, 255});

    // Large dimension values are decoded big-endian: 0x00010203 = 66051.
    write_file(dir.path / "wide", idx_bytes({1, 0x00010203}, iota_bytes(0x00010203)));
    CHECK(read_idx(dir.path / "wide").dims == std::vector<std::size_t>{1, 66051});

    // A zero dimension is a valid, empty array.
    write_file(dir.path / "empty", idx_bytes({0, 28, 28}, {}));
    const IdxArray e = read_idx(dir.path / "empty");
    CHECK(e.dims == std::vector<std::size_t>{0, 28, 28});
    CHECK(e.data.empty());
}

TEST_CASE("read_idx: gzip is detected by content, with or without the .gz name") {
    TempDir dir;
    const Bytes pixels = iota_bytes(3 * 28 * 28);
    const Bytes file = idx_bytes({3, 28, 28}, pixels);
    const Bytes compressed = gzip(file, Z_BEST_COMPRESSION);
    CHECK(compressed.size() < file.size());
    for (const char* name : {"images.gz", "images-no-suffix"}) {
        write_file(dir.path / name, compressed);
        const IdxArray a = read_idx(dir.path / name);
        CHECK(a.dims == std::vector<std::size_t>{3, 28, 28});
        CHECK(a.data == pixels);
    }
    // A plain file named .gz is read as plain.
    write_file(dir.path / "plain.gz", file);
    CHECK(read_idx(dir.path / "plain.gz").data == pixels);

    // Concatenated members (cat a.gz b.gz) decompress one after the other, as gunzip does; zero padding is ignored.
    const std::size_t split = 100;
    Bytes two = gzip(Bytes(file.begin(), file.begin() + split), Z_BEST_COMPRESSION);
    const Bytes second = gzip(Bytes(file.begin() + split, file.end()), Z_BEST_COMPRESSION);
    two.insert(two.end(), second.begin(), second.end());
    two.insert(two.end(), 5, 0);
    write_file(dir.path / "two-members.gz", two);
    CHECK(read_idx(dir.path / "two-members.gz").data == pixels);
}

TEST_CASE("read_idx: truncated header") {
    TempDir dir;
    check_refused(
        dir.path / "short",
        {
            {{0, 0, 8}, "truncated header: the file has 3 bytes, an IDX file starts with a 4-byte magic number"},
            {{}, "truncated header: the file has 0 bytes, an IDX file starts with a 4-byte magic number"},
            // Rank 3 needs 4 + 12 bytes; only two dimensions present.
            {{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3},
             "truncated header: rank 3 needs a 16-byte header, the file has 12 bytes"},
            // The same inside a gzip file.
            {gzip({0, 0, 8, 3, 0, 0, 0, 2}, Z_BEST_COMPRESSION),
             "truncated header: rank 3 needs a 16-byte header, the file has 8 bytes (after gzip "
             "decompression)"},
        });
}

TEST_CASE("read_idx: truncated data and trailing bytes, plain and gzip") {
    TempDir dir;
    const Bytes short_file = idx_bytes({2, 3, 4}, iota_bytes(20));  // header says 24 bytes
    const Bytes long_file = idx_bytes({2, 3, 4}, iota_bytes(26));
    check_refused(
        dir.path / "images",
        {
            {short_file, "truncated: header says 2×3×4 = 24 bytes of data, file has 20 after the 16-byte header"},
            {gzip(short_file, Z_BEST_COMPRESSION),
             "truncated: header says 2×3×4 = 24 bytes of data, file has 20 after the 16-byte header "
             "(after gzip decompression)"},
            {long_file,
             "trailing bytes: header says 2×3×4 = 24 bytes of data, file has 26 after the 16-byte header "
             "(2 too many)"},
            {gzip(long_file, Z_BEST_COMPRESSION),
             "trailing bytes: header says 2×3×4 = 24 bytes of data, file has more after the 16-byte "
             "header (after gzip decompression)"},
            // MNIST-sized header over a tiny file: refused from the sizes alone.
            {idx_bytes({60000, 28, 28}, iota_bytes(1234)),
             "truncated: header says 60000×28×28 = 47040000 bytes of data, file has 1234 after the "
             "16-byte header"},
        });
}

TEST_CASE("read_idx: wrong magic, unsupported type, rank 0, overflowing dimensions") {
    TempDir dir;
    check_refused(dir.path / "bad",
                  {
                      {{0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7},
                       "not an IDX file: magic number 01 00 08 01, expected 00 00 08 <rank> (two zero bytes, the "
                       "type byte, the rank)"},
                      {idx_bytes({2}, Bytes(8), 0x0D),
                       "unsupported data type 0x0d (float32): only 0x08 (unsigned byte) is supported"},
                      {idx_bytes({2}, Bytes(2), 0x42),
                       "unsupported data type 0x42 (not an IDX type): only 0x08 (unsigned byte) is supported"},
                      {{0, 0, 8, 0, 1, 2, 3}, "rank 0 in the magic number: an IDX array needs at least one dimension"},
                      // (2³² − 1)⁴ does not fit in 64 bits.
                      {idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {}),
                       "dimensions 4294967295×4294967295×4294967295×4294967295 overflow the element count"},
                  });
}

TEST_CASE("read_idx: corrupt and truncated gzip streams") {
    TempDir dir;
    const fs::path p = dir.path / "images.gz";
    const Bytes good = gzip(idx_bytes({4, 28, 28}, iota_bytes(4 * 28 * 28)), Z_BEST_COMPRESSION);

    Bytes bad_crc = good;  // the trailer is CRC-32 then the size, 4 bytes each
    bad_crc[bad_crc.size() - 8] ^= 0xFF;
    Bytes bad_method = good;  // byte 2 of the gzip header: compression method, 8 = deflate
    bad_method[2] = 7;
    const Bytes cut(good.begin(), good.end() - 12);
    Bytes garbage = good;
    garbage.insert(garbage.end(), {'x', 'y', 'z'});
    check_refused(p, {
                         {bad_crc, "corrupt gzip stream (zlib: incorrect data check)"},
                         {bad_method, "corrupt gzip stream (zlib: unknown compression method)"},
                         {cut, "truncated gzip stream: the compressed data ends after " + std::to_string(cut.size()) +
                                   " bytes, before the end-of-stream marker"},
                         {garbage, "3 bytes of trailing garbage after the gzip stream (at byte " +
                                       std::to_string(good.size()) + ")"},
                     });

    // Every failure is an IdxError, which is a std::runtime_error.
    CHECK_THROWS_AS(read_idx(p), std::runtime_error);
}

TEST_CASE("read_idx: missing file and directory") {
    TempDir dir;
    CHECK(error_of(dir.path / "nope") == (dir.path / "nope").string() + ": no such file");
    CHECK(error_of(dir.path) == dir.path.string() + ": is a directory, not an IDX file");
    // A FIFO used to block fopen forever (issue 15).
    const fs::path fifo = dir.path / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK(error_of(fifo) == fifo.string() + ": is a FIFO (named pipe), not an IDX file");
}

TEST_CASE("read_idx and gunzip: decompression is bounded") {
    TempDir dir;
    const fs::path p = dir.path / "bomb.gz";
    // A header announcing more than the limit is refused before any data is inflated.
    write_file(p, gzip(idx_bytes({1024, 1024, 1025}, {}), Z_BEST_COMPRESSION));
    CHECK(error_of(p) == p.string() +
                             ": header says 1024×1024×1025 = 1074790400 bytes of data, more than the "
                             "1073741824-byte limit for gzip-compressed IDX files");
    // A 16 MB run of zeros behind a header announcing 1 byte: inflated only as far as header + 1 byte.
    Bytes big = idx_bytes({1}, Bytes(16u << 20, 0));
    const Bytes compressed = gzip(big, Z_BEST_COMPRESSION);
    CHECK(compressed.size() < 100000);
    write_file(p, compressed);
    CHECK(error_of(p) == p.string() +
                             ": trailing bytes: header says 1 = 1 bytes of data, file has more after the "
                             "8-byte header (after gzip decompression)");

    // gunzip's own cap.
    CHECK(gunzip(compressed, "mem", big.size()) == big);
    CHECK_THROWS_WITH_AS(gunzip(compressed, "mem", big.size() - 1),
                         ("mem: decompressed data exceeds the limit of " + std::to_string(big.size() - 1) +
                          " bytes (refusing a possible gzip bomb)")
                             .c_str(),
                         GzipError);
    CHECK(has_gzip_magic(compressed));
    CHECK_FALSE(has_gzip_magic(big));
    CHECK_FALSE(has_gzip_magic(Bytes{0x1f}));
}
