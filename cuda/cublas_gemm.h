// The CUDA backend's GEMMs, on cuBLAS (the only file that calls cuBLAS is cublas_gemm.cpp).
// CUDA types inside: include only from cuda/ sources.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace fedsim::cuda {

// For b < batch: C_b = alpha * op(A_b) * op(B_b) + beta * C_b, all ROW-major (Backend's
// convention); op(A_b): [m, k], op(B_b): [k, n], C_b: [m, n], X_b = X + b * stride_x.
// k == 0 gives C_b = beta * C_b (beta == 0: zeros, C not read). On `handle`'s stream.
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
                          int batch);

// The same for matrices anywhere: for b < batch, C[b] = alpha op(A[b]) op(B[b]) + beta C[b], where
// a, b, c are DEVICE arrays of `batch` pointers (cublasSgemmBatched). Requires k > 0.
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
                          int batch);

}  // namespace fedsim::cuda
