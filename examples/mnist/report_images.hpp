// The pictures of the MNIST example's --report: the confusion matrix, the most confident mistakes, and the first
// convolution's kernels with their feature maps, drawn by the example itself as in-memory images (png::Image, RGB)
// for minitorch/io/png.hpp to write — no plotting program needed. Also the tiny canvas and the built-in bitmap font
// they are drawn with (report_images.cpp). Tests: tests/test_report_images.cpp.
#pragma once

#include <minitorch/io/png.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace mnist_example {

namespace png = minitorch::png;

/// A colour, 8 bits per channel.
struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    friend bool operator==(const Rgb&, const Rgb&) = default;
};

/// A rectangle in pixels: top-left corner (x to the right, y down) and size.
struct Box {
    int x = 0, y = 0, width = 0, height = 0;
};

// The built-in font: 5×7 glyphs (capitals and digits 7 rows tall) in a cell 9 rows tall (2 rows below the baseline
// for g, j, p, q, y and the comma), one blank column between glyphs; every length is multiplied by the text's scale.
// It covers printable ASCII, "→" and "×"; any other character, and invalid UTF-8, is drawn as a box.
inline constexpr int glyph_advance = 6;  ///< Columns per character: 5 of glyph, 1 of space.
inline constexpr int glyph_height = 9;   ///< Rows of the glyph cell: 7 above the baseline, 2 below.

/// The size text (UTF-8) takes when drawn at `scale`: characters × glyph_advance × scale by glyph_height × scale.
/// Throws std::invalid_argument when scale < 1.
Box measure_text(std::string_view utf8, int scale = 1);

/// An RGB image to draw on. Everything drawn is clipped to the canvas, so a shape may lie partly outside.
class Canvas {
  public:
    /// A width × height canvas (each 1 to 16384) filled with `background`; throws std::invalid_argument otherwise.
    Canvas(int width, int height, Rgb background);

    int width() const { return static_cast<int>(image_.width); }
    int height() const { return static_cast<int>(image_.height); }
    /// The pixel at (x, y); throws std::out_of_range outside the canvas.
    Rgb at(int x, int y) const;

    void fill_rect(Box box, Rgb color);
    /// A height × width greyscale image (row-major, 0 black, 255 white), each pixel drawn as a scale × scale square
    /// (nearest neighbour), its top-left corner at (x, y). Throws std::invalid_argument when the sizes disagree.
    void draw_gray(int x, int y, const std::vector<std::uint8_t>& pixels, int height, int width, int scale);
    /// Text (UTF-8) left to right, the top of its glyph cell at y.
    void draw_text(int x, int y, std::string_view utf8, Rgb color, int scale = 1);
    /// Text turned 90° anticlockwise (read bottom to top, like a plot's y-axis label): (x, y) is the top-left corner
    /// of its box, measure_text's size with width and height swapped.
    void draw_text_up(int x, int y, std::string_view utf8, Rgb color, int scale = 1);

    const png::Image& image() const& { return image_; }
    png::Image take() && { return std::move(image_); }

  private:
    void plot(int x, int y, Rgb color);  // one pixel, clipped
    png::Image image_;
};

/// The confusion matrix of a test run: counts[true label][predicted label]. A heat map (white to dark green on the
/// diagonal, white to dark blue off it, log-scaled so single mistakes show), each cell's count written in it, the
/// labels 0–9 along both axes and a title with the number correct ("9,954 of 10,000 correct"); about 520 × 560.
/// Throws std::invalid_argument when the counts are all zero or their sum overflows.
png::Image draw_confusion(const std::array<std::array<std::size_t, 10>, 10>& counts);
/// Where draw_confusion paints cell (row = true label, column = predicted), for callers and tests that look at it.
Box confusion_cell_box(std::size_t row, std::size_t column);

/// One misclassified test image.
struct Mistake {
    std::size_t index = 0;     ///< Its position in the test set.
    int label = 0;             ///< The true digit, 0–9.
    int predicted = 0;         ///< The network's answer, 0–9.
    double probability = 0;    ///< The probability the network gave its answer, 0–1.
    std::vector<float> image;  ///< height × width pixels, normalised as the network saw them (MNIST's mean, std).
};

/// Mistakes' images are normalised with MNIST's mean and standard deviation; drawing undoes it.
inline constexpr double mnist_mean = 0.1307, mnist_std = 0.3081;
/// Image sides (digits, feature maps) the drawings accept: up to this many pixels.
inline constexpr std::size_t max_image_side = 256;

/// A sheet of up to 25 of `mistakes`, those with the highest probability, most confident first, five per row:
/// each digit white on black, enlarged 3×, captioned "7 → 2 (0.98)" (true → predicted (probability)) and with its
/// test-set index ("#1234"). No mistakes gives a small image saying so. Throws std::invalid_argument when a side is
/// 0 or above max_image_side, or a mistake's image, label, prediction or probability is not as described above.
png::Image draw_mistakes(const std::vector<Mistake>& mistakes, std::size_t height, std::size_t width);
/// Where draw_mistakes puts the i-th digit drawn (0 the most confident) for height × width images.
Box mistake_digit_box(std::size_t i, std::size_t height, std::size_t width);

/// The first convolution seen on one test digit: its `count` kernels ([count, 1, k, k], one input channel) enlarged,
/// the digit (height × width, normalised like Mistake::image) with its label, and the kernels' feature maps
/// ([count, map_height, map_width], the convolution's output before ReLU), eight kernels per row, each map under its
/// kernel. Kernels and maps in a diverging colour map — blue negative, white 0, red positive — each scaled to its own
/// largest |value| (said in the picture's caption); values that are not finite are drawn black. Throws
/// std::invalid_argument when a size is 0, count is above 64, k or a side above max_image_side, a vector's length is
/// not the product of its sizes, or label is not 0–9.
png::Image draw_filters(const std::vector<float>& kernels, std::size_t count, std::size_t k,
                        const std::vector<float>& image, std::size_t height, std::size_t width,
                        const std::vector<float>& maps, std::size_t map_height, std::size_t map_width, int label);

}  // namespace mnist_example
