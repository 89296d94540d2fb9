// Client updates, reductions and the server step: sgd_update, row_sqnorms, weighted_row_sum,
// server_update. CPU twins: the functions of the same names in sim/backend/cpu_backend.cpp; the
// per-element rules are the shared FEDSIM_HD functions of sim/server/server_math.h.
#include "cuda/cuda_check.cuh"
#include "cuda/kernels.cuh"
#include "cuda/launch.cuh"
#include "sim/server/server_math.h"

namespace fedsim::cuda {

// params, grad, velocity: [K, P]  global: [P]
//   plain SGD (no momentum, weight decay or proximal term): w -= lr * g, as the CPU's fast path;
//   otherwise sgd_update_element (velocity may be null when momentum == 0).
static __global__ void sgd_update_kernel(float* __restrict__ params,
                                         const float* __restrict__ grad,
                                         float* __restrict__ velocity,
                                         const float* __restrict__ global,
                                         SgdParams p,
                                         int K,
                                         int64_t P) {
  const bool plain = p.momentum == 0.0f && p.weight_decay == 0.0f && p.prox_mu == 0.0f;
  for (int64_t k = blockIdx.y; k < K; k += gridDim.y) {
    for (int64_t i = thread_index_x(); i < P; i += thread_stride_x()) {
      const int64_t e = k * P + i;
      if (plain) {
        params[e] -= p.lr * grad[e];
        continue;
      }
      float dummy = 0.0f;
      float& v = velocity ? velocity[e] : dummy;
      sgd_update_element(params[e], grad[e], v, global ? global[i] : 0.0f, p);
    }
  }
}

void sgd_update(float* params,
                const float* grad,
                float* velocity,
                const float* global,
                const SgdParams& p,
                int K,
                int64_t P,
                cudaStream_t s) {
  if (K <= 0 || P <= 0) return;
  FEDSIM_LAUNCH(sgd_update_kernel, grid_rows_cols(K, P), kThreads, s)
  (params, grad, velocity, global, p, K, P);
  CUDA_CHECK_LAUNCH();
}

// rows: [K, P]  sub: [P] or null  out: [K]   out[k] = sum_i double(d_ki)^2, d_ki = rows[k, i] -
// sub[i] rounded to float (or rows[k, i])
// One block per row: each thread sums a strided slice in double (the squares are exact in double),
// then a fixed-order tree in shared memory: deterministic run to run; the order differs from the
// CPU's sequential sum (relative differences of the order of 1e-16).
constexpr int kSqnormThreads = 256;  // a power of two (tree reduction)

static __global__ void row_sqnorms_kernel(double* __restrict__ out,
                                          const float* __restrict__ rows,
                                          const float* __restrict__ sub,
                                          int K,
                                          int64_t P) {
  __shared__ double partial[kSqnormThreads];
  for (int64_t k = blockIdx.x; k < K; k += gridDim.x) {  // uniform in the block
    const float* r = rows + k * P;
    double sum = 0.0;
    for (int64_t i = threadIdx.x; i < P; i += blockDim.x) {
      const double v = sub ? r[i] - sub[i] : r[i];  // the difference in float, as the CPU
      sum += v * v;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int half = kSqnormThreads / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) out[k] = partial[0];
    __syncthreads();  // partial[] is reused by the next row
  }
}

void row_sqnorms(
    double* out, const float* rows, const float* sub, int K, int64_t P, cudaStream_t s) {
  if (K <= 0) return;
  const unsigned blocks = unsigned(K < kMaxBlocksX ? K : kMaxBlocksX);
  FEDSIM_LAUNCH_COOPERATIVE(row_sqnorms_kernel, blocks, kSqnormThreads, s)(out, rows, sub, K, P);
  CUDA_CHECK_LAUNCH();
}

// out: [P]  rows: [K, P]  sub: [P] or null  w: [K]
//   out[i] = beta * out[i] + sum_k w[k] * d_ki (d_ki = rows[k, i] - sub[i] in float, or rows[k,
//   i]), accumulated over k in order from beta * out[i] exactly as the CPU's loop (bit-identical);
//   beta multiplies like the CPU's (0 * NaN = NaN).
static __global__ void weighted_row_sum_kernel(float* __restrict__ out,
                                               const float* __restrict__ rows,
                                               const float* __restrict__ sub,
                                               const float* __restrict__ w,
                                               int K,
                                               int64_t P,
                                               float beta) {
  for (int64_t i = thread_index_x(); i < P; i += thread_stride_x()) {
    float acc = out[i] * beta;
    if (sub) {
      const float s = sub[i];
#pragma unroll 16  // loads in flight: the sum is sequential in k
      for (int k = 0; k < K; ++k) acc += w[k] * (rows[int64_t(k) * P + i] - s);
    } else {
#pragma unroll 16
      for (int k = 0; k < K; ++k) acc += w[k] * rows[int64_t(k) * P + i];
    }
    out[i] = acc;
  }
}

void weighted_row_sum(float* out,
                      const float* rows,
                      const float* sub,
                      const float* w,
                      int K,
                      int64_t P,
                      float beta,
                      cudaStream_t s) {
  if (P <= 0) return;
  FEDSIM_LAUNCH(weighted_row_sum_kernel, blocks_for(P), kThreads, s)(out, rows, sub, w, K, P, beta);
  CUDA_CHECK_LAUNCH();
}

// x, delta, m, v: [P]   one server optimizer step per element (server_update_element)
static __global__ void server_update_kernel(float* __restrict__ x,
                                            const float* __restrict__ delta,
                                            float* __restrict__ m,
                                            float* __restrict__ v,
                                            ServerParams p,
                                            int64_t P) {
  for (int64_t i = thread_index_x(); i < P; i += thread_stride_x())
    server_update_element(x[i], delta[i], m[i], v[i], p);
}

void server_update(float* x,
                   const float* delta,
                   float* m,
                   float* v,
                   const ServerParams& p,
                   int64_t P,
                   cudaStream_t s) {
  if (P <= 0) return;
  FEDSIM_LAUNCH(server_update_kernel, blocks_for(P), kThreads, s)(x, delta, m, v, p, P);
  CUDA_CHECK_LAUNCH();
}

}  // namespace fedsim::cuda
