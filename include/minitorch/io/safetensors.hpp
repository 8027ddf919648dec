// minitorch/io/safetensors.hpp — save and load model state in the safetensors format (Hugging Face's, which
// PyTorch reads with safetensors.torch.load_file).
//
// Needs nlohmann-json (Debian: nlohmann-json3-dev; CMake: find_package(nlohmann_json 3) and
// nlohmann_json::nlohmann_json). POSIX (open/write/fsync/rename). Tests: tests/test_safetensors.cpp.
//
//   save_safetensors("mnist.safetensors", model.parameters(), {{"epoch", "10"}});
//   load_safetensors("mnist.safetensors", model.parameters());
//
// The format (https://github.com/huggingface/safetensors, "Format"):
//   8 bytes   N, an unsigned little-endian 64-bit integer: the header's length
//   N bytes   a JSON object { "<name>": {"dtype": "F32", "shape": [16, 1, 3, 3], "data_offsets": [begin, end]}, …,
//             optionally "__metadata__": {string: string} }, padded with spaces so 8 + N is a multiple of 8
//   the rest  the data section: each tensor's elements, row-major, little-endian, at [begin, end) relative to the
//             section's start; the tensors tile the section exactly (no gaps, no overlaps, nothing after).
//
// Names are the ParameterRef names as given: Sequential::parameters() yields "0.weight", "2.running_mean", …, the
// keys of PyTorch's nn.Sequential state_dict, so a checkpoint moves between minitorch and PyTorch unchanged.
// Values are stored as F32 for a float model and F64 for a double model, except "num_batches_tracked" (a rank-0
// counter in minitorch's scalar type, an int64 tensor of shape [] in PyTorch) which is stored as I64 and converted
// back on load. In the data section tensors of 8-byte elements come first (so every tensor is aligned to its element
// size, as the reference implementation arranges); the header lists the tensors in the order given.
//
// Saving never leaves a half-written file: it writes "<path>.tmp-<pid>" in the same directory, checks every write,
// fsyncs, then renames it over the target; on any failure the temporary file is removed and SafetensorsError is
// thrown with the path and the OS's reason. A target that exists and is not a regular file (a directory, /dev/null,
// a FIFO) is refused before anything is written; a symbolic link is followed, and the file it points to is replaced
// (the link stays; io/files.hpp). After a successful save, temporaries "<path>.tmp-<pid>" of processes that no longer
// run (a run killed during a save) are removed.
//
// Loading refuses anything but a regular file (a FIFO would block forever), says "not a safetensors file" when the
// first bytes cannot start one, and validates the whole file before touching the model (sizes, JSON, every entry's
// dtype/shape/offsets, the data section's tiling, step counters ≥ 0), then compares it with the model and reports ALL mismatches in one message (missing names,
// unexpected names, shapes "0.weight: checkpoint has [16, 1, 3, 3], model has [16, 2, 3, 3]", dtypes); only when
// everything fits is any data copied in. A checkpoint's dtype must be the model's: an F32 checkpoint is refused by a
// double model (and F64 by a float model) with a dtype error, rather than silently widened or rounded — load it into
// a model of the checkpoint's type and convert with Tensor::cast if that is what you want.
// Every error is a SafetensorsError (a std::runtime_error) whose message starts with the file path.
#pragma once

#include "minitorch/io/files.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/state_dict.hpp"
#include "minitorch/tensor.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace minitorch {

/// A checkpoint that cannot be written, read or applied; what() starts with the file path.
class SafetensorsError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// The largest header accepted on load (the reference implementation's limit).
inline constexpr std::uint64_t safetensors_max_header = 100'000'000;

namespace detail::safetensors {

/// Element size of a safetensors dtype, 0 when the dtype is unknown.
inline std::size_t dtype_size(const std::string& dtype) noexcept {
    if (dtype == "BOOL" || dtype == "U8" || dtype == "I8" || dtype == "F8_E4M3" || dtype == "F8_E5M2") return 1;
    if (dtype == "I16" || dtype == "U16" || dtype == "F16" || dtype == "BF16") return 2;
    if (dtype == "I32" || dtype == "U32" || dtype == "F32") return 4;
    if (dtype == "I64" || dtype == "U64" || dtype == "F64") return 8;
    return 0;
}

template <class T>
constexpr const char* dtype_of() {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "safetensors: models are float or double");
    return std::is_same_v<T, float> ? "F32" : "F64";
}

/// PyTorch keeps BatchNorm's step counter as int64: "num_batches_tracked" or "<prefix>.num_batches_tracked".
using detail::state_dict::is_step_counter;

/// Copies `n` bytes of a native value into little-endian order (and back: the operation is its own inverse).
inline void copy_le(unsigned char* dst, const void* src, std::size_t n) noexcept {
    std::memcpy(dst, src, n);
    if constexpr (std::endian::native == std::endian::big) std::reverse(dst, dst + n);
}

struct Entry {
    std::string name;
    std::string dtype;
    Shape shape;
    std::uint64_t begin = 0, end = 0;
};

struct Layout {
    std::vector<Entry> entries;  // in the header's order
    std::map<std::string, std::string> metadata;
    std::uint64_t data_start = 0;  // 8 + N
    std::uint64_t data_size = 0;
};

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

inline std::string number(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

[[noreturn]] inline void fail(const std::filesystem::path& path, const std::string& what) {
    throw SafetensorsError(path.string() + ": " + what);
}

/// Opens `path` and validates everything but the model: header length, JSON, entries, the data section's tiling.
inline Layout read_layout(const std::filesystem::path& path, File& file) {
    using nlohmann::json;
    try {  // a FIFO would block fopen forever, a device read forever
        files::check_readable_kind(path);
    } catch (const std::runtime_error& e) {
        fail(path, std::string(e.what()) + ", not a safetensors file");
    }
    file.reset(std::fopen(path.c_str(), "rb"));
    if (!file) fail(path, std::string("cannot open: ") + std::strerror(errno));
    if (std::fseek(file.get(), 0, SEEK_END) != 0) fail(path, std::string("cannot seek: ") + std::strerror(errno));
    const long end = std::ftell(file.get());
    if (end < 0) fail(path, std::string("cannot determine the size: ") + std::strerror(errno));
    std::rewind(file.get());
    const auto size = static_cast<std::uint64_t>(end);
    const auto read_exactly = [&](void* dst, std::size_t n, const char* what) {
        if (std::fread(dst, 1, n, file.get()) != n)
            fail(path, std::string("cannot read the ") + what + ": " +
                           (std::ferror(file.get()) ? std::strerror(errno) : "unexpected end of file"));
    };

    if (size < 8)
        fail(path, "truncated: the file has " + std::to_string(size) +
                       " bytes, fewer than the 8-byte header length that starts a safetensors file");
    unsigned char len_bytes[8];
    read_exactly(len_bytes, 8, "header length");
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
    if (n > size - 8 || n > safetensors_max_header) {
        // A real header starts with '{': without one, the file is something else, not a damaged checkpoint.
        int first = size > 8 ? std::fgetc(file.get()) : '{';
        if (first != '{')
            fail(path, "not a safetensors file: it must start with an 8-byte header length and a JSON header "
                       "beginning with '{', but its first 8 bytes give a header length of " +
                           std::to_string(n) + " bytes (the file has " + std::to_string(size) +
                           ") and byte 8 is not '{'");
    }
    if (n > size - 8)
        fail(path, "truncated: the header length is " + std::to_string(n) + " bytes but only " +
                       std::to_string(size - 8) + " bytes follow it");
    if (n > safetensors_max_header)
        fail(path, "header length " + std::to_string(n) + " is over the limit of " +
                       std::to_string(safetensors_max_header) + " bytes");
    std::string text(static_cast<std::size_t>(n), '\0');
    std::rewind(file.get());
    read_exactly(len_bytes, 8, "header length");
    read_exactly(text.data(), text.size(), "header");

    json header;
    try {
        header = json::parse(text);
    } catch (const json::exception& e) {
        // Not only parse_error: a number too large for a double ("1e999") is json::out_of_range (found by the
        // fuzzer: tests/fuzz/regressions/safetensors/number-overflow-in-header).
        fail(path, std::string("the header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail(path, "the header is not a JSON object but " + std::string(header.type_name()));

    Layout layout;
    layout.data_start = 8 + n;
    layout.data_size = size - 8 - n;
    for (const auto& item : header.items()) {
        // Named references, not a structured binding: the lambda below captures `name`, which clang before 16
        // does not allow for a binding (C++20 P1091).
        const std::string& name = item.key();
        const json& info = item.value();
        if (name == "__metadata__") {
            if (!info.is_object()) fail(path, "__metadata__ is not an object of strings");
            for (const auto& [key, value] : info.items()) {
                if (!value.is_string()) fail(path, "__metadata__: the value of \"" + key + "\" is not a string");
                layout.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        const auto bad = [&](const std::string& what) { fail(path, "tensor \"" + name + "\": " + what); };
        if (!info.is_object()) bad("the entry is not an object");
        if (!info.contains("dtype") || !info["dtype"].is_string()) bad("missing or non-string \"dtype\"");
        if (!info.contains("shape") || !info["shape"].is_array()) bad("missing or non-array \"shape\"");
        if (!info.contains("data_offsets") || !info["data_offsets"].is_array() || info["data_offsets"].size() != 2)
            bad("\"data_offsets\" must be an array [begin, end]");
        Entry e;
        e.name = name;
        e.dtype = info["dtype"].get<std::string>();
        const std::size_t elem = dtype_size(e.dtype);
        if (elem == 0) bad("unknown dtype \"" + e.dtype + "\"");
        std::uint64_t count = 1;
        bool overflow = false;
        for (const auto& d : info["shape"]) {
            if (!d.is_number_unsigned()) bad("the shape " + info["shape"].dump() + " must hold non-negative integers");
            const auto extent = d.get<std::uint64_t>();
            if (extent != 0 && count > std::numeric_limits<std::uint64_t>::max() / extent) overflow = true;
            count *= extent;
            e.shape.push_back(static_cast<std::size_t>(extent));
        }
        if (overflow || count > std::numeric_limits<std::uint64_t>::max() / elem)
            bad("the shape " + info["shape"].dump() + " overflows the byte count");
        for (const auto& o : info["data_offsets"])
            if (!o.is_number_unsigned()) bad("\"data_offsets\" must hold non-negative integers");
        e.begin = info["data_offsets"][0].get<std::uint64_t>();
        e.end = info["data_offsets"][1].get<std::uint64_t>();
        const std::string offsets = "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
        if (e.begin > e.end) bad(offsets + " end before they begin");
        if (e.end > layout.data_size)
            bad(offsets + " are out of range: the data section has " + std::to_string(layout.data_size) +
                " bytes (truncated file?)");
        if (e.end - e.begin != count * elem)
            bad("dtype " + e.dtype + " and shape " + to_string(e.shape) + " need " + std::to_string(count * elem) +
                " bytes, but " + offsets + " span " + std::to_string(e.end - e.begin));
        layout.entries.push_back(std::move(e));
    }

    // The tensors must tile [0, data_size): sorted by begin, each starts where the previous one ended.
    std::vector<const Entry*> by_offset;
    for (const auto& e : layout.entries) by_offset.push_back(&e);
    std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t pos = 0;
    const Entry* prev = nullptr;
    for (const Entry* e : by_offset) {
        if (e->begin < pos)
            fail(path, "tensor \"" + e->name + "\" (bytes " + std::to_string(e->begin) + "–" + std::to_string(e->end) +
                           ") overlaps \"" + prev->name + "\" (bytes " + std::to_string(prev->begin) + "–" +
                           std::to_string(prev->end) + ")");
        if (e->begin > pos)
            fail(path, "gap in the data section: bytes " + std::to_string(pos) + "–" + std::to_string(e->begin) +
                           " belong to no tensor");
        pos = e->end;
        prev = e;
    }
    if (pos != layout.data_size)
        fail(path, "trailing data: the tensors end at byte " + std::to_string(pos) +
                       " of the data section, but it has " + std::to_string(layout.data_size) + " bytes");
    return layout;
}

/// Writes all of [data, data + n) to fd, retrying partial writes and EINTR; throws with strerror on failure.
inline void write_all(int fd, const unsigned char* data, std::size_t n, const std::string& what) {
    while (n > 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(what + ": " + std::strerror(errno));
        }
        data += w;
        n -= static_cast<std::size_t>(w);
    }
}

}  // namespace detail::safetensors

/// Writes `tensors` (names as given) and string `metadata` to `path` atomically. Throws SafetensorsError.
template <class T>
void save_safetensors(const std::filesystem::path& path, const std::vector<ParameterRef<T>>& tensors,
                      const std::map<std::string, std::string>& metadata = {}) {
    namespace st = detail::safetensors;
    using nlohmann::ordered_json;

    // ---- plan: check the tensors, pick the data order, build the header -----------------------------------------
    std::set<std::string> seen;
    for (const auto& p : tensors) {
        if (p.name == "__metadata__") st::fail(path, "cannot save: \"__metadata__\" is reserved, not a tensor name");
        if (!seen.insert(p.name).second) st::fail(path, "cannot save: duplicate tensor name \"" + p.name + "\"");
        if (p.value == nullptr) st::fail(path, "cannot save: tensor \"" + p.name + "\" is null");
        if (p.value->size() != num_elements(p.value->shape()))
            st::fail(path, "cannot save: tensor \"" + p.name + "\" has shape " + to_string(p.value->shape()) +
                               " but holds " + std::to_string(p.value->size()) + " values");
        if (st::is_step_counter(p.name))
            for (const T v : *p.value)
                if (!(v >= 0 && v == std::floor(v) && v < T(9.2e18)))
                    st::fail(path, "cannot save: \"" + p.name + "\" must hold a non-negative whole number, got " +
                                       st::number(v));
    }
    const auto elem_size = [](const ParameterRef<T>& p) { return st::is_step_counter(p.name) ? 8 : sizeof(T); };
    std::vector<std::size_t> order(tensors.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return elem_size(tensors[a]) > elem_size(tensors[b]);  // 8-byte elements first: every tensor aligned
    });
    std::vector<std::uint64_t> begin(tensors.size());
    std::uint64_t offset = 0;
    for (std::size_t i : order) {
        begin[i] = offset;
        offset += tensors[i].value->size() * elem_size(tensors[i]);
    }

    ordered_json header = ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const auto& p = tensors[i];
        header[p.name] = {{"dtype", st::is_step_counter(p.name) ? "I64" : st::dtype_of<T>()},
                          {"shape", p.value->shape()},
                          {"data_offsets", {begin[i], begin[i] + p.value->size() * elem_size(p)}}};
    }
    std::string text;
    try {
        text = header.dump();
    } catch (const ordered_json::exception& e) {  // e.g. a name that is not valid UTF-8
        st::fail(path, std::string("cannot save: cannot encode the header: ") + e.what());
    }
    text.append((8 - text.size() % 8) % 8, ' ');  // the data section starts 8-aligned
    unsigned char len_bytes[8];
    for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(std::uint64_t{text.size()} >> (8 * i));

    // ---- write "<target>.tmp-<pid>", then rename it over the target ---------------------------------------------
    // The target is the file `path` names, through symbolic links; anything but a regular file is refused
    // (io/files.hpp: a rename would replace a device node or a directory's entry).
    std::filesystem::path target;
    try {
        target = files::replace_target(path);
    } catch (const std::runtime_error& e) {
        st::fail(path, std::string("cannot save: ") + e.what());
    }
    const std::string tmp = target.string() + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) st::fail(path, "cannot save: cannot create " + tmp + ": " + std::strerror(errno));
    bool fd_open = true;
    try {
        st::write_all(fd, len_bytes, 8, "cannot write " + tmp);
        st::write_all(fd, reinterpret_cast<const unsigned char*>(text.data()), text.size(), "cannot write " + tmp);
        std::vector<unsigned char> bytes;
        for (std::size_t i : order) {
            const auto& p = tensors[i];
            const std::size_t es = elem_size(p);
            bytes.resize(p.value->size() * es);
            for (std::size_t k = 0; k < p.value->size(); ++k) {
                if (es == sizeof(T) && !st::is_step_counter(p.name)) {
                    st::copy_le(&bytes[k * es], &(*p.value)[k], es);
                } else {
                    const auto v = static_cast<std::int64_t>((*p.value)[k]);
                    st::copy_le(&bytes[k * es], &v, es);
                }
            }
            st::write_all(fd, bytes.data(), bytes.size(), "cannot write " + tmp);
        }
        if (::fsync(fd) != 0) throw std::runtime_error("cannot flush " + tmp + ": " + std::strerror(errno));
        fd_open = false;
        if (::close(fd) != 0) throw std::runtime_error("cannot close " + tmp + ": " + std::strerror(errno));
        if (std::rename(tmp.c_str(), target.c_str()) != 0)
            throw std::runtime_error("cannot rename " + tmp + " to it: " + std::strerror(errno));
    } catch (const std::exception& e) {
        if (fd_open) ::close(fd);
        ::unlink(tmp.c_str());
        st::fail(path, std::string("cannot save: ") + e.what());
    }
    files::remove_stale_temporaries(target);  // left by runs killed during a save of the same file
}

namespace detail::safetensors {

/// The checkpoint's tensors as a StateDict<T>, in the header's order: those of `layout` whose index is in `wanted`
/// (all when empty), converted from the file's bytes (I64 step counters to T), after checking that step counters
/// are non-negative and that every dtype is the model's (F32 for float, F64 for double; I64 for step counters).
template <class T>
StateDict<T> read_state_dict(const std::filesystem::path& path, const Layout& layout, File& file,
                             const std::vector<bool>& wanted = {}) {
    std::vector<unsigned char> data(static_cast<std::size_t>(layout.data_size));
    if (std::fseek(file.get(), static_cast<long>(layout.data_start), SEEK_SET) != 0 ||
        std::fread(data.data(), 1, data.size(), file.get()) != data.size())
        fail(path, "cannot read the data section (the file changed while being read?)");
    StateDict<T> sd;
    for (std::size_t i = 0; i < layout.entries.size(); ++i) {
        if (!wanted.empty() && !wanted[i]) continue;
        const Entry& e = layout.entries[i];
        const std::string dtype = is_step_counter(e.name) ? "I64" : dtype_of<T>();
        if (e.dtype != dtype) fail(path, e.name + ": checkpoint has dtype " + e.dtype + ", model needs " + dtype);
        Tensor<T> t(e.shape);
        const unsigned char* src = data.data() + e.begin;
        for (std::size_t k = 0; k < t.size(); ++k) {
            if (e.dtype == "I64") {
                std::int64_t v;
                copy_le(reinterpret_cast<unsigned char*>(&v), src + 8 * k, 8);
                // A step counter is a count: a negative one would be accepted and then refused by the next save.
                if (v < 0)
                    fail(path, "tensor \"" + e.name + "\" must hold a non-negative count, got " + std::to_string(v));
                t[k] = static_cast<T>(v);
            } else {
                copy_le(reinterpret_cast<unsigned char*>(&t[k]), src + sizeof(T) * k, sizeof(T));
            }
        }
        sd.insert(e.name, std::move(t));
    }
    return sd;
}

}  // namespace detail::safetensors

/// A checkpoint as a state_dict in memory (every tensor, the header's order), after validating the whole file;
/// a dtype other than the model type's (F32 for float, F64 for double; I64 for step counters) is refused.
/// model.load_state_dict(read_safetensors<float>(path)) is load_safetensors(path, model.parameters()). Throws
/// SafetensorsError.
template <class T>
StateDict<T> read_safetensors(const std::filesystem::path& path) {
    detail::safetensors::File file;
    const detail::safetensors::Layout layout = detail::safetensors::read_layout(path, file);
    return detail::safetensors::read_state_dict<T>(path, layout, file);
}

/// Copies a checkpoint into `into` (names, shapes and dtypes must all match), after validating the whole file: the
/// comparison of load_state_dict (state_dict.hpp), with the checkpoint's dtypes too, and its copy. On any error
/// nothing is modified. Throws SafetensorsError.
template <class T>
void load_safetensors(const std::filesystem::path& path, const std::vector<ParameterRef<T>>& into) {
    namespace st = detail::safetensors;
    st::File file;
    const st::Layout layout = st::read_layout(path, file);

    // ---- compare with the model, collecting every problem -------------------------------------------------------
    std::vector<std::string> names;
    std::vector<Shape> shapes;
    for (const auto& e : layout.entries) {
        names.push_back(e.name);
        shapes.push_back(e.shape);
    }
    const auto dtype_problem = [&](std::size_t i, std::size_t j) -> std::string {
        const std::string dtype = st::is_step_counter(into[i].name) ? "I64" : st::dtype_of<T>();
        const std::string& got = layout.entries[j].dtype;
        return got == dtype ? "" : into[i].name + ": checkpoint has dtype " + got + ", model needs " + dtype;
    };
    detail::state_dict::Comparison c;
    try {
        c = detail::state_dict::compare(into, names, shapes, "checkpoint", dtype_problem);
    } catch (const std::invalid_argument& e) {
        st::fail(path, std::string("cannot load: ") + e.what());
    }
    if (!c.problems.empty()) st::fail(path, detail::state_dict::mismatch_message("checkpoint", c.problems));

    // ---- read the data section, then copy: a read error cannot leave the model half loaded ----------------------
    const StateDict<T> sd = st::read_state_dict<T>(path, layout, file);
    try {
        load_state_dict(into, sd, true);
    } catch (const StateDictError& e) {
        st::fail(path, e.what());
    }
}

/// The "__metadata__" strings of a checkpoint (validating the file's format). Throws SafetensorsError.
inline std::map<std::string, std::string> read_safetensors_metadata(const std::filesystem::path& path) {
    detail::safetensors::File file;
    return detail::safetensors::read_layout(path, file).metadata;
}

}  // namespace minitorch
