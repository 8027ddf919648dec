// The compiled part (minitorch::compiled): the one explicit instantiation for double of each template that
// minitorch/compiled.hpp declares extern (one file per scalar type, so the two compile in parallel). Kernels: kernels/.
#include "minitorch/minitorch.hpp"

#define MINITORCH_INSTANTIATE(...) template __VA_ARGS__;
namespace minitorch {
MINITORCH_FOR_EACH_COMPILED_TEMPLATE(MINITORCH_INSTANTIATE, double)
}  // namespace minitorch
