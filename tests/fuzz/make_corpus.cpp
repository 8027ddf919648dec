// Writes the seed corpora of the fuzz targets: small valid files and the edge cases each reader must refuse.
// The committed seeds under tests/fuzz/corpus/ were made with it; run it again when a format changes:
//
//   cmake --build build/fuzz --target fuzz_make_corpus && build/fuzz/fuzz_make_corpus tests/fuzz/corpus
//
// Deterministic (fixed seeds), so regenerating an unchanged format rewrites identical files.
#include "harness_safetensors.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using namespace minitorch;

namespace {

fs::path root;

void put(const std::string& target, const std::string& name, const Bytes& bytes) {
    fs::create_directories(root / target);
    std::ofstream out(root / target / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error((root / target / name).string() + ": cannot write");
}

Bytes read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An IDX file: two zero bytes, the type, the rank, big-endian uint32 dimensions, then `data`.
Bytes idx(const std::vector<std::uint32_t>& dims, const Bytes& data, std::uint8_t type = 0x08) {
    Bytes out{0, 0, type, static_cast<std::uint8_t>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(d >> shift));
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

Bytes iota(std::size_t n, unsigned mul = 1) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * mul);
    return b;
}

Bytes cat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

Bytes gz(const Bytes& raw) {
    return fuzz::detail::gzip(raw, 9);
}

void idx_seeds() {
    const Bytes labels = idx({10}, iota(10));
    const Bytes images = idx({3, 4, 4}, iota(48, 37));
    put("idx", "labels-10.idx", labels);
    put("idx", "images-3x4x4.idx", images);
    put("idx", "empty-rank2-0x5.idx", idx({0, 5}, {}));
    put("idx", "images-3x4x4.idx.gz", gz(images));
    put("idx", "labels-two-members.gz",
        cat(gz(Bytes(labels.begin(), labels.begin() + 7)), gz(Bytes(labels.begin() + 7, labels.end()))));
    put("idx", "labels-zero-padded.gz", cat(gz(labels), Bytes(9, 0)));
    // Edge cases the reader refuses.
    put("idx", "empty-file", {});
    put("idx", "truncated-header.idx", Bytes(images.begin(), images.begin() + 9));
    put("idx", "truncated-data.idx", Bytes(images.begin(), images.end() - 5));
    put("idx", "trailing-bytes.idx", cat(labels, {1, 2, 3}));
    put("idx", "rank0.idx", {0, 0, 8, 0});
    put("idx", "type-float32.idx", idx({2}, Bytes(8, 0), 0x0D));
    put("idx", "overflowing-dims.idx", idx({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {}));
    put("idx", "lying-header-60000x28x28.idx.gz", gz(idx({60000, 28, 28}, iota(100))));
    Bytes cut = gz(images);
    cut.resize(cut.size() - 6);
    put("idx", "gzip-truncated.gz", cut);
    put("idx", "gzip-trailing-garbage.gz", cat(gz(labels), {'x', 'y', 'z'}));
    Bytes bad_crc = gz(labels);
    bad_crc[bad_crc.size() - 6] ^= 0x40;  // inside the CRC-32 of the trailer
    put("idx", "gzip-bad-crc.gz", bad_crc);
}

void idx_gzip_seeds() {
    const Bytes labels = idx({10}, iota(10));
    const Bytes images = idx({3, 4, 4}, iota(48, 37));
    const auto with_mode = [](std::uint8_t mode, const Bytes& raw) { return cat({mode}, raw); };
    put("idx_gzip", "level9-labels", with_mode(0x30, labels));
    put("idx_gzip", "level6-images", with_mode(0x20, images));
    put("idx_gzip", "stored-images", with_mode(0x00, images));
    put("idx_gzip", "two-members-images", with_mode(0x11, images));
    put("idx_gzip", "zero-padding-labels", with_mode(0x38, labels));
    put("idx_gzip", "cut-2-bytes-labels", with_mode(0x12, labels));
    put("idx_gzip", "junk-after-labels", with_mode(0x34, labels));
    put("idx_gzip", "lying-header-images", with_mode(0x30, idx({60000, 28, 28}, iota(50))));
    put("idx_gzip", "trailing-data-labels", with_mode(0x30, cat(labels, {9})));
}

void safetensors_seeds() {
    const fs::path dir = root / "safetensors";
    fs::create_directories(dir);
    auto f32 = fuzz::detail::small_model<float>();
    auto f64 = fuzz::detail::small_model<double>();
    save_safetensors(dir / "model-f32.safetensors", f32.parameters());
    save_safetensors(dir / "model-f64.safetensors", f64.parameters());
    save_safetensors(dir / "model-f32-metadata.safetensors", f32.parameters(),
                     {{"epoch", "3"}, {"architecture", "fuzz small model"}});
    Generator gen(3);
    Sequential<float> other(Linear<float>({.in = 4, .out = 5}, gen), ReLU<float>(),
                            Linear<float>({.in = 5, .out = 2}, gen));
    save_safetensors(dir / "other-architecture.safetensors", other.parameters());

    const Bytes good = read(dir / "model-f32.safetensors");
    put("safetensors", "truncated.safetensors", Bytes(good.begin(), good.end() - 4));
    put("safetensors", "trailing-garbage.safetensors", cat(good, {'x', 'y', 'z'}));
    Bytes wrong_dtype = good;  // the first "F32" becomes "I32": same element size, so only the dtype is wrong
    const std::string text(wrong_dtype.begin(), wrong_dtype.end());
    wrong_dtype[text.find("\"F32\"") + 1] = 'I';
    put("safetensors", "wrong-dtype-i32.safetensors", wrong_dtype);
    // Hand-made headers: 8-byte little-endian length, JSON, spaces to a multiple of 8.
    const auto file = [](std::string header, const Bytes& data) {
        header.append((8 - header.size() % 8) % 8, ' ');
        Bytes out(8);
        for (int i = 0; i < 8; ++i)
            out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(header.size() >> (8 * i));
        out.insert(out.end(), header.begin(), header.end());
        return cat(out, data);
    };
    put("safetensors", "empty-header.safetensors", file("{}", {}));
    put("safetensors", "header-not-an-object.safetensors", file("[1, 2]", {}));
    put("safetensors", "overlapping-tensors.safetensors",
        file(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
             R"( "u": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}})",
             Bytes(8, 1)));
    put("safetensors", "short-file", {1, 2, 3});
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: fuzz_make_corpus <corpus root, e.g. tests/fuzz/corpus>\n";
        return 2;
    }
    root = argv[1];
    try {
        idx_seeds();
        idx_gzip_seeds();
        safetensors_seeds();
    } catch (const std::exception& e) {
        std::cerr << "fuzz_make_corpus: " << e.what() << '\n';
        return 1;
    }
    std::cout << "wrote the seed corpora under " << root.string() << '\n';
    return 0;
}
