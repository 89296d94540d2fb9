// Layer kernels: gather_rows, bias_act_forward, relu_backward, softmax_xent_backward, bias_grad,
// softmax_eval. CPU twins: the functions of the same names in sim/backend/cpu_backend.cpp; each
// kernel computes every output element with the same expression in the same order (comparisons
// written as the CPU's std::max / ternaries, so NaNs propagate alike).
#include <cmath>
#include <cstdint>

#include "cuda/cuda_check.cuh"
#include "cuda/kernels.cuh"
#include "cuda/launch.cuh"

namespace fedsim::cuda {

// x: [N, d]  y: [N]  idx: [rows]  x_out: [rows, d]  y_out: [rows]
//   x_out[r, :] = x[idx[r], :], y_out[r] = y[idx[r]]; idx[r] < 0: a zero row and label 0.
// Index: the flat element index's type, uint32_t when the elements fit (a 64-bit division per
// element costs the GPU more than the copy itself), else int64_t.
template <typename Index>
static __global__ void gather_rows_kernel(float* __restrict__ x_out,
                                          int32_t* __restrict__ y_out,
                                          const float* __restrict__ x,
                                          const int32_t* __restrict__ y,
                                          const int64_t* __restrict__ idx,
                                          int64_t rows,
                                          int d) {
  for (int64_t r = thread_index_x(); r < rows; r += thread_stride_x()) {
    const int64_t src = idx[r];
    y_out[r] = src < 0 ? 0 : y[src];
  }
  const Index total = Index(rows * d), dd = Index(d);
  for (int64_t t64 = thread_index_x(); t64 < int64_t(total); t64 += thread_stride_x()) {
    const Index t = Index(t64), r = t / dd, j = t - r * dd;
    const int64_t src = idx[r];
    x_out[t64] = src < 0 ? 0.0f : x[src * d + j];
  }
}

// Whether flat indices below `total` fit the 32-bit kernels.
inline bool fits_32_bits(int64_t total) {
  return total <= int64_t(UINT32_MAX);
}

void gather_rows(float* x_out,
                 int32_t* y_out,
                 const float* x,
                 const int32_t* y,
                 const int64_t* idx,
                 int64_t rows,
                 int d,
                 cudaStream_t s) {
  if (rows <= 0) return;
  const unsigned blocks = blocks_for(rows * (d > 0 ? d : 1));
  if (fits_32_bits(rows * d)) {
    FEDSIM_LAUNCH(gather_rows_kernel<uint32_t>, blocks, kThreads, s)
    (x_out, y_out, x, y, idx, rows, d);
  } else {
    FEDSIM_LAUNCH(gather_rows_kernel<int64_t>, blocks, kThreads, s)
    (x_out, y_out, x, y, idx, rows, d);
  }
  CUDA_CHECK_LAUNCH();
}

// z: [K, B, n] (in place)  bias_k = params + k * param_stride + b_offset: [n]
//   z[k, i, j] += bias_k[j]; then ReLU as std::max(v, 0) = (v < 0 ? 0 : v) (NaN stays NaN).
// rows: device [K] or null; rows i >= rows[k] are skipped (padding). Index as in
// gather_rows_kernel.
template <typename Index>
static __global__ void bias_act_forward_kernel(float* __restrict__ z,
                                               const float* __restrict__ params,
                                               int64_t param_stride,
                                               int64_t b_offset,
                                               int64_t total,
                                               int64_t per_client,
                                               int n,
                                               bool relu,
                                               const int* __restrict__ rows) {
  const Index pc = Index(per_client), nn = Index(n);
  for (int64_t t64 = thread_index_x(); t64 < total; t64 += thread_stride_x()) {
    const Index t = Index(t64), k = t / pc, j = t % nn;
    if (rows && int64_t((t - k * pc) / nn) >= int64_t(rows[k])) continue;
    const float v = z[t64] + params[int64_t(k) * param_stride + b_offset + j];
    z[t64] = relu ? (v < 0.0f ? 0.0f : v) : v;
  }
}

void bias_act_forward(float* z,
                      const float* params,
                      int64_t param_stride,
                      int64_t b_offset,
                      int K,
                      int B,
                      int n,
                      bool relu,
                      const int* rows,
                      cudaStream_t s) {
  const int64_t per_client = int64_t(B) * n, total = per_client * K;
  if (total <= 0) return;
  if (fits_32_bits(total)) {
    FEDSIM_LAUNCH(bias_act_forward_kernel<uint32_t>, blocks_for(total), kThreads, s)
    (z, params, param_stride, b_offset, total, per_client, n, relu, rows);
  } else {
    FEDSIM_LAUNCH(bias_act_forward_kernel<int64_t>, blocks_for(total), kThreads, s)
    (z, params, param_stride, b_offset, total, per_client, n, relu, rows);
  }
  CUDA_CHECK_LAUNCH();
}

// da, a: [count]   da = a > 0 ? da : 0 (the ReLU derivative read from its output a)
static __global__ void relu_backward_kernel(float* __restrict__ da,
                                            const float* __restrict__ a,
                                            int64_t count) {
  for (int64_t i = thread_index_x(); i < count; i += thread_stride_x())
    da[i] = a[i] > 0.0f ? da[i] : 0.0f;
}

// The same over [K, B, n], skipping the rows i >= rows[k] (padding). Index as in
// gather_rows_kernel.
template <typename Index>
static __global__ void relu_backward_rows_kernel(float* __restrict__ da,
                                                 const float* __restrict__ a,
                                                 int64_t total,
                                                 int64_t per_client,
                                                 int n,
                                                 const int* __restrict__ rows) {
  const Index pc = Index(per_client), nn = Index(n);
  for (int64_t t64 = thread_index_x(); t64 < total; t64 += thread_stride_x()) {
    const Index t = Index(t64), k = t / pc;
    if (int64_t((t - k * pc) / nn) >= int64_t(rows[k])) continue;
    da[t64] = a[t64] > 0.0f ? da[t64] : 0.0f;
  }
}

void relu_backward(
    float* da, const float* a, int K, int B, int n, const int* rows, cudaStream_t s) {
  const int64_t per_client = int64_t(B) * n, count = per_client * K;
  if (count <= 0) return;
  if (!rows) {
    FEDSIM_LAUNCH(relu_backward_kernel, blocks_for(count), kThreads, s)(da, a, count);
  } else if (fits_32_bits(count)) {
    FEDSIM_LAUNCH(relu_backward_rows_kernel<uint32_t>, blocks_for(count), kThreads, s)
    (da, a, count, per_client, n, rows);
  } else {
    FEDSIM_LAUNCH(relu_backward_rows_kernel<int64_t>, blocks_for(count), kThreads, s)
    (da, a, count, per_client, n, rows);
  }
  CUDA_CHECK_LAUNCH();
}

// logits, dlogits: [K, B, C] (may alias: no __restrict__ on them)  labels, w: [K, B]
// scale, loss_acc: [K]
//   dlogits[k,i,:] = w[k,i] * scale[k] * (softmax(logits[k,i,:]) - onehot(label))
//   loss_acc[k] += sum_i w[k,i] * xent(k,i)
// One block per client, one thread per row (rows strided by the block size). The per-row math is
// the CPU's, in double where the CPU uses double. The loss sum is reduced in shared memory in a
// fixed tree order: deterministic run to run (its order differs from the CPU's sequential sum, a
// difference of the order of 1e-16 relative, before the rounding to float).
constexpr int kXentThreads = 128;  // a power of two (tree reduction)

static __global__ void softmax_xent_backward_kernel(float* dlogits,
                                                    float* __restrict__ loss_acc,
                                                    const float* logits,
                                                    const int32_t* __restrict__ labels,
                                                    const float* __restrict__ w,
                                                    const float* __restrict__ scale,
                                                    int K,
                                                    int B,
                                                    int C) {
  __shared__ double partial[kXentThreads];
  for (int k = blockIdx.x; k < K; k += gridDim.x) {  // uniform in the block (__syncthreads below)
    double loss = 0.0;
    for (int i = threadIdx.x; i < B; i += blockDim.x) {
      const int64_t r = int64_t(k) * B + i;
      const float* z = logits + r * C;
      float* dz = dlogits + r * C;
      const float wi = w[r];
      if (wi == 0.0f) {
        for (int j = 0; j < C; ++j) dz[j] = 0.0f;
        continue;
      }
      float zmax = z[0];
      for (int j = 1; j < C; ++j) zmax = zmax < z[j] ? z[j] : zmax;  // std::max(zmax, z[j])
      double sum = 0.0;
      for (int j = 0; j < C; ++j) sum += ::exp(double(z[j] - zmax));
      const int label = labels[r];
      loss += double(wi) * (::log(sum) - double(z[label] - zmax));
      const float g = wi * scale[k];
      for (int j = 0; j < C; ++j) {  // reads z[j] before writing dz[j]: safe in place
        const float p = float(::exp(double(z[j] - zmax)) / sum);
        dz[j] = g * (p - (j == label ? 1.0f : 0.0f));
      }
    }
    partial[threadIdx.x] = loss;
    __syncthreads();
    for (int half = kXentThreads / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) loss_acc[k] += float(partial[0]);
    __syncthreads();  // partial[] is reused by the next client
  }
}

void softmax_xent_backward(float* dlogits,
                           float* loss_acc,
                           const float* logits,
                           const int32_t* labels,
                           const float* w,
                           const float* scale,
                           int K,
                           int B,
                           int C,
                           cudaStream_t s) {
  if (K <= 0) return;
  const unsigned blocks = unsigned(K < kMaxBlocksX ? K : kMaxBlocksX);
  FEDSIM_LAUNCH_COOPERATIVE(softmax_xent_backward_kernel, blocks, kXentThreads, s)
  (dlogits, loss_acc, logits, labels, w, scale, K, B, C);
  CUDA_CHECK_LAUNCH();
}

// dz: [K, B, n]  g_k = grad + k * param_stride + b_offset: [n]
//   g_k[j] = (beta == 0 ? 0 : beta * g_k[j]) + alpha * sum_i dz[k, i, j]
// One thread per (k, j); the sum runs over i in order from 0.0f, as the CPU's (bit-identical).
static __global__ void bias_grad_kernel(float* __restrict__ grad,
                                        int64_t param_stride,
                                        int64_t b_offset,
                                        const float* __restrict__ dz,
                                        int K,
                                        int B,
                                        int n,
                                        float alpha,
                                        float beta) {
  const int64_t total = int64_t(K) * n;
  for (int64_t t = thread_index_x(); t < total; t += thread_stride_x()) {
    const int64_t k = t / n, j = t - k * n;
    const float* col = dz + k * B * n + j;
    float sum = 0.0f;
    for (int i = 0; i < B; ++i) sum += col[int64_t(i) * n];
    float* g = grad + k * param_stride + b_offset + j;
    *g = (beta == 0.0f ? 0.0f : beta * *g) + alpha * sum;  // beta == 0 never reads g
  }
}

void bias_grad(float* grad,
               int64_t param_stride,
               int64_t b_offset,
               const float* dz,
               int K,
               int B,
               int n,
               float alpha,
               float beta,
               cudaStream_t s) {
  const int64_t total = int64_t(K) * n;
  if (total <= 0) return;
  FEDSIM_LAUNCH(bias_grad_kernel, blocks_for(total), kThreads, s)
  (grad, param_stride, b_offset, dz, K, B, n, alpha, beta);
  CUDA_CHECK_LAUNCH();
}

// logits: [n, C]  labels: [n]  loss, pred, p1: [n]
//   loss[i] = cross-entropy, pred[i] = the first argmax, p1[i] = softmax prob. of class 1 (C >= 2)
static __global__ void softmax_eval_kernel(float* __restrict__ loss,
                                           int32_t* __restrict__ pred,
                                           float* __restrict__ p1,
                                           const float* __restrict__ logits,
                                           const int32_t* __restrict__ labels,
                                           int64_t n,
                                           int C) {
  for (int64_t i = thread_index_x(); i < n; i += thread_stride_x()) {
    const float* z = logits + i * C;
    int arg = 0;
    for (int j = 1; j < C; ++j)
      if (z[j] > z[arg]) arg = j;
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += ::exp(double(z[j] - z[arg]));
    loss[i] = float(::log(sum) - double(z[labels[i]] - z[arg]));
    pred[i] = arg;
    p1[i] = C >= 2 ? float(::exp(double(z[1] - z[arg])) / sum) : 0.0f;
  }
}

void softmax_eval(float* loss,
                  int32_t* pred,
                  float* p1,
                  const float* logits,
                  const int32_t* labels,
                  int64_t n,
                  int C,
                  cudaStream_t s) {
  if (n <= 0) return;
  FEDSIM_LAUNCH(softmax_eval_kernel, blocks_for(n), kThreads, s)
  (loss, pred, p1, logits, labels, n, C);
  CUDA_CHECK_LAUNCH();
}

}  // namespace fedsim::cuda
