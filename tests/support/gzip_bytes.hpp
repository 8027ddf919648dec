// Test support: gzip-compressing bytes in memory with zlib, for the tests that feed the IDX reader and the MNIST loader
// `.gz` files. In its own header (not temp_files.hpp) because it needs zlib, which only the tests of the data/ headers
// link (tests/dependencies.cmake).
#pragma once

#include <doctest/doctest.h>

#include <zlib.h>

#include <cstdint>
#include <vector>

namespace test_support {

/// `raw` gzip-compressed by zlib's deflate at `level` (0–9, or Z_DEFAULT_COMPRESSION): one gzip member, as `gzip`
/// writes it (windowBits 16 + 15 adds the gzip header and the CRC-32/size trailer). REQUIREs that zlib succeeds.
inline std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& raw, int level = Z_DEFAULT_COMPRESSION) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 32);
    zs.next_in = const_cast<Bytef*>(raw.data());
    zs.avail_in = static_cast<uInt>(raw.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int result = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    REQUIRE(result == Z_STREAM_END);
    out.resize(zs.total_out);
    return out;
}

}  // namespace test_support
