// Host emulation shim (see cuda_check.cuh here): kernel files define their launchers themselves.
#pragma once

#include "cuda/cuda_check.cuh"
