// Memory and elementwise kernels: fill, broadcast_rows, subtract_row, scale_matrices; the pointer
// arrays of gemm_ragged's bucketed GEMMs (ragged_pointers).
// CPU twins: CpuBackend::fill, broadcast_rows, subtract_row, and gemm_ragged's k = 0 branch.
#include "cuda/cuda_check.cuh"
#include "cuda/kernels.cuh"
#include "cuda/launch.cuh"

namespace fedsim::cuda {

// x: [n]   x[i] = value
static __global__ void fill_kernel(float* __restrict__ x, float value, int64_t n) {
  for (int64_t i = thread_index_x(); i < n; i += thread_stride_x()) x[i] = value;
}

void fill(float* x, float value, size_t n, cudaStream_t s) {
  if (n == 0) return;
  FEDSIM_LAUNCH(fill_kernel, blocks_for(int64_t(n)), kThreads, s)(x, value, int64_t(n));
  CUDA_CHECK_LAUNCH();
}

// rows: [K, P]  src: [P]   rows[k, i] = src[i]
static __global__ void broadcast_rows_kernel(float* __restrict__ rows,
                                             const float* __restrict__ src,
                                             int K,
                                             int64_t P) {
  for (int64_t k = blockIdx.y; k < K; k += gridDim.y)
    for (int64_t i = thread_index_x(); i < P; i += thread_stride_x()) rows[k * P + i] = src[i];
}

void broadcast_rows(float* rows, const float* src, int K, int64_t P, cudaStream_t s) {
  if (K <= 0 || P <= 0) return;
  FEDSIM_LAUNCH(broadcast_rows_kernel, grid_rows_cols(K, P), kThreads, s)(rows, src, K, P);
  CUDA_CHECK_LAUNCH();
}

// rows: [K, P]  src: [P]   rows[k, i] -= src[i]
static __global__ void subtract_row_kernel(float* __restrict__ rows,
                                           const float* __restrict__ src,
                                           int K,
                                           int64_t P) {
  for (int64_t k = blockIdx.y; k < K; k += gridDim.y)
    for (int64_t i = thread_index_x(); i < P; i += thread_stride_x()) rows[k * P + i] -= src[i];
}

void subtract_row(float* rows, const float* src, int K, int64_t P, cudaStream_t s) {
  if (K <= 0 || P <= 0) return;
  FEDSIM_LAUNCH(subtract_row_kernel, grid_rows_cols(K, P), kThreads, s)(rows, src, K, P);
  CUDA_CHECK_LAUNCH();
}

// c: batch matrices [m, n] (row-major, leading dimension ldc, c_b = c + b * stride_c)
//   c_b[r, j] = beta == 0 ? 0 : beta * c_b[r, j]   (beta == 0 never reads: BLAS semantics)
// One grid row (y) per (b, r) pair, x over the n columns.
static __global__ void scale_matrices_kernel(
    float* __restrict__ c, int m, int n, int ldc, int64_t stride_c, int batch, float beta) {
  const int64_t pairs = int64_t(batch) * m;
  for (int64_t br = blockIdx.y; br < pairs; br += gridDim.y) {
    float* row = c + (br / m) * stride_c + (br % m) * int64_t(ldc);
    for (int64_t j = thread_index_x(); j < n; j += thread_stride_x())
      row[j] = beta == 0.0f ? 0.0f : beta * row[j];
  }
}

void scale_matrices(
    float* c, int m, int n, int ldc, int64_t stride_c, int batch, float beta, cudaStream_t s) {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  FEDSIM_LAUNCH(scale_matrices_kernel, grid_rows_cols(int64_t(batch) * m, n), kThreads, s)
  (c, m, n, ldc, stride_c, batch, beta);
  CUDA_CHECK_LAUNCH();
}

// ptrs: [3 * count]  order: [count]   (see kernels.cuh)
static __global__ void ragged_pointers_kernel(const float** __restrict__ ptrs,
                                              const int* __restrict__ order,
                                              int count,
                                              const float* a,
                                              int64_t stride_a,
                                              const float* b,
                                              int64_t stride_b,
                                              const float* c,
                                              int64_t stride_c) {
  for (int64_t j = thread_index_x(); j < count; j += thread_stride_x()) {
    const int64_t i = order[j];
    ptrs[j] = a + i * stride_a;
    ptrs[count + j] = b + i * stride_b;
    ptrs[2 * int64_t(count) + j] = c + i * stride_c;
  }
}

void ragged_pointers(const float** ptrs,
                     const int* order,
                     int count,
                     const float* a,
                     int64_t stride_a,
                     const float* b,
                     int64_t stride_b,
                     const float* c,
                     int64_t stride_c,
                     cudaStream_t s) {
  if (count <= 0) return;
  FEDSIM_LAUNCH(ragged_pointers_kernel, blocks_for(count), kThreads, s)
  (ptrs, order, count, a, stride_a, b, stride_b, c, stride_c);
  CUDA_CHECK_LAUNCH();
}

}  // namespace fedsim::cuda
