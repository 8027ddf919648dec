// minitorch/state_dict.hpp — a model's state in memory, as PyTorch's state_dict() / load_state_dict() give it.
//
//   StateDict<float> sd = net.state_dict();          // copies of every tensor, named "0.weight", "2.running_mean", …
//   other.load_state_dict(sd);                        // strict: names and shapes must all match
//   auto r = other.load_state_dict(sd, false);        // non-strict: r.missing_keys, r.unexpected_keys
//
// The names are ParameterRef names (Sequential: "<index>.<name>", PyTorch's nn.Sequential keys), in parameters()
// order; buffers (running statistics, num_batches_tracked) are included, as in PyTorch. Unlike PyTorch's, the tensors
// are copies, not views of the model's storage: changing the dict does not change the model.
//
// load_state_dict compares everything first and changes nothing unless it all fits. Every problem is reported at
// once, in one StateDictError (a std::invalid_argument):
//   load_state_dict: the state_dict does not match the model (3 problems):
//     missing: 2.weight (model has [16], the state_dict has no such tensor)
//     0.weight: state_dict has [10, 784], model has [16, 1, 3, 3]
//     unexpected: 0.bias (in the state_dict, not in the model)
// strict = false accepts missing and unexpected names (they are returned, as PyTorch's _IncompatibleKeys) but, as
// PyTorch, never a shape mismatch. A step counter ("num_batches_tracked") must hold a non-negative whole number.
// io/safetensors.hpp loads files through the same comparison and copy. Tests: tests/test_sequential.cpp,
// tests/test_safetensors.cpp.
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace minitorch {

/// A state_dict that does not fit the model; what() lists every problem.
class StateDictError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

/// Names → tensors, in insertion order (PyTorch's OrderedDict).
template <class T>
class StateDict {
  public:
    using value_type = std::pair<std::string, Tensor<T>>;

    /// Adds a tensor; a name that is already there throws std::invalid_argument.
    void insert(std::string name, Tensor<T> tensor) {
        if (index_.count(name)) throw std::invalid_argument("StateDict: duplicate name \"" + name + "\"");
        index_.emplace(name, entries_.size());
        entries_.emplace_back(std::move(name), std::move(tensor));
    }
    bool contains(const std::string& name) const { return index_.count(name) != 0; }
    /// The tensor of `name`; throws std::out_of_range naming it when there is none.
    Tensor<T>& at(const std::string& name) { return entries_[position(name)].second; }
    const Tensor<T>& at(const std::string& name) const { return entries_[position(name)].second; }
    /// Removes `name` (no-op when absent).
    void erase(const std::string& name) {
        const auto it = index_.find(name);
        if (it == index_.end()) return;
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(it->second));
        index_.clear();
        for (std::size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
    }
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    std::vector<std::string> keys() const {
        std::vector<std::string> k;
        for (const auto& e : entries_) k.push_back(e.first);
        return k;
    }
    auto begin() const noexcept { return entries_.begin(); }
    auto end() const noexcept { return entries_.end(); }
    auto begin() noexcept { return entries_.begin(); }
    auto end() noexcept { return entries_.end(); }
    friend bool operator==(const StateDict& a, const StateDict& b) { return a.entries_ == b.entries_; }

  private:
    std::size_t position(const std::string& name) const {
        const auto it = index_.find(name);
        if (it == index_.end()) throw std::out_of_range("StateDict: no tensor named \"" + name + "\"");
        return it->second;
    }
    std::vector<value_type> entries_;
    std::map<std::string, std::size_t> index_;
};

/// What a non-strict load_state_dict left out (PyTorch's _IncompatibleKeys): model names the dict lacks, dict names
/// the model lacks. Both empty after a strict load.
struct LoadStateDictResult {
    std::vector<std::string> missing_keys;
    std::vector<std::string> unexpected_keys;
};

namespace detail::state_dict {

/// PyTorch keeps BatchNorm's step counter as int64: "num_batches_tracked" or "<prefix>.num_batches_tracked".
inline bool is_step_counter(const std::string& name) {
    constexpr std::string_view key = "num_batches_tracked";
    return name == key ||
           (name.size() > key.size() && name.ends_with(key) && name[name.size() - key.size() - 1] == '.');
}

/// The comparison of a model's tensors with a source of named shapes (a state_dict, a checkpoint's header),
/// `source` naming it in the lines ("state_dict", "checkpoint"). Fills `problems` with one line per mismatch, and
/// `missing`/`unexpected` with the names; `found[i]` is the source index of model tensor i, or npos. Throws
/// std::invalid_argument for a model that lists a name twice or a tensor that is null.
/// `extra(i, j)`, when given, adds a problem line of its own for model tensor i found as source entry j (a dtype).
struct Comparison {
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::vector<std::string> problems;        // every line, in model order, then the unexpected names
    std::vector<std::string> missing, unexpected;
    std::vector<std::size_t> found;
};
template <class T>
Comparison compare(const std::vector<ParameterRef<T>>& model, const std::vector<std::string>& names,
                   const std::vector<Shape>& shapes, const std::string& source,
                   const std::function<std::string(std::size_t, std::size_t)>& extra = {}) {
    Comparison c;
    std::map<std::string, std::size_t> in_source;
    for (std::size_t i = 0; i < names.size(); ++i) in_source.emplace(names[i], i);
    std::set<std::string> wanted;
    c.found.assign(model.size(), Comparison::npos);
    for (std::size_t i = 0; i < model.size(); ++i) {
        const auto& p = model[i];
        if (!wanted.insert(p.name).second)
            throw std::invalid_argument("duplicate model tensor name \"" + p.name + "\"");
        if (p.value == nullptr) throw std::invalid_argument("model tensor \"" + p.name + "\" is null");
        const auto it = in_source.find(p.name);
        if (it == in_source.end()) {
            c.missing.push_back(p.name);
            c.problems.push_back("missing: " + p.name + " (model has " + to_string(p.value->shape()) + ", the " +
                                 source + " has no such tensor)");
            continue;
        }
        bool fits = true;
        if (shapes[it->second] != p.value->shape()) {
            c.problems.push_back(p.name + ": " + source + " has " + to_string(shapes[it->second]) + ", model has " +
                                 to_string(p.value->shape()));
            fits = false;
        }
        if (extra) {
            std::string line = extra(i, it->second);
            if (!line.empty()) {
                c.problems.push_back(std::move(line));
                fits = false;
            }
        }
        if (fits) c.found[i] = it->second;
    }
    for (const auto& name : names)
        if (!wanted.count(name)) {
            c.unexpected.push_back(name);
            c.problems.push_back("unexpected: " + name + " (in the " + source + ", not in the model)");
        }
    return c;
}

/// "<what> does not match the model (N problems):\n  line\n  line".
inline std::string mismatch_message(const std::string& what, const std::vector<std::string>& problems) {
    std::string message = what + " does not match the model (" + std::to_string(problems.size()) +
                          (problems.size() == 1 ? " problem):" : " problems):");
    for (const auto& line : problems) message += "\n  " + line;
    return message;
}

/// "" when every value of a step counter is a non-negative whole number, else the problem.
template <class T>
std::string counter_problem(const std::string& name, const Tensor<T>& t) {
    for (const T v : t)
        if (!(v >= 0 && v == std::floor(v))) {
            std::ostringstream s;
            s << "\"" << name << "\" must hold a non-negative whole number, got " << v;
            return s.str();
        }
    return {};
}

}  // namespace detail::state_dict

/// Copies of the tensors `params` names (a model's parameters()), in that order.
template <class T>
StateDict<T> state_dict(const std::vector<ParameterRef<T>>& params) {
    StateDict<T> sd;
    for (const auto& p : params) sd.insert(p.name, *p.value);
    return sd;
}

/// Copies `sd` into the tensors `params` names, after checking everything (see the top of this file). On any
/// problem nothing is changed and StateDictError lists them all.
template <class T>
LoadStateDictResult load_state_dict(const std::vector<ParameterRef<T>>& params, const StateDict<T>& sd,
                                    bool strict = true) {
    namespace sdd = detail::state_dict;
    std::vector<std::string> names;
    std::vector<Shape> shapes;
    std::vector<const Tensor<T>*> tensors;
    for (const auto& [name, t] : sd) {
        names.push_back(name);
        shapes.push_back(t.shape());
        tensors.push_back(&t);
    }
    sdd::Comparison c;
    try {
        c = sdd::compare(params, names, shapes, "state_dict");
    } catch (const std::invalid_argument& e) {
        throw StateDictError(std::string("load_state_dict: ") + e.what());
    }
    std::vector<std::string> problems = c.problems;
    if (!strict) {  // only the shape problems: missing and unexpected names are returned instead
        problems.clear();
        for (std::size_t i = 0; i < params.size(); ++i)
            if (c.found[i] == sdd::Comparison::npos && sd.contains(params[i].name))
                problems.push_back(params[i].name + ": state_dict has " + to_string(sd.at(params[i].name).shape()) +
                                   ", model has " + to_string(params[i].value->shape()));
    }
    for (std::size_t i = 0; i < params.size(); ++i)
        if (c.found[i] != sdd::Comparison::npos && sdd::is_step_counter(params[i].name)) {
            const std::string p = sdd::counter_problem(params[i].name, *tensors[c.found[i]]);
            if (!p.empty()) problems.push_back(p);
        }
    if (!problems.empty())
        throw StateDictError(sdd::mismatch_message("load_state_dict: the state_dict", problems));
    for (std::size_t i = 0; i < params.size(); ++i)
        if (c.found[i] != sdd::Comparison::npos) {
            const Tensor<T>& from = *tensors[c.found[i]];
            std::copy(from.begin(), from.end(), params[i].value->begin());
        }
    return {std::move(c.missing), std::move(c.unexpected)};
}

}  // namespace minitorch
