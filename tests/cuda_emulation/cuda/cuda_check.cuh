// Host emulation of CUDA (tests/test_cuda_emulation.cpp): this directory comes before the
// repository root on the include path, so a kernel file's "cuda/..." includes find these shims and
// its source compiles as C++. A block's threads are std::threads; __syncthreads is a barrier;
// __shared__ arrays are static (one block runs at a time). What it checks: a kernel's indexing,
// bounds and barriers, against a plain reference, on any machine. What it cannot: the GPU itself
// (memory model, timing, the compiler's device code), which tools/gpu-check.sh checks.
#pragma once

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdint>

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
inline thread_local dim3 threadIdx, blockIdx;
inline dim3 gridDim, blockDim;
inline std::barrier<>* emulated_block_barrier = nullptr;
using cudaStream_t = void*;
using std::max;
using std::min;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(threads)
#define __syncthreads() emulated_block_barrier->arrive_and_wait()

// Warp shuffles: each warp of 32 consecutive threads has its own barrier and exchange slots; a
// shuffle is write, wait, read, wait (all 32 lanes call it together, as CUDA requires).
inline std::barrier<>* const* emulated_warp_barriers = nullptr;
inline float* emulated_warp_slots = nullptr;
inline float __shfl_xor_sync(unsigned /*mask*/, float v, int lane_mask) {
  const unsigned t = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  const unsigned warp = t / 32, lane = t % 32;
  emulated_warp_slots[t] = v;
  emulated_warp_barriers[warp]->arrive_and_wait();
  const float other = emulated_warp_slots[warp * 32 + (lane ^ unsigned(lane_mask))];
  emulated_warp_barriers[warp]->arrive_and_wait();
  return other;
}
#define CUDA_CHECK_LAUNCH() ((void)0)
