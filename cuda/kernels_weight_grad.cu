// The weight-gradient GEMM of a training step, C_z = beta C_z + alpha A_z^T B_z per client, for
// the small inner dimension of a local batch, and DP-SGD's fused layer step built on it
// (FEDSIM_CUDA_EXPERIMENTAL weight_grad and fused_noise; not yet verified on a GPU).
//
// With k = the batch's rows (about 32), each client's [out, in] output is large against its inputs,
// so the GEMM is bound by reading and writing C (a fused SGD step reads and writes every weight);
// cuBLAS reached 16-18 TFLOP/s on the H200 at these shapes, about 2 TB/s of C traffic. Here each
// block owns a 64 x 64 tile of one client's C: it reads C's tile into registers first (when beta
// != 0, so the read overlaps the loads of A and B), stages k-chunks of A and B in shared memory,
// accumulates 4 x 4 outputs per thread with FMAs, and writes the tile once. A ragged K (DP-SGD's
// Poisson batches) is a per-client loop bound: no padding rows are read, no buckets are needed.
//
// The fused layer step (Backend::noisy_layer_step) ends differently: each weight gets
// W + s (G + stddev z) with z the element's Gaussian noise (gaussian4_at, one Philox block per
// thread's 4 consecutive columns when they are aligned), exactly noisy_sgd_step's expression, and
// the first column tile also sums the bias gradients (rows of dZ, in row order, as bias_grad) and
// updates the biases. So the gradient never goes through memory.
// CPU twins: CpuBackend::gemm_batched / gemm_ragged with trans_a, CpuBackend::noisy_layer_step.
#include "cuda/cuda_check.cuh"
#include "cuda/kernels.cuh"
#include "cuda/launch.cuh"

namespace fedsim::cuda {

constexpr int kTile = 64;   // C tile: kTile x kTile outputs per block
constexpr int kChunk = 32;  // rows of A and B staged per step
constexpr int kSide = 16;   // 16 x 16 threads, each kTile / kSide = 4 rows x 4 columns of the tile
constexpr int kPer = kTile / kSide;

// What the fused layer step adds to the plain GEMM (kNoisy): C = W_z (params + z * stride_c +
// w_offset, alpha = 1, beta = 1 in effect), the biases, and the noise's coordinates.
struct NoisyArgs {
  float stddev;
  const float* lr_scale;       // [batch], s_z = -lr_scale[z]
  const uint32_t* client_ids;  // [batch]
  NoiseKey key;
  uint32_t round, step;
  int64_t w_offset, b_offset;  // element indices in the client's parameter row
  float* bias;                 // params + b_offset (client z: + z * stride_c)
  const float* row_scale;      // [batch, k] factors for A's rows (as scale_rows), or null
};

// The fused step's end, for the block's tile of client z: W + s (G + stddev z) per weight, as
// noisy_sgd_step computes it, and the same for the biases (first column tile). The sums go through
// shared memory (the free staging rows) so that each of the thread's rows is finished in turn, one
// Philox block at a time: few registers.
static __device__ void noisy_epilogue(float (*stage)[kTile],
                                      float* bias_sum,
                                      const float (&acc)[kPer][kPer],
                                      const float (&bsum)[kPer],
                                      bool bias_thread,
                                      int64_t z,
                                      float* cz,
                                      int ldc,
                                      int m,
                                      int n,
                                      int i0,
                                      int j0,
                                      int64_t stride_c,
                                      const NoisyArgs& noisy) {
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
#pragma unroll
  for (int p = 0; p < kPer; ++p)
#pragma unroll
    for (int q = 0; q < kPer; ++q) stage[ty + kSide * p][kPer * tx + q] = acc[p][q];
  if (bias_thread)
#pragma unroll
    for (int p = 0; p < kPer; ++p) bias_sum[ty + kSide * p] = bsum[p];
  __syncthreads();
  const float s = -noisy.lr_scale[z];
  const uint32_t client = noisy.client_ids[z];
#pragma unroll 1
  for (int p = 0; p < kPer; ++p) {
    const int ti = ty + kSide * p, i = i0 + ti, j = j0 + kPer * tx;
    if (i >= m || j >= n) continue;
    const int64_t e0 = noisy.w_offset + int64_t(i) * ldc + j;  // element of column j
    float zn[kPer];
    if (e0 % 4 == 0 && j + kPer <= n) {
      gaussian4_at(noisy.key, noisy.round, client, noisy.step, uint32_t(e0 / 4), zn);
    } else {
#pragma unroll 1
      for (int q = 0; q < kPer; ++q)
        zn[q] = gaussian_at(noisy.key, noisy.round, client, noisy.step, uint64_t(e0 + q));
    }
    float* w = cz + int64_t(i) * ldc + j;
#pragma unroll
    for (int q = 0; q < kPer; ++q)
      if (j + q < n) w[q] = w[q] + s * (stage[ti][kPer * tx + q] + noisy.stddev * zn[q]);
  }
  if (bias_thread) {
    float* bias = noisy.bias + z * stride_c;
#pragma unroll 1
    for (int p = 0; p < kPer; ++p) {
      const int ti = ty + kSide * p, i = i0 + ti;
      if (i >= m) continue;
      const float zb =
          gaussian_at(noisy.key, noisy.round, client, noisy.step, uint64_t(noisy.b_offset + i));
      bias[i] = bias[i] + s * (bias_sum[ti] + noisy.stddev * zb);
    }
  }
  __syncthreads();  // the tile is restaged for the next client
}

// a: [batch] x [k, m] (lda)   b: [batch] x [k, n] (ldb)   c: [batch] x [m, n] (ldc), row-major.
// Client z uses rows [0, k_z) of its A and B, k_z = rows ? clamp(rows[z], 0, k) : k.
// Thread (ty, tx) owns rows i0 + ty + 16 p (p < 4) and the 4 consecutive columns j0 + 4 tx + q
// (one Philox block of noise when they are aligned in the parameter row).
template <bool kNoisy>
static __global__ void __launch_bounds__(kSide* kSide) gemm_tn_kernel(int m,
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
                                                                      const int* __restrict__ rows,
                                                                      NoisyArgs noisy) {
  // Rows [0, kChunk) stage A (stage[r][i] = A_z[r0 + r, i0 + i]), rows [kChunk, 2 kChunk) stage B
  // (stage[kChunk + r][j] = B_z[r0 + r, j0 + j]); the fused step reuses all of it for the tile.
  __shared__ float stage[2 * kChunk][kTile];
  __shared__ float bias_sum[kTile];
  const int tx = int(threadIdx.x), ty = int(threadIdx.y), t = ty * kSide + tx;
  const int i0 = int(blockIdx.y) * kTile, j0 = int(blockIdx.x) * kTile;
  const bool bias_thread = kNoisy && blockIdx.x == 0 && tx == 0;  // sums the bias gradients
  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z) {       // uniform in the block
    const float* az = a + z * stride_a;
    const float* bz = b + z * stride_b;
    float* cz = c + z * stride_c;
    const int kz = rows ? min(max(rows[z], 0), k) : k;

    // beta * C, read first so that it overlaps the loads of A and B (beta == 0: C is not read,
    // as in BLAS). The fused step reads W later, when its registers are free.
    float old[kPer][kPer] = {};
    if (!kNoisy && beta != 0.0f)
#pragma unroll
      for (int p = 0; p < kPer; ++p)
#pragma unroll
        for (int q = 0; q < kPer; ++q) {
          const int i = i0 + ty + kSide * p, j = j0 + kPer * tx + q;
          if (i < m && j < n) old[p][q] = beta * cz[int64_t(i) * ldc + j];
        }
    float acc[kPer][kPer] = {};
    float bsum[kPer] = {};
    for (int r0 = 0; r0 < kz; r0 += kChunk) {
      const int rk = min(kChunk, kz - r0);
      // Stage rows r0 .. r0 + rk of A's and B's tile columns (zeros outside the matrices).
      // A fixed count per thread (8), unrolled by 4: a thread's loads go out in groups, with
      // registers left for 4-5 blocks per SM (48-54 registers a thread, sm_90).
#pragma unroll 4
      for (int it = 0; it < kChunk * kTile / (kSide * kSide); ++it) {
        const int e = t + it * kSide * kSide, r = e / kTile, col = e % kTile;
        const bool in_rows = r < rk;
        float v = in_rows && i0 + col < m ? az[int64_t(r0 + r) * lda + i0 + col] : 0.0f;
        if (kNoisy && noisy.row_scale && in_rows) {  // the clip factor, exactly as scale_rows
          const float f = noisy.row_scale[z * k + r0 + r];
          v = f == 0.0f ? 0.0f : v * f;
        }
        stage[r][col] = v;
        stage[kChunk + r][col] =
            in_rows && j0 + col < n ? bz[int64_t(r0 + r) * ldb + j0 + col] : 0.0f;
      }
      __syncthreads();
      for (int r = 0; r < rk; ++r) {
        float av[kPer], bv[kPer];
#pragma unroll
        for (int p = 0; p < kPer; ++p) av[p] = stage[r][ty + kSide * p];
#pragma unroll
        for (int q = 0; q < kPer; ++q) bv[q] = stage[kChunk + r][kPer * tx + q];
#pragma unroll
        for (int p = 0; p < kPer; ++p)
#pragma unroll
          for (int q = 0; q < kPer; ++q) acc[p][q] = fmaf(av[p], bv[q], acc[p][q]);
        if (bias_thread)
#pragma unroll
          for (int p = 0; p < kPer; ++p) bsum[p] += av[p];
      }
      __syncthreads();  // the staging rows are overwritten next
    }

    if constexpr (!kNoisy) {
#pragma unroll
      for (int p = 0; p < kPer; ++p)
#pragma unroll
        for (int q = 0; q < kPer; ++q) {
          const int i = i0 + ty + kSide * p, j = j0 + kPer * tx + q;
          if (i < m && j < n) cz[int64_t(i) * ldc + j] = alpha * acc[p][q] + old[p][q];
        }
    } else {
      noisy_epilogue(stage, bias_sum, acc, bsum, bias_thread, z, cz, ldc, m, n, i0, j0, stride_c,
                     noisy);
    }
  }
}

namespace {

dim3 tile_grid(int m, int n, int batch) {
  return dim3(unsigned((n + kTile - 1) / kTile), unsigned((m + kTile - 1) / kTile),
              unsigned(batch < kMaxBlocksY ? batch : kMaxBlocksY));
}

}  // namespace

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
  FEDSIM_LAUNCH_COOPERATIVE(gemm_tn_kernel<false>, tile_grid(m, n, batch), dim3(kSide, kSide), s)
  (m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch, rows_dev,
   NoisyArgs{});
  CUDA_CHECK_LAUNCH();
}

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
                      cudaStream_t s) {
  if (out <= 0 || in <= 0 || K <= 0) return;
  const NoisyArgs noisy{stddev,   lr_scale, client_ids,        key,      round, step,
                        w_offset, b_offset, params + b_offset, row_scale};
  // C_z = W_z [out, in] = params + z * param_stride + w_offset; A_z = dZ_z [B, out]; B_z = A_z
  // [B, in].
  FEDSIM_LAUNCH_COOPERATIVE(gemm_tn_kernel<true>, tile_grid(out, in, K), dim3(kSide, kSide), s)
  (out, in, B, 1.0f, dz, out, int64_t(B) * out, a, in, int64_t(B) * in, 1.0f, params + w_offset, in,
   param_stride, K, rows_dev, noisy);
  CUDA_CHECK_LAUNCH();
}

}  // namespace fedsim::cuda
