// Sample-level DP-SGD kernels: ghost_sqnorm, clip_factors, scale_rows, add_noise_and_scale,
// noisy_sgd_step. CPU twins: the functions of the same names in sim/backend/cpu_backend.cpp and
// noise_axpy_row in sim/backend/cpu_noise.cpp.
//
// Noise: element i of client k's row uses gaussian4_at (sim/util/gaussian_noise.h: Philox4x32-10
// + Box-Muller with fixed polynomials) for the block i / 4, the very code the CPU runs, so z is
// bit-identical to the CPU's; with -fmad=false the axpy around it rounds like the C++ expression
// (see docs/cuda-backend.md on the CPU side's FMA contraction).
#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/kernels.cuh"
#include "cuda/launch.cuh"

namespace fedsim::cuda {

// Sum over the 32 lanes of a warp (butterfly: every lane gets the total, in a fixed order).
__device__ inline float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
  return v;
}

// delta: [K, B, out]  a: [K, B, in]  n2: [K, B]   (B = rows / K)
//   n2[r] = (accumulate ? n2[r] : 0) + ||delta_r||^2 * (||a_r||^2 + 1)   (Goodfellow 2015)
// One warp per row; the loop over rows is uniform across the warp (the shuffles need all lanes).
// bounds: device [K] or null; row i of client k is skipped when i >= bounds[k] (padding).
static __global__ void ghost_sqnorm_kernel(float* __restrict__ n2,
                                           const float* __restrict__ delta,
                                           const float* __restrict__ a,
                                           int64_t rows,
                                           int B,
                                           int out,
                                           int in,
                                           bool accumulate,
                                           const int* __restrict__ bounds) {
  const int lane = int(threadIdx.x) & 31;
  const int64_t first_warp = thread_index_x() / 32, warps = thread_stride_x() / 32;
  for (int64_t r = first_warp; r < rows; r += warps) {
    if (bounds && r % B >= bounds[r / B]) continue;  // the same r for the whole warp
    const float* dr = delta + r * out;
    const float* ar = a + r * in;
    float d2 = 0.0f, a2 = 0.0f;
    for (int j = lane; j < out; j += 32) d2 += dr[j] * dr[j];
    for (int j = lane; j < in; j += 32) a2 += ar[j] * ar[j];
    d2 = warp_sum(d2);
    a2 = warp_sum(a2);
    if (lane == 0) {
      const float v = d2 * (a2 + 1.0f);
      n2[r] = accumulate ? n2[r] + v : v;
    }
  }
}

void ghost_sqnorm(float* n2,
                  const float* delta,
                  const float* a,
                  int K,
                  int B,
                  int out,
                  int in,
                  bool accumulate,
                  const int* bounds,
                  cudaStream_t s) {
  const int64_t rows = int64_t(K) * B;
  if (rows <= 0) return;
  FEDSIM_LAUNCH_COOPERATIVE(ghost_sqnorm_kernel, blocks_for(rows * 32), kThreads, s)
  (n2, delta, a, rows, B, out, in, accumulate, bounds);
  CUDA_CHECK_LAUNCH();
}

// n2, w, c: [K, B]  clipped_acc: [K]   (Abadi et al. 2016, Alg. 1: flat L2 clipping to `clip`)
//   c[k,i] = w[k,i] * min(1, clip / sqrt(n2[k,i])); clipped_acc[k] += #{i : w > 0, n2 > clip^2}
// One thread per client: the count is an integer, summed in order (no atomics).
static __global__ void clip_factors_kernel(float* __restrict__ c,
                                           float* __restrict__ clipped_acc,
                                           const float* __restrict__ n2,
                                           const float* __restrict__ w,
                                           float clip,
                                           int K,
                                           int B) {
  for (int64_t k = thread_index_x(); k < K; k += thread_stride_x()) {
    int clipped = 0;
    for (int i = 0; i < B; ++i) {
      const int64_t r = k * B + i;
      const bool over = n2[r] > clip * clip;
      c[r] = over ? w[r] * (clip / sqrtf(n2[r])) : w[r];
      clipped += over && w[r] > 0.0f;
    }
    clipped_acc[k] += float(clipped);
  }
}

void clip_factors(float* c,
                  float* clipped_acc,
                  const float* n2,
                  const float* w,
                  float clip,
                  int K,
                  int B,
                  cudaStream_t s) {
  if (K <= 0) return;
  FEDSIM_LAUNCH(clip_factors_kernel, blocks_for(K), kThreads, s)(c, clipped_acc, n2, w, clip, K, B);
  CUDA_CHECK_LAUNCH();
}

// x: [rows, n]  c: [rows]   x[r, :] *= c[r], exactly 0 where c[r] == 0 (padding rows are stale)
// Index: the flat index's type for the row division, uint32_t when the elements fit (a 64-bit
// division per element costs the GPU more than the multiply itself).
template <typename Index>
static __global__ void scale_rows_kernel(float* __restrict__ x,
                                         const float* __restrict__ c,
                                         int64_t rows,
                                         int n) {
  const int64_t total = rows * n;
  for (int64_t t = thread_index_x(); t < total; t += thread_stride_x()) {
    const float cr = c[Index(t) / Index(n)];
    x[t] = cr == 0.0f ? 0.0f : x[t] * cr;
  }
}

void scale_rows(float* x, const float* c, int64_t rows, int n, cudaStream_t s) {
  const int64_t total = rows * n;
  if (total <= 0) return;
  if (total <= int64_t(UINT32_MAX)) {
    FEDSIM_LAUNCH(scale_rows_kernel<uint32_t>, blocks_for(total), kThreads, s)(x, c, rows, n);
  } else {
    FEDSIM_LAUNCH(scale_rows_kernel<int64_t>, blocks_for(total), kThreads, s)(x, c, rows, n);
  }
  CUDA_CHECK_LAUNCH();
}

// g: [K, P]  scale: [K]   g[k, :] *= scale[k]   (add_noise_and_scale with stddev == 0, as the CPU)
static __global__ void scale_by_row_kernel(float* __restrict__ g,
                                           const float* __restrict__ scale,
                                           int K,
                                           int64_t P) {
  for (int64_t k = blockIdx.y; k < K; k += gridDim.y) {
    const float s = scale[k];
    for (int64_t i = thread_index_x(); i < P; i += thread_stride_x()) g[k * P + i] *= s;
  }
}

// g: [K, P]  scale, client_ids: [K]
//   g[k, i] = scale[k] * (g[k, i] + stddev * z_i),  z = gaussian4_at(key, round, id_k, step, i / 4)
// y over clients, x over blocks of 4 elements (one Philox call each); P need not be a multiple
// of 4.
static __global__ void add_noise_and_scale_kernel(float* __restrict__ g,
                                                  int K,
                                                  int64_t P,
                                                  float stddev,
                                                  const float* __restrict__ scale,
                                                  NoiseKey key,
                                                  uint32_t round,
                                                  const uint32_t* __restrict__ client_ids,
                                                  uint32_t step) {
  const int64_t blocks = (P + 3) / 4;
  for (int64_t k = blockIdx.y; k < K; k += gridDim.y) {
    float* gk = g + k * P;
    const float s = scale[k];
    const uint32_t client = client_ids[k];
    for (int64_t b = thread_index_x(); b < blocks; b += thread_stride_x()) {
      float z[4];
      gaussian4_at(key, round, client, step, uint32_t(b), z);
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int64_t i = 4 * b + e;
        if (i < P) gk[i] = s * (gk[i] + stddev * z[e]);
      }
    }
  }
}

void add_noise_and_scale(float* g,
                         int K,
                         int64_t P,
                         float stddev,
                         const float* scale,
                         NoiseKey key,
                         uint32_t round,
                         const uint32_t* client_ids,
                         uint32_t step,
                         cudaStream_t s) {
  if (K <= 0 || P <= 0) return;
  if (stddev == 0.0f) {
    FEDSIM_LAUNCH(scale_by_row_kernel, grid_rows_cols(K, P), kThreads, s)(g, scale, K, P);
  } else {
    FEDSIM_LAUNCH(add_noise_and_scale_kernel, grid_rows_cols(K, (P + 3) / 4), kThreads, s)
    (g, K, P, stddev, scale, key, round, client_ids, step);
  }
  CUDA_CHECK_LAUNCH();
}

// params, grad: [K, P]  lr_scale, client_ids: [K]
//   params[k, i] = params[k, i] + (-lr_scale[k]) * (grad[k, i] + stddev * z_i)   (z as above)
// written as the CPU's noise_axpy_row(out = base + scale * (g + stddev * z), scale = -lr_scale).
static __global__ void noisy_sgd_step_kernel(float* __restrict__ params,
                                             const float* __restrict__ grad,
                                             int K,
                                             int64_t P,
                                             float stddev,
                                             const float* __restrict__ lr_scale,
                                             NoiseKey key,
                                             uint32_t round,
                                             const uint32_t* __restrict__ client_ids,
                                             uint32_t step) {
  const int64_t blocks = (P + 3) / 4;
  for (int64_t k = blockIdx.y; k < K; k += gridDim.y) {
    float* wk = params + k * P;
    const float* gk = grad + k * P;
    const float s = -lr_scale[k];
    const uint32_t client = client_ids[k];
    for (int64_t b = thread_index_x(); b < blocks; b += thread_stride_x()) {
      float z[4];
      gaussian4_at(key, round, client, step, uint32_t(b), z);
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int64_t i = 4 * b + e;
        if (i < P) wk[i] = wk[i] + s * (gk[i] + stddev * z[e]);
      }
    }
  }
}

void noisy_sgd_step(float* params,
                    const float* grad,
                    int K,
                    int64_t P,
                    float stddev,
                    const float* lr_scale,
                    NoiseKey key,
                    uint32_t round,
                    const uint32_t* client_ids,
                    uint32_t step,
                    cudaStream_t s) {
  if (K <= 0 || P <= 0) return;
  FEDSIM_LAUNCH(noisy_sgd_step_kernel, grid_rows_cols(K, (P + 3) / 4), kThreads, s)
  (params, grad, K, P, stddev, lr_scale, key, round, client_ids, step);
  CUDA_CHECK_LAUNCH();
}

}  // namespace fedsim::cuda
