// Host emulation shim (see cuda_check.cuh here): kernel files define their launchers themselves;
// the noise functions are host-and-device code (FEDSIM_HD), the same as the kernels use.
#pragma once

#include "cuda/cuda_check.cuh"
#include "sim/util/gaussian_noise.h"
