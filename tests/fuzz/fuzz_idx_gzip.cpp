// libFuzzer target "idx_gzip": the IDX reader behind gzip: the harness compresses the input, then damages
// the stream as the input's first byte says.
// Built and run by scripts/fuzz (tests/fuzz/CMakeLists.txt); what the harness checks is in tests/fuzz/harness.hpp.
#include "harness.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    minitorch::fuzz::idx_gzip({data, size});
    return 0;
}
