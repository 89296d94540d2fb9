// Launchers of the CUDA backend's kernels: one `static __global__` kernel per op in the .cu file
// of its family, and here only the launcher, which takes the backend's stream, returns at once
// for empty inputs (a launch with 0 blocks is an error), and checks the launch.
//
// Families (one .cu each, to keep nvcc invocations few):
//   kernels_memory.cu   fill, broadcast_rows, subtract_row, scale_matrices (gemm with k = 0),
//                       ragged_pointers
//   kernels_layers.cu   gather_rows, bias_act_forward, relu_backward, softmax_xent_backward,
//                       bias_grad, softmax_eval
//   kernels_dp.cu       ghost_sqnorm, clip_factors, scale_rows, add_noise_and_scale, noisy_sgd_step
//   kernels_updates.cu  sgd_update, row_sqnorms, weighted_row_sum, server_update
//   kernels_weight_grad.cu  gemm_tn_small_k (the weight-gradient GEMM), noisy_layer_step
//                       (DP-SGD's fused layer step); experimental
// Every pointer is device memory. Shapes are in the comments of backend.h and above each kernel.
// Every kernel file is compiled with -fmad=false: nvcc may not fuse a*b+c into one FMA, so the
// per-element arithmetic rounds exactly like the CPU twin's (built for x86-64 without FMA).
// This header has CUDA types: include it only from cuda/ sources, never from sim/.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "sim/backend/backend.h"
#include "sim/util/gaussian_noise.h"

namespace fedsim::cuda {

// ---- kernels_memory.cu ----------------------------------------------------------------------
void fill(float* x, float value, size_t n, cudaStream_t s);
void broadcast_rows(float* rows, const float* src, int K, int64_t P, cudaStream_t s);
void subtract_row(float* rows, const float* src, int K, int64_t P, cudaStream_t s);
// C_b[r, j] = beta == 0 ? 0 : beta * C_b[r, j] for b < batch, r < m, j < n (C_b = c + b * stride).
void scale_matrices(
    float* c, int m, int n, int ldc, int64_t stride_c, int batch, float beta, cudaStream_t s);
// Pointer arrays of a pointer-batched GEMM over the clients order[0 .. count): ptrs[j] =
// a + order[j] * stride_a, ptrs[count + j] = b + order[j] * stride_b, ptrs[2 count + j] = c + ...
void ragged_pointers(const float** ptrs,
                     const int* order,
                     int count,
                     const float* a,
                     int64_t stride_a,
                     const float* b,
                     int64_t stride_b,
                     const float* c,
                     int64_t stride_c,
                     cudaStream_t s);

// ---- kernels_layers.cu ----------------------------------------------------------------------
void gather_rows(float* x_out,
                 int32_t* y_out,
                 const float* x,
                 const int32_t* y,
                 const int64_t* idx,
                 int64_t rows,
                 int d,
                 cudaStream_t s);
void bias_act_forward(float* z,
                      const float* params,
                      int64_t param_stride,
                      int64_t b_offset,
                      int K,
                      int B,
                      int n,
                      bool relu,
                      const int* rows,
                      cudaStream_t s);
// rows (here and in ghost_sqnorm): device [K] row bounds, or null for all B rows.
void relu_backward(float* da, const float* a, int K, int B, int n, const int* rows, cudaStream_t s);
void softmax_xent_backward(float* dlogits,
                           float* loss_acc,
                           const float* logits,
                           const int32_t* labels,
                           const float* w,
                           const float* scale,
                           int K,
                           int B,
                           int C,
                           cudaStream_t s);
void bias_grad(float* grad,
               int64_t param_stride,
               int64_t b_offset,
               const float* dz,
               int K,
               int B,
               int n,
               float alpha,
               float beta,
               cudaStream_t s);
void softmax_eval(float* loss,
                  int32_t* pred,
                  float* p1,
                  const float* logits,
                  const int32_t* labels,
                  int64_t n,
                  int C,
                  cudaStream_t s);

// ---- kernels_dp.cu --------------------------------------------------------------------------
void ghost_sqnorm(float* n2,
                  const float* delta,
                  const float* a,
                  int K,
                  int B,
                  int out,
                  int in,
                  bool accumulate,
                  const int* rows,
                  cudaStream_t s);
void clip_factors(float* c,
                  float* clipped_acc,
                  const float* n2,
                  const float* w,
                  float clip,
                  int K,
                  int B,
                  cudaStream_t s);
void scale_rows(float* x, const float* c, int64_t rows, int n, cudaStream_t s);
// scale, client_ids: device [K] (uploaded from the host arrays of the Backend op).
void add_noise_and_scale(float* g,
                         int K,
                         int64_t P,
                         float stddev,
                         const float* scale,
                         NoiseKey key,
                         uint32_t round,
                         const uint32_t* client_ids,
                         uint32_t step,
                         cudaStream_t s);
// lr_scale, client_ids: device [K].
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
                    cudaStream_t s);

// ---- kernels_updates.cu ---------------------------------------------------------------------
void sgd_update(float* params,
                const float* grad,
                float* velocity,
                const float* global,
                const SgdParams& p,
                int K,
                int64_t P,
                cudaStream_t s);
// out: device [K] (the backend copies it to the host).
void row_sqnorms(
    double* out, const float* rows, const float* sub, int K, int64_t P, cudaStream_t s);
// w: device [K].
void weighted_row_sum(float* out,
                      const float* rows,
                      const float* sub,
                      const float* w,
                      int K,
                      int64_t P,
                      float beta,
                      cudaStream_t s);
void server_update(float* x,
                   const float* delta,
                   float* m,
                   float* v,
                   const ServerParams& p,
                   int64_t P,
                   cudaStream_t s);

// ---- kernels_secagg.cu ----------------------------------------------------------------------
// keys: device [count] (5 words each, PhiloxMaskKey's order), subtract: device [count] (0 or 1).
void add_philox_masks(uint32_t* acc,
                      size_t n,
                      const uint32_t* keys,
                      const uint32_t* subtract,
                      int count,
                      cudaStream_t s);

// ---- kernels_weight_grad.cu -----------------------------------------------------------------
// For z < batch: C_z = beta C_z + alpha A_z^T B_z over rows [0, k_z) of A_z [k, m] and B_z [k, n]
// (row-major, X_z = x + z * stride_x), k_z = rows_dev ? clamp(rows_dev[z], 0, k) : k; beta == 0
// does not read C. For small k (a local batch); rows_dev: device [batch] or null.
void gemm_tn_small_k(int m,
                     int n,
                     int k,
                     float alpha,
                     const float* a,
                     int lda,
                     int64_t stride_a,
                     const float* b,
                     int ldb,
                     int64_t stride_b,
                     float beta,
                     float* c,
                     int ldc,
                     int64_t stride_c,
                     int batch,
                     const int* rows_dev,
                     cudaStream_t s);
// Backend::noisy_layer_step; rows, lr_scale, client_ids: device [K]; row_scale: device [K, B] or
// null.
void noisy_layer_step(const int* rows_dev,
                      int K,
                      int B,
                      int out,
                      int in,
                      const float* dz,
                      const float* row_scale,
                      const float* a,
                      float* params,
                      int64_t param_stride,
                      int64_t w_offset,
                      int64_t b_offset,
                      float stddev,
                      const float* lr_scale,
                      NoiseKey key,
                      uint32_t round,
                      const uint32_t* client_ids,
                      uint32_t step,
                      cudaStream_t s);

}  // namespace fedsim::cuda
