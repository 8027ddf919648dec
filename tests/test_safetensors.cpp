// safetensors checkpoints: bitwise round trips (float, double, a Sequential), the file layout checked independently
// (length prefix, JSON keys, I64 step counter, alignment), one message listing every model mismatch, every malformed
// file refused with the model untouched, and failed saves that leave no file behind.
#include "../examples/mnist/mnist_net.hpp"

#include <minitorch/io/safetensors.hpp>
#include <minitorch/layers/activation.hpp>
#include <minitorch/layers/linear.hpp>
#include <minitorch/random.hpp>
#include <minitorch/sequential.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/error_message.hpp"
#include "support/temp_files.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

using namespace minitorch;
using namespace test_support;  // TempDir, read_bytes, write_bytes; fs = std::filesystem
using nlohmann::json;

namespace {

// A safetensors file from a header text and a data section, written without the library.
std::string make_file(std::string header, const std::string& data) {
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(header.size() >> (8 * i));
    return out + header + data;
}

// A small model's state held by hand: a conv-like weight, a bias, BatchNorm-like buffers.
template <class T>
struct State {
    Tensor<T> weight{Shape{2, 1, 3, 3}}, weight_grad{Shape{2, 1, 3, 3}}, bias{Shape{2}}, bias_grad{Shape{2}};
    Tensor<T> running_mean{Shape{3}}, steps{Shape{}};  // 18 + 2 + 3 floats: the int64 would be misaligned after them
    explicit State(std::uint64_t seed) {
        Generator gen(seed);
        normal_(weight, 0, 1, gen);
        normal_(bias, 0, 1, gen);
        uniform_(running_mean, -1, 1, gen);
        steps[0] = T(seed % 1000);
    }
    std::vector<ParameterRef<T>> parameters() {
        return {{"0.weight", &weight, &weight_grad},
                {"0.bias", &bias, &bias_grad},
                {"1.running_mean", &running_mean, nullptr},
                {"1.num_batches_tracked", &steps, nullptr}};
    }
};

template <class T>
bool bitwise_equal(const Tensor<T>& a, const Tensor<T>& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <class T>
bool same_state(State<T>& a, State<T>& b) {
    return bitwise_equal(a.weight, b.weight) && bitwise_equal(a.bias, b.bias) &&
           bitwise_equal(a.running_mean, b.running_mean) && bitwise_equal(a.steps, b.steps);
}

/// True when `s` still holds the values State(seed) was made with: a refused load copied nothing into it.
template <class T>
bool still_initial(State<T>& s, std::uint64_t seed) {
    State<T> initial(seed);
    return same_state(s, initial);
}

std::string error_of(const std::function<void()>& f) {
    return test_support::message_of<SafetensorsError>(f, "no SafetensorsError");
}

}  // namespace

TEST_CASE_TEMPLATE("safetensors: bitwise round trip", T, float, double) {
    TempDir dir;
    const fs::path path = dir.path / "state.safetensors";
    State<T> saved(1234);
    // Values that a text format would mangle.
    saved.weight[0] = -T(0);
    saved.weight[1] = std::numeric_limits<T>::denorm_min();
    saved.weight[2] = std::numeric_limits<T>::infinity();
    saved.weight[3] = std::numeric_limits<T>::quiet_NaN();
    saved.weight[4] = std::numeric_limits<T>::max();
    save_safetensors(path, saved.parameters(), {{"epoch", "3"}, {"note", "round trip"}});

    State<T> loaded(99);
    CHECK_FALSE(same_state(saved, loaded));
    load_safetensors(path, loaded.parameters());
    CHECK(same_state(saved, loaded));
    CHECK(loaded.steps[0] == T(234));
    CHECK(read_safetensors_metadata(path) ==
          std::map<std::string, std::string>{{"epoch", "3"}, {"note", "round trip"}});
    CHECK(dir.listing() == std::vector<std::string>{"state.safetensors"});  // no temporary file left

    // Saving again replaces the file.
    State<T> other(5);
    save_safetensors(path, other.parameters());
    load_safetensors(path, loaded.parameters());
    CHECK(same_state(other, loaded));
    CHECK(read_safetensors_metadata(path).empty());
    CHECK(dir.listing() == std::vector<std::string>{"state.safetensors"});
}

TEST_CASE("safetensors: a Sequential's parameters under PyTorch's state_dict names") {
    TempDir dir;
    const fs::path path = dir.path / "mlp.safetensors";
    Generator g1(1), g2(2);
    Sequential<float> a(Linear<float>({.in = 4, .out = 3}, g1), ReLU<float>(), Linear<float>({.in = 3, .out = 2}, g1));
    Sequential<float> b(Linear<float>({.in = 4, .out = 3}, g2), ReLU<float>(), Linear<float>({.in = 3, .out = 2}, g2));
    save_safetensors(path, a.parameters());
    const std::string bytes = read_bytes(path);
    const std::uint64_t n = safetensors_header_length(bytes);
    const json header = json::parse(bytes.substr(8, n));
    std::vector<std::string> keys;
    for (const auto& [k, v] : header.items()) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    CHECK(keys == std::vector<std::string>{"0.bias", "0.weight", "2.bias", "2.weight"});
    load_safetensors(path, b.parameters());
    Tensor<float> x(Shape{5, 4});
    Generator g3(3);
    normal_(x, 0, 1, g3);
    CHECK(a.forward(x) == b.forward(x));
}

TEST_CASE("safetensors: the file layout, read without the library") {
    TempDir dir;
    const fs::path path = dir.path / "state.safetensors";
    State<float> s(42);
    save_safetensors(path, s.parameters(), {{"format", "pt"}});
    const std::string bytes = read_bytes(path);
    REQUIRE(bytes.size() >= 8);

    // First 8 bytes: the header length, little-endian.
    const std::uint64_t n = safetensors_header_length(bytes);
    REQUIRE(8 + n <= bytes.size());
    CHECK((8 + n) % 8 == 0);  // padded with spaces so the data section is 8-aligned
    const std::string text = bytes.substr(8, n);
    CHECK(text.front() == '{');
    CHECK(text.find_last_not_of(' ') == text.find_last_of('}'));

    const json header = json::parse(text);
    REQUIRE(header.is_object());
    CHECK(header["__metadata__"] == json({{"format", "pt"}}));
    CHECK(header["0.weight"]["dtype"] == "F32");
    CHECK(header["0.weight"]["shape"] == json({2, 1, 3, 3}));
    CHECK(header["0.bias"]["shape"] == json({2}));
    CHECK(header["1.running_mean"]["dtype"] == "F32");
    // num_batches_tracked: PyTorch's int64 scalar, shape [].
    CHECK(header["1.num_batches_tracked"]["dtype"] == "I64");
    CHECK(header["1.num_batches_tracked"]["shape"] == json::array());
    const auto nbt = header["1.num_batches_tracked"]["data_offsets"];
    REQUIRE(nbt[1].get<std::uint64_t>() - nbt[0].get<std::uint64_t>() == 8);
    const std::size_t data = 8 + n;
    std::int64_t steps = 0;
    for (int i = 7; i >= 0; --i)
        steps = (steps << 8) |
                static_cast<unsigned char>(bytes[data + nbt[0].get<std::size_t>() + static_cast<std::size_t>(i)]);
    CHECK(steps == 42);
    CHECK(nbt[0].get<std::uint64_t>() % 8 == 0);  // 8-byte elements are 8-aligned

    // The weight's bytes are its float values, little-endian (this machine is little-endian).
    const auto w = header["0.weight"]["data_offsets"];
    REQUIRE(w[1].get<std::size_t>() - w[0].get<std::size_t>() == 18 * sizeof(float));
    std::vector<float> values(18);
    std::memcpy(values.data(), bytes.data() + data + w[0].get<std::size_t>(), 18 * sizeof(float));
    CHECK(std::vector<float>(s.weight.begin(), s.weight.end()) == values);

    // The tensors tile the data section: 18 + 2 + 3 floats and one int64.
    CHECK(bytes.size() - data == 23 * 4 + 8);
}

TEST_CASE("safetensors: a model that does not fit gets one message listing every problem, and is not touched") {
    TempDir dir;
    const fs::path path = dir.path / "state.safetensors";
    State<float> saved(1);
    save_safetensors(path, saved.parameters());

    // The model: weight has 2 input channels, no "0.bias", an extra "2.bias" the checkpoint lacks.
    Tensor<float> weight(Shape{2, 2, 3, 3}, 0.5f), running_mean(Shape{3}, 0.25f), steps(Shape{}, 7.f), extra(Shape{3});
    const std::vector<ParameterRef<float>> model{{"0.weight", &weight, nullptr},
                                                 {"1.running_mean", &running_mean, nullptr},
                                                 {"1.num_batches_tracked", &steps, nullptr},
                                                 {"2.bias", &extra, nullptr}};
    CHECK(error_of([&] { load_safetensors(path, model); }) ==
          path.string() +
              ": checkpoint does not match the model (3 problems):\n"
              "  0.weight: checkpoint has [2, 1, 3, 3], model has [2, 2, 3, 3]\n"
              "  missing: 2.bias (model has [3], the checkpoint has no such tensor)\n"
              "  unexpected: 0.bias (in the checkpoint, not in the model)");
    CHECK(running_mean[0] == 0.25f);  // nothing was copied, not even the tensors that fit
    CHECK(steps[0] == 7.f);
    CHECK(weight[0] == 0.5f);

    // dtype: a float checkpoint is refused by a double model.
    State<double> d(2);
    CHECK(error_of([&] { load_safetensors(path, d.parameters()); }) ==
          path.string() +
              ": checkpoint does not match the model (3 problems):\n"
              "  0.weight: checkpoint has dtype F32, model needs F64\n"
              "  0.bias: checkpoint has dtype F32, model needs F64\n"
              "  1.running_mean: checkpoint has dtype F32, model needs F64");
    CHECK(still_initial(d, 2));
}

TEST_CASE("safetensors: malformed files are refused before the model is touched") {
    TempDir dir;
    const fs::path path = dir.path / "bad.safetensors";
    State<float> good(3);
    save_safetensors(path, good.parameters());
    const std::string bytes = read_bytes(path);
    const std::uint64_t n = safetensors_header_length(bytes);

    State<float> model(4);
    const auto refused = [&](const std::string& file_bytes) {
        write_bytes(path, file_bytes);
        std::string message = error_of([&] { load_safetensors(path, model.parameters()); });
        CHECK(still_initial(model, 4));
        return message;
    };
    const std::string p = path.string() + ": ";
    const std::size_t data_size = bytes.size() - 8 - n;

    CHECK(refused(bytes.substr(0, 5)) ==
          p + "truncated: the file has 5 bytes, fewer than the 8-byte header length that starts a safetensors file");
    CHECK(refused(bytes.substr(0, 8 + n / 2)) == p + "truncated: the header length is " + std::to_string(n) +
                                                     " bytes but only " + std::to_string(n / 2) + " bytes follow it");
    // Cut inside the data: the last tensor's offsets point past the end.
    const std::string cut = refused(bytes.substr(0, bytes.size() - 4));
    CHECK(cut.starts_with(p + "tensor \""));
    CHECK(cut.ends_with("are out of range: the data section has " + std::to_string(data_size - 4) +
                        " bytes (truncated file?)"));
    CHECK(refused(bytes + "xyz") == p + "trailing data: the tensors end at byte " + std::to_string(data_size) +
                                        " of the data section, but it has " + std::to_string(data_size + 3) + " bytes");
    CHECK(refused(make_file("{\"a\": ", "")).starts_with(p + "the header is not valid JSON: "));
    CHECK(refused(make_file("[1, 2]", "")) == p + "the header is not a JSON object but array");
    // Valid JSON syntax, but a number no double holds (json::out_of_range, not parse_error; found by the fuzzer).
    CHECK(refused(make_file(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 1e999]}})", "")) ==
          p + "the header is not valid JSON: [json.exception.out_of_range.406] number overflow parsing '1e999'");
    // A header length far beyond the file.
    std::string huge(8, '\0');
    huge[4] = 1;  // 2^32
    CHECK(refused(huge).starts_with(p + "truncated: the header length is 4294967296 bytes"));

    // Hand-made headers: one 8-byte data section, a tensor [2] of F32 in it.
    const std::string data(8, '\x01');
    CHECK(refused(make_file(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 400]}})", data)) ==
          p + "tensor \"t\": data_offsets [0, 400] are out of range: the data section has 8 bytes (truncated file?)");
    CHECK(refused(make_file(R"({"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", data)) ==
          p + "tensor \"t\": dtype F32 and shape [3] need 12 bytes, but data_offsets [0, 8] span 8");
    CHECK(refused(make_file(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", data)) ==
          p + "tensor \"t\": data_offsets [8, 0] end before they begin");
    CHECK(refused(make_file(R"({"t": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}})", data)) ==
          p + "tensor \"t\": unknown dtype \"Q7\"");
    CHECK(refused(make_file(R"({"t": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", data)) ==
          p + "tensor \"t\": the shape [-2] must hold non-negative integers");
    CHECK(refused(make_file(R"({"t": {"dtype": "F32", "shape": [2]}})", data)) ==
          p + "tensor \"t\": \"data_offsets\" must be an array [begin, end]");
    CHECK(refused(make_file(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                "u": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}})",
                            data)) == p + "tensor \"u\" (bytes 2–6) overlaps \"t\" (bytes 0–4)");
    CHECK(refused(make_file(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", data)) ==
          p + "gap in the data section: bytes 0–4 belong to no tensor");
    CHECK(refused(make_file(R"({"__metadata__": {"epoch": 3}})", "")) ==
          p + "__metadata__: the value of \"epoch\" is not a string");

    // A well-formed file that tiles correctly but holds other names is a model mismatch, not a format error.
    CHECK(refused(make_file(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", data))
              .starts_with(p + "checkpoint does not match the model (5 problems):"));

    CHECK(error_of([&] { load_safetensors(dir.path / "none.safetensors", model.parameters()); }) ==
          (dir.path / "none.safetensors").string() + ": cannot open: No such file or directory");
}

TEST_CASE("safetensors: a failed save throws with the path and the reason, and leaves no file") {
    TempDir dir;
    State<float> s(6);
    write_bytes(dir.path / "file.txt", "a regular file, not a directory");

    // Under a regular file: fails for every user, root included.
    const fs::path under_file = dir.path / "file.txt" / "ckpt.safetensors";
    CHECK(error_of([&] { save_safetensors(under_file, s.parameters()); }) ==
          under_file.string() + ": cannot save: cannot create " + under_file.string() + ".tmp-" +
              std::to_string(::getpid()) + ": Not a directory");
    const fs::path no_dir = dir.path / "missing" / "ckpt.safetensors";
    CHECK(error_of([&] { save_safetensors(no_dir, s.parameters()); }) ==
          no_dir.string() + ": cannot save: cannot create " + no_dir.string() + ".tmp-" + std::to_string(::getpid()) +
              ": No such file or directory");
    // The target is a directory: refused before anything is written (it used to fail only at the rename, after the
    // data was written: "cannot rename … Is a directory").
    fs::create_directory(dir.path / "taken");
    CHECK(error_of([&] { save_safetensors(dir.path / "taken", s.parameters()); }) ==
          (dir.path / "taken").string() + ": cannot save: is a directory, not a regular file: refusing to replace it");
    CHECK(dir.listing() == std::vector<std::string>{"file.txt", "taken"});

    // Names that cannot be saved.
    std::vector<ParameterRef<float>> dup = s.parameters();
    dup.push_back(dup.front());
    CHECK(error_of([&] { save_safetensors(dir.path / "x", dup); }) ==
          (dir.path / "x").string() + ": cannot save: duplicate tensor name \"0.weight\"");
    s.steps[0] = 2.5f;
    CHECK(error_of([&] { save_safetensors(dir.path / "x", s.parameters()); }) ==
          (dir.path / "x").string() +
              ": cannot save: \"1.num_batches_tracked\" must hold a non-negative whole number, got 2.5");
    CHECK(dir.listing() == std::vector<std::string>{"file.txt", "taken"});
}

// ---- issue 15: files that are not what a checkpoint should be ------------------------------------------------------

TEST_CASE("safetensors: a target that is not a regular file is refused, never replaced; a symlink is written through") {
    TempDir dir;
    State<float> s(6);
    // A FIFO (anyone may make one) and, when allowed (root), a character device like /dev/full (mknod c 1 7): rename()
    // used to replace either by a regular file, rc 0 — run as root, --save /dev/null would have replaced /dev/null.
    const fs::path fifo = dir.path / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK(error_of([&] { save_safetensors(fifo, s.parameters()); }) ==
          fifo.string() + ": cannot save: is a FIFO (named pipe), not a regular file: refusing to replace it");
    CHECK(fs::is_fifo(fs::symlink_status(fifo)));
    const fs::path device = dir.path / "full";
    if (::mknod(device.c_str(), S_IFCHR | 0666, ::makedev(1, 7)) == 0) {
        CHECK(error_of([&] { save_safetensors(device, s.parameters()); }) ==
              device.string() + ": cannot save: is a character device, not a regular file: refusing to replace it");
        CHECK(fs::is_character_file(fs::symlink_status(device)));
        fs::remove(device);
    } else {
        MESSAGE("mknod not permitted (not root): the device-node case is skipped; the FIFO case covers the rule");
    }
    // A link to something that is not a regular file: refused, naming both.
    const fs::path to_fifo = dir.path / "to-fifo";
    fs::create_symlink("fifo", to_fifo);
    CHECK(error_of([&] { save_safetensors(to_fifo, s.parameters()); }) ==
          to_fifo.string() + ": cannot save: is a symbolic link to " + (dir.path / "fifo").string() +
              ", which is a FIFO (named pipe), not a regular file: refusing to replace it");
    CHECK(dir.listing() == std::vector<std::string>{"fifo", "to-fifo"});

    // A link to a regular file (or to nothing yet): the file it points to is written, the link stays a link.
    fs::create_directory(dir.path / "runs");
    const fs::path link = dir.path / "latest.safetensors";
    fs::create_symlink("runs/run1.safetensors", link);
    save_safetensors(link, s.parameters());  // dangling: creates runs/run1.safetensors
    CHECK(fs::is_symlink(fs::symlink_status(link)));
    State<float> loaded(1);
    load_safetensors(dir.path / "runs" / "run1.safetensors", loaded.parameters());
    CHECK(same_state(s, loaded));
    State<float> next(7);
    save_safetensors(link, next.parameters());  // replaces the target again, through the link
    CHECK(fs::is_symlink(fs::symlink_status(link)));
    load_safetensors(link, loaded.parameters());
    CHECK(same_state(next, loaded));
    CHECK(std::distance(fs::directory_iterator(dir.path / "runs"), fs::directory_iterator()) == 1);  // no temporary
}

TEST_CASE("safetensors: a save removes the temporaries of killed runs of the same target, not of live ones") {
    TempDir dir;
    const fs::path path = dir.path / "model.safetensors";
    // A pid that no longer runs: a child that has exited and been reaped.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) ::_exit(0);
    REQUIRE(::waitpid(child, nullptr, 0) == child);
    const std::string dead = "model.safetensors.tmp-" + std::to_string(child);
    const std::string live = "model.safetensors.tmp-" + std::to_string(::getppid());  // the process that ran us
    const std::string other = "other.safetensors.tmp-" + std::to_string(child);        // another target's
    for (const std::string& name : {dead, live, other}) write_bytes(dir.path / name, "half a checkpoint");
    State<float> s(3);
    save_safetensors(path, s.parameters());
    std::vector<std::string> expected{"model.safetensors", live, other};
    std::sort(expected.begin(), expected.end());
    CHECK(dir.listing() == expected);
}

TEST_CASE("safetensors: loading a FIFO, a directory or random bytes says what the file is, without blocking") {
    TempDir dir;
    State<float> model(4);
    const fs::path fifo = dir.path / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    // Blocked forever in fopen before (no writer ever opens the FIFO).
    CHECK(error_of([&] { load_safetensors(fifo, model.parameters()); }) ==
          fifo.string() + ": is a FIFO (named pipe), not a safetensors file");
    CHECK(error_of([&] { read_safetensors_metadata(dir.path); }) ==
          dir.path.string() + ": is a directory, not a safetensors file");
    // Random garbage was "truncated: the header length is 15821730833776755081 bytes …".
    std::string garbage(100, '\0');
    for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 151 + 7) % 251);
    write_bytes(dir.path / "garbage", garbage);
    const std::uint64_t n = safetensors_header_length(garbage);
    CHECK(error_of([&] { load_safetensors(dir.path / "garbage", model.parameters()); }) ==
          (dir.path / "garbage").string() +
              ": not a safetensors file: it must start with an 8-byte header length and a JSON header beginning "
              "with '{', but its first 8 bytes give a header length of " +
              std::to_string(n) + " bytes (the file has 100) and byte 8 is not '{'");
    CHECK(still_initial(model, 4));
}

TEST_CASE("safetensors: a negative num_batches_tracked is refused on load, before the model is touched") {
    TempDir dir;
    const fs::path path = dir.path / "state.safetensors";
    State<float> saved(5);
    save_safetensors(path, saved.parameters());
    std::string bytes = read_bytes(path);
    const std::uint64_t n = safetensors_header_length(bytes);
    const json header = json::parse(bytes.substr(8, n));
    const std::size_t at = 8 + n + header["1.num_batches_tracked"]["data_offsets"][0].get<std::size_t>();
    const std::int64_t minus_three = -3;
    std::memcpy(bytes.data() + at, &minus_three, 8);  // little-endian machine
    write_bytes(path, bytes);
    // Accepted before, and then the first save after an epoch refused it.
    State<float> model(9);
    CHECK(error_of([&] { load_safetensors(path, model.parameters()); }) ==
          path.string() + ": tensor \"1.num_batches_tracked\" must hold a non-negative count, got -3");
    CHECK(still_initial(model, 9));
}

// ---- a PyTorch state in memory (issue 15) ----------------------------------------------------------------------------

namespace {
// A checkpoint laid out as PyTorch's side writes it (examples/mnist/pytorch_interop.py, write_safetensors: 8-byte
// tensors first, compact JSON, "__metadata__" last), from names and values held as a torch state_dict would hold
// them: float32 tensors, num_batches_tracked an int64 scalar.
std::string pytorch_file(const std::vector<std::pair<std::string, Tensor<float>>>& state) {
    std::vector<std::size_t> order(state.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    const auto counter = [&](std::size_t i) { return state[i].first.ends_with("num_batches_tracked"); };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return counter(a) > counter(b); });
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    std::string data;
    for (std::size_t i : order) {
        const auto& [name, t] = state[i];
        const std::size_t begin = data.size();
        for (float v : t) {
            if (counter(i)) {
                const auto c = static_cast<std::int64_t>(v);
                data.append(reinterpret_cast<const char*>(&c), 8);
            } else {
                data.append(reinterpret_cast<const char*>(&v), 4);
            }
        }
        header[name] = {{"dtype", counter(i) ? "I64" : "F32"}, {"shape", t.shape()}, {"data_offsets", {begin, data.size()}}};
    }
    header["__metadata__"] = {{"source", "torch"}};
    return make_file(header.dump(), data);
}
}  // namespace

TEST_CASE("safetensors: a PyTorch state loaded in memory (load_state_dict) equals the safetensors path") {
    TempDir dir;
    // The course net's state as PyTorch holds it: its names (state_dict keys of the flat nn.Sequential), values
    // from another seed, BatchNorm statistics that have moved.
    Generator g(21);
    Sequential<float> source = mnist_example::make_net<float>(g);
    std::vector<std::pair<std::string, Tensor<float>>> torch_state;
    for (auto& p : source.parameters()) {
        Tensor<float> t = *p.value;
        if (p.name.ends_with("num_batches_tracked")) {
            t[0] = 938;
        } else if (p.name.ends_with("running_var")) {
            uniform_(t, 0.5, 1.5, g);
        } else {
            normal_(t, 0, 0.3, g);
        }
        torch_state.emplace_back(p.name, std::move(t));
    }
    const fs::path path = dir.path / "from_pytorch.safetensors";
    write_bytes(path, pytorch_file(torch_state));

    Generator g1(1), g2(2);
    Sequential<float> by_file = mnist_example::make_net<float>(g1);
    Sequential<float> in_memory = mnist_example::make_net<float>(g2);
    load_safetensors(path, by_file.parameters());
    const StateDict<float> sd = read_safetensors<float>(path);
    CHECK(sd.size() == 38);
    in_memory.load_state_dict(sd);

    CHECK(by_file.state_dict() == in_memory.state_dict());
    for (const auto& [name, t] : torch_state) CHECK(in_memory.state_dict().at(name) == t);
    Tensor<float> x(Shape{3, 1, 28, 28});
    normal_(x, 0, 1, g);
    by_file.eval();
    in_memory.eval();
    const Tensor<float> y = by_file.forward(x);
    CHECK(y == in_memory.forward(x));

    // The in-memory dict of PyTorch's state, built without any file, loads to the same model.
    StateDict<float> direct;
    for (const auto& [name, t] : torch_state) direct.insert(name, t);
    Sequential<float> third = mnist_example::make_net<float>(g2);
    third.load_state_dict(direct);
    CHECK(third.state_dict() == by_file.state_dict());

    // read_safetensors refuses a dtype that is not the model type's.
    CHECK(error_of([&] { read_safetensors<double>(path); }) ==
          path.string() + ": 0.weight: checkpoint has dtype F32, model needs F64");
}
