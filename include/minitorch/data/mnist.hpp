// minitorch/data/mnist.hpp — the MNIST dataset, a batching loader (shuffle, normalise, rotate) and the rotation.
//
// Needs zlib (through data/idx.hpp). Tests: tests/test_mnist_loader.cpp. Download the data with scripts/fetch-mnist.
//
//   MnistDataset train = load_mnist("data/mnist", MnistSplit::train);   // 60000 × 28 × 28 bytes + labels
//   DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 1, .rotate_degrees = 10});
//   for (std::size_t epoch = 0; epoch < 10; ++epoch)
//       for (const Batch& batch : loader.next_epoch()) {   // or: loader.start_epoch(); while (loader.next(batch))
//           model.forward(batch.images);                   // [B, 1, 28, 28], normalised
//           ... batch.labels ...                           // [B] int64
//       }
//
// Images stay bytes in memory (47 MB for the training set instead of 188 MB as float); the loader converts one batch
// at a time: optional rotation of the raw bytes, then (p/255 − mean)/std through a 256-entry table. The batch is a
// member that is resized, not reallocated, so a training loop allocates nothing per step.
//
// Determinism: epoch e's order is a Fisher–Yates shuffle driven by Generator(seed).stream(e) (Generator::below is
// exact and portable), and batch b of epoch e draws its rotation angles from a stream of its own, so the same seed
// gives the same batches on every machine, whatever happened in earlier epochs or how many threads run the model.
#pragma once

#include "minitorch/data/idx.hpp"
#include "minitorch/fixed_math.hpp"
#include "minitorch/random.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <numbers>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace minitorch {

enum class MnistSplit { train, test };

inline const char* to_string(MnistSplit split) noexcept {
    return split == MnistSplit::train ? "train" : "test";
}

/// A dataset that cannot be used (mismatched files, bad labels, files not found); what() starts with a path.
class DatasetError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// N grayscale images of H × W bytes (row-major, image after image) and their labels 0–9.
struct MnistDataset {
    std::size_t count = 0;             ///< N
    std::size_t height = 0;            ///< H (28 for MNIST)
    std::size_t width = 0;             ///< W (28 for MNIST)
    std::vector<std::uint8_t> images;  ///< [N, H, W]
    std::vector<std::uint8_t> labels;  ///< [N], each < 10
    MnistSplit split = MnistSplit::train;
    std::filesystem::path images_file, labels_file;  ///< where they came from (for messages)

    std::size_t size() const noexcept { return count; }
    /// The H·W bytes of image i.
    const std::uint8_t* image(std::size_t i) const noexcept { return images.data() + i * height * width; }
};

/// Builds a dataset from two IDX arrays, checking images are [N, H, W], labels [N], the counts agree and every
/// label is below 10. The file names are only used in error messages. Throws DatasetError.
inline MnistDataset make_mnist_dataset(IdxArray images, IdxArray labels, MnistSplit split,
                                       const std::filesystem::path& images_file,
                                       const std::filesystem::path& labels_file) {
    const auto dims_text = [](const std::vector<std::size_t>& d) { return to_string(Shape(d.begin(), d.end())); };
    if (images.dims.size() != 3)
        throw DatasetError(images_file.string() + ": expected images [N, H, W] (rank 3), got rank " +
                           std::to_string(images.dims.size()) + " " + dims_text(images.dims));
    if (labels.dims.size() != 1)
        throw DatasetError(labels_file.string() + ": expected labels [N] (rank 1), got rank " +
                           std::to_string(labels.dims.size()) + " " + dims_text(labels.dims));
    if (images.dims[0] != labels.dims[0])
        throw DatasetError(images_file.string() + " has " + std::to_string(images.dims[0]) + " images but " +
                           labels_file.string() + " has " + std::to_string(labels.dims[0]) +
                           " labels: the counts must agree");
    if (images.dims[0] == 0) throw DatasetError(images_file.string() + ": contains no images");
    if (images.dims[1] == 0 || images.dims[2] == 0)
        throw DatasetError(images_file.string() + ": empty images " + dims_text(images.dims));
    for (std::size_t i = 0; i < labels.data.size(); ++i)
        if (labels.data[i] >= 10)
            throw DatasetError(labels_file.string() + ": label " + std::to_string(labels.data[i]) + " at index " +
                               std::to_string(i) + " is out of range (digit labels are 0–9)");
    MnistDataset ds;
    ds.count = images.dims[0];
    ds.height = images.dims[1];
    ds.width = images.dims[2];
    ds.images = std::move(images.data);
    ds.labels = std::move(labels.data);
    ds.split = split;
    ds.images_file = images_file;
    ds.labels_file = labels_file;
    return ds;
}

/// Loads MNIST's training (train-images-idx3-ubyte, train-labels-idx1-ubyte) or test split (t10k-…) from `folder`;
/// each file may also be gzip-compressed with a ".gz" suffix (the uncompressed one is preferred when both exist).
/// Throws DatasetError (files missing or inconsistent) or IdxError (a malformed file).
inline MnistDataset load_mnist(const std::filesystem::path& folder, MnistSplit split) {
    namespace fs = std::filesystem;
    const std::string prefix = split == MnistSplit::train ? "train" : "t10k";
    const auto find = [&](const std::string& stem, const char* what) {
        for (const fs::path& candidate : {folder / stem, folder / (stem + ".gz")}) {
            std::error_code ec;
            const fs::file_status status = fs::status(candidate, ec);
            if (fs::is_regular_file(status)) return candidate;
            if (status.type() != fs::file_type::not_found && status.type() != fs::file_type::none)
                throw DatasetError(candidate.string() + ": is " + files::kind_of(status) + ", not a regular file " +
                                   "(the MNIST " + to_string(split) + " " + what + ")");
        }
        throw DatasetError(folder.string() + ": MNIST " + to_string(split) + " " + what + " not found (looked for " +
                           stem + " and " + stem + ".gz; scripts/fetch-mnist downloads them)");
    };
    const fs::path images_file = find(prefix + "-images-idx3-ubyte", "images");
    const fs::path labels_file = find(prefix + "-labels-idx1-ubyte", "labels");
    return make_mnist_dataset(read_idx(images_file), read_idx(labels_file), split, images_file, labels_file);
}

/// Rotates an H × W byte image by `degrees` counter-clockwise (as displayed, row 0 at the top; torchvision's
/// convention) about its centre, with nearest-neighbour sampling and zero fill. This is PyTorch's
/// affine_grid + grid_sample(mode="nearest", padding_mode="zeros", align_corners=False): pixel (r, c) has its centre
/// at x = c + ½ − W/2, y = r + ½ − H/2, and output pixel (x, y) takes the input pixel nearest to the point
///     x_s = x·cos θ − y·sin θ,   y_s = x·sin θ + y·cos θ
/// (rounding half to even, as std::lrint in the default rounding mode and PyTorch's nearbyint do). 90° on a square
/// image is numpy's rot90: dst[r][c] = src[c][W − 1 − r]. src and dst must not overlap. cos θ and sin θ are
/// minitorch::fixed's (fixed_math.hpp), so a rounding that lands near a pixel boundary goes the same way everywhere.
inline void rotate_nearest(const std::uint8_t* src, std::uint8_t* dst, std::size_t height, std::size_t width,
                           double degrees) {
    const double theta = degrees * std::numbers::pi / 180.0;
    const double cos_t = fixed::cos(theta), sin_t = fixed::sin(theta);
    const double half_h = 0.5 * static_cast<double>(height), half_w = 0.5 * static_cast<double>(width);
    const auto h = static_cast<long>(height), w = static_cast<long>(width);
    for (std::size_t r = 0; r < height; ++r) {
        const double y = static_cast<double>(r) + 0.5 - half_h;
        // Source position in pixel-index units: column x_s + W/2 − ½, row y_s + H/2 − ½.
        const double col_offset = -y * sin_t + half_w - 0.5, row_offset = y * cos_t + half_h - 0.5;
        for (std::size_t c = 0; c < width; ++c) {
            const double x = static_cast<double>(c) + 0.5 - half_w;
            const long cs = std::lrint(x * cos_t + col_offset);  // lrint: nearest, ties to even (default rounding)
            const long rs = std::lrint(x * sin_t + row_offset);
            dst[r * width + c] = (rs >= 0 && rs < h && cs >= 0 && cs < w)
                                     ? src[static_cast<std::size_t>(rs) * width + static_cast<std::size_t>(cs)]
                                     : std::uint8_t{0};
        }
    }
}

/// Options of a DataLoader. Defaults are the PyTorch MNIST recipe's: batches of 128, Normalize((0.1307,), (0.3081,)).
struct LoaderOptions {
    std::size_t batch_size = 128;
    bool shuffle = false;    ///< a fresh permutation every epoch (use true for training)
    std::uint64_t seed = 0;  ///< drives the shuffle and the augmentation
    double mean = 0.1307;    ///< normalisation: (p/255 − mean) / stddev
    double stddev = 0.3081;
    double rotate_degrees = 0;  ///< augmentation: rotate each image by U[−θ, θ] degrees (training split only)
    bool drop_last = false;     ///< drop the last batch when it is smaller than batch_size
};

/// One batch, filled by DataLoader::next. Reuse the same object: its storage is resized, not reallocated.
struct Batch {
    Tensor<float> images;              ///< [B, 1, H, W], normalised
    std::vector<std::int64_t> labels;  ///< [B]
    std::vector<std::size_t> indices;  ///< [B], the samples' positions in the dataset
    std::size_t index = 0;             ///< the batch's position in its epoch, from 0
    std::size_t size() const noexcept { return labels.size(); }
};

/// Batches of an MnistDataset, in order or shuffled per epoch, normalised, optionally rotated (training split only:
/// a loader over the test split never augments). The dataset must outlive the loader.
class DataLoader {
  public:
    explicit DataLoader(const MnistDataset& dataset, LoaderOptions options = {}) : ds_(&dataset), opt_(options) {
        if (opt_.batch_size == 0) throw std::invalid_argument("DataLoader: batch_size must be positive, got 0");
        if (!(opt_.stddev > 0))
            throw std::invalid_argument("DataLoader: stddev must be positive, got " + number(opt_.stddev));
        if (!(opt_.rotate_degrees >= 0 && opt_.rotate_degrees <= 180))
            throw std::invalid_argument("DataLoader: rotate_degrees must be in [0, 180], got " +
                                        number(opt_.rotate_degrees));
        if (ds_->count == 0) throw std::invalid_argument("DataLoader: the dataset is empty");
        for (int p = 0; p < 256; ++p)  // in double, rounded once to float
            table_[static_cast<std::size_t>(p)] = static_cast<float>((p / 255.0 - opt_.mean) / opt_.stddev);
        order_.resize(ds_->count);
        rotated_.resize(ds_->height * ds_->width);
    }
    DataLoader(MnistDataset&&, LoaderOptions = {}) = delete;  // the loader keeps a reference: no temporaries

    const MnistDataset& dataset() const noexcept { return *ds_; }
    const LoaderOptions& options() const noexcept { return opt_; }
    /// Whether batches are rotated: rotate_degrees > 0 and the dataset is a training split.
    bool augments() const noexcept { return opt_.rotate_degrees > 0 && ds_->split == MnistSplit::train; }

    /// Batches per epoch: ⌈N / B⌉, or ⌊N / B⌋ with drop_last (60000 / 128 → 469).
    std::size_t num_batches() const noexcept {
        return opt_.drop_last ? ds_->count / opt_.batch_size : (ds_->count + opt_.batch_size - 1) / opt_.batch_size;
    }

    /// The normalised value of pixel byte p: (p/255 − mean) / stddev.
    float normalized(std::uint8_t p) const noexcept { return table_[p]; }

    /// Starts the next epoch (the first call starts epoch 0).
    void start_epoch() { start_epoch(started_ ? epoch_ + 1 : 0); }
    /// Starts epoch `epoch` (e.g. to resume a run): its order and augmentation depend only on (seed, epoch).
    void start_epoch(std::uint64_t epoch) {
        epoch_ = epoch;
        started_ = true;
        next_batch_ = 0;
        epoch_gen_ = Generator(opt_.seed).stream(epoch);
        std::iota(order_.begin(), order_.end(), std::size_t{0});
        if (opt_.shuffle) {  // Fisher–Yates, driven by stream 0 of the epoch
            Generator gen = epoch_gen_.stream(0);
            for (std::size_t i = order_.size() - 1; i > 0; --i) std::swap(order_[i], order_[gen.below(i + 1)]);
        }
    }
    /// The current epoch (valid after start_epoch).
    std::uint64_t epoch() const noexcept { return epoch_; }

    /// Fills `batch` with the epoch's next batch and returns true, or returns false at the end of the epoch.
    bool next(Batch& batch) {
        if (!started_) throw std::logic_error("DataLoader: call start_epoch() before next()");
        if (next_batch_ >= num_batches()) return false;
        const std::size_t b = next_batch_++;
        const std::size_t begin = b * opt_.batch_size;
        const std::size_t n = std::min(opt_.batch_size, ds_->count - begin);
        const std::size_t hw = ds_->height * ds_->width;
        batch.index = b;
        batch.images.resize({n, 1, ds_->height, ds_->width});
        batch.labels.resize(n);
        batch.indices.resize(n);
        Generator angles = epoch_gen_.stream(1 + b);  // batch b's own stream: angle of sample i = i-th draw
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t s = order_[begin + i];
            batch.indices[i] = s;
            batch.labels[i] = ds_->labels[s];
            const std::uint8_t* pixels = ds_->image(s);
            if (augments()) {
                rotate_nearest(pixels, rotated_.data(), ds_->height, ds_->width,
                               angles.uniform(-opt_.rotate_degrees, opt_.rotate_degrees));
                pixels = rotated_.data();
            }
            float* out = batch.images.data() + i * hw;
            for (std::size_t k = 0; k < hw; ++k) out[k] = table_[pixels[k]];
        }
        return true;
    }

    /// Range over one epoch's batches: `for (const Batch& b : loader.next_epoch())`. Starts the next epoch; the
    /// batch is the loader's own (one object, refilled each step).
    class EpochRange {
      public:
        struct Sentinel {};
        class Iterator {
          public:
            const Batch& operator*() const noexcept { return *batch_; }
            const Batch* operator->() const noexcept { return batch_; }
            Iterator& operator++() {
                more_ = loader_->next(*batch_);
                return *this;
            }
            bool operator==(Sentinel) const noexcept { return !more_; }

          private:
            friend class EpochRange;
            Iterator(DataLoader* loader, Batch* batch) : loader_(loader), batch_(batch) { ++*this; }
            DataLoader* loader_;
            Batch* batch_;
            bool more_ = false;
        };
        Iterator begin() { return Iterator(loader_, &loader_->batch_); }
        Sentinel end() const noexcept { return {}; }

      private:
        friend class DataLoader;
        explicit EpochRange(DataLoader* loader) : loader_(loader) {}
        DataLoader* loader_;
    };
    EpochRange next_epoch() {
        start_epoch();
        return EpochRange(this);
    }

  private:
    static std::string number(double v) {
        std::ostringstream s;
        s << v;
        return s.str();
    }

    const MnistDataset* ds_;
    LoaderOptions opt_;
    std::array<float, 256> table_{};
    std::vector<std::size_t> order_;     // the epoch's sample order
    std::vector<std::uint8_t> rotated_;  // scratch image for the augmentation
    Generator epoch_gen_;
    std::uint64_t epoch_ = 0;
    bool started_ = false;
    std::size_t next_batch_ = 0;
    Batch batch_;  // the range interface's batch
};

/// The name used in the brief and the examples.
using MnistLoader = DataLoader;

}  // namespace minitorch
