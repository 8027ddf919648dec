// libFuzzer target "idx": the IDX reader on raw bytes: plain files, and gzip streams as they come
// (corrupt, truncated, concatenated, with trailing bytes).
// Built and run by scripts/fuzz (tests/fuzz/CMakeLists.txt); what the harness checks is in tests/fuzz/harness.hpp.
#include "harness.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    minitorch::fuzz::idx({data, size});
    return 0;
}
