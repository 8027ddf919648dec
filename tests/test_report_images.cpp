// The MNIST report's pictures (examples/mnist/report_images.hpp): the font's measure and its box for unknown
// characters, the canvas, and the three drawings — their sizes, colours where the layout functions say things are,
// and every refused input with its message. Pixels are read back from the returned images.
#include "report_images.hpp"

#include <doctest/doctest.h>

#include "support/error_message.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace mnist_example;
using test_support::message_of;

namespace {

constexpr Rgb white{255, 255, 255}, black{0, 0, 0};

Rgb pixel(const png::Image& image, int x, int y) {
    REQUIRE(x >= 0);
    REQUIRE(y >= 0);
    REQUIRE(static_cast<std::size_t>(x) < image.width);
    REQUIRE(static_cast<std::size_t>(y) < image.height);
    const std::uint8_t* p = &image.pixels[(static_cast<std::size_t>(y) * image.width + x) * 3];
    return {p[0], p[1], p[2]};
}

double luminance(Rgb c) {
    return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b;
}

// The image is RGB with width × height × 3 bytes.
void check_well_formed(const png::Image& image) {
    CHECK(image.color == png::Color::rgb);
    CHECK(image.pixels.size() == image.width * image.height * 3);
}

// How many pixels of box differ from `background`.
int pixels_differing(const png::Image& image, Box box, Rgb background) {
    int n = 0;
    for (int y = box.y; y < box.y + box.height; ++y) {
        for (int x = box.x; x < box.x + box.width; ++x) n += pixel(image, x, y) == background ? 0 : 1;
    }
    return n;
}

std::string refusal(auto&& f) {
    return message_of<std::invalid_argument>(f);
}

// MNIST's normalisation of a grey level 0–255, as the network's input holds it.
float normalised(double level) {
    return static_cast<float>((level / 255.0 - mnist_mean) / mnist_std);
}

std::vector<float> blank_digit(std::size_t height = 28, std::size_t width = 28) {
    return std::vector<float>(height * width, normalised(0));
}

Mistake mistake(std::size_t index, int label, int predicted, double probability, std::vector<float> image) {
    return Mistake{index, label, predicted, probability, std::move(image)};
}

}  // namespace

TEST_CASE("font: the measure counts characters, not UTF-8 bytes, each one advance wide") {
    const std::string caption = "7 → 2 (0.98)";  // 12 characters, 14 bytes
    CHECK(measure_text(caption).width == 12 * glyph_advance);
    CHECK(measure_text(caption).height == glyph_height);
    CHECK(measure_text(caption, 3).width == 12 * glyph_advance * 3);
    CHECK(measure_text(caption, 3).height == glyph_height * 3);
    CHECK(measure_text("").width == 0);
    CHECK(measure_text("€\xff").width == 2 * glyph_advance);  // an unknown character and an invalid byte: one each
    CHECK(refusal([] { measure_text("x", 0); }) == "text scale is 0, expected 1 to 64");
}

TEST_CASE("font: an unknown character or invalid UTF-8 is drawn as a box, a known character is not") {
    const auto drawn = [](std::string_view text) {
        Canvas canvas(12, 12, white);
        canvas.draw_text(2, 1, text, black);
        return canvas.image().pixels;
    };
    Canvas box(12, 12, white);
    box.draw_text(2, 1, "€", black);
    for (int x = 2; x < 7; ++x) {  // the outline: rows 0 and 6, columns 0 and 4 of the glyph
        CHECK(box.at(x, 1) == black);
        CHECK(box.at(x, 7) == black);
    }
    for (int y = 1; y < 8; ++y) {
        CHECK(box.at(2, y) == black);
        CHECK(box.at(6, y) == black);
    }
    CHECK(box.at(4, 4) == white);  // hollow
    CHECK(box.at(7, 4) == white);  // the blank column after the glyph
    CHECK(drawn("\xff") == box.image().pixels);
    CHECK(drawn("\x01") == box.image().pixels);
    CHECK(drawn("\xe2\x86") == drawn("\xff\xff"));  // a truncated "→": a box for each of its two bytes
    CHECK(drawn("\xff\xff") != box.image().pixels);
    for (const char* known : {"→", "×", "0", "a", "Z", "%", " "}) {
        CAPTURE(known);
        CHECK(drawn(known) != box.image().pixels);
    }
}

TEST_CASE("canvas: text, turned text, greyscale images, clipping") {
    Canvas canvas(20, 20, white);
    CHECK(canvas.width() == 20);
    CHECK(canvas.height() == 20);
    canvas.draw_text(0, 0, "-", black, 2);  // row 3 of the glyph, all five columns, at scale 2: y 6 and 7, x 0..9
    CHECK(canvas.at(0, 6) == black);
    CHECK(canvas.at(9, 7) == black);
    CHECK(canvas.at(10, 6) == white);
    CHECK(canvas.at(0, 5) == white);

    // "L" read bottom to top: its upright becomes the bottom row of its box, its foot the right-hand column.
    Canvas up(20, 20, white);
    up.draw_text_up(0, 0, "L", black);
    CHECK(up.at(0, 5) == black);
    CHECK(up.at(6, 5) == black);
    CHECK(up.at(6, 1) == black);
    CHECK(up.at(0, 1) == white);
    CHECK(up.at(0, 0) == white);  // the blank column after the glyph is the top row

    Canvas gray(10, 10, white);
    gray.draw_gray(1, 1, {0, 255, 128, 64}, 2, 2, 3);  // each pixel a 3 × 3 square
    CHECK(gray.at(1, 1) == black);
    CHECK(gray.at(3, 3) == black);
    CHECK(gray.at(4, 1) == white);
    CHECK(gray.at(1, 4) == Rgb{128, 128, 128});
    CHECK(gray.at(6, 6) == Rgb{64, 64, 64});
    CHECK(gray.at(7, 7) == white);
    gray.fill_rect({-5, -5, 1000, 6}, black);  // clipped, not an error
    CHECK(gray.at(9, 0) == black);
    CHECK(gray.at(9, 1) == white);

    CHECK(refusal([&] {
              gray.draw_gray(0, 0, {1, 2, 3}, 2, 2, 1);
          }) == "Canvas::draw_gray: 3 pixels at scale 1, expected 2×2 at a scale of at least 1");
    CHECK(refusal([] { Canvas(0, 5, white); }) == "Canvas: size is 0×5, expected each side 1 to 16384");
    CHECK(message_of<std::out_of_range>([&] { (void)gray.at(10, 0); }) ==
          "Canvas::at: (10, 0) is outside the 10×10 canvas");
}

TEST_CASE("draw_confusion: size, darker cells for larger counts, the counts written, hues") {
    std::array<std::array<std::size_t, 10>, 10> counts{};
    for (std::size_t i = 0; i < 10; ++i) counts[i][i] = 990;
    counts[0][0] = 1135;  // a 4-digit count
    counts[3][5] = 20;
    counts[5][3] = 2;
    const png::Image image = draw_confusion(counts);
    check_well_formed(image);
    CHECK(image.width >= 500);
    CHECK(image.width <= 560);
    CHECK(image.height >= 520);
    CHECK(image.height <= 600);

    // A cell's corner holds its shade (the count is written in the middle).
    const auto shade = [&](std::size_t row, std::size_t column) {
        const Box box = confusion_cell_box(row, column);
        return pixel(image, box.x + 1, box.y + 1);
    };
    CHECK(luminance(shade(3, 5)) < luminance(shade(5, 3)));
    CHECK(luminance(shade(5, 3)) < luminance(white) - 20);  // two mistakes among ten thousand still show
    CHECK(shade(0, 1) == white);                            // no mistakes: white
    CHECK(luminance(shade(0, 0)) <= luminance(shade(1, 1)));
    const Rgb diagonal = shade(2, 2), off = shade(3, 5);
    CHECK(diagonal.g > diagonal.r);  // green: correct
    CHECK(diagonal.g > diagonal.b);
    CHECK(off.b > off.r);  // blue: mistakes
    CHECK(off.b > off.g);

    const std::array<std::pair<std::size_t, std::size_t>, 5> written{{{3, 5}, {5, 3}, {0, 0}, {2, 2}, {0, 1}}};
    for (const auto& [row, column] : written) {
        CAPTURE(row);
        CAPTURE(column);
        const Box box = confusion_cell_box(row, column);
        CHECK(pixels_differing(image, box, shade(row, column)) >= 19);  // a zero, in the small size: 19 pixels
    }
    // Light text on dark cells: the dark diagonal cell has white pixels in it.
    CHECK(pixels_differing(image, confusion_cell_box(2, 2), white) <
          confusion_cell_box(2, 2).width * confusion_cell_box(2, 2).height);

    // The title and the axis labels are drawn above and to the left of the grid.
    const Box first = confusion_cell_box(0, 0);
    CHECK(pixels_differing(image, {0, 0, static_cast<int>(image.width), first.y - 30}, white) > 200);
    CHECK(pixels_differing(image, {0, first.y, first.x - 2, 10 * first.height}, white) > 100);
}

TEST_CASE("draw_confusion: refused inputs") {
    std::array<std::array<std::size_t, 10>, 10> counts{};
    CHECK(refusal([&] { draw_confusion(counts); }) ==
          "draw_confusion: every count is 0, expected at least one test image counted");
    counts[0][0] = std::numeric_limits<std::size_t>::max();
    counts[4][2] = 1;
    CHECK(refusal([&] { draw_confusion(counts); }) == "draw_confusion: the counts' sum overflows");
    CHECK(refusal([] { confusion_cell_box(10, 0); }) ==
          "confusion_cell_box: cell (10, 0), expected row and column 0 to 9");
}

TEST_CASE("draw_mistakes: sizes for 0, 1, 25 and 30 mistakes (at most 25 drawn)") {
    const png::Image none = draw_mistakes({}, 28, 28);
    check_well_formed(none);
    CHECK(none.width < 200);
    CHECK(none.height < 80);
    CHECK(pixels_differing(none, {0, 0, static_cast<int>(none.width), static_cast<int>(none.height)}, white) > 50);

    std::vector<Mistake> many;
    for (std::size_t i = 0; i < 30; ++i)
        many.push_back(mistake(i, 7, 2, 0.5 + 0.01 * static_cast<double>(i), blank_digit()));
    const png::Image one = draw_mistakes({many[0]}, 28, 28);
    const png::Image full = draw_mistakes({many.begin() + 5, many.end()}, 28, 28);
    const png::Image capped = draw_mistakes(many, 28, 28);
    for (const png::Image* image : {&one, &full, &capped}) check_well_formed(*image);
    CHECK(one.width < full.width);
    CHECK(one.height < full.height);
    CHECK(capped.width == full.width);
    CHECK(capped.height == full.height);
    const Box last = mistake_digit_box(24, 28, 28);
    CHECK(full.width >= static_cast<std::size_t>(last.x + last.width));
    CHECK(full.height >= static_cast<std::size_t>(last.y + last.height + 2 * glyph_height));
    CHECK(full.width <= 700);
    CHECK(full.height <= 800);
}

TEST_CASE("draw_mistakes: the digits are where mistake_digit_box says, the most confident first, white on black") {
    std::vector<float> corner = blank_digit();
    corner[0] = normalised(255);  // a white pixel at (0, 0)
    corner[1] = normalised(128);  // a mid-grey one next to it: the normalisation is undone
    const png::Image image = draw_mistakes({mistake(1234, 7, 2, 0.98, corner)}, 28, 28);
    const Box box = mistake_digit_box(0, 28, 28);
    CHECK(box.width == 28 * 3);
    CHECK(box.height == 28 * 3);
    CHECK(pixel(image, box.x, box.y) == white);
    CHECK(pixel(image, box.x + 2, box.y + 2) == white);  // enlarged 3×
    CHECK(pixel(image, box.x + 3, box.y) == Rgb{128, 128, 128});
    CHECK(pixel(image, box.x + 5, box.y + 2) == Rgb{128, 128, 128});
    CHECK(pixel(image, box.x + 6, box.y) == black);
    CHECK(pixel(image, box.x, box.y + 3) == black);
    CHECK(pixel(image, box.x + box.width - 1, box.y + box.height - 1) == black);
    // The caption and the index are written under the digit.
    CHECK(pixels_differing(image, {box.x - 8, box.y + box.height + 2, box.width + 16, 2 * glyph_height + 8}, white) >
          40);

    // Of 30, the 5 least confident (0–4) are left out: they are all black, every digit drawn is white.
    std::vector<Mistake> many;
    for (std::size_t i = 0; i < 30; ++i) {
        const bool least_confident = i < 5;
        many.push_back(mistake(i, 4, 9, 0.1 + 0.01 * static_cast<double>(i),
                               std::vector<float>(28 * 28, normalised(least_confident ? 0 : 255))));
    }
    const png::Image capped = draw_mistakes(many, 28, 28);
    for (std::size_t i = 0; i < 25; ++i) {
        CAPTURE(i);
        const Box digit = mistake_digit_box(i, 28, 28);
        CHECK(pixel(capped, digit.x + digit.width / 2, digit.y + digit.height / 2) == white);
    }

    // Another image size works the same way.
    const png::Image small = draw_mistakes({mistake(3, 1, 7, 0.5, blank_digit(20, 16))}, 20, 16);
    const Box small_box = mistake_digit_box(0, 20, 16);
    CHECK(small_box.width == 16 * 3);
    CHECK(small_box.height == 20 * 3);
    CHECK(pixel(small, small_box.x, small_box.y) == black);
}

TEST_CASE("draw_mistakes: refused inputs") {
    const auto with = [](Mistake m) { return [m] { draw_mistakes({m}, 28, 28); }; };
    CHECK(refusal([] { draw_mistakes({}, 0, 28); }) ==
          "draw_mistakes: image size is 0×28, expected each side 1 to 256");
    CHECK(refusal([] { draw_mistakes({}, 28, 257); }) ==
          "draw_mistakes: image size is 28×257, expected each side 1 to 256");
    CHECK(refusal(with(mistake(1234, 7, 2, 0.9, std::vector<float>(780)))) ==
          "draw_mistakes: mistake 0 (test image #1234) has 780 values, expected 28×28 = 784");
    CHECK(refusal(with(mistake(5, 10, 2, 0.9, blank_digit()))) ==
          "draw_mistakes: mistake 0 (test image #5) has label 10 and prediction 2, expected digits 0 to 9");
    CHECK(refusal(with(mistake(5, 3, -1, 0.9, blank_digit()))) ==
          "draw_mistakes: mistake 0 (test image #5) has label 3 and prediction -1, expected digits 0 to 9");
    CHECK(refusal(with(mistake(5, 3, 3, 0.9, blank_digit()))) ==
          "draw_mistakes: mistake 0 (test image #5) has label and prediction 3, expected a mistake (they differ)");
    CHECK(refusal(with(mistake(5, 3, 8, 1.5, blank_digit()))) ==
          "draw_mistakes: mistake 0 (test image #5) has probability 1.5, expected 0 to 1");
    CHECK(refusal(with(mistake(5, 3, 8, std::nan(""), blank_digit()))) ==
          "draw_mistakes: mistake 0 (test image #5) has probability nan, expected 0 to 1");
    CHECK(refusal([] { mistake_digit_box(25, 28, 28); }) == "mistake_digit_box: digit 25, expected 0 to 24");
}

namespace {

struct Filters {
    std::size_t count = 16, k = 3, height = 28, width = 28, map_height = 26, map_width = 26;
    std::vector<float> kernels = std::vector<float>(16 * 3 * 3, 0.0f);
    std::vector<float> image = std::vector<float>(28 * 28, normalised(0));
    std::vector<float> maps = std::vector<float>(16 * 26 * 26, 0.0f);
    int label = 7;

    png::Image draw() const {
        return draw_filters(kernels, count, k, image, height, width, maps, map_height, map_width, label);
    }
};

struct Region {
    int pixels = 0, left = 1 << 30, right = -1;
};

// The pixels for which is(colour) holds, and how far left and right they reach.
template <class Is>
Region region(const png::Image& image, Is is) {
    Region r;
    for (int y = 0; y < static_cast<int>(image.height); ++y) {
        for (int x = 0; x < static_cast<int>(image.width); ++x) {
            if (!is(pixel(image, x, y))) continue;
            ++r.pixels;
            r.left = std::min(r.left, x);
            r.right = std::max(r.right, x);
        }
    }
    return r;
}

bool reddish(Rgb c) {
    return c.r > 140 && c.r > c.g + 60 && c.r > c.b + 60;
}
bool bluish(Rgb c) {
    return c.b > 140 && c.b > c.r + 60;
}

}  // namespace

TEST_CASE("draw_filters: an all-positive kernel is red, an all-negative one blue, each to its own scale") {
    Filters f;
    for (std::size_t i = 0; i < 9; ++i) {
        f.kernels[i] = 0.5f;        // kernel 0
        f.kernels[9 + i] = -0.25f;  // kernel 1, a quarter of kernel 0's weights yet as deep a colour
    }
    const png::Image image = f.draw();
    check_well_formed(image);
    CHECK(image.width >= 700);
    CHECK(image.width <= 1000);
    CHECK(image.height >= 300);
    CHECK(image.height <= 700);

    // The maps are all 0 (white) and the text grey: the only colours are the two kernels, 3×3 enlarged 12×.
    const Region red = region(image, reddish), blue = region(image, bluish);
    CHECK(red.pixels == 36 * 36);
    CHECK(blue.pixels == 36 * 36);
    CHECK(red.right < blue.left);  // kernel 0 left of kernel 1
    CHECK(region(image, [](Rgb c) { return c == Rgb{178, 24, 43}; }).pixels == 36 * 36);
    CHECK(region(image, [](Rgb c) { return c == Rgb{33, 102, 172}; }).pixels == 36 * 36);

    // A map of positive values is red too, 26×26 enlarged 3×, below its kernel.
    std::fill(f.maps.begin(), f.maps.begin() + 26 * 26, 2.0f);
    const Region with_map = region(f.draw(), reddish);
    CHECK(with_map.pixels == 36 * 36 + 78 * 78);
    CHECK(with_map.right < blue.left);

    // A weight that is not finite is drawn black (the digit, all background, is the only other black).
    const auto black_pixels = [](const png::Image& drawn) { return region(drawn, [](Rgb c) { return c == black; }); };
    const int before = black_pixels(f.draw()).pixels;
    f.kernels[2 * 9] = std::numeric_limits<float>::quiet_NaN();
    f.kernels[2 * 9 + 1] = std::numeric_limits<float>::infinity();
    CHECK(black_pixels(f.draw()).pixels == before + 2 * 12 * 12);
}

TEST_CASE("draw_filters: other counts and sizes") {
    Filters f;
    f.count = 3;
    f.k = 5;
    f.kernels.assign(3 * 5 * 5, 1.0f);
    f.maps.assign(3 * 24 * 24, -1.0f);
    f.map_height = f.map_width = 24;
    const png::Image image = f.draw();
    check_well_formed(image);
    CHECK(region(image, reddish).pixels == 3 * 35 * 35);  // 5×5 enlarged 7× (about 36 pixels)
    CHECK(region(image, bluish).pixels == 3 * 72 * 72);   // 24×24 enlarged 3×
}

TEST_CASE("draw_filters: refused inputs") {
    const auto refused = [](auto change) {
        Filters f;
        change(f);
        return refusal([&] { f.draw(); });
    };
    CHECK(refused([](Filters& f) { f.kernels.resize(140); }) ==
          "draw_filters: kernels has 140 values, expected 16×1×3×3 = 144");
    CHECK(refused([](Filters& f) { f.k = 5; }) == "draw_filters: kernels has 144 values, expected 16×1×5×5 = 400");
    CHECK(refused([](Filters& f) { f.count = 0; }) == "draw_filters: count is 0, expected 1 to 64");
    CHECK(refused([](Filters& f) { f.count = 65; }) == "draw_filters: count is 65, expected 1 to 64");
    CHECK(refused([](Filters& f) { f.k = 0; }) == "draw_filters: k is 0, expected 1 to 256");
    CHECK(refused([](Filters& f) { f.image.resize(783); }) ==
          "draw_filters: image has 783 values, expected 28×28 = 784");
    CHECK(refused([](Filters& f) { f.width = 0; }) == "draw_filters: image size is 28×0, expected each side 1 to 256");
    CHECK(refused([](Filters& f) { f.maps.resize(10); }) ==
          "draw_filters: maps has 10 values, expected 16×26×26 = 10816");
    CHECK(refused([](Filters& f) { f.map_height = 300; }) ==
          "draw_filters: map size is 300×26, expected each side 1 to 256");
    CHECK(refused([](Filters& f) { f.label = 10; }) == "draw_filters: label is 10, expected 0 to 9");
    CHECK(refused([](Filters& f) { f.label = -1; }) == "draw_filters: label is -1, expected 0 to 9");
}
