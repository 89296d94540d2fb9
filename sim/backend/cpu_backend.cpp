// CpuBackend: reference implementation of the Backend ops (see cpu_backend.h).
#include "sim/backend/cpu_backend.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <vector>

#include "sim/backend/blas_kernels.h"
#include "sim/backend/cpu_noise.h"
#include "sim/server/server_math.h"
#include "sim/util/gaussian_noise.h"

namespace fedsim {
namespace {

// Element blocks for parallel elementwise loops: fixed size, so the split never depends on threads.
constexpr int64_t kBlock = 16384;
// Row blocks used to parallelise one large GEMM (evaluation) without changing its arithmetic.
constexpr int kGemmRowBlock = 512;

// An op's loop body(i) for i in [0, n): on all cores, or on the calling thread alone when that
// thread already runs inside a parallel region (a client tile of for_client_tiles) or there is one
// thread, where a region would cost about a microsecond (and an allocation) per op for a team of
// one. `dynamic`: uneven iterations.
template <class F>
void parallel_for(int64_t n, F&& body, bool dynamic = false) {
  if (n <= 1 || omp_in_parallel() || omp_get_max_threads() == 1) {
    for (int64_t i = 0; i < n; ++i) body(i);
  } else if (dynamic) {
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < n; ++i) body(i);
  } else {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) body(i);
  }
}

// Rows of client k that the row-wise ops compute: rows_host[k] clamped to [0, B], or all B.
int rows_of(const int* rows_host, int64_t k, int B) {
  return rows_host ? std::clamp(rows_host[k], 0, B) : B;
}

}  // namespace

CpuBackend::CpuBackend(bool client_tiles, bool shared_weights, bool noisy_layer_steps)
    : client_tiles_(client_tiles),
      shared_weights_(shared_weights),
      noisy_layer_steps_(noisy_layer_steps) {
  openblas_set_num_threads(1);
}

std::string CpuBackend::device() const {
  return "CPU, " + std::to_string(omp_get_max_threads()) + " threads (OpenBLAS " +
         blas_core_name() + " kernels)";
}

// One client per task, dynamically scheduled (clients' batches differ in size). Inside, the ops'
// loops run on the calling thread (parallel_for). Each client's result is
// computed by one thread in a fixed order, so it does not depend on the thread count. An exception
// cannot leave an OpenMP region: the first one is kept and rethrown after it.
void CpuBackend::for_client_tiles(int K, FunctionRef<void(int, int)> body) {
  if (!client_tiles_) {
    body(0, K);
    return;
  }
  if (omp_in_parallel() || omp_get_max_threads() == 1) {
    for (int k = 0; k < K; ++k) body(k, k + 1);
    return;
  }
  std::exception_ptr error;
  std::atomic<bool> failed{false};
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < K; ++k) {
    if (failed.load(std::memory_order_relaxed)) continue;
    try {
      body(k, k + 1);
    } catch (...) {
#pragma omp critical(fedsim_client_tiles)
      if (!error) error = std::current_exception();
      failed = true;
    }
  }
  if (error) std::rethrow_exception(error);
}

void* CpuBackend::alloc_bytes(size_t bytes) {
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) throw BackendError("cpu: out of memory allocating " + std::to_string(bytes) + " bytes");
  std::memset(p, 0, bytes);  // never stale or NaN bits, even in padding
  return p;
}
void CpuBackend::free_bytes(void* p) noexcept {
  std::free(p);
}
void CpuBackend::to_device(void* dst, const void* src, size_t bytes) {
  std::memcpy(dst, src, bytes);
}
void CpuBackend::to_host(void* dst, const void* src, size_t bytes) {
  std::memcpy(dst, src, bytes);
}
void CpuBackend::copy(void* dst, const void* src, size_t bytes) {
  std::memcpy(dst, src, bytes);
}
void CpuBackend::fill(float* x, float value, size_t n) {
  std::fill(x, x + n, value);
}

void CpuBackend::gemm_batched(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                              const float* a, int lda, int64_t stride_a, const float* b, int ldb,
                              int64_t stride_b, float beta, float* c, int ldc, int64_t stride_c,
                              int batch) {
  const auto ta = trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  if (batch == 1 && m > 2 * kGemmRowBlock) {
    // One tall GEMM: split the rows of op(A) and C into fixed blocks.
    const int blocks = (m + kGemmRowBlock - 1) / kGemmRowBlock;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < blocks; ++blk) {
      const int r0 = blk * kGemmRowBlock, rows = std::min(kGemmRowBlock, m - r0);
      const float* a_blk = trans_a ? a + r0 : a + int64_t(r0) * lda;
      cblas_sgemm(CblasRowMajor, ta, tb, rows, n, k, alpha, a_blk, lda, b, ldb, beta,
                  c + int64_t(r0) * ldc, ldc);
    }
    return;
  }
  parallel_for(batch, [&](int64_t i) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b, ldb,
                beta, c + i * stride_c, ldc);
  });
}

void CpuBackend::gemm_ragged(Ragged which, const int* rows_host, bool trans_a, bool trans_b, int m,
                             int n, int k, float alpha, const float* a, int lda, int64_t stride_a,
                             const float* b, int ldb, int64_t stride_b, float beta, float* c,
                             int ldc, int64_t stride_c, int batch) {
  const auto ta = trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  // Uneven work per client: dynamic scheduling (each client is still computed by one thread).
  parallel_for(
      batch,
      [&](int64_t i) {
        const int mi = which == Ragged::M ? rows_host[i] : m;
        const int ki = which == Ragged::K ? rows_host[i] : k;
        if (mi <= 0) return;
        float* ci = c + i * stride_c;
        if (ki <= 0) {  // C = beta C (BLAS would not read A or B)
          for (int r = 0; r < mi; ++r)
            for (int j = 0; j < n; ++j)
              ci[int64_t(r) * ldc + j] = beta == 0.0f ? 0.0f : beta * ci[int64_t(r) * ldc + j];
          return;
        }
        cblas_sgemm(CblasRowMajor, ta, tb, mi, n, ki, alpha, a + i * stride_a, lda,
                    b + i * stride_b, ldb, beta, ci, ldc);
      },
      true);
}

void CpuBackend::gather_rows(float* x_out, int32_t* y_out, const float* x, const int32_t* y,
                             const int64_t* idx, int64_t rows, int d) {
  parallel_for(rows, [&](int64_t r) {
    const int64_t s = idx[r];
    if (s < 0) {
      std::fill(x_out + r * d, x_out + (r + 1) * d, 0.0f);
      y_out[r] = 0;
    } else {
      std::memcpy(x_out + r * d, x + s * d, sizeof(float) * d);
      y_out[r] = y[s];
    }
  });
}

void CpuBackend::bias_act_forward(float* z, const float* params, int64_t param_stride,
                                  int64_t b_offset, int K, int B, int n, bool relu,
                                  const int* rows_host) {
  parallel_for(K, [&](int64_t k) {
    const float* bias = params + k * param_stride + b_offset;
    const int rows = rows_of(rows_host, k, B);
    for (int i = 0; i < rows; ++i) {
      float* row = z + (int64_t(k) * B + i) * n;
      for (int j = 0; j < n; ++j) {
        const float v = row[j] + bias[j];
        row[j] = relu ? std::max(v, 0.0f) : v;
      }
    }
  });
}

void CpuBackend::relu_backward(float* da, const float* a, int K, int B, int n,
                               const int* rows_host) {
  if (!rows_host) {
    const int64_t count = int64_t(K) * B * n;
    parallel_for(count, [&](int64_t i) { da[i] = a[i] > 0.0f ? da[i] : 0.0f; });  // branch-free
    return;
  }
  parallel_for(K, [&](int64_t k) {
    const int64_t first = k * B * n, count = int64_t(rows_of(rows_host, k, B)) * n;
    for (int64_t i = first; i < first + count; ++i) da[i] = a[i] > 0.0f ? da[i] : 0.0f;
  });
}

void CpuBackend::softmax_xent_backward(float* dlogits, float* loss_acc, const float* logits,
                                       const int32_t* labels, const float* w, const float* scale,
                                       int K, int B, int C) {
  parallel_for(K, [&](int64_t k) {
    double loss = 0.0;
    for (int i = 0; i < B; ++i) {
      const int64_t r = int64_t(k) * B + i;
      const float* z = logits + r * C;
      float* dz = dlogits + r * C;
      const float wi = w[r];
      if (wi == 0.0f) {
        std::fill(dz, dz + C, 0.0f);
        continue;
      }
      float zmax = z[0];
      for (int j = 1; j < C; ++j) zmax = std::max(zmax, z[j]);
      double sum = 0.0;
      for (int j = 0; j < C; ++j) sum += std::exp(double(z[j] - zmax));
      const int label = labels[r];
      loss += wi * (std::log(sum) - double(z[label] - zmax));
      const float g = wi * scale[k];
      for (int j = 0; j < C; ++j) {
        const float p = float(std::exp(double(z[j] - zmax)) / sum);
        dz[j] = g * (p - (j == label ? 1.0f : 0.0f));
      }
    }
    loss_acc[k] += float(loss);
  });
}

void CpuBackend::bias_grad(float* grad, int64_t param_stride, int64_t b_offset, const float* dz,
                           int K, int B, int n, float alpha, float beta) {
  constexpr int kCols = 512;  // column sums in blocks of kCols columns
  parallel_for(K, [&](int64_t k) {
    float* g = grad + k * param_stride + b_offset;
    float sum[kCols];
    for (int j0 = 0; j0 < n; j0 += kCols) {
      const int nj = std::min(kCols, n - j0);
      std::fill(sum, sum + nj, 0.0f);
      for (int i = 0; i < B; ++i) {
        const float* row = dz + (int64_t(k) * B + i) * n + j0;
        for (int j = 0; j < nj; ++j) sum[j] += row[j];
      }
      for (int j = 0; j < nj; ++j)  // beta == 0 overwrites (never reads uninitialised memory)
        g[j0 + j] = (beta == 0.0f ? 0.0f : beta * g[j0 + j]) + alpha * sum[j];
    }
  });
}

void CpuBackend::ghost_sqnorm(float* n2, const float* delta, const float* a, int K, int B, int out,
                              int in, bool accumulate, const int* rows_host) {
  parallel_for(int64_t(K) * B, [&](int64_t r) {
    if (rows_host && r % B >= rows_of(rows_host, r / B, B)) return;  // padding
    const float* dr = delta + r * out;
    const float* ar = a + r * in;
    float d2 = 0.0f, a2 = 0.0f;  // simd reductions: a fixed order for a given build
#pragma omp simd reduction(+ : d2)
    for (int j = 0; j < out; ++j) d2 += dr[j] * dr[j];
#pragma omp simd reduction(+ : a2)
    for (int j = 0; j < in; ++j) a2 += ar[j] * ar[j];
    const float v = d2 * (a2 + 1.0f);
    n2[r] = accumulate ? n2[r] + v : v;
  });
}

void CpuBackend::clip_factors(float* c, float* clipped_acc, const float* n2, const float* w,
                              float clip, int K, int B) {
  parallel_for(K, [&](int64_t k) {
    int clipped = 0;
    for (int i = 0; i < B; ++i) {
      const int64_t r = int64_t(k) * B + i;
      const bool over = n2[r] > clip * clip;
      c[r] = over ? w[r] * (clip / std::sqrt(n2[r])) : w[r];
      clipped += over && w[r] > 0.0f;
    }
    clipped_acc[k] += float(clipped);
  });
}

void CpuBackend::scale_rows(float* x, const float* c, int64_t rows, int n) {
  parallel_for(rows, [&](int64_t r) {
    float* xr = x + r * n;
    const float cr = c[r];
    if (cr == 0.0f) {  // padding rows may hold anything (even NaN): zero them
      std::fill(xr, xr + n, 0.0f);
    } else {
      for (int j = 0; j < n; ++j) xr[j] *= cr;
    }
  });
}

void CpuBackend::add_noise_and_scale(float* g, int K, int64_t P, float stddev,
                                     const float* scale_host, uint64_t seed, uint32_t purpose,
                                     uint32_t round, const uint32_t* client_ids_host,
                                     uint32_t step) {
  const NoiseKey key = noise_key(seed, purpose);
  parallel_for(K, [&](int64_t k) {
    float* gk = g + k * P;
    const float s = scale_host[k];
    if (stddev == 0.0f) {
      for (int64_t i = 0; i < P; ++i) gk[i] *= s;
      return;
    }
    noise_axpy_row(gk, nullptr, gk, P, stddev, s, key, round, client_ids_host[k], step);
  });
}

void CpuBackend::noisy_sgd_step(float* params, const float* grad, int K, int64_t P, float stddev,
                                const float* lr_scale_host, uint64_t seed, uint32_t purpose,
                                uint32_t round, const uint32_t* client_ids_host, uint32_t step) {
  const NoiseKey key = noise_key(seed, purpose);
  parallel_for(K, [&](int64_t k) {
    noise_axpy_row(params + k * P, params + k * P, grad + k * P, P, stddev, -lr_scale_host[k], key,
                   round, client_ids_host[k], step);
  });
}

// The reference of the fused step: per client, the clipped sum by one GEMM into a scratch tile
// (the same call as the gradient path's), bias sums in row order (as bias_grad), then each
// element's noise (gaussian4_at, one Philox block per 4 elements). Scalar noise: the SIMD
// noise_axpy_row always starts at element 0 (and may be compiled with FMAs), so this path can
// differ from noisy_sgd_step by an ulp.
void CpuBackend::noisy_layer_step(const int* rows_host, int K, int B, int out, int in,
                                  const float* dz, const float* row_scale, const float* a,
                                  float* params, int64_t param_stride, int64_t w_offset,
                                  int64_t b_offset, float stddev, const float* lr_scale_host,
                                  uint64_t seed, uint32_t purpose, uint32_t round,
                                  const uint32_t* client_ids_host, uint32_t step) {
  const NoiseKey key = noise_key(seed, purpose);
  parallel_for(
      K,
      [&](int64_t z) {
        thread_local std::vector<float> g, scaled;
        g.assign(size_t(out) * in + out, 0.0f);
        const int kz = std::clamp(rows_host[z], 0, B);
        const float* dzz = dz + z * B * out;
        if (row_scale) {  // the rows scaled as scale_rows does
          scaled.resize(size_t(kz) * out);
          for (int r = 0; r < kz; ++r) {
            const float c = row_scale[z * B + r];
            for (int i = 0; i < out; ++i)
              scaled[size_t(r) * out + i] = c == 0.0f ? 0.0f : dzz[int64_t(r) * out + i] * c;
          }
          dzz = scaled.data();
        }
        if (kz > 0)
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, kz, 1.0f, dzz, out,
                      a + z * B * in, in, 0.0f, g.data(), in);
        float* bsum = g.data() + size_t(out) * in;
        for (int r = 0; r < kz; ++r)
          for (int i = 0; i < out; ++i) bsum[i] += dzz[int64_t(r) * out + i];
        float* row = params + z * param_stride;
        const float s = -lr_scale_host[z];
        const uint32_t client = client_ids_host[z];
        float noise[4];
        int64_t block = -1;  // the Philox block in noise: one per 4 consecutive elements
        auto update = [&](int64_t e, float grad) {
          if (e / 4 != block) {
            block = e / 4;
            gaussian4_at(key, round, client, step, uint32_t(block), noise);
          }
          const float v = s * (grad + stddev * noise[e % 4]);
          row[e] = row[e] + v;
        };
        for (int64_t t = 0; t < int64_t(out) * in; ++t) update(w_offset + t, g[size_t(t)]);
        for (int i = 0; i < out; ++i) update(b_offset + i, bsum[i]);
      },
      true);
}

void CpuBackend::sgd_update(float* params, const float* grad, float* velocity, const float* global,
                            const SgdParams& p, int K, int64_t P) {
  parallel_for(K, [&](int64_t k) {
    float* w = params + k * P;
    const float* g = grad + k * P;
    if (p.momentum == 0.0f && p.weight_decay == 0.0f && p.prox_mu == 0.0f) {
      for (int64_t i = 0; i < P; ++i) w[i] -= p.lr * g[i];  // plain SGD (vectorises)
      return;
    }
    float* v = velocity ? velocity + k * P : nullptr;
    float dummy = 0.0f;
    for (int64_t i = 0; i < P; ++i) sgd_update_element(w[i], g[i], v ? v[i] : dummy, global[i], p);
  });
}

void CpuBackend::broadcast_rows(float* rows, const float* src, int K, int64_t P) {
#pragma omp parallel for schedule(static)
  for (int k = 0; k < K; ++k) std::memcpy(rows + k * P, src, sizeof(float) * P);
}

void CpuBackend::subtract_row(float* rows, const float* src, int K, int64_t P) {
#pragma omp parallel for schedule(static)
  for (int k = 0; k < K; ++k) {
    float* r = rows + k * P;
    for (int64_t i = 0; i < P; ++i) r[i] -= src[i];
  }
}

void CpuBackend::row_sqnorms(double* out_host, const float* rows, const float* sub, int K,
                             int64_t P) {
#pragma omp parallel for schedule(static)
  for (int k = 0; k < K; ++k) {
    const float* r = rows + k * P;
    double s = 0.0;
    if (sub) {
      for (int64_t i = 0; i < P; ++i) {
        const float d = r[i] - sub[i];
        s += double(d) * d;
      }
    } else {
      for (int64_t i = 0; i < P; ++i) s += double(r[i]) * r[i];
    }
    out_host[k] = s;
  }
}

void CpuBackend::weighted_row_sum(float* out, const float* rows, const float* sub,
                                  const float* w_host, int K, int64_t P, float beta) {
  const int64_t blocks = (P + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t i0 = blk * kBlock, i1 = std::min(P, i0 + kBlock);
    for (int64_t i = i0; i < i1; ++i) out[i] *= beta;
    for (int k = 0; k < K; ++k) {
      const float wk = w_host[k];
      const float* r = rows + k * P;
      if (sub)
        for (int64_t i = i0; i < i1; ++i) out[i] += wk * (r[i] - sub[i]);
      else
        for (int64_t i = i0; i < i1; ++i) out[i] += wk * r[i];
    }
  }
}

void CpuBackend::server_update(float* x, const float* delta, float* m, float* v,
                               const ServerParams& p, int64_t P) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < P; ++i) server_update_element(x[i], delta[i], m[i], v[i], p);
}

void CpuBackend::softmax_eval(float* loss, int32_t* pred, float* p1, const float* logits,
                              const int32_t* labels, int64_t n, int C) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits + i * C;
    int arg = 0;
    for (int j = 1; j < C; ++j)
      if (z[j] > z[arg]) arg = j;
    double sum = 0.0;
    for (int j = 0; j < C; ++j) sum += std::exp(double(z[j] - z[arg]));
    loss[i] = float(std::log(sum) - double(z[labels[i]] - z[arg]));
    pred[i] = arg;
    p1[i] = C >= 2 ? float(std::exp(double(z[1] - z[arg])) / sum) : 0.0f;
  }
}

// Tiles of 64-word groups on all cores; every tile adds all the masks (sums mod 2^32 are exact in
// any order, so the result does not depend on the thread count), by the SIMD Philox of the DP
// noise where the CPU has it, else the scalar reference; the last partial group is scalar.
void CpuBackend::add_philox_masks(uint32_t* acc, size_t n, const PhiloxMaskKey* keys_host,
                                  const uint8_t* subtract_host, int count) {
  constexpr size_t kGroupsPerTile = 256;  // 16k words: 64 KiB of acc stays in L2 for every key
  const size_t groups = n / 64, tiles = (groups + kGroupsPerTile - 1) / kGroupsPerTile;
  auto scalar = [&](const PhiloxMaskKey& k, bool sub, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint32_t m = fast_mask_word(k, i);
      acc[i] = sub ? acc[i] - m : acc[i] + m;
    }
  };
#pragma omp parallel for schedule(dynamic)
  for (size_t tile = 0; tile < tiles; ++tile) {
    const size_t g0 = tile * kGroupsPerTile, ng = std::min(kGroupsPerTile, groups - g0);
    for (int t = 0; t < count; ++t) {
      const PhiloxMaskKey& k = keys_host[t];
      const bool sub = subtract_host[t] != 0;
      if (!philox_mask_add(acc + 64 * g0, g0, ng, k.c0, k.c1, k.c2, k.k0, k.k1, sub))
        scalar(k, sub, 64 * g0, 64 * (g0 + ng));
    }
  }
  for (int t = 0; t < count; ++t) scalar(keys_host[t], subtract_host[t] != 0, 64 * groups, n);
}

}  // namespace fedsim
