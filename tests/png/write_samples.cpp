// Writes the sample images of the PNG test (tests/png/CMakeLists.txt) into the folder given: for each sample
// "<name>.png" (png::write) and "<name>.raw" (its pixels as they are), which tests/png/check_png.py compares.
//   png_write_samples <folder>
#include <minitorch/io/png.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace png = minitorch::png;

namespace {

png::Image gradient_rgb(std::size_t width, std::size_t height) {
    png::Image image{width, height, png::Color::rgb, {}};
    for (std::size_t y = 0; y < height; ++y)
        for (std::size_t x = 0; x < width; ++x)
            image.pixels.insert(image.pixels.end(), {static_cast<std::uint8_t>(255 * x / (width - 1)),
                                                     static_cast<std::uint8_t>(255 * y / (height - 1)),
                                                     static_cast<std::uint8_t>((x * 7 + y * 13) % 256)});
    return image;
}

png::Image checker_gray(std::size_t width, std::size_t height) {
    png::Image image{width, height, png::Color::gray, {}};
    for (std::size_t y = 0; y < height; ++y)
        for (std::size_t x = 0; x < width; ++x) image.pixels.push_back((x + y) % 2 == 0 ? 255 : 0);
    return image;
}

png::Image noise(std::size_t width, std::size_t height, png::Color color) {
    png::Image image{width, height, color,
                     std::vector<std::uint8_t>(width * height * (color == png::Color::rgb ? 3 : 1))};
    std::uint32_t state = 2024;
    for (auto& p : image.pixels) {
        state = state * 1664525u + 1013904223u;
        p = static_cast<std::uint8_t>(state >> 24);
    }
    return image;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: png_write_samples <folder>\n";
        return 2;
    }
    try {
        const std::filesystem::path dir = argv[1];
        std::filesystem::create_directories(dir);
        const std::vector<std::pair<std::string, png::Image>> samples{
            {"gradient_rgb_37x23", gradient_rgb(37, 23)},
            {"checker_gray_5x4", checker_gray(5, 4)},
            {"pixel_gray_1x1", png::Image{1, 1, png::Color::gray, {200}}},
            {"noise_rgb_700x600", noise(700, 600, png::Color::rgb)},  // more than 1 MiB: several IDAT chunks
        };
        for (const auto& [name, image] : samples) {
            png::write((dir / (name + ".png")).string(), image);
            std::ofstream raw(dir / (name + ".raw"), std::ios::binary | std::ios::trunc);
            raw.write(reinterpret_cast<const char*>(image.pixels.data()),
                      static_cast<std::streamsize>(image.pixels.size()));
            raw.close();
            if (!raw) throw std::runtime_error((dir / (name + ".raw")).string() + ": cannot write the pixels");
        }
    } catch (const std::exception& e) {
        std::cerr << "png_write_samples: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
