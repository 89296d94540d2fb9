// Host emulation of the CUDA runtime, for running fedsim's CUDA code on a CPU in the tests
// (tests/test_cuda_emulation.cpp: each kernel file; test_backend_conformance_emulated: the whole
// CudaBackend). This directory comes before any CUDA include directory, so <cuda_runtime.h> and
// <cublas_v2.h> are these, and the real cuda/ sources compile as C++:
// - kernels run at the launch (a synchronous stream), a grid's blocks one after another:
//   FEDSIM_LAUNCH runs a block's threads one after another (kernels without barriers),
//   FEDSIM_LAUNCH_COOPERATIVE as std::threads, __syncthreads a barrier, a warp's shuffles through
//   per-warp barriers, __shared__ arrays static (one block runs at a time);
// - the runtime API: device memory is host memory, copies are memcpy, streams and events are
//   synchronous, one device with 4 GiB "free"; cudaHostAlloc'd memory reports itself pinned.
// What it checks: indexing, bounds, barriers, the backend's host logic (staging, plans, caches,
// the cuBLAS operand mapping) against the CPU backend, on any machine. What it cannot: the GPU
// itself (device compiler, memory model, timing, concurrency), which tools/gpu-check.sh checks.
#pragma once

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

// ---- built-ins ---------------------------------------------------------------------------------
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
inline thread_local dim3 threadIdx, blockIdx;
inline dim3 gridDim, blockDim;
inline std::barrier<>* emulated_block_barrier = nullptr;
inline std::barrier<>* const* emulated_warp_barriers = nullptr;
inline float* emulated_warp_slots = nullptr;
using std::max;
using std::min;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
[[noreturn]] inline void emulated_not_cooperative(const char* what) {
  std::fprintf(stderr,
               "cuda emulation: %s in a kernel launched with FEDSIM_LAUNCH; launch it with "
               "FEDSIM_LAUNCH_COOPERATIVE\n",
               what);
  std::abort();
}
inline void emulated_syncthreads() {
  if (!emulated_block_barrier) emulated_not_cooperative("__syncthreads");
  emulated_block_barrier->arrive_and_wait();
}
#define __syncthreads() emulated_syncthreads()

// Warp shuffles: each warp of 32 consecutive threads has its own barrier and exchange slots; a
// shuffle is write, wait, read, wait (all 32 lanes call it together, as CUDA requires).
inline float __shfl_xor_sync(unsigned /*mask*/, float v, int lane_mask) {
  const unsigned t = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  const unsigned warp = t / 32, lane = t % 32;
  if (!emulated_warp_barriers) emulated_not_cooperative("a warp shuffle");
  emulated_warp_slots[t] = v;
  emulated_warp_barriers[warp]->arrive_and_wait();
  const float other = emulated_warp_slots[warp * 32 + (lane ^ unsigned(lane_mask))];
  emulated_warp_barriers[warp]->arrive_and_wait();
  return other;
}

// FEDSIM_LAUNCH: a kernel without barriers or shuffles runs its CUDA threads one after another
// on the calling thread (any order is a valid schedule for such a kernel). Calling __syncthreads
// or a shuffle there stops the test with a message: such a kernel must be launched with
// FEDSIM_LAUNCH_COOPERATIVE.
template <typename Kernel>
auto emulated_launch(Kernel kernel, dim3 grid, dim3 block) {
  return [=](auto... args) {
    gridDim = grid;
    blockDim = block;
    for (unsigned z = 0; z < grid.z; ++z)
      for (unsigned y = 0; y < grid.y; ++y)
        for (unsigned x = 0; x < grid.x; ++x) {
          blockIdx = dim3(x, y, z);
          for (unsigned tz = 0; tz < block.z; ++tz)
            for (unsigned ty = 0; ty < block.y; ++ty)
              for (unsigned tx = 0; tx < block.x; ++tx) {
                threadIdx = dim3(tx, ty, tz);
                kernel(args...);
              }
        }
  };
}

// Threads kept for cooperative launches of one block size (creating 256 threads per launch
// would cost more than most kernels): run(job) has every thread call job(t) once and returns when
// all are done.
class EmulatedThreadPool {
 public:
  explicit EmulatedThreadPool(unsigned n) : start_(n + 1), done_(n + 1) {
    for (unsigned t = 0; t < n; ++t)
      threads_.emplace_back([this, t] {
        for (;;) {
          start_.arrive_and_wait();
          if (stop_) return;
          (*job_)(t);
          done_.arrive_and_wait();
        }
      });
  }
  ~EmulatedThreadPool() {
    stop_ = true;
    start_.arrive_and_wait();
    for (auto& th : threads_) th.join();
  }
  void run(const std::function<void(unsigned)>& job) {
    job_ = &job;
    start_.arrive_and_wait();
    done_.arrive_and_wait();
  }
  static EmulatedThreadPool& of_size(unsigned n) {
    static std::map<unsigned, std::unique_ptr<EmulatedThreadPool>> pools;
    auto& p = pools[n];
    if (!p) p = std::make_unique<EmulatedThreadPool>(n);
    return *p;
  }

 private:
  std::barrier<> start_, done_;
  std::vector<std::thread> threads_;
  const std::function<void(unsigned)>* job_ = nullptr;
  bool stop_ = false;
};

// FEDSIM_LAUNCH_COOPERATIVE: every CUDA thread of a block is a thread of the pool; each walks the
// grid's blocks in the same order, with a barrier after each block, so __shared__ (static) memory
// belongs to one block at a time.
template <typename Kernel>
auto emulated_cooperative_launch(Kernel kernel, dim3 grid, dim3 block) {
  return [=](auto... args) {
    gridDim = grid;
    blockDim = block;
    const unsigned threads = block.x * block.y * block.z;
    std::barrier<> barrier(threads);
    std::vector<std::unique_ptr<std::barrier<>>> warps;  // a warp: 32 consecutive threads
    std::vector<std::barrier<>*> warp_barriers;
    for (unsigned w = 0; w < (threads + 31) / 32; ++w) {
      warps.push_back(std::make_unique<std::barrier<>>(std::min(32u, threads - 32 * w)));
      warp_barriers.push_back(warps.back().get());
    }
    std::vector<float> slots(threads);
    emulated_block_barrier = &barrier;
    emulated_warp_barriers = warp_barriers.data();
    emulated_warp_slots = slots.data();
    const std::function<void(unsigned)> job = [&](unsigned t) {
      threadIdx = dim3(t % block.x, t / block.x % block.y, t / (block.x * block.y));
      for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
          for (unsigned x = 0; x < grid.x; ++x) {
            blockIdx = dim3(x, y, z);
            kernel(args...);
            barrier.arrive_and_wait();
          }
    };
    EmulatedThreadPool::of_size(threads).run(job);
    emulated_block_barrier = nullptr;
    emulated_warp_barriers = nullptr;
  };
}
#define FEDSIM_LAUNCH(kernel, grid, block, stream) \
  ((void)(stream), emulated_launch(kernel, dim3(grid), dim3(block)))
#define FEDSIM_LAUNCH_COOPERATIVE(kernel, grid, block, stream) \
  ((void)(stream), emulated_cooperative_launch(kernel, dim3(grid), dim3(block)))

// ---- runtime API -------------------------------------------------------------------------------
enum cudaError_t { cudaSuccess = 0, cudaErrorMemoryAllocation = 2, cudaErrorInvalidValue = 1 };
enum cudaMemcpyKind {
  cudaMemcpyHostToHost,
  cudaMemcpyHostToDevice,
  cudaMemcpyDeviceToHost,
  cudaMemcpyDeviceToDevice
};
enum cudaMemoryType {
  cudaMemoryTypeUnregistered = 0,
  cudaMemoryTypeHost = 1,
  cudaMemoryTypeDevice = 2
};
struct cudaPointerAttributes {
  cudaMemoryType type = cudaMemoryTypeUnregistered;
};
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
};
struct CUstream_st {};
struct CUevent_st {};
using cudaStream_t = CUstream_st*;
using cudaEvent_t = CUevent_st*;
constexpr unsigned cudaStreamNonBlocking = 1, cudaEventDisableTiming = 2, cudaHostAllocDefault = 0;

inline std::set<const void*>& emulated_pinned() {
  static std::set<const void*> pinned;
  return pinned;
}
inline const char* cudaGetErrorName(cudaError_t e) {
  return e == cudaSuccess ? "cudaSuccess" : "cudaErrorEmulated";
}
inline const char* cudaGetErrorString(cudaError_t e) {
  return e == cudaSuccess ? "no error" : "emulated error";
}
inline cudaError_t cudaGetLastError() {
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
inline cudaError_t cudaSetDevice(int) {
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::strcpy(p->name, "emulated CUDA device (host threads)");
  p->totalGlobalMem = size_t(4) << 30;
  return cudaSuccess;
}
inline cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}
inline cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  *free_bytes = size_t(4) << 30;
  *total_bytes = size_t(4) << 30;
  return cudaSuccess;
}
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  *s = new CUstream_st;
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete s;
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) {
  return cudaSuccess;
}
inline cudaError_t cudaMalloc(void** p, size_t bytes) {
  *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}
inline cudaError_t cudaHostAlloc(void** p, size_t bytes, unsigned) {
  const cudaError_t e = cudaMalloc(p, bytes);
  if (e == cudaSuccess) emulated_pinned().insert(*p);
  return e;
}
inline cudaError_t cudaFreeHost(void* p) {
  emulated_pinned().erase(p);
  return cudaFree(p);
}
inline cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) {
  std::memset(p, value, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind,
                                   cudaStream_t) {
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
// Only the start of a cudaHostAlloc'd block is recognised as pinned (the backend passes those).
inline cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* a, const void* p) {
  a->type = emulated_pinned().count(p) ? cudaMemoryTypeHost : cudaMemoryTypeUnregistered;
  return cudaSuccess;
}
inline cudaError_t cudaEventCreate(cudaEvent_t* e) {
  *e = new CUevent_st;
  return cudaSuccess;
}
inline cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) {
  return cudaEventCreate(e);
}
inline cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete e;
  return cudaSuccess;
}
inline cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t) {
  return cudaSuccess;
}
inline cudaError_t cudaEventSynchronize(cudaEvent_t) {
  return cudaSuccess;
}
inline cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t, cudaEvent_t) {
  *ms = 0.0f;
  return cudaSuccess;
}
