// Secure aggregation (sim/secagg/): Shamir sharing, the mask PRGs, the SecAgg+ graph, masks that
// cancel with and without dropouts at every stage (SecAgg and SecAgg+, faithful and fast mode),
// threshold aborts, wrap-around detection, the exact discrete Gaussian sampler and settings
// validation.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include <Random123/philox.h>

#include "sim/backend/cpu_backend.h"
#include "sim/secagg/discrete_gaussian.h"
#include "sim/secagg/mask_prg.h"
#include "sim/secagg/secagg.h"
#include "sim/secagg/shamir.h"

using namespace fedsim;
using namespace fedsim::secagg;

namespace {

Secret test_secret(uint8_t base) {
  Secret s;
  for (size_t i = 0; i < s.size(); ++i) s[i] = uint8_t(base + 7 * i);
  return s;
}

auto seeded_bytes(uint32_t seed) {
  return [gen = std::mt19937(seed)](uint8_t* out, size_t len) mutable {
    for (size_t i = 0; i < len; ++i) out[i] = uint8_t(gen());
  };
}

// K updates of P floats; every third client's norm is far above clip 1 (exercises clipping).
std::vector<float> make_updates(int K, int64_t P, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f / std::sqrt(float(P)));
  std::vector<float> x(size_t(K) * size_t(P));
  for (int u = 0; u < K; ++u)
    for (int64_t j = 0; j < P; ++j)
      x[size_t(u) * size_t(P) + size_t(j)] = nd(gen) * (u % 3 ? 0.8f : 5.0f);
  return x;
}

// The float sum of the clipped updates of `clients` (what secure aggregation approximates).
std::vector<double> clipped_sum(const std::vector<float>& x, int64_t P, double clip,
                                const std::vector<int>& clients) {
  std::vector<double> s(size_t(P), 0.0);
  for (int u : clients) {
    const float* r = x.data() + size_t(u) * size_t(P);
    double n2 = 0;
    for (int64_t j = 0; j < P; ++j) n2 += double(r[j]) * r[j];
    const double f = n2 > clip * clip ? clip / std::sqrt(n2) : 1.0;
    for (int64_t j = 0; j < P; ++j) s[size_t(j)] += double(r[j]) * f;
  }
  return s;
}

SecAggRoundResult run(const SecAggSettings& s, const std::vector<float>& x, int K, int64_t P,
                      const std::vector<int8_t>& forced = {}, uint32_t round = 3,
                      Backend* mask_backend = nullptr) {
  SecAggRoundInput in;
  in.updates = x.data();
  in.clients = K;
  in.params = P;
  in.seed = 42;
  in.round = round;
  in.forced_dropout = forced;
  in.mask_backend = mask_backend;
  return run_secagg_round(s, in);
}

// A masked round's settings: 20-bit fixed point, k = 10 neighbours (SecAgg+), threshold 5.
SecAggSettings masked(SecAggMode mode, MaskPrg prg) {
  SecAggSettings s;
  s.mode = mode;
  s.bits = 20;
  s.neighbours = 10;
  s.threshold = 5;
  s.prg = prg;
  return s;
}

}  // namespace

// --- Shamir --------------------------------------------------------------------------------------

TEST(Shamir, ReconstructsFromAnyTSharesAndFailsBelow) {
  const Secret secret = test_secret(3);
  const int n = 9, t = 5;
  const auto shares = shamir_share(secret, n, t, seeded_bytes(1));
  ASSERT_EQ(int(shares.size()), n);
  // the first t, the last t, and all n
  EXPECT_EQ(shamir_reconstruct(std::span(shares).first(t), t), secret);
  EXPECT_EQ(shamir_reconstruct(std::span(shares).last(t), t), secret);
  EXPECT_EQ(shamir_reconstruct(shares, t), secret);
  std::vector<Share> odd;
  for (int i = 0; i < n; i += 2) odd.push_back(shares[size_t(i)]);
  EXPECT_EQ(shamir_reconstruct(odd, t), secret);
  // below the threshold: refused, and interpolation through t - 1 points is not the secret
  EXPECT_FALSE(shamir_reconstruct(std::span(shares).first(t - 1), t).has_value());
  EXPECT_NE(shamir_interpolate_unchecked(shares, t - 1), secret);
}

TEST(Shamir, FieldArithmetic) {
  const uint64_t a = 123456789012345ull, b = kShamirPrime - 5;
  EXPECT_EQ(field_mul(a, field_inv(a)), 1u);
  EXPECT_EQ(field_mul(b, field_inv(b)), 1u);
  EXPECT_EQ(field_add(b, 5), 0u);
  EXPECT_EQ(field_sub(0, 1), kShamirPrime - 1);
}

// --- mask PRGs -----------------------------------------------------------------------------------

TEST(MaskPrg, PhiloxSimdMatchesScalarReference) {
  const Secret seed = test_secret(9);
  const size_t n = 64 * 37 + 19;  // whole SIMD groups and a scalar tail
  const auto m = expand_mask(MaskPrg::Philox, seed, n);
  const PhiloxMaskKey k = philox_mask_key(seed);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(m[i], fast_mask_word(k, i)) << "word " << i;
  // and the reference is Random123's Philox4x32-10 with the documented layout
  r123::Philox4x32 ph;
  const auto out = ph({{k.c0, k.c1, k.c2, 2u}}, {{k.k0, k.k1}});
  EXPECT_EQ(m[2], out.v[0]);       // word 2: block 2, output word 0
  EXPECT_EQ(m[16 + 2], out.v[1]);  // word 18: block 2, output word 1
  std::printf("philox mask ISA: %s\n", philox_mask_isa());
}

TEST(MaskPrg, ChaChaIsLibsodiumKeystreamAndMasksCancel) {
  ASSERT_GE(sodium_init(), 0);
  const Secret seed = test_secret(5);
  const size_t n = 1000;
  const auto m = expand_mask(MaskPrg::ChaCha20, seed, n);
  std::vector<uint32_t> ref(n);
  const unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  crypto_stream_chacha20(reinterpret_cast<unsigned char*>(ref.data()), n * 4, nonce, seed.data());
  EXPECT_EQ(m, ref);
  for (MaskPrg prg : {MaskPrg::ChaCha20, MaskPrg::Philox}) {
    std::vector<uint32_t> y(n, 7), scratch;
    add_mask(prg, seed, false, y.data(), n, scratch);
    add_mask(prg, seed, true, y.data(), n, scratch);
    EXPECT_EQ(y, std::vector<uint32_t>(n, 7));
  }
}

// --- the SecAgg+ graph ---------------------------------------------------------------------------

TEST(NeighbourGraph, KRegularSymmetricNoSelfLoops) {
  for (auto [n, k] : {std::pair{50, 6}, std::pair{1000, 10}, std::pair{7, 6}}) {
    const auto nb = neighbour_graph(n, k, 1, 2);
    for (int u = 0; u < n; ++u) {
      const auto& l = nb[size_t(u)];
      ASSERT_EQ(int(l.size()), k);
      ASSERT_EQ(std::set<int>(l.begin(), l.end()).size(), l.size());
      for (int v : l) {
        ASSERT_NE(v, u);
        ASSERT_TRUE(std::binary_search(nb[size_t(v)].begin(), nb[size_t(v)].end(), u));
      }
    }
  }
  EXPECT_NE(neighbour_graph(50, 6, 1, 2), neighbour_graph(50, 6, 1, 3));  // fresh per round
}

// --- the protocol --------------------------------------------------------------------------------

struct CancelCase {
  SecAggMode mode;
  MaskPrg prg;
  const char* name;
};

class Cancellation : public ::testing::TestWithParam<CancelCase> {};

// Masks cancel exactly (the engine asserts the unmasked sum equals the plain quantised sum mod
// 2^b) with no dropouts, with dropouts at each stage alone, and at all stages together; the
// aggregate is the float sum of exactly the clients whose masked input arrived, to within the
// rounding (one quantisation step per client at most).
TEST_P(Cancellation, WithAndWithoutDropoutsAtEveryStage) {
  const int K = 24;
  const int64_t P = 1000 + 37;
  const auto x = make_updates(K, P, 7);
  SecAggSettings s;
  s.mode = GetParam().mode;
  s.prg = GetParam().prg;
  s.bits = 32;
  s.neighbours = 8;
  s.threshold = s.mode == SecAggMode::SecAggPlus ? 4 : 12;
  std::vector<std::vector<int8_t>> scenarios;
  scenarios.push_back(std::vector<int8_t>(K, -1));
  for (int8_t st = 0; st < kDropStages; ++st) {
    std::vector<int8_t> f(K, -1);
    f[1] = f[6] = st;
    scenarios.push_back(f);
  }
  std::vector<int8_t> all(K, -1);
  all[0] = 0, all[5] = 1, all[9] = 2, all[13] = 1, all[20] = 2;
  scenarios.push_back(all);
  for (const auto& f : scenarios) {
    const auto r = run(s, x, K, P, f);
    ASSERT_FALSE(r.aborted) << r.abort_reason;
    EXPECT_TRUE(r.verified);
    std::vector<int> expect;
    std::array<int, kDropStages> drops{};
    for (int u = 0; u < K; ++u) {
      if (f[size_t(u)] < 0 || f[size_t(u)] == kBeforeUnmasking) expect.push_back(u);
      if (f[size_t(u)] >= 0) drops[size_t(f[size_t(u)])]++;
    }
    EXPECT_EQ(r.included, expect);
    EXPECT_EQ(r.dropouts, drops);
    EXPECT_EQ(r.wraparounds, 0);
    const auto ref = clipped_sum(x, P, s.clip, expect);
    double worst = 0;
    for (int64_t j = 0; j < P; ++j)
      worst = std::max(worst, std::abs(double(r.aggregate[size_t(j)]) - ref[size_t(j)]));
    EXPECT_LE(worst, double(expect.size()) / r.plan.scale + 1e-6);
    EXPECT_GT(r.quantisation_mse, 0.0);
    EXPECT_LT(r.quantisation_mse, double(expect.size()) / (r.plan.scale * r.plan.scale));
    // costs: every surviving client sent its masked input of ceil(P b / 8) bytes
    for (int u : expect) EXPECT_EQ(r.costs.bytes_sent[size_t(u)][kMaskedInput], uint64_t(P) * 4);
    int n2 = 0;
    for (int u = 0; u < K; ++u) n2 += f[size_t(u)] != kBeforeMasking;
    EXPECT_EQ(r.costs.shamir_reconstructions, uint64_t(n2));
  }
}

INSTANTIATE_TEST_SUITE_P(
    SecAgg, Cancellation,
    ::testing::Values(CancelCase{SecAggMode::SecAgg, MaskPrg::ChaCha20, "secagg_chacha"},
                      CancelCase{SecAggMode::SecAgg, MaskPrg::Philox, "secagg_philox"},
                      CancelCase{SecAggMode::SecAggPlus, MaskPrg::ChaCha20, "secaggplus_chacha"},
                      CancelCase{SecAggMode::SecAggPlus, MaskPrg::Philox, "secaggplus_philox"}),
    [](const auto& p) { return std::string(p.param.name); });

// Fast (Philox) and faithful (ChaCha20) masks give the same server sum, bit for bit, as do random
// (non-deterministic) keys; the same seed gives the same bits.
TEST(SecAgg, FastAndFaithfulModesGiveTheSameSum) {
  const int K = 30;
  const int64_t P = 777;
  const auto x = make_updates(K, P, 11);
  std::vector<int8_t> f(K, -1);
  f[3] = 0, f[4] = 1, f[8] = 2;
  for (SecAggMode mode : {SecAggMode::SecAgg, SecAggMode::SecAggPlus}) {
    SecAggSettings s = masked(mode, MaskPrg::ChaCha20);
    const auto faithful = run(s, x, K, P, f);
    s.prg = MaskPrg::Philox;
    const auto fast = run(s, x, K, P, f);
    s.deterministic = false;
    const auto random_keys = run(s, x, K, P, f);
    ASSERT_FALSE(faithful.aborted || fast.aborted || random_keys.aborted);
    EXPECT_EQ(faithful.modular_sum, fast.modular_sum);
    EXPECT_EQ(faithful.modular_sum, random_keys.modular_sum);
    EXPECT_EQ(faithful.aggregate, fast.aggregate);
    s.deterministic = true;
    EXPECT_EQ(run(s, x, K, P, f).modular_sum, fast.modular_sum);
  }
}

// The fast-mode mask sum as a backend op (the server's unmasking on the run's backend, a CUDA
// kernel on a GPU): word for word the scalar reference, for a length that is not a multiple of 64.
TEST(MaskPrg, BackendSumOfMasksMatchesTheReference) {
  CpuBackend be;
  const size_t n = 64 * 300 + 37;
  std::vector<PhiloxMaskKey> keys;
  std::vector<uint8_t> subtract;
  for (uint8_t t = 0; t < 9; ++t) {
    keys.push_back(philox_mask_key(test_secret(uint8_t(10 + 31 * t))));
    subtract.push_back(t % 3 == 1);
  }
  std::vector<uint32_t> start(n);
  std::mt19937 gen(5);
  for (auto& v : start) v = uint32_t(gen());
  std::vector<uint32_t> want = start;
  for (size_t t = 0; t < keys.size(); ++t)
    for (size_t i = 0; i < n; ++i) {
      const uint32_t m = fast_mask_word(keys[t], i);
      want[i] = subtract[t] ? want[i] - m : want[i] + m;
    }
  DeviceBuffer<uint32_t> acc(be, n);
  acc.upload(start.data(), n);
  be.add_philox_masks(acc.get(), n, keys.data(), subtract.data(), int(keys.size()));
  std::vector<uint32_t> got(n);
  acc.download(got.data(), n);
  EXPECT_EQ(got, want);
  be.add_philox_masks(acc.get(), n, keys.data(), subtract.data(), 0);  // no keys: unchanged
  acc.download(got.data(), n);
  EXPECT_EQ(got, want);
}

// Fast mode with the server's unmasking on a backend (Simulation passes its own): the same round,
// bit for bit, as the host loop, with pairwise masks of clients dropped after masking removed.
TEST(SecAgg, ServerUnmaskingOnABackendGivesTheSameRound) {
  const int K = 30;
  const int64_t P = 777;
  const auto x = make_updates(K, P, 12);
  std::vector<int8_t> f(K, -1);
  f[3] = 0, f[4] = 1, f[8] = 2, f[9] = 1;
  CpuBackend be;
  for (SecAggMode mode : {SecAggMode::SecAgg, SecAggMode::SecAggPlus}) {
    const SecAggSettings s = masked(mode, MaskPrg::Philox);
    const auto host = run(s, x, K, P, f);
    const auto dev = run(s, x, K, P, f, 3, &be);
    ASSERT_FALSE(host.aborted || dev.aborted);
    EXPECT_TRUE(dev.verified);
    EXPECT_EQ(host.modular_sum, dev.modular_sum);
    EXPECT_EQ(host.aggregate, dev.aggregate);
    EXPECT_EQ(host.costs.server_key_agreements, dev.costs.server_key_agreements);
    EXPECT_GT(dev.costs.server_key_agreements, 0u);
    EXPECT_EQ(host.costs.shamir_reconstructions, dev.costs.shamir_reconstructions);
    EXPECT_EQ(host.costs.server_prg_words, dev.costs.server_prg_words);
  }
}

TEST(SecAgg, AbortsBelowThreshold) {
  const int K = 10;
  const int64_t P = 100;
  const auto x = make_updates(K, P, 3);
  SecAggSettings s;
  s.mode = SecAggMode::SecAgg;
  s.threshold = 8;
  // 3 clients leave before unmasking: 7 answer, below t = 8
  std::vector<int8_t> f(K, -1);
  f[0] = f[1] = f[2] = kBeforeUnmasking;
  auto r = run(s, x, K, P, f);
  EXPECT_TRUE(r.aborted);
  EXPECT_NE(r.abort_reason.find("threshold t = 8"), std::string::npos) << r.abort_reason;
  EXPECT_TRUE(r.aggregate.empty());
  EXPECT_EQ(r.dropouts[kBeforeUnmasking], 3);
  // 3 before masking: only 7 send shares
  f.assign(K, -1);
  f[0] = f[1] = f[2] = kBeforeMasking;
  r = run(s, x, K, P, f);
  EXPECT_TRUE(r.aborted);
  EXPECT_NE(r.abort_reason.find("ShareKeys"), std::string::npos) << r.abort_reason;
  // 2 are fine
  f[2] = -1;
  EXPECT_FALSE(run(s, x, K, P, f).aborted);

  // SecAgg+: a client whose neighbours mostly vanish cannot be unmasked
  const int K2 = 40;
  const auto x2 = make_updates(K2, P, 4);
  s.mode = SecAggMode::SecAggPlus;
  s.neighbours = 6;
  s.threshold = 4;
  const auto nb = neighbour_graph(K2, 6, 42, 3);
  f.assign(K2, -1);
  for (int i = 0; i < 3; ++i) f[size_t(nb[0][size_t(i)])] = kBeforeUnmasking;  // 3 of 6 left
  r = run(s, x2, K2, P, f);
  EXPECT_TRUE(r.aborted);
  EXPECT_NE(r.abort_reason.find("cannot reconstruct client 0"), std::string::npos)
      << r.abort_reason;
}

// With an explicit scale too large for b bits (allowed explicitly), coordinates whose true integer
// sum leaves [-2^(b-1), 2^(b-1)) are counted; the modular sum is still exact.
TEST(SecAgg, CountsWrapArounds) {
  const int K = 16;
  const int64_t P = 500;
  std::vector<float> x(size_t(K) * size_t(P));
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % size_t(P)) < 100 ? 0.04f : 0.001f;
  SecAggSettings s;
  s.mode = SecAggMode::SecAgg;
  s.prg = MaskPrg::Philox;
  s.bits = 8;
  s.scale = 400;  // 16 x 0.04 x 400 = 256 > 127: the first 100 coordinates wrap
  EXPECT_NE(validate_secagg(s, K).find("too few"), std::string::npos);
  s.allow_wraparound = true;
  ASSERT_EQ(validate_secagg(s, K), "");
  const auto r = run(s, x, K, P);
  ASSERT_FALSE(r.aborted);
  EXPECT_TRUE(r.verified);
  EXPECT_EQ(r.wraparounds, 100);
  // the wrapped fifth of the coordinates are off by 2^8 / scale = 0.64
  EXPECT_NEAR(r.quantisation_mse, 0.2 * 0.64 * 0.64, 0.01);
}

// Distributed DP: the noise that survives is |U3| x the exact per-client discrete Gaussian
// variance, and the aggregate's error has that variance.
TEST(SecAgg, DistributedDiscreteGaussianNoiseSurvivingDropouts) {
  const int K = 20;
  const int64_t P = 20000;
  const auto x = make_updates(K, P, 5);
  SecAggSettings s;
  s.mode = SecAggMode::SecAggPlus;
  s.prg = MaskPrg::Philox;
  s.bits = 32;
  s.neighbours = 8;
  s.threshold = 3;
  s.dp_stddev = 0.5;
  std::vector<int8_t> f(K, -1);
  f[2] = f[7] = f[11] = f[15] = kAfterMasking;  // 16 of 20 contribute noise
  const auto r = run(s, x, K, P, f);
  ASSERT_FALSE(r.aborted) << r.abort_reason;
  EXPECT_DOUBLE_EQ(r.dp_noise_variance_target, 0.25);
  EXPECT_NEAR(r.dp_noise_variance_survived, 0.25 * 16.0 / 20.0, 1e-6);
  // sample variance of (aggregate - float sum) over P coordinates: sd of the estimate is about
  // v sqrt(2 / P) = 1% of v; 5 sd bounds.
  const double v = r.total_mse;
  EXPECT_NEAR(v, r.dp_noise_variance_survived,
              5 * r.dp_noise_variance_survived * std::sqrt(2.0 / P));
  EXPECT_LT(r.quantisation_mse, 1e-9);
}

TEST(SecAgg, CostsPerStage) {
  const int K = 12;
  const int64_t P = 1000;
  const auto x = make_updates(K, P, 6);
  SecAggSettings s;
  s.mode = SecAggMode::SecAggPlus;
  s.bits = 16;
  s.neighbours = 4;
  s.threshold = 3;
  s.prg = MaskPrg::Philox;
  std::vector<int8_t> f(K, -1);
  f[0] = kAfterMasking;
  const auto r = run(s, x, K, P, f);
  ASSERT_FALSE(r.aborted) << r.abort_reason;
  for (int u = 0; u < K; ++u) {
    EXPECT_EQ(r.costs.bytes_sent[size_t(u)][kAdvertiseKeys], 64u);
    EXPECT_EQ(r.costs.key_agreements[size_t(u)], 4u);
    EXPECT_EQ(r.costs.prg_words[size_t(u)], uint64_t(P) * 5);  // self mask + 4 pairwise
    EXPECT_EQ(r.costs.bytes_sent[size_t(u)][kMaskedInput], u == 0 ? 0u : uint64_t(P) * 2);
  }
  // the server: 11 self masks plus the dropped client's 4 pairwise masks, 4 agreements
  EXPECT_EQ(r.costs.server_prg_words, uint64_t(P) * 15);
  EXPECT_EQ(r.costs.server_key_agreements, 4u);
  EXPECT_EQ(r.costs.server_bytes_received[kMaskedInput], uint64_t(P) * 2 * 11);
}

// --- the discrete Gaussian -----------------------------------------------------------------------

// Mean and variance of 200,000 draws against the exact discrete Gaussian (fixed seed). Each check
// is at 5 standard errors: with a random seed, each would fail falsely with probability about 6e-7.
TEST(DiscreteGaussian, MeanAndExactVariance) {
  for (double sigma2 : {0.2, 9.0, 1e4}) {
    const auto r = rational_sigma2(sigma2);
    PhiloxBits bits(noise_key(2024, 1), uint32_t(sigma2), 0, 0);
    const int N = 200000;
    double sum = 0, sum2 = 0;
    int64_t zeros = 0;
    for (int i = 0; i < N; ++i) {
      const double y = double(sample_discrete_gaussian(r, bits));
      sum += y;
      sum2 += y * y;
      zeros += y == 0;
    }
    const double var = discrete_gaussian_variance(sigma2);
    const double mean = sum / N, m2 = sum2 / N;
    EXPECT_NEAR(mean, 0.0, 5 * std::sqrt(var / N)) << "sigma2 " << sigma2;
    // E[y^2] = var; sd of the mean of y^2 = sqrt(E[y^4] - var^2) / sqrt(N) <= var sqrt(2 / N)
    EXPECT_NEAR(m2, var, 5 * var * std::sqrt(2.0 / N)) << "sigma2 " << sigma2;
    if (sigma2 == 0.2) {
      // P[0] exactly: 1 / sum_x exp(-x^2)
      double z = 1;
      for (int x = 1; x < 20; ++x) z += 2 * std::exp(-x * x / (2 * sigma2));
      const double p0 = 1 / z;
      EXPECT_NEAR(double(zeros) / N, p0, 5 * std::sqrt(p0 * (1 - p0) / N));
      EXPECT_LT(var, 0.15);  // well below sigma2: the discrete Gaussian is not N(0, 0.2) rounded
    }
  }
}

TEST(DiscreteGaussian, BernoulliExp) {
  // P[Bernoulli(exp(-3/2))] = 0.2231...
  PhiloxBits bits(noise_key(7, 2), 0, 0, 0);
  const int N = 200000;
  int ones = 0;
  for (int i = 0; i < N; ++i) ones += sample_bernoulli_exp(3, 2, bits);
  const double p = std::exp(-1.5);
  EXPECT_NEAR(double(ones) / N, p, 5 * std::sqrt(p * (1 - p) / N));
}

// --- settings ------------------------------------------------------------------------------------

TEST(SecAggSettings, ValidationMessages) {
  SecAggSettings s;
  EXPECT_EQ(validate_secagg(s, 100), "");  // off
  s.mode = SecAggMode::SecAgg;
  EXPECT_EQ(validate_secagg(s, 100), "");
  s.threshold = 120;
  EXPECT_EQ(validate_secagg(s, 100), "secagg.threshold = 120 is above the cohort size 100");
  s.threshold = 1;
  EXPECT_NE(validate_secagg(s, 100).find("at least 2"), std::string::npos);
  s.threshold = 0;
  s.bits = 40;
  EXPECT_EQ(validate_secagg(s, 100), "secagg.bits = 40 is outside 8..32");
  s.bits = 8;
  EXPECT_EQ(validate_secagg(s, 300),
            "secagg.bits = 8 is too few for a cohort of 300: the largest sum of 300 rounded values "
            "needs at least 11 bits");
  s.bits = 16;
  s.scale = 1000;
  const std::string msg = validate_secagg(s, 100);
  EXPECT_NE(msg.find("too few for the cohort's largest sum"), std::string::npos) << msg;
  EXPECT_NE(msg.find("needs 18 bits"), std::string::npos) << msg;
  s.scale = 0;
  s.dropout[kAfterMasking] = 1.0;
  EXPECT_NE(validate_secagg(s, 100).find("after_masking"), std::string::npos);
  s.dropout[kAfterMasking] = 0.1;
  s.mode = SecAggMode::SecAggPlus;
  s.neighbours = 7;
  EXPECT_NE(validate_secagg(s, 100).find("must be even"), std::string::npos);
  s.neighbours = 10;
  s.threshold = 12;
  EXPECT_NE(validate_secagg(s, 100).find("above the number of neighbours k = 10"),
            std::string::npos);
  s.threshold = 0;
  s.neighbours = 0;
  const auto p = plan_secagg(s, 1000);
  EXPECT_EQ(p.neighbours, 10);  // smallest even >= log2(1000)
  EXPECT_EQ(p.threshold, 6);
  EXPECT_THROW(plan_secagg(s, 2), std::invalid_argument);
  SecAggSettings off;
  EXPECT_THROW(run_secagg_round(off, SecAggRoundInput{}), std::invalid_argument);
}
