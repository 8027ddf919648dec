// Test support: temporary folders and small binary files (IDX headers, safetensors' header length, whole files read
// and written as bytes) for the tests of the readers, the checkpoints and the executables. Tests never download
// anything: they write the files they need here.
#pragma once

#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace test_support {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

/// The names in the folder `dir`, sorted.
inline std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

/// A fresh folder under the system's temporary folder, removed with everything in it at the end of the scope
/// (write permission is restored first, for tests that take it away).
struct TempDir {
    fs::path path;
    TempDir() {
        static int counter = 0;
        path = fs::temp_directory_path() /
               ("minitorch-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    /// The names in the folder, sorted.
    std::vector<std::string> listing() const { return test_support::listing(path); }
};

/// Writes `bytes` to `path` (REQUIREs success).
inline void write_file(const fs::path& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

/// The whole file at `path`, byte for byte, as a string (empty when it cannot be read).
inline std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Writes the string `bytes` to `path` byte for byte, replacing the file (REQUIREs success).
inline void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

/// The IDX header (two zero bytes, type, rank, big-endian uint32 dimensions) followed by `data`.
inline Bytes idx_bytes(const std::vector<std::uint32_t>& dims, const Bytes& data, std::uint8_t type = 0x08) {
    Bytes out{0, 0, type, static_cast<std::uint8_t>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(d >> shift));
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

/// The header length a safetensors file starts with: its first 8 bytes, little-endian (REQUIREs that it has them).
inline std::uint64_t safetensors_header_length(const std::string& file) {
    REQUIRE(file.size() >= 8);
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(file[static_cast<std::size_t>(i)]);
    return n;
}

}  // namespace test_support
