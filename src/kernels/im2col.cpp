// The compiled part (minitorch::compiled): the im2col kernels of every ISA this build targets, compiled once here
// instead of in every file that includes the header (kernels/simd/select.hpp).
#define MINITORCH_COMPILING_IM2COL_KERNELS 1
#include "minitorch/kernels/im2col.hpp"
