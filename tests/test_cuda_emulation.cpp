// CUDA kernels run on the CPU through the host emulation in tests/cuda_emulation/ (the kernel file
// itself, compiled as C++; a block's threads as std::threads, __syncthreads as a barrier), against
// a plain double-precision reference. This checks a kernel's indexing, edge tiles, ragged bounds,
// barriers and BLAS semantics on any machine, before (and besides) tools/gpu-check.sh runs it on a
// GPU; it says nothing about speed or the device compiler.
//
// Kernels covered: kernels_weight_grad.cu (gemm_tn_small_k and noisy_layer_step, the
// FEDSIM_CUDA_EXPERIMENTAL paths weight_grad and fused_noise).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "cuda/kernels_weight_grad.cu"
#include "sim/backend/cpu_backend.h"

namespace {

struct TnCase {
  int m, n, k, batch;
  int pad;  // extra leading-dimension columns (never read or written)
  bool ragged;
  float beta;
};

// C_z = beta C_z + alpha A_z^T B_z over the first k_z rows, in double; beta = 0 does not read C.
std::vector<float> reference(const TnCase& c, const std::vector<float>& a, int lda, int64_t sa,
                             const std::vector<float>& b, int ldb, int64_t sb,
                             std::vector<float> out, int ldc, int64_t sc,
                             const std::vector<int>& rows, float alpha) {
  for (int z = 0; z < c.batch; ++z)
    for (int i = 0; i < c.m; ++i)
      for (int j = 0; j < c.n; ++j) {
        double s = 0.0;
        for (int r = 0; r < rows[z]; ++r)
          s += double(a[z * sa + int64_t(r) * lda + i]) * double(b[z * sb + int64_t(r) * ldb + j]);
        float& o = out[z * sc + int64_t(i) * ldc + j];
        o = float(alpha * s + (c.beta == 0.0f ? 0.0 : double(c.beta) * double(o)));
      }
  return out;
}

}  // namespace

TEST(CudaEmulation, WeightGradientKernelMatchesTheReference) {
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const float alpha = -0.7f;
  const TnCase cases[] = {
      {70, 33, 32, 3, 0, false, 0.0f},  // edge tiles, one chunk, beta 0 over a NaN
      {70, 33, 32, 3, 3, true, 1.0f},   // padded leading dimensions, ragged (a client empty)
      {130, 65, 97, 2, 0, true, 0.5f},  // several chunks, a partial last one
      {2, 100, 40, 4, 1, false, 1.0f},  // the output layer's 2 rows
      {64, 64, 1, 2, 0, false, 0.0f},   // whole tiles, k = 1
      {5, 7, 0, 2, 0, false, 0.0f},     // k = 0: C = beta C
      {9, 11, 6, 2, 0, true, 2.0f}};    // ragged with beta 2
  for (const TnCase& c : cases) {
    const int lda = c.m + c.pad, ldb = c.n + c.pad, ldc = c.n + c.pad;
    const int64_t sa = int64_t(c.k) * lda + 5, sb = int64_t(c.k) * ldb + 3,
                  sc = int64_t(c.m) * ldc + 7;  // gaps between clients: never touched
    std::vector<float> a(size_t(sa * c.batch)), b(size_t(sb * c.batch)), out(size_t(sc * c.batch));
    for (auto& v : a) v = u(gen);
    for (auto& v : b) v = u(gen);
    for (auto& v : out) v = u(gen);
    if (c.beta == 0.0f) out[3] = std::numeric_limits<float>::quiet_NaN();  // must not be read
    std::vector<int> rows(c.batch, c.k);
    if (c.ragged)
      for (int z = 0; z < c.batch; ++z) rows[z] = (z * 13) % (c.k + 1);  // client 0: no rows
    const auto want = reference(c, a, lda, sa, b, ldb, sb, out, ldc, sc, rows, alpha);
    fedsim::cuda::gemm_tn_small_k(c.m, c.n, c.k, alpha, a.data(), lda, sa, b.data(), ldb, sb,
                                  c.beta, out.data(), ldc, sc, c.batch,
                                  c.ragged ? rows.data() : nullptr, nullptr);
    int bad = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      const bool both_nan = std::isnan(out[i]) && std::isnan(want[i]);
      if (!both_nan && !(std::fabs(out[i] - want[i]) <= 1e-5f + 1e-5f * std::fabs(want[i])))
        if (bad++ < 3)
          ADD_FAILURE() << "m " << c.m << " n " << c.n << " k " << c.k << " ragged " << c.ragged
                        << ": [" << i << "] got " << out[i] << " want " << want[i];
    }
    EXPECT_EQ(bad, 0) << "m " << c.m << " n " << c.n << " k " << c.k;
  }
}

// DP-SGD's fused layer step against the CPU backend's noisy_layer_step (the reference of the
// Backend op): weights and biases of a layer in the middle of the parameter row, ragged batches
// with an empty client, the noise aligned (one Philox block per 4 columns) and not (odd offsets).
TEST(CudaEmulation, NoisyLayerStepMatchesTheCpuBackend) {
  std::mt19937 gen(2);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  struct Layer {
    int out, in;
    int64_t w_offset;
  };
  for (const Layer& l : {Layer{70, 33, 7}, Layer{64, 128, 1024}, Layer{2, 40, 12}}) {
    const int K = 5, B = 12;
    const int64_t b_offset = l.w_offset + int64_t(l.out) * l.in;
    const int64_t stride = b_offset + l.out + 9;  // the parameter row, with more after the layer
    std::vector<float> dz(size_t(K) * B * l.out), a(size_t(K) * B * l.in),
        params(size_t(K) * stride);
    for (auto& v : dz) v = u(gen);
    for (auto& v : a) v = u(gen);
    for (auto& v : params) v = u(gen);
    const std::vector<int> rows = {12, 0, 5, 1, 7};
    for (int k = 0; k < K; ++k)  // padding rows of dZ are zero (clip factor 0), as in training
      for (int r = rows[k]; r < B; ++r)
        for (int i = 0; i < l.out; ++i) dz[(size_t(k) * B + r) * l.out + i] = 0.0f;
    // Clip factors in (0, 1], and 0 for a row holding a NaN (scale_rows zeroes it exactly).
    std::vector<float> clip(size_t(K) * B);
    for (auto& v : clip) v = 0.5f * (u(gen) + 1.0f) + 1e-3f;
    clip[2 * B + 1] = 0.0f;
    dz[(2 * size_t(B) + 1) * l.out] = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> lr_scale = {0.1f, 0.2f, 0.05f, 1.0f, 0.3f};
    const std::vector<uint32_t> ids = {11, 4, 900, 7, 3};
    const float stddev = 0.8f;
    const uint64_t seed = 42;
    const uint32_t purpose = 3, round = 2, step = 5;

    std::vector<float> want = params;
    fedsim::CpuBackend cpu;
    cpu.noisy_layer_step(rows.data(), K, B, l.out, l.in, dz.data(), clip.data(), a.data(),
                         want.data(), stride, l.w_offset, b_offset, stddev, lr_scale.data(), seed,
                         purpose, round, ids.data(), step);
    std::vector<float> got = params;
    fedsim::cuda::noisy_layer_step(rows.data(), K, B, l.out, l.in, dz.data(), clip.data(), a.data(),
                                   got.data(), stride, l.w_offset, b_offset, stddev,
                                   lr_scale.data(), fedsim::noise_key(seed, purpose), round,
                                   ids.data(), step, nullptr);
    int bad = 0, changed = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      changed += want[i] != params[i];
      if (!(std::fabs(got[i] - want[i]) <= 1e-5f + 1e-5f * std::fabs(want[i])))
        if (bad++ < 3)
          ADD_FAILURE() << "layer " << l.out << "x" << l.in << " at " << l.w_offset << ": [" << i
                        << "] got " << got[i] << " want " << want[i];
    }
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(changed, K * (l.out * l.in + l.out)) << "every weight and bias moves, nothing else";
  }
}
