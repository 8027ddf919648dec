// The compiled part (minitorch::compiled): the dropout kernels of every ISA this build targets, compiled once here
// instead of in every file that includes the header (kernels/simd/select.hpp).
#define MINITORCH_COMPILING_DROPOUT_KERNELS 1
#include "minitorch/kernels/dropout.hpp"
