// Secure aggregation kernel: the sum of many fast-mode SecAgg masks (Philox4x32-10 words laid out
// as sim/util/philox_mask.h says), added to an accumulator modulo 2^32. CPU twin:
// CpuBackend::add_philox_masks. Integer arithmetic only, so both give the same bits.
#include "cuda/cuda_check.cuh"
#include "cuda/kernels.cuh"
#include "cuda/launch.cuh"
#include "sim/util/philox_mask.h"

namespace fedsim::cuda {

// acc: [n]  keys: [count][5]  subtract: [count]
// One thread per Philox block b (group g = b / 16, lane l = b % 16), which gives the words
// 64 g + 16 w + l, w < 4: every key's four words are summed in registers, acc is read and written
// once.
static __global__ void add_philox_masks_kernel(uint32_t* __restrict__ acc,
                                               uint64_t n,
                                               const uint32_t* __restrict__ keys,
                                               const uint32_t* __restrict__ subtract,
                                               int count) {
  const uint64_t blocks = (n + 63) / 64 * 16;
  for (uint64_t b = uint64_t(thread_index_x()); b < blocks; b += uint64_t(thread_stride_x())) {
    const uint64_t g = b / 16, l = b % 16;
    uint32_t sum[4] = {0, 0, 0, 0};
    for (int t = 0; t < count; ++t) {
      const uint32_t* k = keys + 5 * size_t(t);
      uint32_t out[4];
      philox4x32_10(k[2], k[3], k[4], uint32_t(b), k[0], k[1], out);
      const bool sub = subtract[t] != 0;
#pragma unroll
      for (int w = 0; w < 4; ++w) sum[w] = sub ? sum[w] - out[w] : sum[w] + out[w];
    }
#pragma unroll
    for (int w = 0; w < 4; ++w) {
      const uint64_t i = 64 * g + 16 * uint64_t(w) + l;
      if (i < n) acc[i] += sum[w];
    }
  }
}

void add_philox_masks(uint32_t* acc,
                      size_t n,
                      const uint32_t* keys,
                      const uint32_t* subtract,
                      int count,
                      cudaStream_t s) {
  if (n == 0 || count <= 0) return;
  const int64_t blocks = int64_t((n + 63) / 64 * 16);
  FEDSIM_LAUNCH(add_philox_masks_kernel, blocks_for(blocks), kThreads, s)
  (acc, uint64_t(n), keys, subtract, count);
  CUDA_CHECK_LAUNCH();
}

}  // namespace fedsim::cuda
