// The MNIST report's pictures (report_images.hpp): the bitmap font, the canvas, and the three drawings.
#include "report_images.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <string>

namespace mnist_example {

namespace {

// ---- The font ---------------------------------------------------------------------------------------------------

constexpr int glyph_width = 5;
using GlyphRows = std::array<std::uint8_t, glyph_height>;  // one bit mask per row, bit 4 the leftmost column

// A glyph drawn as text: rows of five '#' (ink) or '.' separated by spaces, 7 rows, or 9 for a glyph that reaches
// below the baseline. Evaluated at compile time, so a malformed picture stops the build.
constexpr GlyphRows rows_of(std::string_view picture) {
    GlyphRows rows{};
    int row = 0, column = 0;
    for (const char c : picture) {
        if (c == ' ') {
            if (column != glyph_width) throw std::logic_error("glyph row is not 5 wide");
            ++row;
            column = 0;
            continue;
        }
        if (row >= glyph_height || column >= glyph_width) throw std::logic_error("glyph is too large");
        if (c == '#') {
            rows[row] = static_cast<std::uint8_t>(rows[row] | 1 << (glyph_width - 1 - column));
        } else if (c != '.') {
            throw std::logic_error("glyph pictures use '#' and '.'");
        }
        ++column;
    }
    if (column != glyph_width || (row != 6 && row != 8)) throw std::logic_error("glyph is not 7 or 9 rows");
    return rows;
}

struct Glyph {
    char32_t code;
    GlyphRows rows;
};

constexpr GlyphRows box_glyph = rows_of("##### #...# #...# #...# #...# #...# #####");

constexpr Glyph font[] = {
    {U' ', rows_of("..... ..... ..... ..... ..... ..... .....")},
    {U'!', rows_of("..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..")},
    {U'"', rows_of(".#.#. .#.#. ..... ..... ..... ..... .....")},
    {U'#', rows_of(".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.")},
    {U'$', rows_of("..#.. .#### #.#.. .###. ..#.# ####. ..#..")},
    {U'%', rows_of("##... ##..# ...#. ..#.. .#... #..## ...##")},
    {U'&', rows_of(".##.. #..#. #.#.. .#... #.#.# #..#. .##.#")},
    {U'\'', rows_of("..#.. ..#.. ..... ..... ..... ..... .....")},
    {U'(', rows_of("...#. ..#.. .#... .#... .#... ..#.. ...#.")},
    {U')', rows_of(".#... ..#.. ...#. ...#. ...#. ..#.. .#...")},
    {U'*', rows_of("..... ..#.. #.#.# .###. #.#.# ..#.. .....")},
    {U'+', rows_of("..... ..#.. ..#.. ##### ..#.. ..#.. .....")},
    {U',', rows_of("..... ..... ..... ..... ..... .##.. ..#.. .#... .....")},
    {U'-', rows_of("..... ..... ..... ##### ..... ..... .....")},
    {U'.', rows_of("..... ..... ..... ..... ..... .##.. .##..")},
    {U'/', rows_of("..... ....# ...#. ..#.. .#... #.... .....")},
    {U'0', rows_of(".###. #...# #..## #.#.# ##..# #...# .###.")},
    {U'1', rows_of("..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.")},
    {U'2', rows_of(".###. #...# ....# ...#. ..#.. .#... #####")},
    {U'3', rows_of(".###. #...# ....# ..##. ....# #...# .###.")},
    {U'4', rows_of("...#. ..##. .#.#. #..#. ##### ...#. ...#.")},
    {U'5', rows_of("##### #.... ####. ....# ....# #...# .###.")},
    {U'6', rows_of("..##. .#... #.... ####. #...# #...# .###.")},
    {U'7', rows_of("##### ....# ...#. ..#.. .#... .#... .#...")},
    {U'8', rows_of(".###. #...# #...# .###. #...# #...# .###.")},
    {U'9', rows_of(".###. #...# #...# .#### ....# ...#. .##..")},
    {U':', rows_of("..... .##.. .##.. ..... .##.. .##.. .....")},
    {U';', rows_of("..... .##.. .##.. ..... .##.. ..#.. .#...")},
    {U'<', rows_of("...#. ..#.. .#... #.... .#... ..#.. ...#.")},
    {U'=', rows_of("..... ..... ##### ..... ##### ..... .....")},
    {U'>', rows_of(".#... ..#.. ...#. ....# ...#. ..#.. .#...")},
    {U'?', rows_of(".###. #...# ....# ...#. ..#.. ..... ..#..")},
    {U'@', rows_of(".###. #...# ....# .##.# #.#.# #.#.# .###.")},
    {U'A', rows_of(".###. #...# #...# ##### #...# #...# #...#")},
    {U'B', rows_of("####. #...# #...# ####. #...# #...# ####.")},
    {U'C', rows_of(".###. #...# #.... #.... #.... #...# .###.")},
    {U'D', rows_of("###.. #..#. #...# #...# #...# #..#. ###..")},
    {U'E', rows_of("##### #.... #.... ####. #.... #.... #####")},
    {U'F', rows_of("##### #.... #.... ####. #.... #.... #....")},
    {U'G', rows_of(".###. #...# #.... #.### #...# #...# .####")},
    {U'H', rows_of("#...# #...# #...# ##### #...# #...# #...#")},
    {U'I', rows_of(".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.")},
    {U'J', rows_of("..### ...#. ...#. ...#. ...#. #..#. .##..")},
    {U'K', rows_of("#...# #..#. #.#.. ##... #.#.. #..#. #...#")},
    {U'L', rows_of("#.... #.... #.... #.... #.... #.... #####")},
    {U'M', rows_of("#...# ##.## #.#.# #.#.# #...# #...# #...#")},
    {U'N', rows_of("#...# #...# ##..# #.#.# #..## #...# #...#")},
    {U'O', rows_of(".###. #...# #...# #...# #...# #...# .###.")},
    {U'P', rows_of("####. #...# #...# ####. #.... #.... #....")},
    {U'Q', rows_of(".###. #...# #...# #...# #.#.# #..#. .##.#")},
    {U'R', rows_of("####. #...# #...# ####. #.#.. #..#. #...#")},
    {U'S', rows_of(".###. #...# #.... .###. ....# #...# .###.")},
    {U'T', rows_of("##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..")},
    {U'U', rows_of("#...# #...# #...# #...# #...# #...# .###.")},
    {U'V', rows_of("#...# #...# #...# #...# #...# .#.#. ..#..")},
    {U'W', rows_of("#...# #...# #...# #.#.# #.#.# #.#.# .#.#.")},
    {U'X', rows_of("#...# #...# .#.#. ..#.. .#.#. #...# #...#")},
    {U'Y', rows_of("#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..")},
    {U'Z', rows_of("##### ....# ...#. ..#.. .#... #.... #####")},
    {U'[', rows_of(".###. .#... .#... .#... .#... .#... .###.")},
    {U'\\', rows_of("..... #.... .#... ..#.. ...#. ....# .....")},
    {U']', rows_of(".###. ...#. ...#. ...#. ...#. ...#. .###.")},
    {U'^', rows_of("..#.. .#.#. #...# ..... ..... ..... .....")},
    {U'_', rows_of("..... ..... ..... ..... ..... ..... #####")},
    {U'`', rows_of(".#... ..#.. ..... ..... ..... ..... .....")},
    {U'a', rows_of("..... ..... .###. ....# .#### #...# .####")},
    {U'b', rows_of("#.... #.... ####. #...# #...# #...# ####.")},
    {U'c', rows_of("..... ..... .###. #.... #.... #...# .###.")},
    {U'd', rows_of("....# ....# .#### #...# #...# #...# .####")},
    {U'e', rows_of("..... ..... .###. #...# ##### #.... .###.")},
    {U'f', rows_of("..##. .#... .#... ###.. .#... .#... .#...")},
    {U'g', rows_of("..... ..... .#### #...# #...# #...# .#### ....# .###.")},
    {U'h', rows_of("#.... #.... #.##. ##..# #...# #...# #...#")},
    {U'i', rows_of("..#.. ..... .##.. ..#.. ..#.. ..#.. .###.")},
    {U'j', rows_of("...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..")},
    {U'k', rows_of("#.... #.... #..#. #.#.. ##... #.#.. #..#.")},
    {U'l', rows_of(".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.")},
    {U'm', rows_of("..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#")},
    {U'n', rows_of("..... ..... #.##. ##..# #...# #...# #...#")},
    {U'o', rows_of("..... ..... .###. #...# #...# #...# .###.")},
    {U'p', rows_of("..... ..... ####. #...# #...# #...# ####. #.... #....")},
    {U'q', rows_of("..... ..... .#### #...# #...# #...# .#### ....# ....#")},
    {U'r', rows_of("..... ..... #.##. ##..# #.... #.... #....")},
    {U's', rows_of("..... ..... .###. #.... .###. ....# ####.")},
    {U't', rows_of(".#... .#... ###.. .#... .#... .#..# ..##.")},
    {U'u', rows_of("..... ..... #...# #...# #...# #..## .##.#")},
    {U'v', rows_of("..... ..... #...# #...# #...# .#.#. ..#..")},
    {U'w', rows_of("..... ..... #...# #...# #.#.# #.#.# .#.#.")},
    {U'x', rows_of("..... ..... #...# .#.#. ..#.. .#.#. #...#")},
    {U'y', rows_of("..... ..... #...# #...# #...# #...# .#### ....# .###.")},
    {U'z', rows_of("..... ..... ##### ...#. ..#.. .#... #####")},
    {U'{', rows_of("...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.")},
    {U'|', rows_of("..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..")},
    {U'}', rows_of(".#... ..#.. ..#.. ...#. ..#.. ..#.. .#...")},
    {U'~', rows_of("..... ..... .#... #.#.# ...#. ..... .....")},
    {U'\u2192', rows_of("..... ..#.. ...#. ##### ...#. ..#.. .....")},  // →
    {U'\u00D7', rows_of("..... #...# .#.#. ..#.. .#.#. #...# .....")},  // ×
};

const GlyphRows& glyph_of(char32_t code) {
    for (const Glyph& glyph : font) {
        if (glyph.code == code) return glyph.rows;
    }
    return box_glyph;
}

// The code points of utf8. A byte that does not start a valid sequence (a stray continuation byte, a truncated or
// overlong sequence, a surrogate) becomes U+FFFD, which the font draws as its box, and decoding goes on after it.
std::u32string decode_utf8(std::string_view utf8) {
    std::u32string codes;
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto byte = [&](std::size_t j) { return static_cast<unsigned char>(utf8[j]); };
        const unsigned lead = byte(i);
        const std::size_t length = lead < 0x80           ? 1
                                   : (lead >> 5) == 0x6  ? 2
                                   : (lead >> 4) == 0xE  ? 3
                                   : (lead >> 3) == 0x1E ? 4
                                                         : 0;
        char32_t code = length == 1 ? lead : length == 2 ? lead & 0x1F : length == 3 ? lead & 0x0F : lead & 0x07;
        bool valid = length > 0 && i + length <= utf8.size();
        for (std::size_t k = 1; valid && k < length; ++k) {
            valid = (byte(i + k) & 0xC0) == 0x80;
            code = code << 6 | (byte(i + k) & 0x3F);
        }
        constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};  // below it a sequence is overlong
        if (valid) valid = code >= smallest[length] && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
        codes.push_back(valid ? code : U'\uFFFD');
        i += valid ? length : 1;
    }
    return codes;
}

constexpr int max_text_scale = 64;

void check_scale(int scale) {
    if (scale < 1 || scale > max_text_scale)
        throw std::invalid_argument("text scale is " + std::to_string(scale) + ", expected 1 to " +
                                    std::to_string(max_text_scale));
}

// Pixels from the first glyph's left edge to the last glyph's last inked column: measure_text without the blank
// column after the last glyph, for centring.
int ink_width(std::string_view text, int scale) {
    const int width = measure_text(text, scale).width;
    return width == 0 ? 0 : width - scale;
}

// ---- Colours and numbers ----------------------------------------------------------------------------------------

constexpr Rgb white{255, 255, 255}, black{0, 0, 0}, ink{34, 34, 34}, grey{120, 120, 120}, frame{200, 200, 200};

// a at t = 0, b at t = 1.
Rgb mix(Rgb a, Rgb b, double t) {
    const auto channel = [t](std::uint8_t from, std::uint8_t to) {
        return static_cast<std::uint8_t>(std::lround(from + (to - from) * std::clamp(t, 0.0, 1.0)));
    };
    return {channel(a.r, b.r), channel(a.g, b.g), channel(a.b, b.b)};
}

// A byte from a value meant to be 0–255: rounded and clamped, NaN as 0 (a float-to-integer cast of NaN, or of a value
// out of range, is undefined behaviour).
std::uint8_t to_byte(double value) {
    if (!(value > 0)) return 0;
    if (value >= 255) return 255;
    return static_cast<std::uint8_t>(std::lround(value));
}

// A pixel of a normalised MNIST image as the digit's grey level: the normalisation undone.
std::uint8_t mnist_gray(float normalised) {
    return to_byte((normalised * mnist_std + mnist_mean) * 255.0);
}

// The diverging colour map: blue at −1, white at 0, red at +1 (the ends of ColorBrewer's RdBu).
Rgb diverging(double t) {
    return t < 0 ? mix(white, Rgb{33, 102, 172}, -t) : mix(white, Rgb{178, 24, 43}, t);
}

// The largest |value| of values[first, first + n) over the finite ones, or 0.
double largest_magnitude(const std::vector<float>& values, std::size_t first, std::size_t n) {
    double largest = 0;
    for (std::size_t i = first; i < first + n; ++i) {
        if (std::isfinite(values[i])) largest = std::max(largest, std::fabs(static_cast<double>(values[i])));
    }
    return largest;
}

// value on the diverging map, `largest` at its ends; black when it is not finite, which shows a diverged training
// instead of hiding it.
Rgb diverging_of(float value, double largest) {
    if (!std::isfinite(value)) return black;
    return diverging(largest > 0 ? value / largest : 0.0);
}

// 10000 → "10,000".
std::string with_thousands(std::size_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

// 1.5 → "1.5", for messages.
std::string shortest(double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

// "28×28 = 784": a product of sizes as the error messages show the expected length.
std::string product_text(std::initializer_list<std::size_t> sizes) {
    std::string text;
    std::size_t product = 1;
    for (const std::size_t size : sizes) {
        text += (text.empty() ? "" : "×") + std::to_string(size);
        product *= size;
    }
    return text + " = " + std::to_string(product);
}

// Refuses a side of 0 or above max_image_side: "draw_mistakes: image size is 0×28, expected each side 1 to 256".
void check_image_size(const char* function, const char* what, std::size_t height, std::size_t width) {
    if (height == 0 || width == 0 || height > max_image_side || width > max_image_side)
        throw std::invalid_argument(std::string(function) + ": " + what + " is " + std::to_string(height) + "×" +
                                    std::to_string(width) + ", expected each side 1 to " +
                                    std::to_string(max_image_side));
}

void draw_centered(Canvas& canvas, int center_x, int y, std::string_view text, Rgb color, int scale) {
    canvas.draw_text(center_x - ink_width(text, scale) / 2, y, text, color, scale);
}

// A height × width field of colours, each value a scale × scale square: color_of(row, column).
template <class ColorOf>
void draw_field(Canvas& canvas, int x, int y, int height, int width, int scale, ColorOf color_of) {
    for (int row = 0; row < height; ++row) {
        for (int column = 0; column < width; ++column)
            canvas.fill_rect({x + column * scale, y + row * scale, scale, scale}, color_of(row, column));
    }
}

// A one-pixel frame just outside box, so a white (all-zero) kernel or map still shows where it is.
void draw_frame(Canvas& canvas, Box box) {
    canvas.fill_rect({box.x - 1, box.y - 1, box.width + 2, box.height + 2}, frame);
}

}  // namespace

// ---- Text and canvas --------------------------------------------------------------------------------------------

Box measure_text(std::string_view utf8, int scale) {
    check_scale(scale);
    const std::size_t characters = decode_utf8(utf8).size();
    if (characters > static_cast<std::size_t>(INT_MAX / (glyph_advance * scale)))
        throw std::invalid_argument("measure_text: " + std::to_string(characters) + " characters do not fit a line");
    return {0, 0, static_cast<int>(characters) * glyph_advance * scale, glyph_height * scale};
}

constexpr int max_canvas_side = 16384;

Canvas::Canvas(int width, int height, Rgb background) {
    if (width < 1 || height < 1 || width > max_canvas_side || height > max_canvas_side)
        throw std::invalid_argument("Canvas: size is " + std::to_string(width) + "×" + std::to_string(height) +
                                    ", expected each side 1 to " + std::to_string(max_canvas_side));
    image_.width = static_cast<std::size_t>(width);
    image_.height = static_cast<std::size_t>(height);
    image_.color = png::Color::rgb;
    image_.pixels.resize(image_.width * image_.height * 3);
    fill_rect({0, 0, width, height}, background);
}

Rgb Canvas::at(int x, int y) const {
    if (x < 0 || y < 0 || x >= width() || y >= height())
        throw std::out_of_range("Canvas::at: (" + std::to_string(x) + ", " + std::to_string(y) + ") is outside the " +
                                std::to_string(width()) + "×" + std::to_string(height()) + " canvas");
    const std::uint8_t* p = &image_.pixels[(static_cast<std::size_t>(y) * image_.width + x) * 3];
    return {p[0], p[1], p[2]};
}

void Canvas::plot(int x, int y, Rgb color) {
    if (x < 0 || y < 0 || x >= width() || y >= height()) return;
    std::uint8_t* p = &image_.pixels[(static_cast<std::size_t>(y) * image_.width + x) * 3];
    p[0] = color.r;
    p[1] = color.g;
    p[2] = color.b;
}

void Canvas::fill_rect(Box box, Rgb color) {
    // Clipped first, so a huge or far-away box costs nothing (and x + width cannot overflow).
    const long left = std::max(0L, static_cast<long>(box.x)), top = std::max(0L, static_cast<long>(box.y));
    const long right = std::min(static_cast<long>(width()), static_cast<long>(box.x) + std::max(0, box.width));
    const long bottom = std::min(static_cast<long>(height()), static_cast<long>(box.y) + std::max(0, box.height));
    for (long y = top; y < bottom; ++y) {
        for (long x = left; x < right; ++x) plot(static_cast<int>(x), static_cast<int>(y), color);
    }
}

void Canvas::draw_gray(int x, int y, const std::vector<std::uint8_t>& pixels, int height, int width, int scale) {
    if (height < 0 || width < 0 || scale < 1 ||
        pixels.size() != static_cast<std::size_t>(height) * static_cast<std::size_t>(width))
        throw std::invalid_argument("Canvas::draw_gray: " + std::to_string(pixels.size()) + " pixels at scale " +
                                    std::to_string(scale) + ", expected " + std::to_string(height) + "×" +
                                    std::to_string(width) + " at a scale of at least 1");
    draw_field(*this, x, y, height, width, scale, [&](int row, int column) {
        const std::uint8_t level = pixels[static_cast<std::size_t>(row) * width + column];
        return Rgb{level, level, level};
    });
}

void Canvas::draw_text(int x, int y, std::string_view utf8, Rgb color, int scale) {
    check_scale(scale);
    int left = x;
    for (const char32_t code : decode_utf8(utf8)) {
        const GlyphRows& rows = glyph_of(code);
        for (int row = 0; row < glyph_height; ++row) {
            for (int column = 0; column < glyph_width; ++column) {
                if (rows[row] >> (glyph_width - 1 - column) & 1)
                    fill_rect({left + column * scale, y + row * scale, scale, scale}, color);
            }
        }
        left += glyph_advance * scale;
    }
}

void Canvas::draw_text_up(int x, int y, std::string_view utf8, Rgb color, int scale) {
    // Glyph pixel (column along the text, row down) lands at (x + row, bottom − column): turned anticlockwise.
    const int bottom = y + measure_text(utf8, scale).width;
    int along = 0;
    for (const char32_t code : decode_utf8(utf8)) {
        const GlyphRows& rows = glyph_of(code);
        for (int row = 0; row < glyph_height; ++row) {
            for (int column = 0; column < glyph_width; ++column) {
                if (rows[row] >> (glyph_width - 1 - column) & 1)
                    fill_rect({x + row * scale, bottom - along - (column + 1) * scale, scale, scale}, color);
            }
        }
        along += glyph_advance * scale;
    }
}

// ---- Confusion matrix -------------------------------------------------------------------------------------------

namespace {
namespace confusion_layout {
constexpr int margin = 16, cell = 40, pitch = 42;  // 2 pixels of white between cells
constexpr int title_y = 14, caption_y = 44, column_labels_y = 70;
constexpr int grid_x = 76, grid_y = 92;
constexpr int grid_side = 10 * pitch - (pitch - cell);
}  // namespace confusion_layout
}  // namespace

Box confusion_cell_box(std::size_t row, std::size_t column) {
    using namespace confusion_layout;
    if (row >= 10 || column >= 10)
        throw std::invalid_argument("confusion_cell_box: cell (" + std::to_string(row) + ", " + std::to_string(column) +
                                    "), expected row and column 0 to 9");
    return {grid_x + static_cast<int>(column) * pitch, grid_y + static_cast<int>(row) * pitch, cell, cell};
}

png::Image draw_confusion(const std::array<std::array<std::size_t, 10>, 10>& counts) {
    using namespace confusion_layout;
    std::size_t total = 0, correct = 0, largest_correct = 0, largest_wrong = 0;
    for (std::size_t row = 0; row < 10; ++row) {
        for (std::size_t column = 0; column < 10; ++column) {
            const std::size_t n = counts[row][column];
            if (total + n < total) throw std::invalid_argument("draw_confusion: the counts' sum overflows");
            total += n;
            if (row == column) {
                correct += n;
                largest_correct = std::max(largest_correct, n);
            } else {
                largest_wrong = std::max(largest_wrong, n);
            }
        }
    }
    if (total == 0)
        throw std::invalid_argument("draw_confusion: every count is 0, expected at least one test image counted");

    const std::string title =
        "confusion matrix: " + with_thousands(correct) + " of " + with_thousands(total) + " correct";
    const std::string legend = "green: correct, blue: mistakes, darker: more (log scale); " +
                               fixed(100.0 * static_cast<double>(correct) / static_cast<double>(total), 2) +
                               "% correct";
    const int width =
        std::max({grid_x + grid_side + margin, ink_width(title, 2) + 2 * margin, ink_width(legend, 1) + 2 * margin});
    const int legend_y = grid_y + grid_side + 14;
    Canvas canvas(width, legend_y + glyph_height + margin, white);

    draw_centered(canvas, width / 2, title_y, title, ink, 2);
    draw_centered(canvas, grid_x + grid_side / 2, caption_y, "predicted", grey, 2);
    const int true_width = measure_text("true", 2).width;
    canvas.draw_text_up(margin, grid_y + (grid_side - true_width) / 2, "true", grey, 2);
    for (std::size_t i = 0; i < 10; ++i) {
        const std::string digit = std::to_string(i);
        const Box column = confusion_cell_box(0, i), row = confusion_cell_box(i, 0);
        draw_centered(canvas, column.x + cell / 2, column_labels_y, digit, ink, 2);
        canvas.draw_text(grid_x - 22, row.y + (cell - 14) / 2, digit, ink, 2);
    }

    // The counts in the large size where they fit, one size for each kind of cell, so the diagonal does not mix
    // sizes (MNIST's test set has 3- and 4-digit classes); zeros small and faint, so the mistakes stand out.
    const auto text_scale = [&](bool diagonal) {
        for (std::size_t row = 0; row < 10; ++row) {
            for (std::size_t column = 0; column < 10; ++column) {
                if ((row == column) == diagonal && ink_width(std::to_string(counts[row][column]), 2) > cell - 6)
                    return 1;
            }
        }
        return 2;
    };
    const int diagonal_scale = text_scale(true), off_diagonal_scale = text_scale(false);

    // Each kind of cell shaded against its own largest count, on a log scale with a floor: a single mistake among
    // thousands of correct answers is still clearly coloured, and an empty cell stays white.
    for (std::size_t row = 0; row < 10; ++row) {
        for (std::size_t column = 0; column < 10; ++column) {
            const std::size_t n = counts[row][column];
            const bool diagonal = row == column;
            const std::size_t largest = diagonal ? largest_correct : largest_wrong;
            const double shade =
                n == 0 ? 0.0
                       : 0.15 + 0.85 * std::log1p(static_cast<double>(n)) / std::log1p(static_cast<double>(largest));
            const Rgb dark = diagonal ? Rgb{0, 90, 50} : Rgb{8, 48, 107};
            const Box box = confusion_cell_box(row, column);
            canvas.fill_rect(box, mix(white, dark, shade));

            const std::string text = std::to_string(n);
            const int scale = n == 0 ? 1 : diagonal ? diagonal_scale : off_diagonal_scale;
            const Rgb color = shade > 0.5 ? white : n == 0 ? Rgb{200, 200, 200} : ink;
            draw_centered(canvas, box.x + cell / 2, box.y + (cell - 7 * scale) / 2, text, color, scale);
        }
    }
    draw_centered(canvas, width / 2, legend_y, legend, grey, 1);
    return std::move(canvas).take();
}

// ---- Mistakes ---------------------------------------------------------------------------------------------------

namespace {
namespace mistakes_layout {
constexpr std::size_t most = 25;
constexpr int columns = 5, scale = 3, margin = 16, gap = 16, title_y = 14, grid_y = 50;
constexpr int caption_gap = 6, line = 12;
// The widest caption, "7 → 2 (0.98)", sets the smallest cell.
constexpr int caption_width = 12 * glyph_advance;

int cell_width(std::size_t width) {
    return std::max(static_cast<int>(width) * scale, caption_width) + gap;
}
int cell_height(std::size_t height) {
    return static_cast<int>(height) * scale + caption_gap + 2 * line + gap;
}
}  // namespace mistakes_layout
}  // namespace

Box mistake_digit_box(std::size_t i, std::size_t height, std::size_t width) {
    using namespace mistakes_layout;
    check_image_size("mistake_digit_box", "image size", height, width);
    if (i >= most) throw std::invalid_argument("mistake_digit_box: digit " + std::to_string(i) + ", expected 0 to 24");
    const int column = static_cast<int>(i) % columns, row = static_cast<int>(i) / columns;
    const int side_x = static_cast<int>(width) * scale, side_y = static_cast<int>(height) * scale;
    return {margin + column * cell_width(width) + (cell_width(width) - gap - side_x) / 2,
            grid_y + row * cell_height(height), side_x, side_y};
}

png::Image draw_mistakes(const std::vector<Mistake>& mistakes, std::size_t height, std::size_t width) {
    using namespace mistakes_layout;
    check_image_size("draw_mistakes", "image size", height, width);
    for (std::size_t i = 0; i < mistakes.size(); ++i) {
        const Mistake& m = mistakes[i];
        const std::string which =
            "draw_mistakes: mistake " + std::to_string(i) + " (test image #" + std::to_string(m.index) + ")";
        if (m.image.size() != height * width)
            throw std::invalid_argument(which + " has " + std::to_string(m.image.size()) + " values, expected " +
                                        product_text({height, width}));
        if (m.label < 0 || m.label > 9 || m.predicted < 0 || m.predicted > 9)
            throw std::invalid_argument(which + " has label " + std::to_string(m.label) + " and prediction " +
                                        std::to_string(m.predicted) + ", expected digits 0 to 9");
        if (m.label == m.predicted)
            throw std::invalid_argument(which + " has label and prediction " + std::to_string(m.label) +
                                        ", expected a mistake (they differ)");
        if (!(m.probability >= 0 && m.probability <= 1))
            throw std::invalid_argument(which + " has probability " + shortest(m.probability) + ", expected 0 to 1");
    }

    if (mistakes.empty()) {
        const std::string text = "no mistakes";
        Canvas canvas(ink_width(text, 2) + 2 * margin, 14 + 2 * margin, white);
        canvas.draw_text(margin, margin, text, ink, 2);
        return std::move(canvas).take();
    }

    // The most confident first; among equals, the earlier in the test set.
    std::vector<std::size_t> order(mistakes.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return mistakes[a].probability > mistakes[b].probability; });
    const std::size_t shown = std::min(order.size(), most);
    const std::string title =
        mistakes.size() == 1 ? "the only mistake"
                             : "the " + std::to_string(shown) + " most confident mistakes" +
                                   (shown < mistakes.size() ? " (of " + with_thousands(mistakes.size()) + ")" : "");

    const int used_columns = static_cast<int>(std::min<std::size_t>(shown, columns));
    const int rows = static_cast<int>((shown + columns - 1) / columns);
    const int canvas_width =
        std::max(2 * margin + used_columns * cell_width(width) - gap, ink_width(title, 2) + 2 * margin);
    Canvas canvas(canvas_width, grid_y + rows * cell_height(height) - gap + margin, white);
    draw_centered(canvas, canvas_width / 2, title_y, title, ink, 2);

    std::vector<std::uint8_t> gray(height * width);
    for (std::size_t i = 0; i < shown; ++i) {
        const Mistake& m = mistakes[order[i]];
        std::transform(m.image.begin(), m.image.end(), gray.begin(), mnist_gray);
        const Box box = mistake_digit_box(i, height, width);
        canvas.draw_gray(box.x, box.y, gray, static_cast<int>(height), static_cast<int>(width), scale);
        const int center = box.x + box.width / 2, below = box.y + box.height + caption_gap;
        const std::string caption =
            std::to_string(m.label) + " → " + std::to_string(m.predicted) + " (" + fixed(m.probability, 2) + ")";
        draw_centered(canvas, center, below, caption, ink, 1);
        // (Appended rather than "#" + std::to_string(…), which g++ 12 -O3 misreads as an overflowing copy.)
        std::string index = "#";
        index += std::to_string(m.index);
        draw_centered(canvas, center, below + line, index, grey, 1);
    }
    return std::move(canvas).take();
}

// ---- First convolution ------------------------------------------------------------------------------------------

png::Image draw_filters(const std::vector<float>& kernels, std::size_t count, std::size_t k,
                        const std::vector<float>& image, std::size_t height, std::size_t width,
                        const std::vector<float>& maps, std::size_t map_height, std::size_t map_width, int label) {
    constexpr std::size_t most_kernels = 64;
    if (count == 0 || count > most_kernels)
        throw std::invalid_argument("draw_filters: count is " + std::to_string(count) + ", expected 1 to " +
                                    std::to_string(most_kernels));
    if (k == 0 || k > max_image_side)
        throw std::invalid_argument("draw_filters: k is " + std::to_string(k) + ", expected 1 to " +
                                    std::to_string(max_image_side));
    if (kernels.size() != count * k * k)
        throw std::invalid_argument("draw_filters: kernels has " + std::to_string(kernels.size()) +
                                    " values, expected " + product_text({count, 1, k, k}));
    check_image_size("draw_filters", "image size", height, width);
    if (image.size() != height * width)
        throw std::invalid_argument("draw_filters: image has " + std::to_string(image.size()) + " values, expected " +
                                    product_text({height, width}));
    check_image_size("draw_filters", "map size", map_height, map_width);
    if (maps.size() != count * map_height * map_width)
        throw std::invalid_argument("draw_filters: maps has " + std::to_string(maps.size()) + " values, expected " +
                                    product_text({count, map_height, map_width}));
    if (label < 0 || label > 9)
        throw std::invalid_argument("draw_filters: label is " + std::to_string(label) + ", expected 0 to 9");

    // Kernels enlarged to about 36 pixels (×12 for 3×3), maps and the digit to about 84 (×3 for 26×26 and 28×28);
    // eight columns, each kernel above its map.
    const int side_k = static_cast<int>(k), mh = static_cast<int>(map_height), mw = static_cast<int>(map_width);
    const int kernel_scale = std::max(1, 36 / side_k), map_scale = std::max(1, 84 / std::max(mh, mw));
    const int digit_scale = std::max(1, 84 / static_cast<int>(std::max(height, width)));
    const int kernel_side = side_k * kernel_scale;
    constexpr int margin = 16, labels_width = 100, gap = 14, columns_per_row = 8;
    const int pitch = std::max(kernel_side, mw * map_scale) + gap;
    const int columns = static_cast<int>(std::min<std::size_t>(count, columns_per_row));
    const int bands = static_cast<int>((count + columns_per_row - 1) / columns_per_row);
    const int map_side_x = mw * map_scale, map_side_y = mh * map_scale;
    const int digit_x = static_cast<int>(width) * digit_scale, digit_y = static_cast<int>(height) * digit_scale;
    constexpr int title_y = 14, caption_y = 42, input_y = 66, index_gap = 13, map_gap = 10, band_gap = 22;
    const int bands_y = input_y + digit_y + 26;
    const int band_height = index_gap + kernel_side + map_gap + map_side_y + band_gap;

    const char* plural = count == 1 ? "" : "s";
    const std::string title = "first convolution: " + std::to_string(count) + " kernel" + plural + " (" +
                              std::to_string(k) + "×" + std::to_string(k) + ") and their map" + plural +
                              " for a test digit";
    const std::string caption =
        "blue negative, white 0, red positive; each kernel and each map scaled to its own largest |value|; maps "
        "before ReLU";
    const int grid_left = margin + labels_width;
    const int canvas_width = std::max({grid_left + columns * pitch - gap + margin, ink_width(title, 2) + 2 * margin,
                                       ink_width(caption, 1) + 2 * margin});
    Canvas canvas(canvas_width, bands_y + bands * band_height - band_gap + margin, white);
    canvas.draw_text(margin, title_y, title, ink, 2);
    canvas.draw_text(margin, caption_y, caption, grey, 1);

    // The digit, as MNIST shows it, and its label.
    canvas.draw_text(margin, input_y + (digit_y - 14) / 2, "input", ink, 2);
    const Box digit{grid_left, input_y, digit_x, digit_y};
    draw_frame(canvas, digit);
    draw_field(canvas, digit.x, digit.y, static_cast<int>(height), static_cast<int>(width), digit_scale,
               [&](int row, int column) {
                   const std::uint8_t level = mnist_gray(image[static_cast<std::size_t>(row) * width + column]);
                   return Rgb{level, level, level};
               });
    canvas.draw_text(digit.x + digit.width + 16, input_y + (digit_y - 14) / 2, "label " + std::to_string(label), ink,
                     2);

    for (int band = 0; band < bands; ++band) {
        const int index_y = bands_y + band * band_height, kernel_y = index_y + index_gap;
        const int map_y = kernel_y + kernel_side + map_gap;
        canvas.draw_text(margin, kernel_y + (kernel_side - 14) / 2, "kernels", ink, 2);
        canvas.draw_text(margin, map_y + map_side_y / 2 - 18, "feature", ink, 2);
        canvas.draw_text(margin, map_y + map_side_y / 2 + 4, "maps", ink, 2);
        for (int column = 0; column < columns; ++column) {
            const std::size_t i = static_cast<std::size_t>(band * columns_per_row + column);
            if (i >= count) break;
            const int cell_x = grid_left + column * pitch, cell_width = pitch - gap;
            draw_centered(canvas, cell_x + cell_width / 2, index_y, std::to_string(i), grey, 1);

            // Plane i of `values` (rows × columns), framed, in the diverging map scaled to its own largest |value|.
            const auto draw_plane = [&](const std::vector<float>& values, int rows, int columns, Box box, int scale) {
                const std::size_t size = static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns);
                const std::size_t first = i * size;
                const double largest = largest_magnitude(values, first, size);
                draw_frame(canvas, box);
                draw_field(canvas, box.x, box.y, rows, columns, scale, [&](int row, int col) {
                    return diverging_of(values[first + static_cast<std::size_t>(row * columns + col)], largest);
                });
            };
            draw_plane(kernels, side_k, side_k,
                       {cell_x + (cell_width - kernel_side) / 2, kernel_y, kernel_side, kernel_side}, kernel_scale);
            draw_plane(maps, mh, mw, {cell_x + (cell_width - map_side_x) / 2, map_y, map_side_x, map_side_y},
                       map_scale);
        }
    }
    return std::move(canvas).take();
}

}  // namespace mnist_example
