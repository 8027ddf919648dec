// The header-only cost of the core: a file that includes only the umbrella header. scripts/bench times the compiler
// on it (with the flags the build uses for examples/mnist/mnist.cpp) and reports it in docs/benchmarks.md.
// Not a target: bench/CMakeLists.txt builds bench_*.cpp only.
#include <minitorch/minitorch.hpp>

int main() {
    return 0;
}
