// Launch configurations shared by the kernel files: 256-thread blocks and grid-stride loops, so a
// grid never needs more blocks than the limits below and any size is covered.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace fedsim::cuda {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocksX = 65535;  // well under the x limit (2^31 - 1); loops cover the rest
constexpr int64_t kMaxBlocksY = 65535;  // the y limit

// Blocks for n independent items, kThreads per block (n > 0).
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  const int64_t b = (n + threads - 1) / threads;
  return unsigned(b < kMaxBlocksX ? b : kMaxBlocksX);
}

// A grid over a [rows, cols] array: x over the columns, y over the rows (both grid-stride).
inline dim3 grid_rows_cols(int64_t rows, int64_t cols, int threads = kThreads) {
  return dim3(blocks_for(cols, threads), unsigned(rows < kMaxBlocksY ? rows : kMaxBlocksY), 1);
}

// Launches `kernel` with (grid, block) on `stream`, no dynamic shared memory; the arguments follow:
// FEDSIM_LAUNCH(k, grid, block, s)(args...). A macro so that the host emulation of CUDA
// (tests/cuda_emulation/cuda_runtime.h, which defines it first) can launch the same source.
// FEDSIM_LAUNCH_COOPERATIVE is the same launch for a kernel whose threads meet at __syncthreads or
// exchange values by warp shuffles (the emulation then runs them as threads).
#ifndef FEDSIM_LAUNCH
#define FEDSIM_LAUNCH(kernel, grid, block, stream) kernel<<<(grid), (block), 0, (stream)>>>
#define FEDSIM_LAUNCH_COOPERATIVE(kernel, grid, block, stream) \
  kernel<<<(grid), (block), 0, (stream)>>>
#endif

// Grid-stride indices: the first index of this thread and the stride, in 64 bits.
__device__ inline int64_t thread_index_x() {
  return int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ inline int64_t thread_stride_x() {
  return int64_t(gridDim.x) * blockDim.x;
}

}  // namespace fedsim::cuda
