// MNIST dataset and DataLoader: file discovery (plain and .gz), consistency checks with their messages, batch
// coverage per epoch, shuffle determinism per (seed, epoch), normalisation values, the rotation (0° identity, 90° =
// numpy's rot90, 180°, a hand-worked 45° pixel), augmentation only on the training split, no reallocation per batch.
#include <minitorch/data/mnist.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>

#include "support/gzip_bytes.hpp"
#include "support/error_message.hpp"
#include "support/temp_files.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

using namespace minitorch;
using namespace test_support;  // TempDir, write_file, idx_bytes, gzip; fs = std::filesystem, Bytes

namespace {

// n images of h × w whose pixels identify the image (pixel k of image i = (31·i + k) mod 256), labels i mod 10.
IdxArray images_array(std::size_t n, std::size_t h, std::size_t w) {
    IdxArray a{{n, h, w}, Bytes(n * h * w)};
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < h * w; ++k) a.data[i * h * w + k] = static_cast<std::uint8_t>((31 * i + k) % 256);
    return a;
}
IdxArray labels_array(std::size_t n) {
    IdxArray a{{n}, Bytes(n)};
    for (std::size_t i = 0; i < n; ++i) a.data[i] = static_cast<std::uint8_t>(i % 10);
    return a;
}
MnistDataset synthetic(std::size_t n, std::size_t h = 4, std::size_t w = 3, MnistSplit split = MnistSplit::train) {
    return make_mnist_dataset(images_array(n, h, w), labels_array(n), split, "images", "labels");
}

Bytes as_file(const IdxArray& a) {
    std::vector<std::uint32_t> dims(a.dims.begin(), a.dims.end());
    return idx_bytes(dims, a.data);
}

// Every batch of one epoch, as (indices, labels) lists; checks the batch invariants on the way.
std::vector<std::vector<std::size_t>> epoch_order(DataLoader& loader) {
    std::vector<std::vector<std::size_t>> out;
    Batch batch;
    loader.start_epoch();
    while (loader.next(batch)) {
        CHECK(batch.index == out.size());
        out.push_back(batch.indices);
    }
    return out;
}

std::string error_of(const std::function<void()>& f) {
    return test_support::message_of<std::exception>(f);
}

}  // namespace

TEST_CASE("load_mnist: a data file that is a directory or a FIFO is named as such, not \"not found\" (issue 15)") {
    TempDir dir;
    fs::create_directory(dir.path / "t10k-images-idx3-ubyte");
    CHECK(error_of([&] { load_mnist(dir.path, MnistSplit::test); }) ==
          (dir.path / "t10k-images-idx3-ubyte").string() +
              ": is a directory, not a regular file (the MNIST test images)");
    fs::remove(dir.path / "t10k-images-idx3-ubyte");
    write_file(dir.path / "t10k-images-idx3-ubyte", as_file(images_array(2, 28, 28)));
    REQUIRE(::mkfifo((dir.path / "t10k-labels-idx1-ubyte.gz").c_str(), 0644) == 0);
    CHECK(error_of([&] { load_mnist(dir.path, MnistSplit::test); }) ==
          (dir.path / "t10k-labels-idx1-ubyte.gz").string() +
              ": is a FIFO (named pipe), not a regular file (the MNIST test labels)");
}

TEST_CASE("load_mnist: finds plain and .gz files, checks shapes and counts") {
    TempDir dir;
    write_file(dir.path / "train-images-idx3-ubyte", as_file(images_array(5, 28, 28)));
    write_file(dir.path / "train-labels-idx1-ubyte.gz", gzip(as_file(labels_array(5))));
    const MnistDataset train = load_mnist(dir.path, MnistSplit::train);
    CHECK(train.size() == 5);
    CHECK(train.height == 28);
    CHECK(train.width == 28);
    CHECK(train.labels == Bytes{0, 1, 2, 3, 4});
    CHECK(train.image(2)[0] == 62);  // (31·2 + 0) mod 256
    CHECK(train.labels_file == dir.path / "train-labels-idx1-ubyte.gz");

    // The test split is t10k-*; not there yet.
    CHECK(error_of([&] { load_mnist(dir.path, MnistSplit::test); }) ==
          dir.path.string() +
              ": MNIST test images not found (looked for t10k-images-idx3-ubyte and "
              "t10k-images-idx3-ubyte.gz; scripts/fetch-mnist downloads them)");

    // Count mismatch: the message names both files and both counts.
    write_file(dir.path / "t10k-images-idx3-ubyte.gz", gzip(as_file(images_array(6, 28, 28))));
    write_file(dir.path / "t10k-labels-idx1-ubyte", as_file(labels_array(4)));
    CHECK(error_of([&] { load_mnist(dir.path, MnistSplit::test); }) ==
          (dir.path / "t10k-images-idx3-ubyte.gz").string() + " has 6 images but " +
              (dir.path / "t10k-labels-idx1-ubyte").string() + " has 4 labels: the counts must agree");
    CHECK_THROWS_AS(load_mnist(dir.path, MnistSplit::test), DatasetError);

    // A malformed file surfaces as the IDX reader's error.
    write_file(dir.path / "t10k-labels-idx1-ubyte", idx_bytes({6}, {1, 2}));
    CHECK_THROWS_AS(load_mnist(dir.path, MnistSplit::test), IdxError);
}

TEST_CASE("make_mnist_dataset: labels must be below 10, ranks must be 3 and 1") {
    IdxArray labels = labels_array(4);
    labels.data[2] = 12;
    CHECK(error_of([&] { make_mnist_dataset(images_array(4, 2, 2), labels, MnistSplit::train, "i", "l.idx"); }) ==
          "l.idx: label 12 at index 2 is out of range (digit labels are 0–9)");
    CHECK(error_of([&] {
              make_mnist_dataset(IdxArray{{4, 4}, Bytes(16)}, labels_array(4), MnistSplit::train, "i.idx", "l");
          }) == "i.idx: expected images [N, H, W] (rank 3), got rank 2 [4, 4]");
    CHECK(error_of([&] {
              make_mnist_dataset(images_array(4, 2, 2), IdxArray{{4, 1}, Bytes(4)}, MnistSplit::train, "i", "l.idx");
          }) == "l.idx: expected labels [N] (rank 1), got rank 2 [4, 1]");
}

TEST_CASE("DataLoader: every sample exactly once per epoch, last partial batch kept (or dropped)") {
    const MnistDataset ds = synthetic(10);
    for (bool shuffle : {false, true}) {
        DataLoader loader(ds, {.batch_size = 4, .shuffle = shuffle, .seed = 3});
        CHECK(loader.num_batches() == 3);
        for (int epoch = 0; epoch < 2; ++epoch) {
            const auto batches = epoch_order(loader);
            REQUIRE(batches.size() == 3);
            CHECK(batches[0].size() == 4);
            CHECK(batches[1].size() == 4);
            CHECK(batches[2].size() == 2);
            std::multiset<std::size_t> seen;
            for (const auto& b : batches) seen.insert(b.begin(), b.end());
            CHECK(seen == std::multiset<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
        }
    }
    DataLoader in_order(ds, {.batch_size = 4});
    CHECK(epoch_order(in_order)[2] == std::vector<std::size_t>{8, 9});
    DataLoader dropping(ds, {.batch_size = 4, .drop_last = true});
    CHECK(dropping.num_batches() == 2);
    CHECK(epoch_order(dropping).size() == 2);

    // The MNIST numbers: 60000 samples in batches of 128 → 469 batches, the last one of 96.
    const MnistDataset big = synthetic(60000, 1, 1);
    DataLoader loader(big, {.batch_size = 128, .shuffle = true});
    CHECK(loader.num_batches() == 469);
    Batch batch;
    loader.start_epoch();
    std::size_t count = 0, last = 0;
    while (loader.next(batch)) count += (last = batch.size());
    CHECK(count == 60000);
    CHECK(last == 96);
}

TEST_CASE("DataLoader: shuffle is a function of (seed, epoch)") {
    const MnistDataset ds = synthetic(50);
    DataLoader a(ds, {.batch_size = 8, .shuffle = true, .seed = 7});
    DataLoader b(ds, {.batch_size = 8, .shuffle = true, .seed = 7});
    DataLoader c(ds, {.batch_size = 8, .shuffle = true, .seed = 8});
    const auto a0 = epoch_order(a), a1 = epoch_order(a);
    const auto b0 = epoch_order(b);
    const auto c0 = epoch_order(c);
    CHECK(a0 == b0);  // same seed, same epoch
    CHECK(a0 != a1);  // next epoch: a fresh permutation
    CHECK(a0 != c0);  // another seed
    CHECK(a.epoch() == 1);
    b.start_epoch(1);  // jumping to an epoch gives that epoch's order, whatever came before
    Batch batch;
    std::vector<std::vector<std::size_t>> b1;
    while (b.next(batch)) b1.push_back(batch.indices);
    CHECK(b1 == a1);
    // Not the identity.
    DataLoader plain(ds, {.batch_size = 8});
    CHECK(epoch_order(plain) != a0);
}

TEST_CASE("DataLoader: normalisation (p/255 − 0.1307)/0.3081, labels as int64, images B×1×H×W") {
    IdxArray images{{2, 1, 3}, {0, 255, 128, 10, 20, 30}};
    IdxArray labels{{2}, {7, 3}};
    const MnistDataset ds = make_mnist_dataset(images, labels, MnistSplit::test, "i", "l");
    DataLoader loader(ds, {.batch_size = 2});
    Batch batch;
    loader.start_epoch();
    REQUIRE(loader.next(batch));
    CHECK(batch.images.shape() == Shape{2, 1, 1, 3});
    CHECK(batch.labels == std::vector<std::int64_t>{7, 3});
    CHECK(batch.images[0] == doctest::Approx(-0.42421292).epsilon(1e-7));  // −0.1307/0.3081
    CHECK(batch.images[1] == doctest::Approx(2.82148653).epsilon(1e-7));   // 0.8693/0.3081
    const Bytes pixels = {0, 255, 128, 10, 20, 30};
    for (std::size_t k = 0; k < pixels.size(); ++k)
        CHECK(batch.images[k] == doctest::Approx((pixels[k] / 255.0 - 0.1307) / 0.3081).epsilon(1e-7));
    CHECK_FALSE(loader.next(batch));

    // Other statistics.
    DataLoader raw(ds, {.batch_size = 2, .mean = 0, .stddev = 1});
    raw.start_epoch();
    REQUIRE(raw.next(batch));
    CHECK(batch.images[2] == doctest::Approx(128 / 255.0).epsilon(1e-7));
}

TEST_CASE("rotate_nearest: 0° identity, 90°/−90° = numpy rot90, 180° on a non-square image, 45° by hand") {
    // 4 × 4 with every pixel distinct (asymmetric).
    const std::size_t n = 4;
    Bytes src(n * n), dst(n * n), back(n * n);
    for (std::size_t k = 0; k < src.size(); ++k) src[k] = static_cast<std::uint8_t>(10 + k);

    rotate_nearest(src.data(), dst.data(), n, n, 0);
    CHECK(dst == src);

    rotate_nearest(src.data(), dst.data(), n, n, 90);  // counter-clockwise: dst[r][c] = src[c][W − 1 − r]
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t c = 0; c < n; ++c) CHECK(dst[r * n + c] == src[c * n + (n - 1 - r)]);
    CHECK(dst[0] == src[n - 1]);  // the top-right corner moves to the top-left

    rotate_nearest(dst.data(), back.data(), n, n, -90);
    CHECK(back == src);

    // 180° on 3 × 5 (odd and even sizes mixed): dst[r][c] = src[H − 1 − r][W − 1 − c].
    const std::size_t h = 3, w = 5;
    Bytes s2(h * w), d2(h * w);
    for (std::size_t k = 0; k < s2.size(); ++k) s2[k] = static_cast<std::uint8_t>(1 + k);
    rotate_nearest(s2.data(), d2.data(), h, w, 180);
    for (std::size_t r = 0; r < h; ++r)
        for (std::size_t c = 0; c < w; ++c) CHECK(d2[r * w + c] == s2[(h - 1 - r) * w + (w - 1 - c)]);

    // 45° on 3 × 3 (centres at −1, 0, 1): output (0, 0) is (x, y) = (−1, −1), which samples
    // (x·cos − y·sin, x·sin + y·cos) = (0, −√2) → column 1, row round(−0.41) = 0: the top-middle pixel. Output (0, 1)
    // samples (0.71, −0.71) → column round(1.71) = 2, row round(0.29) = 0: the top-right pixel. Output (1, 1), the
    // centre, stays. Output (0, 2) samples (1.41, 0) → column round(2.41) = 2, row 1.
    Bytes s3{1, 2, 3, 4, 5, 6, 7, 8, 9}, d3(9);
    rotate_nearest(s3.data(), d3.data(), 3, 3, 45);
    CHECK(d3[0] == 2);
    CHECK(d3[1] == 3);
    CHECK(d3[4] == 5);
    CHECK(d3[2] == 6);

    // Points that come from outside the image are zero.
    Bytes ones(7 * 7, 200), d4(7 * 7);
    rotate_nearest(ones.data(), d4.data(), 7, 7, 45);
    CHECK(d4[0] == 0);
    CHECK(d4[3 * 7 + 3] == 200);
}

TEST_CASE("DataLoader: rotation on raw bytes before normalisation, deterministic, training split only") {
    // All-white 28 × 28 images: a rotated image shows the zero fill in its corners.
    IdxArray images{{16, 28, 28}, Bytes(16 * 28 * 28, 255)};
    const MnistDataset train = make_mnist_dataset(images, labels_array(16), MnistSplit::train, "i", "l");
    const MnistDataset test = make_mnist_dataset(images, labels_array(16), MnistSplit::test, "i", "l");
    const LoaderOptions rotate{.batch_size = 16, .seed = 5, .rotate_degrees = 30};

    DataLoader a(train, rotate), b(train, rotate);
    CHECK(a.augments());
    Batch ba, bb;
    a.start_epoch();
    b.start_epoch();
    REQUIRE(a.next(ba));
    REQUIRE(b.next(bb));
    CHECK(ba.images == bb.images);  // same seed → same angles
    const float white = a.normalized(255), black = a.normalized(0);
    std::size_t filled = 0;
    for (float v : ba.images) {
        CHECK((v == white || v == black));  // zero fill happens on bytes, then normalisation
        filled += v == black;
    }
    CHECK(filled > 0);
    // Images of a batch get different angles.
    const auto plane = [&](std::size_t i) {
        return std::vector<float>(ba.images.begin() + i * 784, ba.images.begin() + (i + 1) * 784);
    };
    CHECK(plane(0) != plane(1));
    // Another epoch: other angles.
    a.start_epoch();
    REQUIRE(a.next(bb));
    CHECK(ba.images != bb.images);

    // The same options on the test split do not augment.
    DataLoader t(test, rotate);
    CHECK_FALSE(t.augments());
    t.start_epoch();
    REQUIRE(t.next(bb));
    for (float v : bb.images) CHECK(v == white);
}

TEST_CASE("DataLoader: range-for equals next(), the batch is resized, never reallocated") {
    const MnistDataset ds = synthetic(10, 5, 5);
    DataLoader a(ds, {.batch_size = 4, .shuffle = true, .seed = 9, .rotate_degrees = 15});
    DataLoader b(ds, {.batch_size = 4, .shuffle = true, .seed = 9, .rotate_degrees = 15});
    Batch manual;
    b.start_epoch();
    std::size_t batches = 0;
    const float* storage = nullptr;
    for (int epoch = 0; epoch < 2; ++epoch) {
        if (epoch == 1) b.start_epoch();
        for (const Batch& batch : a.next_epoch()) {
            REQUIRE(b.next(manual));
            CHECK(batch.indices == manual.indices);
            CHECK(batch.labels == manual.labels);
            CHECK(batch.images == manual.images);
            if (storage == nullptr) storage = batch.images.data();
            CHECK(batch.images.data() == storage);  // the last, smaller batch and the next epoch reuse the buffer
            ++batches;
        }
    }
    CHECK(batches == 6);
}

TEST_CASE("DataLoader: option and usage errors") {
    const MnistDataset ds = synthetic(3);
    CHECK_THROWS_WITH_AS(DataLoader(ds, {.batch_size = 0}), "DataLoader: batch_size must be positive, got 0",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(DataLoader(ds, {.rotate_degrees = -1}),
                         "DataLoader: rotate_degrees must be in [0, 180], got -1", std::invalid_argument);
    CHECK_THROWS_AS(DataLoader(ds, {.stddev = 0}), std::invalid_argument);
    DataLoader loader(ds);
    Batch batch;
    CHECK_THROWS_WITH_AS(loader.next(batch), "DataLoader: call start_epoch() before next()", std::logic_error);
}
