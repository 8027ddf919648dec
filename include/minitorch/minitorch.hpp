// minitorch/minitorch.hpp — the umbrella header: the core only (Eigen is its one dependency).
//
// Optional parts with extra dependencies are NOT included here, so a layers-only file stays light:
//   minitorch/data/...   IDX reader (zlib), MNIST dataset and loader, augmentation
//   minitorch/io/...     safetensors checkpoints (nlohmann-json)
//   minitorch/train/...  epoch loop, evaluation, progress bar
#pragma once

#include "minitorch/tensor.hpp"
#include "minitorch/random.hpp"
#include "minitorch/fixed_math.hpp"
#include "minitorch/kernels/isa.hpp"
#include "minitorch/kernels/parallel.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/layers/linear.hpp"
#include "minitorch/layers/activation.hpp"
#include "minitorch/layers/conv2d.hpp"
#include "minitorch/layers/pool.hpp"
#include "minitorch/layers/flatten.hpp"
#include "minitorch/layers/batchnorm.hpp"
#include "minitorch/layers/dropout.hpp"
#include "minitorch/layers/log_softmax.hpp"
#include "minitorch/loss.hpp"
#include "minitorch/state_dict.hpp"
#include "minitorch/sequential.hpp"
#include "minitorch/standalone.hpp"
#include "minitorch/optim/sgd.hpp"
#include "minitorch/optim/scheduler.hpp"
#include "minitorch/gradcheck.hpp"

// The compiled part's declarations (nothing in header-only use): minitorch/compiled.hpp.
#include "minitorch/compiled.hpp"
