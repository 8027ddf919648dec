// libFuzzer target "safetensors": the checkpoint loader: the input is a .safetensors file, loaded into a small
// fixed model (float and double).
// Built and run by scripts/fuzz (tests/fuzz/CMakeLists.txt); what the harness checks is in tests/fuzz/harness.hpp.
#include "harness_safetensors.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    minitorch::fuzz::safetensors({data, size});
    return 0;
}
