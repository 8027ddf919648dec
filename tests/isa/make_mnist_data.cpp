// Writes a small synthetic MNIST folder for the short runs of tests/isa/short_run.cmake:
//
//   make_mnist_data <folder> <training images> <test images>
//
// The four files under MNIST's names (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-…), uncompressed IDX,
// 28×28 bytes per image. Image i has label i mod 10 and shows a thick bar whose angle and position depend on the
// label, plus pseudo-random speckle from a fixed-seed SplitMix64 stream: learnable, not trivial, and byte-identical
// on every machine (integer arithmetic only), so the training numbers of a run depend on nothing but the kernels.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// An IDX file of unsigned bytes: 00 00 08 <rank>, big-endian uint32 dimensions, the data.
void write_idx(const fs::path& path, const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& data) {
    std::string out{0, 0, 8, static_cast<char>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(d >> shift));
    out.append(data.begin(), data.end());
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!file.flush()) throw std::runtime_error(path.string() + ": cannot write");
}

void write_split(const fs::path& folder, const std::string& prefix, std::uint32_t count, std::uint64_t seed) {
    constexpr int side = 28;
    std::vector<std::uint8_t> images(std::size_t{count} * side * side), labels(count);
    std::uint64_t state = seed;
    // Direction of label d's bar, in integer steps (dx, dy): ten distinct angles.
    static constexpr int dir[10][2] = {{4, 0}, {4, 1}, {4, 2},  {3, 3},  {2, 4},
                                       {1, 4}, {0, 4}, {-1, 4}, {-2, 4}, {-3, 3}};
    for (std::uint32_t i = 0; i < count; ++i) {
        const int label = static_cast<int>(i % 10);
        labels[i] = static_cast<std::uint8_t>(label);
        std::uint8_t* img = images.data() + std::size_t{i} * side * side;
        const std::uint64_t r = splitmix64(state);
        const int cx = 12 + static_cast<int>(r % 5), cy = 12 + static_cast<int>((r >> 8) % 5);  // centre jitter
        const int dx = dir[label][0], dy = dir[label][1];
        for (int y = 0; y < side; ++y)
            for (int x = 0; x < side; ++x) {
                // Distance (scaled) from the line through (cx, cy) along (dx, dy), and the position along it.
                const int px = x - cx, py = y - cy;
                const int across = std::abs(px * dy - py * dx), along = std::abs(px * dx + py * dy);
                int v = 0;
                if (across <= 8 && along <= 40) v = 255 - across * 20;
                if (label % 3 == 0 && (x - cx) * (x - cx) + (y - cy) * (y - cy) <= 4) v = 200;  // a dot for 0, 3, 6, 9
                const std::uint64_t noise = splitmix64(state);
                if (noise % 13 == 0) v = static_cast<int>((noise >> 16) % 256);
                img[y * side + x] = static_cast<std::uint8_t>(v);
            }
    }
    write_idx(folder / (prefix + "-images-idx3-ubyte"), {count, side, side}, images);
    write_idx(folder / (prefix + "-labels-idx1-ubyte"), {count}, labels);
}

std::uint32_t count_argument(const char* text, const char* what) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v == 0 || v > 60000)
        throw std::invalid_argument(std::string(what) + ": expected a whole number from 1 to 60000, got '" + text +
                                    "'");
    return static_cast<std::uint32_t>(v);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: make_mnist_data <folder> <training images> <test images>\n";
        return 2;
    }
    try {
        const fs::path folder = argv[1];
        const std::uint32_t train = count_argument(argv[2], "training images");
        const std::uint32_t test = count_argument(argv[3], "test images");
        fs::create_directories(folder);
        write_split(folder, "train", train, 1);
        write_split(folder, "t10k", test, 2);
    } catch (const std::exception& e) {
        std::cerr << "make_mnist_data: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
