// The weight-gradient GEMM of a training step, C_b = beta C_b + alpha A_b^T B_b per client, for the
// small inner dimension of a local batch (FEDSIM_CUDA_EXPERIMENTAL=1; not yet verified on a GPU).
//
// With k = the batch's rows (about 32), each client's [out, in] output is large against its inputs,
// so the GEMM is bound by reading and writing C (a fused SGD step reads and writes every weight);
// cuBLAS reached 16-18 TFLOP/s on the H200 at these shapes, about 2 TB/s of C traffic. Here each
// block owns a 64 x 64 tile of one client's C: it loads C's tile into registers first (when beta
// != 0, so the read overlaps the loads of A and B), stages k-chunks of A and B in shared memory,
// accumulates 4 x 4 outputs per thread with FMAs, and writes the tile once. A ragged K (DP-SGD's
// Poisson batches) is a per-client loop bound: no padding rows are read, no buckets are needed.
// CPU twin: CpuBackend::gemm_batched / gemm_ragged with trans_a (the conformance suite compares).
#include "cuda/cuda_check.cuh"
#include "cuda/kernels.cuh"
#include "cuda/launch.cuh"

namespace fedsim::cuda {

constexpr int kTile = 64;   // C tile: kTile x kTile outputs per block
constexpr int kChunk = 32;  // rows of A and B staged per step
constexpr int kSide = 16;   // 16 x 16 threads, each kTile / kSide = 4 rows x 4 columns of the tile
constexpr int kPer = kTile / kSide;

// a: [batch] x [k, m] (lda)   b: [batch] x [k, n] (ldb)   c: [batch] x [m, n] (ldc), row-major.
// Client z uses rows [0, k_z) of its A and B, k_z = rows ? clamp(rows[z], 0, k) : k.
// Thread (ty, tx) owns rows i0 + ty + 16 p and columns j0 + tx + 16 q (p, q < 4): a warp's stores
// and its shared-memory reads of B are 16 consecutive floats.
static __global__ void __launch_bounds__(kSide* kSide)
    gemm_tn_kernel(int m,
                   int n,
                   int k,
                   float alpha,
                   const float* __restrict__ a,
                   int lda,
                   int64_t stride_a,
                   const float* __restrict__ b,
                   int ldb,
                   int64_t stride_b,
                   float beta,
                   float* __restrict__ c,
                   int ldc,
                   int64_t stride_c,
                   int batch,
                   const int* __restrict__ rows) {
  __shared__ float as[kChunk][kTile];  // as[r][i] = A_z[r0 + r, i0 + i]
  __shared__ float bs[kChunk][kTile];  // bs[r][j] = B_z[r0 + r, j0 + j]
  const int tx = int(threadIdx.x), ty = int(threadIdx.y), t = ty * kSide + tx;
  const int i0 = int(blockIdx.y) * kTile, j0 = int(blockIdx.x) * kTile;
  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z) {  // uniform in the block
    const float* az = a + z * stride_a;
    const float* bz = b + z * stride_b;
    float* cz = c + z * stride_c;
    const int kz = rows ? min(max(rows[z], 0), k) : k;

    float old[kPer][kPer];  // beta * C, read first (beta == 0: C is not read, as in BLAS)
#pragma unroll
    for (int p = 0; p < kPer; ++p)
#pragma unroll
      for (int q = 0; q < kPer; ++q) {
        const int i = i0 + ty + kSide * p, j = j0 + tx + kSide * q;
        old[p][q] = beta != 0.0f && i < m && j < n ? beta * cz[int64_t(i) * ldc + j] : 0.0f;
      }
    float acc[kPer][kPer] = {};
    for (int r0 = 0; r0 < kz; r0 += kChunk) {
      const int rk = min(kChunk, kz - r0);
      // Stage rows r0 .. r0 + rk of A's and B's tile columns (zeros outside the matrices).
#pragma unroll
      for (int e = t; e < kChunk * kTile; e += kSide * kSide) {
        const int r = e / kTile, col = e % kTile;
        const bool in_rows = r < rk;
        as[r][col] = in_rows && i0 + col < m ? az[int64_t(r0 + r) * lda + i0 + col] : 0.0f;
        bs[r][col] = in_rows && j0 + col < n ? bz[int64_t(r0 + r) * ldb + j0 + col] : 0.0f;
      }
      __syncthreads();
      for (int r = 0; r < rk; ++r) {
        float av[kPer], bv[kPer];
#pragma unroll
        for (int p = 0; p < kPer; ++p) av[p] = as[r][ty + kSide * p];
#pragma unroll
        for (int q = 0; q < kPer; ++q) bv[q] = bs[r][tx + kSide * q];
#pragma unroll
        for (int p = 0; p < kPer; ++p)
#pragma unroll
          for (int q = 0; q < kPer; ++q) acc[p][q] = fmaf(av[p], bv[q], acc[p][q]);
      }
      __syncthreads();  // the tiles are overwritten by the next chunk
    }
#pragma unroll
    for (int p = 0; p < kPer; ++p)
#pragma unroll
      for (int q = 0; q < kPer; ++q) {
        const int i = i0 + ty + kSide * p, j = j0 + tx + kSide * q;
        if (i < m && j < n) cz[int64_t(i) * ldc + j] = alpha * acc[p][q] + old[p][q];
      }
  }
}

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
                     cudaStream_t s) {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  const dim3 grid(unsigned((n + kTile - 1) / kTile), unsigned((m + kTile - 1) / kTile),
                  unsigned(batch < kMaxBlocksY ? batch : kMaxBlocksY));
  FEDSIM_LAUNCH(gemm_tn_kernel, grid, dim3(kSide, kSide), s)
  (m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch, rows_dev);
  CUDA_CHECK_LAUNCH();
}

}  // namespace fedsim::cuda
