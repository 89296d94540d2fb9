// Host emulation shim of cuda/launch.cuh (see cuda_check.cuh here): the same constants, and
// FEDSIM_LAUNCH running the grid's blocks one after another, each on blockDim's threads.
#pragma once

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "cuda/cuda_check.cuh"

namespace fedsim::cuda {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocksX = 65535;
constexpr int64_t kMaxBlocksY = 65535;

// Blocks for n independent items, kThreads per block (n > 0), as cuda/launch.cuh.
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  const int64_t b = (n + threads - 1) / threads;
  return unsigned(b < kMaxBlocksX ? b : kMaxBlocksX);
}
inline dim3 grid_rows_cols(int64_t rows, int64_t cols, int threads = kThreads) {
  return dim3(blocks_for(cols, threads), unsigned(rows < kMaxBlocksY ? rows : kMaxBlocksY), 1);
}

inline int64_t thread_index_x() {
  return int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}
inline int64_t thread_stride_x() {
  return int64_t(gridDim.x) * blockDim.x;
}

// Every thread of the block walks the grid's blocks in the same order; a barrier after each block
// keeps them together, so __shared__ (static) memory belongs to one block at a time.
template <typename Kernel>
auto emulated_launch(Kernel kernel, dim3 grid, dim3 block) {
  return [=](auto... args) {
    gridDim = grid;
    blockDim = block;
    const unsigned threads = block.x * block.y * block.z;
    std::barrier<> barrier(threads);
    emulated_block_barrier = &barrier;
    std::vector<std::unique_ptr<std::barrier<>>> warps;  // a warp: 32 consecutive threads
    std::vector<std::barrier<>*> warp_barriers;
    for (unsigned w = 0; w < (threads + 31) / 32; ++w) {
      warps.push_back(std::make_unique<std::barrier<>>(std::min(32u, threads - 32 * w)));
      warp_barriers.push_back(warps.back().get());
    }
    std::vector<float> slots(threads);
    emulated_warp_barriers = warp_barriers.data();
    emulated_warp_slots = slots.data();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        threadIdx = dim3(t % block.x, t / block.x % block.y, t / (block.x * block.y));
        for (unsigned z = 0; z < grid.z; ++z)
          for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x) {
              blockIdx = dim3(x, y, z);
              kernel(args...);
              barrier.arrive_and_wait();
            }
      });
    for (auto& th : pool) th.join();
    emulated_block_barrier = nullptr;
  };
}

}  // namespace fedsim::cuda

#define FEDSIM_LAUNCH(kernel, grid, block, stream) \
  ((void)(stream), emulated_launch(kernel, grid, block))
