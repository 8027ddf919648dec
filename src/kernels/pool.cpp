// The compiled part (minitorch::compiled): the pool kernels of every ISA this build targets, compiled once here
// instead of in every file that includes the header (kernels/simd/select.hpp).
#define MINITORCH_COMPILING_POOL_KERNELS 1
#include "minitorch/kernels/pool.hpp"
