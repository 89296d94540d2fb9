// CUDA kernels run on the CPU through the host emulation in tests/cuda_emulation/ (the kernel file
// itself, compiled as C++; a block's threads as std::threads, __syncthreads as a barrier), against
// a plain double-precision reference. This checks a kernel's indexing, edge tiles, ragged bounds,
// barriers and BLAS semantics on any machine, before (and besides) tools/gpu-check.sh runs it on a
// GPU; it says nothing about speed or the device compiler.
//
// Kernels covered: kernels_weight_grad.cu (gemm_tn_small_k and noisy_layer_step, the
// FEDSIM_CUDA_EXPERIMENTAL paths weight_grad and fused_noise) and every other kernel file, against
// the CPU backend: bit for bit where docs/cuda-backend.md says so.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "cuda/kernels_dp.cu"
#include "cuda/kernels_layers.cu"
#include "cuda/kernels_memory.cu"
#include "cuda/kernels_secagg.cu"
#include "cuda/kernels_updates.cu"
#include "cuda/kernels_weight_grad.cu"
#include "sim/backend/cpu_backend.h"

namespace {

// n values uniform in [-2, 2) from gen.
struct Uniform {
  std::mt19937& gen;
  std::vector<float> operator()(size_t n) const {
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = u(gen);
    return v;
  }
};

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

// The layer kernels against their CPU twins on the same inputs: bit for bit, except the softmax
// loss sum (a tree in the kernel, sequential on the CPU).
TEST(CudaEmulation, LayerKernelsMatchTheCpuBackend) {
  std::mt19937 gen(3);
  Uniform random{gen};
  fedsim::CpuBackend cpu;
  const int K = 3, B = 7, n = 37, C = 4, N = 50, d = 13;
  const int64_t stride = 500, offset = 17;

  // gather_rows, with padding (-1) and repeats
  const std::vector<int64_t> idx = {3, -1, 49, 0, 3, -1, 17, 17, 48, -1, 0, 25};
  const auto x = random(size_t(N) * d);
  std::vector<int32_t> y(N);
  for (int i = 0; i < N; ++i) y[i] = 1 + i % 5;
  std::vector<float> xo_cpu(idx.size() * d, 9.0f), xo_gpu = xo_cpu;
  std::vector<int32_t> yo_cpu(idx.size(), 9), yo_gpu = yo_cpu;
  cpu.gather_rows(xo_cpu.data(), yo_cpu.data(), x.data(), y.data(), idx.data(), int64_t(idx.size()),
                  d);
  fedsim::cuda::gather_rows(xo_gpu.data(), yo_gpu.data(), x.data(), y.data(), idx.data(),
                            int64_t(idx.size()), d, nullptr);
  EXPECT_EQ(xo_gpu, xo_cpu);
  EXPECT_EQ(yo_gpu, yo_cpu);

  // bias_act_forward and relu_backward, with and without ReLU and row bounds (both leave the
  // padding rows as they were)
  const auto params = random(size_t(stride) * K + offset + n);
  const std::vector<int> bounds = {7, 0, 3};
  for (const int* rows : {static_cast<const int*>(nullptr), bounds.data()}) {
    for (bool relu : {false, true}) {
      auto z_cpu = random(size_t(K) * B * n), z_gpu = z_cpu;
      cpu.bias_act_forward(z_cpu.data(), params.data(), stride, offset, K, B, n, relu, rows);
      fedsim::cuda::bias_act_forward(z_gpu.data(), params.data(), stride, offset, K, B, n, relu,
                                     rows, nullptr);
      EXPECT_EQ(z_gpu, z_cpu) << "relu " << relu << " bounds " << (rows != nullptr);
    }
    const auto a = random(size_t(K) * B * n);
    auto da_cpu = random(a.size()), da_gpu = da_cpu;
    cpu.relu_backward(da_cpu.data(), a.data(), K, B, n, rows);
    fedsim::cuda::relu_backward(da_gpu.data(), a.data(), K, B, n, rows, nullptr);
    EXPECT_EQ(da_gpu, da_cpu) << "bounds " << (rows != nullptr);
  }

  // softmax_xent_backward in place, with zero-weight rows
  {
    auto logits_cpu = random(size_t(K) * B * C), logits_gpu = logits_cpu;
    std::vector<int32_t> labels(size_t(K) * B);
    std::vector<float> w(size_t(K) * B), scale = {0.5f, 1.0f, 0.25f};
    for (size_t r = 0; r < labels.size(); ++r) {
      labels[r] = int32_t(r % C);
      w[r] = r % 4 == 3 ? 0.0f : 1.0f;
    }
    std::vector<float> loss_cpu(K, 0.5f), loss_gpu = loss_cpu;
    cpu.softmax_xent_backward(logits_cpu.data(), loss_cpu.data(), logits_cpu.data(), labels.data(),
                              w.data(), scale.data(), K, B, C);
    fedsim::cuda::softmax_xent_backward(logits_gpu.data(), loss_gpu.data(), logits_gpu.data(),
                                        labels.data(), w.data(), scale.data(), K, B, C, nullptr);
    EXPECT_EQ(logits_gpu, logits_cpu);
    for (int k = 0; k < K; ++k) EXPECT_NEAR(loss_gpu[k], loss_cpu[k], 1e-5f * loss_cpu[k]);
  }

  // bias_grad: a gradient (beta 0, over a NaN) and a fused step (alpha -lr, beta 1)
  for (const auto& [alpha, beta] : {std::pair{1.0f, 0.0f}, {-0.1f, 1.0f}}) {
    const auto dz = random(size_t(K) * B * n);
    auto g_cpu = random(size_t(stride) * K + offset + n);
    if (beta == 0.0f) g_cpu[offset + 1] = std::numeric_limits<float>::quiet_NaN();
    auto g_gpu = g_cpu;
    cpu.bias_grad(g_cpu.data(), stride, offset, dz.data(), K, B, n, alpha, beta);
    fedsim::cuda::bias_grad(g_gpu.data(), stride, offset, dz.data(), K, B, n, alpha, beta, nullptr);
    EXPECT_EQ(g_gpu, g_cpu) << "beta " << beta;
  }

  // softmax_eval
  {
    const int64_t rows = 29;
    const auto logits = random(size_t(rows) * C);
    std::vector<int32_t> labels(rows);
    for (int64_t i = 0; i < rows; ++i) labels[i] = int32_t((i * 3) % C);
    std::vector<float> loss_cpu(rows), p1_cpu(rows), loss_gpu(rows), p1_gpu(rows);
    std::vector<int32_t> pred_cpu(rows), pred_gpu(rows);
    cpu.softmax_eval(loss_cpu.data(), pred_cpu.data(), p1_cpu.data(), logits.data(), labels.data(),
                     rows, C);
    fedsim::cuda::softmax_eval(loss_gpu.data(), pred_gpu.data(), p1_gpu.data(), logits.data(),
                               labels.data(), rows, C, nullptr);
    EXPECT_EQ(loss_gpu, loss_cpu);
    EXPECT_EQ(pred_gpu, pred_cpu);
    EXPECT_EQ(p1_gpu, p1_cpu);
  }
}

// The DP-SGD kernels against their CPU twins: ghost norms to rounding (a warp's butterfly sum
// against the CPU's loop), clip factors and row scaling bit for bit, the noise ops to an ulp (the
// CPU's noise loop may be contracted into FMAs; the kernels' arithmetic is the unfused expression).
TEST(CudaEmulation, DpKernelsMatchTheCpuBackend) {
  std::mt19937 gen(4);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  Uniform random{gen};
  fedsim::CpuBackend cpu;
  const int K = 3, B = 11, out = 45, in = 70;
  const int64_t rows = int64_t(K) * B;

  const std::vector<int> bounds = {11, 0, 5};
  for (const int* b : {static_cast<const int*>(nullptr), bounds.data()})
    for (bool accumulate : {false, true}) {  // ghost_sqnorm: one warp per row
      const auto delta = random(size_t(rows) * out), a = random(size_t(rows) * in);
      auto n2_cpu = random(rows), n2_gpu = n2_cpu;
      cpu.ghost_sqnorm(n2_cpu.data(), delta.data(), a.data(), K, B, out, in, accumulate, b);
      fedsim::cuda::ghost_sqnorm(n2_gpu.data(), delta.data(), a.data(), K, B, out, in, accumulate,
                                 b, nullptr);
      for (int64_t r = 0; r < rows; ++r)
        EXPECT_NEAR(n2_gpu[r], n2_cpu[r], 1e-5f * std::fabs(n2_cpu[r])) << "row " << r;
    }
  {  // clip_factors and scale_rows
    std::vector<float> n2(rows), w(rows);
    for (int64_t r = 0; r < rows; ++r) {
      n2[r] = 3.0f * (u(gen) + 2.0f);
      w[r] = r % 5 == 4 ? 0.0f : 1.0f;
    }
    std::vector<float> c_cpu(rows), c_gpu(rows), acc_cpu(K, 1.0f), acc_gpu(K, 1.0f);
    cpu.clip_factors(c_cpu.data(), acc_cpu.data(), n2.data(), w.data(), 2.0f, K, B);
    fedsim::cuda::clip_factors(c_gpu.data(), acc_gpu.data(), n2.data(), w.data(), 2.0f, K, B,
                               nullptr);
    EXPECT_EQ(c_gpu, c_cpu);
    EXPECT_EQ(acc_gpu, acc_cpu);
    auto x_cpu = random(size_t(rows) * out);
    x_cpu[size_t(4) * out] = std::numeric_limits<float>::quiet_NaN();  // row 4: c = 0, zeroed
    auto x_gpu = x_cpu;
    cpu.scale_rows(x_cpu.data(), c_cpu.data(), rows, out);
    fedsim::cuda::scale_rows(x_gpu.data(), c_cpu.data(), rows, out, nullptr);
    EXPECT_EQ(x_gpu, x_cpu);
  }
  const std::vector<uint32_t> ids = {5u, 0xFFFFFFFFu, 77u};
  const fedsim::NoiseKey key = fedsim::noise_key(9, 2);
  for (int64_t P : {int64_t(1), int64_t(6), int64_t(1001)})
    for (float stddev : {0.0f, 0.7f}) {
      const auto g0 = random(size_t(K) * P), w0 = random(size_t(K) * P);
      const std::vector<float> scale = {0.5f, 2.0f, 1.25f};
      auto g_cpu = g0, g_gpu = g0, w_cpu = w0, w_gpu = w0;
      cpu.add_noise_and_scale(g_cpu.data(), K, P, stddev, scale.data(), 9, 2, 3, ids.data(), 4);
      fedsim::cuda::add_noise_and_scale(g_gpu.data(), K, P, stddev, scale.data(), key, 3,
                                        ids.data(), 4, nullptr);
      cpu.noisy_sgd_step(w_cpu.data(), g0.data(), K, P, stddev, scale.data(), 9, 2, 3, ids.data(),
                         4);
      fedsim::cuda::noisy_sgd_step(w_gpu.data(), g0.data(), K, P, stddev, scale.data(), key, 3,
                                   ids.data(), 4, nullptr);
      for (size_t i = 0; i < g_cpu.size(); ++i) {
        EXPECT_NEAR(g_gpu[i], g_cpu[i], 4e-6f + 1e-6f * std::fabs(g_cpu[i])) << "P " << P;
        EXPECT_NEAR(w_gpu[i], w_cpu[i], 4e-6f + 1e-6f * std::fabs(w_cpu[i])) << "P " << P;
      }
      // the kernels' own expression, exactly (the CPU's generic loop computes the same)
      for (int k = 0; k < K; ++k)
        for (int64_t i = 0; i < P; ++i) {
          const size_t e = size_t(k) * P + i;
          const float z = fedsim::gaussian_at(key, 3, ids[k], 4, uint64_t(i));
          const float want_w = w0[e] + -scale[k] * (g0[e] + stddev * z);
          EXPECT_EQ(w_gpu[e], want_w) << "P " << P << " element " << e;
        }
    }
}

// Memory, update, server and secure-aggregation kernels against their CPU twins.
TEST(CudaEmulation, MemoryUpdateAndServerKernelsMatchTheCpuBackend) {
  std::mt19937 gen(5);
  Uniform random{gen};
  fedsim::CpuBackend cpu;
  const int K = 4;
  const int64_t P = 301;
  {  // fill, broadcast_rows, subtract_row
    auto a_cpu = random(size_t(K) * P), a_gpu = a_cpu;
    const auto src = random(size_t(P));
    cpu.fill(a_cpu.data() + 3, 1.5f, 200);
    fedsim::cuda::fill(a_gpu.data() + 3, 1.5f, 200, nullptr);
    EXPECT_EQ(a_gpu, a_cpu);
    cpu.subtract_row(a_cpu.data(), src.data(), K, P);
    fedsim::cuda::subtract_row(a_gpu.data(), src.data(), K, P, nullptr);
    EXPECT_EQ(a_gpu, a_cpu);
    cpu.broadcast_rows(a_cpu.data(), src.data(), K, P);
    fedsim::cuda::broadcast_rows(a_gpu.data(), src.data(), K, P, nullptr);
    EXPECT_EQ(a_gpu, a_cpu);
  }
  {  // scale_matrices (a GEMM with k = 0): C = beta C, beta = 0 writes zeros over a NaN
    for (float beta : {0.0f, 0.5f}) {
      auto c = random(size_t(3) * 5 * 8 + 4);
      c[1] = beta == 0.0f ? std::numeric_limits<float>::quiet_NaN() : c[1];
      auto want = c;
      for (int b = 0; b < 3; ++b)
        for (int r = 0; r < 5; ++r)
          for (int j = 0; j < 6; ++j) {  // n = 6 of ldc = 8; stride 40 + gaps
            float& v = want[size_t(b) * 41 + size_t(r) * 8 + j];
            v = beta == 0.0f ? 0.0f : beta * v;
          }
      fedsim::cuda::scale_matrices(c.data(), 5, 6, 8, 41, 3, beta, nullptr);
      for (size_t i = 0; i < c.size(); ++i)
        EXPECT_TRUE(c[i] == want[i] || (std::isnan(c[i]) && std::isnan(want[i]))) << i;
    }
  }
  {  // ragged_pointers
    const std::vector<int> order = {2, 0, 3};
    std::vector<const float*> ptrs(9);
    float base[4] = {};
    fedsim::cuda::ragged_pointers(ptrs.data(), order.data(), 3, base, 100, base + 1, 0, base + 2, 7,
                                  nullptr);
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(ptrs[j], base + order[j] * 100);
      EXPECT_EQ(ptrs[3 + j], base + 1);
      EXPECT_EQ(ptrs[6 + j], base + 2 + order[j] * 7);
    }
  }
  {  // sgd_update: plain, and momentum + weight decay + FedProx
    const auto grad = random(size_t(K) * P), global = random(size_t(P));
    for (const fedsim::SgdParams& p : {fedsim::SgdParams{0.1f, 0.0f, 0.0f, 0.0f},
                                       fedsim::SgdParams{0.05f, 0.9f, 1e-3f, 0.01f}}) {
      auto w_cpu = random(size_t(K) * P), w_gpu = w_cpu, v_cpu = random(size_t(K) * P),
           v_gpu = v_cpu;
      cpu.sgd_update(w_cpu.data(), grad.data(), v_cpu.data(), global.data(), p, K, P);
      fedsim::cuda::sgd_update(w_gpu.data(), grad.data(), v_gpu.data(), global.data(), p, K, P,
                               nullptr);
      EXPECT_EQ(w_gpu, w_cpu) << "momentum " << p.momentum;
      EXPECT_EQ(v_gpu, v_cpu) << "momentum " << p.momentum;
    }
  }
  {  // row_sqnorms (a tree in the kernel) and weighted_row_sum (in order, bit for bit)
    const auto rows = random(size_t(K) * P);
    const auto global = random(size_t(P));
    for (const float* sub : {static_cast<const float*>(nullptr), global.data()}) {
      std::vector<double> n_cpu(K), n_gpu(K);
      cpu.row_sqnorms(n_cpu.data(), rows.data(), sub, K, P);
      fedsim::cuda::row_sqnorms(n_gpu.data(), rows.data(), sub, K, P, nullptr);
      for (int k = 0; k < K; ++k) EXPECT_NEAR(n_gpu[k], n_cpu[k], 1e-12 * n_cpu[k]);
      const std::vector<float> w = {0.25f, 0.5f, 0.125f, 0.125f};
      for (float beta : {0.0f, 1.0f}) {
        auto o_cpu = random(size_t(P)), o_gpu = o_cpu;
        cpu.weighted_row_sum(o_cpu.data(), rows.data(), sub, w.data(), K, P, beta);
        fedsim::cuda::weighted_row_sum(o_gpu.data(), rows.data(), sub, w.data(), K, P, beta,
                                       nullptr);
        EXPECT_EQ(o_gpu, o_cpu) << "beta " << beta;
      }
    }
  }
  for (fedsim::ServerRule rule : {fedsim::ServerRule::FedAvg, fedsim::ServerRule::FedAdam}) {
    fedsim::ServerParams sp;
    sp.rule = rule;
    sp.lr = 0.5f;
    const auto delta = random(size_t(P));
    auto x_cpu = random(size_t(P)), m_cpu = random(size_t(P)), v_cpu = random(size_t(P));
    for (auto& v : v_cpu) v = std::fabs(v);
    auto x_gpu = x_cpu, m_gpu = m_cpu, v_gpu = v_cpu;
    cpu.server_update(x_cpu.data(), delta.data(), m_cpu.data(), v_cpu.data(), sp, P);
    fedsim::cuda::server_update(x_gpu.data(), delta.data(), m_gpu.data(), v_gpu.data(), sp, P,
                                nullptr);
    EXPECT_EQ(x_gpu, x_cpu);
    EXPECT_EQ(m_gpu, m_cpu);
    EXPECT_EQ(v_gpu, v_cpu);
  }
  {  // add_philox_masks: the keys packed as the backend stages them
    const size_t n = 64 * 3 + 29;
    std::vector<fedsim::PhiloxMaskKey> keys;
    std::vector<uint8_t> subtract;
    for (int t = 0; t < 5; ++t) {
      keys.push_back(
          {uint32_t(gen()), uint32_t(gen()), uint32_t(gen()), uint32_t(gen()), uint32_t(gen())});
      subtract.push_back(uint8_t(t % 2));
    }
    std::vector<uint32_t> packed(6 * keys.size());
    for (size_t t = 0; t < keys.size(); ++t) {
      const auto& k = keys[t];
      const uint32_t w[5] = {k.k0, k.k1, k.c0, k.c1, k.c2};
      std::copy(w, w + 5, packed.begin() + 5 * t);
      packed[5 * keys.size() + t] = subtract[t];
    }
    std::vector<uint32_t> acc_cpu(n), acc_gpu;
    for (auto& v : acc_cpu) v = uint32_t(gen());
    acc_gpu = acc_cpu;
    cpu.add_philox_masks(acc_cpu.data(), n, keys.data(), subtract.data(), int(keys.size()));
    fedsim::cuda::add_philox_masks(acc_gpu.data(), n, packed.data(),
                                   packed.data() + 5 * keys.size(), int(keys.size()), nullptr);
    EXPECT_EQ(acc_gpu, acc_cpu);
  }
}
