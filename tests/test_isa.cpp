// The instruction-set choice (kernels/isa.hpp): what MINITORCH_ISA accepts and refuses, the names and descriptions,
// what this build compiles and this CPU supports. The kernels themselves are tested per ISA by their own files.
//
// MINITORCH_ISA takes the exact lowercase names "scalar", "avx2", "avx512", "neon": matching is case-sensitive and
// nothing is trimmed ("AVX2", " scalar" and "sse" are unknown names, an error); the empty value means unset (the best).
// The cases depend on the CPU only through supported_isas(): on a CPU without AVX-512 (or AVX2) the refusal of that
// name is checked for real; tests/isa/nehalem.cmake runs this file under `qemu-x86_64 -cpu Nehalem`, where only
// scalar is supported, so each refusal runs somewhere in CI.
#include <minitorch/kernels/isa.hpp>

#include <doctest/doctest.h>

#include "support/error_message.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace minitorch;

namespace {

/// The supported names as the error messages list them: "scalar, avx2, avx512".
std::string supported_list() {
    std::string out;
    for (Isa isa : supported_isas()) out += (out.empty() ? "" : ", ") + std::string(isa_name(isa));
    return out;
}

std::string request_error(std::string_view value) {
    return test_support::message_of<std::runtime_error>([&] { (void)parse_isa_request(value); }, "no error");
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("parse_isa_request: the empty value (unset) is the best supported ISA") {
    CHECK(parse_isa_request("") == best_supported_isa());
    CHECK(parse_isa_request(std::string_view()) == best_supported_isa());
}

TEST_CASE("parse_isa_request: every supported name gives that ISA") {
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        CHECK(parse_isa_request(isa_name(isa)) == isa);
    }
}

TEST_CASE("parse_isa_request: a known name this CPU or build lacks is refused, naming the value and what it supports") {
    int refused = 0;
    for (Isa isa : all_isas) {
        if (isa_supported(isa)) continue;
        const std::string name(isa_name(isa));
        CAPTURE(name);
        const std::string message = request_error(name);
        const std::string reason =
            isa_compiled(isa) ? "this CPU does not support it" : "this build has no such kernels";
        CHECK(message == "MINITORCH_ISA=" + name + ": " + reason + "; it supports " + supported_list() +
                             " (the variable can only lower the choice)");
        ++refused;
    }
    // x86-64 builds have no NEON and AArch64 builds no AVX: at least one name is always refused.
    CHECK(refused >= 1);
}

TEST_CASE("parse_isa_request: avx512 on a CPU without AVX-512 is an error, never a SIGILL") {
    if (isa_supported(Isa::avx512)) {
        CHECK(parse_isa_request("avx512") == Isa::avx512);
        return;  // this CPU has it; the refusal runs under qemu-x86_64 -cpu Nehalem (tests/isa/nehalem.cmake)
    }
    const std::string message = request_error("avx512");
    CHECK(contains(message, "MINITORCH_ISA=avx512"));
    CHECK(contains(message, isa_compiled(Isa::avx512) ? "CPU does not support it" : "build has no such kernels"));
    CHECK(contains(message, "it supports " + supported_list()));
}

TEST_CASE("parse_isa_request: unknown names are refused with the accepted list (names are exact and lowercase)") {
    for (const char* value :
         {"sse", "AVX2", "Scalar", "NEON", " scalar", "scalar ", "avx-512", "avx512f", "native", "best", "0"}) {
        CAPTURE(value);
        CHECK(request_error(value) ==
              "MINITORCH_ISA=" + std::string(value) +
                  ": unknown instruction set; expected one of scalar, avx2, avx512, neon (this CPU: " +
                  supported_list() + "), or the variable unset for the best");
    }
}

TEST_CASE("isa_name and isa_description: distinct names, each description starts with its name") {
    std::set<std::string_view> names;
    for (Isa isa : all_isas) {
        const std::string_view name = isa_name(isa), description = isa_description(isa);
        CAPTURE(name);
        CHECK(!name.empty());
        CHECK(name != "?");
        CHECK(names.insert(name).second);
        // "avx2 (AVX2+FMA, 8 float lanes)": the name, a space, the details in parentheses.
        CHECK(description.substr(0, name.size() + 2) == std::string(name) + " (");
        CHECK(description.back() == ')');
        // The name round-trips through the parser wherever the CPU has the ISA.
        if (isa_supported(isa)) CHECK(parse_isa_request(name) == isa);
    }
    CHECK(names.size() == all_isas.size());
    CHECK(isa_name(Isa::scalar) == "scalar");
    CHECK(isa_name(Isa::avx2) == "avx2");
    CHECK(isa_name(Isa::avx512) == "avx512");
    CHECK(isa_name(Isa::neon) == "neon");
}

TEST_CASE("supported_isas: scalar first, in all_isas order, contains active_isa(), ends with the best") {
    const std::vector<Isa> supported = supported_isas();
    REQUIRE(!supported.empty());
    CHECK(supported.front() == Isa::scalar);
    CHECK(std::is_sorted(supported.begin(), supported.end(), [](Isa a, Isa b) {
        return std::find(all_isas.begin(), all_isas.end(), a) < std::find(all_isas.begin(), all_isas.end(), b);
    }));
    CHECK(supported.back() == best_supported_isa());
    for (Isa isa : all_isas) {
        CAPTURE(isa_name(isa));
        CHECK(isa_supported(isa) == (std::find(supported.begin(), supported.end(), isa) != supported.end()));
        if (isa_supported(isa)) CHECK(isa_compiled(isa));
    }
    // active_isa() is what the environment asks for (CTest runs this with MINITORCH_ISA unset: the best; under
    // MINITORCH_ISA=scalar, scalar), and always one of the supported.
    const char* env = std::getenv("MINITORCH_ISA");
    const Isa active = active_isa();
    CHECK(active == parse_isa_request(env ? env : ""));
    CHECK(std::find(supported.begin(), supported.end(), active) != supported.end());
}

TEST_CASE("isa_compiled: every build has scalar, x86-64 builds avx2 and avx512, AArch64 builds neon") {
    CHECK(isa_compiled(Isa::scalar));
    CHECK(isa_supported(Isa::scalar));
#if defined(__x86_64__) || defined(_M_X64)
    CHECK(isa_compiled(Isa::avx2));
    CHECK(isa_compiled(Isa::avx512));
    CHECK_FALSE(isa_compiled(Isa::neon));
    // AVX-512F implies AVX2+FMA on every CPU that has it, and the detection requires both.
    if (isa_supported(Isa::avx512)) CHECK(isa_supported(Isa::avx2));
#elif defined(__aarch64__)
    CHECK(isa_compiled(Isa::neon));
    CHECK(isa_supported(Isa::neon));  // NEON is part of every AArch64 CPU
    CHECK_FALSE(isa_compiled(Isa::avx2));
    CHECK_FALSE(isa_compiled(Isa::avx512));
#else
    CHECK(supported_isas() == std::vector<Isa>{Isa::scalar});
#endif
}
