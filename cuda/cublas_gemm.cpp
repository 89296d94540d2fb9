// GEMMs on cuBLAS, with the row-major / column-major mapping written down once.
//
// Backend matrices are row-major; cuBLAS is column-major. A row-major matrix X [r, c] with leading
// dimension ld is, byte for byte, the column-major matrix X^T [c, r] with the same ld. So
//     C = op(A) op(B)   (row-major, C: [m, n])
// is  C^T = op(B)^T op(A)^T   (column-major, C^T: [n, m]),
// and the column-major call takes the operands swapped, each with its own transpose flag:
//     cublasSgemm(opB, opA, n, m, k, alpha, B, ldb, A, lda, beta, C, ldc)
// where opX = trans_x ? CUBLAS_OP_T : CUBLAS_OP_N. (With trans_b false, B is row-major [k, n],
// i.e. column-major B^T [n, k] = op(B)^T untransposed; with trans_b true, B is stored row-major
// [n, k], column-major [k, n], and CUBLAS_OP_T gives [n, k] again. Likewise for A.)
// The leading dimensions carry over unchanged.
//
// Precision: the handle is set to CUBLAS_DEFAULT_MATH (no TF32: FP32 inputs, FP32 products and
// sums), atomics not allowed; cuBLAS then gives the same bits run to run on the same GPU model
// and toolkit (cuBLAS docs, "Results reproducibility").
#include "cuda/cublas_gemm.h"

#include <algorithm>

#include "cuda/cuda_check.cuh"
#include "cuda/kernels.cuh"

namespace fedsim::cuda {

// batchCount is split into pieces of at most this many (older cuBLAS versions mapped the batch
// onto a grid dimension limited to 65535; the split costs nothing at these sizes).
constexpr int kMaxBatchPerCall = 65535;

void gemm_strided_batched(cublasHandle_t handle,
                          cudaStream_t stream,
                          bool trans_a,
                          bool trans_b,
                          int m,
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
                          int batch) {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  if (k <= 0) {  // an empty product: C = beta * C (BLAS semantics), without calling cuBLAS
    scale_matrices(c, m, n, ldc, stride_c, batch, beta, stream);
    return;
  }
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (batch == 1) {  // one GEMM (e.g. evaluation): plain Sgemm, the best-tuned path
    CUBLAS_CHECK_THROW(
        cublasSgemm(handle, op_b, op_a, n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc));
    return;
  }
  for (int b0 = 0; b0 < batch; b0 += kMaxBatchPerCall) {
    const int nb = std::min(kMaxBatchPerCall, batch - b0);
    CUBLAS_CHECK_THROW(cublasSgemmStridedBatched(
        handle, op_b, op_a, n, m, k, &alpha, b + b0 * stride_b, ldb, stride_b, a + b0 * stride_a,
        lda, stride_a, &beta, c + b0 * stride_c, ldc, stride_c, nb));
  }
}

void gemm_pointer_batched(cublasHandle_t handle,
                          bool trans_a,
                          bool trans_b,
                          int m,
                          int n,
                          int k,
                          float alpha,
                          const float* const* a,
                          int lda,
                          const float* const* b,
                          int ldb,
                          float beta,
                          float* const* c,
                          int ldc,
                          int batch) {
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0) return;
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  for (int b0 = 0; b0 < batch; b0 += kMaxBatchPerCall) {
    const int nb = std::min(kMaxBatchPerCall, batch - b0);
    CUBLAS_CHECK_THROW(cublasSgemmBatched(handle, op_b, op_a, n, m, k, &alpha, b + b0, ldb, a + b0,
                                          lda, &beta, c + b0, ldc, nb));
  }
}

}  // namespace fedsim::cuda
