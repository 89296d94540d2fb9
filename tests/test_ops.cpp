// CPU backend ops: values against naive loops, and the model gradient against finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "sim/backend/cpu_backend.h"
#include "sim/model/model_layout.h"
#include "sim/server/server_math.h"
#include "sim/train/model_ops.h"

using namespace fedsim;

namespace {

std::vector<float> random_vec(size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = u(gen);
  return v;
}

// Naive row-major op(A)[m,k] * op(B)[k,n].
float naive_entry(bool ta, bool tb, int i, int j, int k, const float* a, int lda, const float* b,
                  int ldb) {
  double s = 0;
  for (int t = 0; t < k; ++t) {
    const float av = ta ? a[t * lda + i] : a[i * lda + t];
    const float bv = tb ? b[j * ldb + t] : b[t * ldb + j];
    s += double(av) * bv;
  }
  return float(s);
}

}  // namespace

TEST(CpuOps, GemmBatchedAllTransposesMatchNaive) {
  CpuBackend be;
  const int m = 5, n = 7, k = 3, batch = 3;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const int lda = ta ? m : k, ldb = tb ? k : n;
      auto a = random_vec(size_t(batch) * m * k, 1);
      auto b = random_vec(size_t(batch) * k * n, 2);
      std::vector<float> c(size_t(batch) * m * n, 1.0f);
      be.gemm_batched(ta, tb, m, n, k, 2.0f, a.data(), lda, m * k, b.data(), ldb, k * n, 0.5f,
                      c.data(), n, m * n, batch);
      for (int q = 0; q < batch; ++q)
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < n; ++j) {
            const float ref = 2.0f * naive_entry(ta, tb, i, j, k, a.data() + q * m * k, lda,
                                                 b.data() + q * k * n, ldb) +
                              0.5f;
            EXPECT_NEAR(c[q * m * n + i * n + j], ref, 1e-5) << ta << tb << q << i << j;
          }
    }
}

TEST(CpuOps, TallGemmSplitIntoRowBlocksMatchesNaive) {
  CpuBackend be;
  const int m = 3000, n = 4, k = 6;  // batch 1 and m large: the row-block path
  auto a = random_vec(size_t(m) * k, 3), b = random_vec(size_t(n) * k, 4);
  std::vector<float> c(size_t(m) * n);
  be.gemm_batched(false, true, m, n, k, 1.0f, a.data(), k, 0, b.data(), k, 0, 0.0f, c.data(), n, 0,
                  1);
  for (int i = 0; i < m; i += 97)
    for (int j = 0; j < n; ++j)
      EXPECT_NEAR(c[i * n + j], naive_entry(false, true, i, j, k, a.data(), k, b.data(), k), 1e-5);
}

TEST(CpuOps, GatherRowsPadsWithZeros) {
  CpuBackend be;
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};  // 3 rows of 2
  const std::vector<int32_t> y = {7, 8, 9};
  const std::vector<int64_t> idx = {2, -1, 0};
  std::vector<float> xo(6, -1);
  std::vector<int32_t> yo(3, -1);
  be.gather_rows(xo.data(), yo.data(), x.data(), y.data(), idx.data(), 3, 2);
  EXPECT_EQ(xo, (std::vector<float>{5, 6, 0, 0, 1, 2}));
  EXPECT_EQ(yo, (std::vector<int32_t>{9, 0, 7}));
}

TEST(CpuOps, SoftmaxXentValuesAndPaddingWeight) {
  CpuBackend be;
  // K = 1, B = 2, C = 3; the second row is padding (w = 0).
  std::vector<float> logits = {1.0f, 2.0f, 0.5f, 9.0f, 9.0f, 9.0f};
  const std::vector<int32_t> labels = {1, 2};
  const std::vector<float> w = {1.0f, 0.0f}, scale = {0.5f};
  std::vector<float> dl(6), loss(1, 0.25f);
  be.softmax_xent_backward(dl.data(), loss.data(), logits.data(), labels.data(), w.data(),
                           scale.data(), 1, 2, 3);
  const double e0 = std::exp(1.0), e1 = std::exp(2.0), e2 = std::exp(0.5), s = e0 + e1 + e2;
  EXPECT_NEAR(loss[0], 0.25 + (std::log(s) - 2.0), 1e-5);  // accumulates
  EXPECT_NEAR(dl[0], 0.5 * e0 / s, 1e-6);
  EXPECT_NEAR(dl[1], 0.5 * (e1 / s - 1.0), 1e-6);
  EXPECT_NEAR(dl[2], 0.5 * e2 / s, 1e-6);
  for (int j = 3; j < 6; ++j) EXPECT_EQ(dl[j], 0.0f);
}

TEST(CpuOps, SoftmaxEvalArgmaxLossAndClassOneProbability) {
  CpuBackend be;
  const std::vector<float> logits = {0.0f, 1.0f, 3.0f, -1.0f};
  const std::vector<int32_t> labels = {0, 0};
  std::vector<float> loss(2), p1(2);
  std::vector<int32_t> pred(2);
  be.softmax_eval(loss.data(), pred.data(), p1.data(), logits.data(), labels.data(), 2, 2);
  EXPECT_EQ(pred, (std::vector<int32_t>{1, 0}));
  EXPECT_NEAR(loss[0], std::log(1 + std::exp(1.0)), 1e-6);
  EXPECT_NEAR(p1[0], std::exp(1.0) / (1 + std::exp(1.0)), 1e-6);
  EXPECT_NEAR(p1[1], std::exp(-1.0) / (std::exp(3.0) + std::exp(-1.0)), 1e-6);
}

TEST(CpuOps, SgdUpdateWithMomentumWeightDecayAndProx) {
  CpuBackend be;
  std::vector<float> w = {1.0f, -2.0f}, g = {0.5f, 0.25f}, v = {0.1f, 0.0f}, glob = {0.0f, -1.0f};
  const SgdParams p{0.1f, 0.9f, 0.01f, 0.5f};
  be.sgd_update(w.data(), g.data(), v.data(), glob.data(), p, 1, 2);
  // g' = g + wd*w + mu*(w - global); v = 0.9 v + g'; w -= lr v
  const float g0 = 0.5f + 0.01f * 1.0f + 0.5f * 1.0f, v0 = 0.09f + g0;
  const float g1 = 0.25f + 0.01f * -2.0f + 0.5f * -1.0f, v1 = g1;
  EXPECT_NEAR(v[0], v0, 1e-6);
  EXPECT_NEAR(w[0], 1.0f - 0.1f * v0, 1e-6);
  EXPECT_NEAR(w[1], -2.0f - 0.1f * v1, 1e-6);
}

TEST(CpuOps, RowReductions) {
  CpuBackend be;
  const std::vector<float> rows = {1, 2, 3, 4, 5, 6};  // K = 2, P = 3
  std::vector<double> sq(2);
  be.row_sqnorms(sq.data(), rows.data(), nullptr, 2, 3);
  EXPECT_DOUBLE_EQ(sq[0], 14.0);
  EXPECT_DOUBLE_EQ(sq[1], 77.0);
  std::vector<float> out = {10, 10, 10};
  const std::vector<float> w = {0.25f, 0.75f};
  be.weighted_row_sum(out.data(), rows.data(), nullptr, w.data(), 2, 3, 0.5f);
  EXPECT_FLOAT_EQ(out[0], 5 + 0.25f * 1 + 0.75f * 4);
  EXPECT_FLOAT_EQ(out[2], 5 + 0.25f * 3 + 0.75f * 6);
  std::vector<float> r2 = rows;
  const std::vector<float> src = {1, 1, 1};
  be.subtract_row(r2.data(), src.data(), 2, 3);
  EXPECT_EQ(r2, (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

// The reductions over client deltas read from the weights and the global model (`sub`) give the
// bits of subtract_row followed by the plain reductions.
TEST(CpuOps, RowReductionsOfDifferencesAreSubtractThenReduce) {
  CpuBackend be;
  const int K = 5;
  const int64_t P = 1001;
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> rows(size_t(K) * P), global(P), w(K);
  for (auto& v : rows) v = u(gen);
  for (auto& v : global) v = u(gen) * 0.999f;
  for (auto& v : w) v = 0.5f * (u(gen) + 1.0f);
  std::vector<double> sq_fused(K), sq_plain(K);
  std::vector<float> out_fused(P, 0.25f), out_plain(P, 0.25f);
  be.row_sqnorms(sq_fused.data(), rows.data(), global.data(), K, P);
  be.weighted_row_sum(out_fused.data(), rows.data(), global.data(), w.data(), K, P, 1.0f);
  std::vector<float> deltas = rows;
  be.subtract_row(deltas.data(), global.data(), K, P);
  be.row_sqnorms(sq_plain.data(), deltas.data(), nullptr, K, P);
  be.weighted_row_sum(out_plain.data(), deltas.data(), nullptr, w.data(), K, P, 1.0f);
  EXPECT_EQ(sq_fused, sq_plain);
  EXPECT_EQ(out_fused, out_plain);
}

// Server optimizers against hand-computed steps (Reddi et al. 2021, Alg. 2; v starts at tau^2).
TEST(ServerOptimizers, StepsMatchHandComputation) {
  CpuBackend be;
  const float x0 = 1.0f, d = 0.2f, tau = 0.01f;
  auto step = [&](ServerRule rule, int steps) {
    ServerParams p;
    p.rule = rule;
    p.lr = 0.5f;
    p.momentum = 0.9f;
    p.beta1 = 0.9f;
    p.beta2 = 0.99f;
    p.tau = tau;
    float x = x0, m = 0.0f, v = tau * tau;
    for (int i = 0; i < steps; ++i) be.server_update(&x, &d, &m, &v, p, 1);
    return x;
  };
  EXPECT_NEAR(step(ServerRule::FedAvg, 1), 1.0 + 0.5 * 0.2, 1e-6);
  // FedAvgM, two steps: m1 = 0.2, m2 = 0.9*0.2 + 0.2 = 0.38; x = 1 + 0.5*(0.2 + 0.38)
  EXPECT_NEAR(step(ServerRule::FedAvgM, 2), 1.0 + 0.5 * 0.58, 1e-6);
  // One adaptive step: m = 0.1*0.2 = 0.02.
  const double m1 = 0.02, d2 = 0.04, v0 = double(tau) * tau;
  const double adam_v = 0.99 * v0 + 0.01 * d2;
  EXPECT_NEAR(step(ServerRule::FedAdam, 1), 1.0 + 0.5 * m1 / (std::sqrt(adam_v) + tau), 1e-5);
  const double yogi_v = v0 - 0.01 * d2 * (v0 - d2 > 0 ? 1 : -1);
  EXPECT_NEAR(step(ServerRule::FedYogi, 1), 1.0 + 0.5 * m1 / (std::sqrt(yogi_v) + tau), 1e-5);
  const double ada_v = v0 + d2;
  EXPECT_NEAR(step(ServerRule::FedAdagrad, 1), 1.0 + 0.5 * m1 / (std::sqrt(ada_v) + tau), 1e-5);
}

// Every parameter's gradient from forward/backward against central finite differences of the
// weighted loss, for two clients with their own weights and one padded row.
TEST(ModelOps, GradientMatchesFiniteDifferences) {
  CpuBackend be;
  ModelConfig cfg;
  cfg.kind = ModelKind::Mlp;
  cfg.hidden = {4, 3};
  const ModelLayout layout = make_layout(cfg, 5, 3);
  const int K = 2, B = 4, P = int(layout.num_params), d = 5, C = 3;
  std::vector<float> params = random_vec(size_t(K) * P, 11, 0.8f);
  const std::vector<float> x = random_vec(size_t(K) * B * d, 12, 1.5f);
  const std::vector<int32_t> y = {0, 2, 1, 0, 1, 1, 2, 0};
  const std::vector<float> w = {1, 1, 1, 0, 1, 1, 1, 1};  // row 3 of client 0 is padding
  const std::vector<float> scale = {1.0f, 1.0f};

  ActivationBuffers buf(be, layout, int64_t(K) * B);
  auto loss_of = [&](const std::vector<float>& p) {
    std::copy(x.begin(), x.end(), buf.acts[0].get());
    forward(be, layout, p.data(), P, K, B, buf);
    std::vector<float> loss(K, 0.0f);
    float* logits = buf.acts.back().get();
    be.softmax_xent_backward(logits, loss.data(), logits, y.data(), w.data(), scale.data(), K, B,
                             C);
    return loss;
  };
  loss_of(params);
  std::vector<float> grad(size_t(K) * P);
  backward(be, layout, params.data(), P, K, B, buf, GradientSink{grad.data(), P});

  const float eps = 1e-2f;
  for (int k = 0; k < K; ++k)
    for (int i = 0; i < P; ++i) {
      std::vector<float> pp = params, pm = params;
      pp[size_t(k) * P + i] += eps;
      pm[size_t(k) * P + i] -= eps;
      const double fd = (double(loss_of(pp)[k]) - loss_of(pm)[k]) / (2 * eps);
      EXPECT_NEAR(grad[size_t(k) * P + i], fd, 2e-3 + 2e-2 * std::abs(fd))
          << "client " << k << " param " << i;
    }
}

TEST(ModelLayoutTest, MlpOfTheDefaultScenarioHasAbout20kParameters) {
  ModelConfig cfg;
  cfg.kind = ModelKind::Mlp;
  cfg.hidden = {128, 128};
  const ModelLayout l = make_layout(cfg, 24, 2);
  EXPECT_EQ(l.layers.size(), 3u);
  EXPECT_EQ(l.num_params, 24 * 128 + 128 + 128 * 128 + 128 + 128 * 2 + 2);
  EXPECT_TRUE(l.layers[0].activation);
  EXPECT_FALSE(l.layers[2].activation);
  cfg.kind = ModelKind::LogReg;
  EXPECT_EQ(make_layout(cfg, 24, 2).num_params, 24 * 2 + 2);
}
