// Federated training against independent references: one client with full-batch local SGD is
// centralised gradient descent; results do not depend on the thread count or on client tiles.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <utility>

#include "sim/backend/cpu_backend.h"
#include "sim/simulation.h"
#include "sim/train/local_trainer.h"
#include "sim/util/rng.h"
#include "small_federation.h"

using namespace fedsim;

namespace {

// Independent reference: full-batch gradient descent in double on the mean cross-entropy of an
// MLP with ReLU hidden layers (same parameter layout), `steps` steps of size lr.
std::vector<double> reference_gd(const ModelLayout& L, std::vector<double> p, const Dataset& ds,
                                 double lr, int steps) {
  const int nl = int(L.layers.size());
  for (int step = 0; step < steps; ++step) {
    std::vector<double> g(p.size(), 0.0);
    for (int64_t i = 0; i < ds.n; ++i) {
      std::vector<std::vector<double>> a(nl + 1);
      a[0].assign(ds.x.begin() + i * ds.d, ds.x.begin() + (i + 1) * ds.d);
      for (int l = 0; l < nl; ++l) {
        const auto& ly = L.layers[l];
        a[l + 1].resize(ly.out);
        for (int o = 0; o < ly.out; ++o) {
          double z = p[ly.b_offset + o];
          for (int q = 0; q < ly.in; ++q) z += p[ly.w_offset + int64_t(o) * ly.in + q] * a[l][q];
          a[l + 1][o] = ly.activation ? std::max(z, 0.0) : z;
        }
      }
      std::vector<double> dz = a[nl];
      const double mx = *std::max_element(dz.begin(), dz.end());
      double s = 0;
      for (double& v : dz) s += (v = std::exp(v - mx));
      for (double& v : dz) v /= s;
      dz[ds.y[i]] -= 1.0;
      for (int l = nl - 1; l >= 0; --l) {
        const auto& ly = L.layers[l];
        std::vector<double> da(ly.in, 0.0);
        for (int o = 0; o < ly.out; ++o) {
          g[ly.b_offset + o] += dz[o] / ds.n;
          for (int q = 0; q < ly.in; ++q) {
            g[ly.w_offset + int64_t(o) * ly.in + q] += dz[o] * a[l][q] / ds.n;
            da[q] += dz[o] * p[ly.w_offset + int64_t(o) * ly.in + q];
          }
        }
        if (l > 0)
          for (int q = 0; q < ly.in; ++q) da[q] = a[l][q] > 0 ? da[q] : 0.0;
        dz = da;
      }
    }
    for (size_t j = 0; j < p.size(); ++j) p[j] -= lr * g[j];
  }
  return p;
}

Scenario tiny_scenario() {
  Scenario s;
  s.run.seed = 3;
  s.model.kind = ModelKind::Mlp;
  s.model.hidden = {6, 5};
  s.client.batch_size = 64;
  s.client.lr = 0.3;
  s.server.optimizer = ServerOptimizer::FedAvg;
  s.server.lr = 1.0;
  return s;
}

}  // namespace

TEST(Training, OneClientFullBatchLocalSgdEqualsCentralisedGradientDescent) {
  Federation fed = small_federation(50, 4, 1, 7);
  Scenario s = tiny_scenario();
  s.client.local_steps = 4;
  s.server.clients_per_round = 1;
  Simulation sim(s, fed, std::make_unique<CpuBackend>());
  const ModelLayout& L = sim.layout();
  const std::vector<float> init = init_parameters(L, s.run.seed);
  for (int r = 0; r < 3; ++r) sim.step_round();  // 3 rounds x 4 full-batch steps
  const std::vector<float> got = sim.global_weights();
  const std::vector<double> ref =
      reference_gd(L, std::vector<double>(init.begin(), init.end()), fed.train, s.client.lr, 12);
  double max_err = 0, max_move = 0;
  for (size_t j = 0; j < ref.size(); ++j) {
    max_err = std::max(max_err, std::abs(got[j] - ref[j]));
    max_move = std::max(max_move, std::abs(ref[j] - init[j]));
  }
  EXPECT_GT(max_move, 1e-2);  // the model really moved
  EXPECT_LT(max_err, 1e-4);
}

TEST(Training, FedAvgIsTheSampleWeightedMeanOfClientModels) {
  // Two clients of different sizes, one local full-batch step each, both sampled: the new global
  // model is the sample-weighted mean of the two one-step models.
  Federation fed = small_federation(60, 3, 1, 9);
  fed.offsets = {0, 20, 60};
  Scenario s = tiny_scenario();
  s.client.local_steps = 1;
  s.server.clients_per_round = 2;
  Simulation sim(s, fed, std::make_unique<CpuBackend>());
  const ModelLayout& L = sim.layout();
  const std::vector<float> init = init_parameters(L, s.run.seed);
  sim.step_round();
  const std::vector<float> got = sim.global_weights();
  std::vector<double> mean(init.size(), 0.0);
  for (int c = 0; c < 2; ++c) {
    Dataset part;
    part.n = fed.client_size(c);
    part.d = 3;
    part.x.assign(fed.train.x.begin() + fed.offsets[c] * 3,
                  fed.train.x.begin() + fed.offsets[c + 1] * 3);
    part.y.assign(fed.train.y.begin() + fed.offsets[c], fed.train.y.begin() + fed.offsets[c + 1]);
    const auto one =
        reference_gd(L, std::vector<double>(init.begin(), init.end()), part, s.client.lr, 1);
    for (size_t j = 0; j < one.size(); ++j) mean[j] += one[j] * part.n / 60.0;
  }
  for (size_t j = 0; j < mean.size(); ++j) EXPECT_NEAR(got[j], mean[j], 1e-4) << j;
}

TEST(Training, ResultsDoNotDependOnThreadCount) {
  Federation fed = small_federation(600, 5, 30, 5);
  Scenario s = tiny_scenario();
  s.client.batch_size = 8;
  s.client.momentum = 0.5;
  s.server.clients_per_round = 7;
  s.server.optimizer = ServerOptimizer::FedAdam;
  s.server.lr = 0.05;
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    Simulation sim(s, fed, std::make_unique<CpuBackend>());
    for (int r = 0; r < 3; ++r) sim.step_round();
    auto w = sim.global_weights();
    const EvalRecord e = sim.evaluate();
    w.push_back(float(e.loss));
    return w;
  };
  const auto one = run(1), two = run(2), three = run(3);
  omp_set_num_threads(omp_get_num_procs());
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, three);
}

TEST(Training, CohortSamplingFixedSizeAndPoisson) {
  Federation fed = small_federation(1000, 2, 100, 1);
  Scenario s = tiny_scenario();
  s.server.clients_per_round = 10;
  auto c1 = sample_cohort(s, fed, 1);
  EXPECT_EQ(c1.size(), 10u);
  std::sort(c1.begin(), c1.end());
  EXPECT_EQ(std::unique(c1.begin(), c1.end()), c1.end());  // without replacement
  EXPECT_NE(sample_cohort(s, fed, 1 + 1), sample_cohort(s, fed, 1));
  s.server.sampling_rate = 0.2;
  double total = 0;
  for (int r = 1; r <= 200; ++r) total += double(sample_cohort(s, fed, r).size());
  EXPECT_NEAR(total / 200, 20.0, 1.0);  // E = q * clients, sd of the mean = 0.28
}

// The cohort is the one a plain sequential draw gives (dense Fisher-Yates; one uniform per client
// in order), for populations of one to several parallel blocks, and any thread count.
TEST(Training, CohortSamplingIsTheSequentialDraw) {
  auto reference = [](const Scenario& s, int n, int round) {
    Stream rng(s.run.seed, RngPurpose::ClientSampling, uint32_t(round));
    std::vector<int> out;
    if (s.server.sampling_rate > 0.0) {
      for (int c = 0; c < n; ++c)
        if (rng.uniform() < s.server.sampling_rate) out.push_back(c);
    } else {
      std::vector<int> perm(n);
      for (int c = 0; c < n; ++c) perm[c] = c;
      const int K = std::min(s.server.clients_per_round, n);
      for (int i = 0; i < K; ++i) std::swap(perm[i], perm[i + rng.below(uint64_t(n - i))]);
      out.assign(perm.begin(), perm.begin() + K);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  Scenario s = tiny_scenario();
  s.run.seed = 12;
  for (int n : {1, 7, 1000, 65536, 65537, 200000}) {
    Federation fed;
    for (int c = 0; c <= n; ++c) fed.offsets.push_back(int64_t(c) * 3);
    for (double q : {0.0, 0.002, 0.3}) {
      s.server.sampling_rate = q;
      for (int K : {1, 10, n}) {
        if (q > 0.0 && K != 1) continue;  // K does not matter under Poisson sampling
        s.server.clients_per_round = K;
        for (int round : {1, 2}) {
          const auto want = reference(s, n, round);
          for (int threads : {1, 3}) {
            omp_set_num_threads(threads);
            auto got = sample_cohort(s, fed, round);
            std::sort(got.begin(), got.end());
            EXPECT_EQ(got, want) << "n " << n << " q " << q << " K " << K << " threads " << threads;
          }
        }
      }
    }
  }
  omp_set_num_threads(omp_get_num_procs());
}

TEST(Training, DivergenceIsDetectedAndTheLastFiniteModelKept) {
  Federation fed = small_federation(200, 4, 4, 2);
  Scenario s = tiny_scenario();
  s.client.lr = 1e30;  // explodes within a few steps
  s.client.local_steps = 3;
  s.server.clients_per_round = 4;
  Simulation sim(s, fed, std::make_unique<CpuBackend>());
  std::vector<float> before;
  for (int r = 0; r < 5 && !sim.diverged(); ++r) {
    before = sim.global_weights();
    sim.step_round();
  }
  ASSERT_TRUE(sim.diverged());
  EXPECT_EQ(sim.global_weights(), before);  // rolled back to the last finite model
  for (float w : before) EXPECT_TRUE(std::isfinite(w));
}

namespace {

// One cohort chunk trained by a LocalTrainer on a given backend: the clients' final weights, then
// every ChunkResult field. Clients of uneven sizes (sorted, largest first, as the engine sorts
// them); dp_rows > 0 makes it DP-SGD with micro-batches of dp_rows rows (several per step when
// small).
std::vector<double> train_chunk(Backend& be, bool momentum, int dp_rows) {
  Federation fed = small_federation(400, 6, 1, 3);
  fed.offsets = {0, 110, 190, 250, 300, 340, 370, 390, 398, 400};
  const int K = 9;
  ModelConfig mc;
  mc.hidden = {7, 5};
  const ModelLayout layout = make_layout(mc, 6, 2);
  ClientConfig cc;
  cc.batch_size = 16;
  cc.lr = 0.1;
  if (momentum) {
    cc.momentum = 0.5;
    cc.prox_mu = 0.01;
  }
  std::optional<DpSgdSettings> dp;
  if (dp_rows > 0) dp = DpSgdSettings{0.15, 5, 1.1f, 0.7f, dp_rows};
  LocalTrainer trainer(be, layout, cc, K, 7, dp);
  const auto global = init_parameters(layout, 2);
  std::vector<int> clients(K);
  for (int k = 0; k < K; ++k) clients[k] = k;
  std::vector<double> out;
  for (int round = 1; round <= 2; ++round) {
    const ChunkResult r = dp ? trainer.train_dp(fed, fed.train.x.data(), fed.train.y.data(),
                                                global.data(), clients.data(), K, round)
                             : trainer.train(fed, fed.train.x.data(), fed.train.y.data(),
                                             global.data(), clients.data(), K, round);
    std::vector<float> w(size_t(K) * layout.num_params);
    be.to_host(w.data(), trainer.params(), w.size() * sizeof(float));
    out.insert(out.end(), w.begin(), w.end());
    out.insert(out.end(), r.loss_sum.begin(), r.loss_sum.end());
    out.insert(out.end(), r.clipped.begin(), r.clipped.end());
    out.insert(out.end(), r.samples_seen.begin(), r.samples_seen.end());
  }
  return out;
}

}  // namespace

// The CPU backend runs each client's step as one tile on one thread; the batched path (one op
// over the whole chunk, as on a GPU) must give the same bits, with any thread count: plain SGD,
// momentum + FedProx, DP-SGD in one micro-batch and in several (with clients whose Poisson batch
// is empty or ends early).
TEST(Training, ClientTilesMatchTheBatchedOpsBitForBit) {
  for (const auto& [momentum, dp_rows] :
       {std::pair{false, 0}, {true, 0}, {false, 64}, {false, 4}, {true, 4}}) {
    CpuBackend batched(false);
    omp_set_num_threads(2);
    const auto want = train_chunk(batched, momentum, dp_rows);
    for (int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      CpuBackend tiled(true);
      EXPECT_EQ(train_chunk(tiled, momentum, dp_rows), want)
          << "momentum " << momentum << ", micro-batch rows " << dp_rows << ", threads " << threads;
    }
  }
  omp_set_num_threads(omp_get_num_procs());
}

// A backend that prefers shared weights gets the global model (weight stride 0) in a round's
// first local step instead of the clients' copies of it: the same bits, tiled or batched, plain,
// momentum + FedProx and DP-SGD in one or several micro-batches.
TEST(Training, SharedFirstStepWeightsGiveTheSameBits) {
  omp_set_num_threads(2);
  for (const auto& [momentum, dp_rows] :
       {std::pair{false, 0}, {true, 0}, {false, 64}, {false, 4}, {true, 4}})
    for (bool tiles : {false, true}) {
      CpuBackend copies(tiles, false), shared(tiles, true);
      ASSERT_TRUE(shared.prefers_shared_weights());
      EXPECT_EQ(train_chunk(shared, momentum, dp_rows), train_chunk(copies, momentum, dp_rows))
          << "momentum " << momentum << ", micro-batch rows " << dp_rows << ", tiles " << tiles;
    }
  omp_set_num_threads(omp_get_num_procs());
}

// A backend that prefers noisy_layer_step gets DP-SGD's noise and update inside the clipped sum,
// layer by layer (plain SGD, one micro-batch), instead of a gradient row and noisy_sgd_step: the
// same values up to rounding (the fused reference draws its noise with scalar code, the row
// path with SIMD code that the compiler may contract into FMAs), tiled or not; momentum and
// several micro-batches keep the row path and give the same bits.
TEST(Training, NoisyLayerStepsGiveTheRowPathsValues) {
  omp_set_num_threads(2);
  for (const auto& [momentum, dp_rows] : {std::pair{false, 64}, {true, 64}, {false, 4}})
    for (bool tiles : {false, true}) {
      CpuBackend rows(tiles), fused(tiles, false, true);
      ASSERT_TRUE(fused.prefers_noisy_layer_step());
      const auto want = train_chunk(rows, momentum, dp_rows);
      const auto got = train_chunk(fused, momentum, dp_rows);
      ASSERT_EQ(got.size(), want.size());
      double worst = 0.0;
      for (size_t i = 0; i < got.size(); ++i)
        worst = std::max(worst, std::fabs(got[i] - want[i]) / (1e-3 + std::fabs(want[i])));
      if (momentum || dp_rows == 4)
        EXPECT_EQ(worst, 0.0) << "momentum " << momentum << " rows " << dp_rows;
      else
        EXPECT_LT(worst, 1e-4) << "tiles " << tiles;
    }
  omp_set_num_threads(omp_get_num_procs());
}

// An error inside a client tile (an OpenMP region on the CPU) reaches the caller, with any thread
// count, and every other client still runs at most once.
TEST(Training, ClientTilesPassOnTheFirstError) {
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    CpuBackend be;
    std::vector<int> runs(8, 0);
    EXPECT_THROW(be.for_client_tiles(8,
                                     [&](int k0, int k1) {
                                       for (int k = k0; k < k1; ++k) ++runs[k];
                                       if (k0 == 3) throw BackendError("client 3 failed");
                                     }),
                 BackendError);
    for (int r : runs) EXPECT_LE(r, 1);
    EXPECT_EQ(runs[3], 1);
  }
  omp_set_num_threads(omp_get_num_procs());
}
