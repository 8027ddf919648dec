// minitorch/layers/pool.hpp — the two pooling layers, MaxPool2d (maxpool.hpp) and AvgPool2d (avgpool.hpp).
#pragma once

#include "minitorch/layers/avgpool.hpp"
#include "minitorch/layers/maxpool.hpp"
