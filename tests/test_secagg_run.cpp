// Secure aggregation inside training: [secagg] is validated before any work, training through
// SecAgg matches plain training within the quantisation error, SecAgg+ with dropouts at every
// stage records exact (verified) sums, dropouts and costs per round in the result file, a round
// below the threshold aborts without changing the model, and the automatic neighbourhood size
// makes aborts negligible.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/backend/cpu_backend.h"
#include "sim/data/federation_builder.h"
#include "sim/privacy/accountant.h"
#include "sim/results/results_writer.h"
#include "sim/runner.h"
#include "sim/secagg/secagg_settings.h"

using namespace fedsim;

namespace {

Scenario scenario(std::vector<std::string> extra) {
  std::vector<std::string> o = {"data.samples=6000",           "data.shops=60", "model.hidden=[16]",
                                "server.clients_per_round=30", "run.rounds=5",  "run.eval_every=5"};
  o.insert(o.end(), extra.begin(), extra.end());
  return parse_scenario(default_scenario_text(), "<default>", o);
}

RunResult run(const Scenario& s) {
  const Federation fed = build_federation(s);
  return run_scenario(s, fed, std::make_unique<CpuBackend>());
}

std::string error_of(std::vector<std::string> extra) {
  try {
    scenario(extra);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(SecAggRun, BadSettingsAreRejectedBeforeAnyWork) {
  EXPECT_NE(error_of({"secagg.mode=\"secagg+\"", "secagg.bits=7"}).find("secagg.bits"),
            std::string::npos);
  const std::string t = error_of({"secagg.mode=\"secagg\"", "secagg.threshold=31"});
  EXPECT_NE(t.find("key 'secagg.threshold'"), std::string::npos) << t;
  EXPECT_NE(t.find("clients_per_round = 30"), std::string::npos) << t;
  EXPECT_NE(error_of({"secagg.mode=\"secagg+\"", "secagg.neighbours=3"}).find("secagg.neighbours"),
            std::string::npos);
  EXPECT_NE(error_of({"secagg.dropout_after_masking=1.0"}).find("secagg.dropout_after_masking"),
            std::string::npos);
  EXPECT_NE(error_of({"secagg.mode=\"secure\""}).find("secagg.mode"), std::string::npos);
}

TEST(SecAggRun, TrainingThroughSecAggMatchesPlainTrainingWithinTheQuantisationError) {
  const RunResult plain = run(scenario({}));
  const RunResult secure = run(scenario({"secagg.mode=\"secagg\"", "secagg.fast=false"}));
  ASSERT_EQ(secure.status, RunStatus::Complete) << secure.status_message;
  ASSERT_EQ(secure.secagg.size(), 5u);
  double max_diff = 0, max_w = 0;
  for (size_t i = 0; i < plain.weights.size(); ++i) {
    max_diff = std::max(max_diff, double(std::fabs(plain.weights[i] - secure.weights[i])));
    max_w = std::max(max_w, double(std::fabs(plain.weights[i])));
  }
  EXPECT_GT(max_diff, 0.0);  // quantisation happened
  EXPECT_LT(max_diff, 1e-4 * max_w) << max_diff;
  EXPECT_NEAR(secure.evals.back().accuracy, plain.evals.back().accuracy, 0.01);
  for (const SecAggRecord& a : secure.secagg) {
    EXPECT_TRUE(a.verified);
    EXPECT_FALSE(a.aborted);
    EXPECT_EQ(a.included, 30);
    EXPECT_EQ(a.wraparounds, 0);
    EXPECT_LT(a.quantisation_mse, 1e-8);
    EXPECT_GE(a.client_bytes_sent[2], 4.0 * double(secure.layout.num_params));  // 32-bit words
  }
}

TEST(SecAggRun, SecAggPlusWithDropoutsRecordsVerifiedSumsDropoutsAndCosts) {
  const Scenario s = scenario({"secagg.mode=\"secagg+\"", "secagg.dropout_before_masking=0.04",
                               "secagg.dropout_after_masking=0.04",
                               "secagg.dropout_before_unmasking=0.04", "run.rounds=6"});
  const RunResult r = run(s);
  ASSERT_EQ(r.status, RunStatus::Complete) << r.status_message;
  ASSERT_EQ(r.secagg.size(), 6u);
  int dropped = 0;
  for (size_t i = 0; i < r.secagg.size(); ++i) {
    const SecAggRecord& a = r.secagg[i];
    EXPECT_EQ(a.round, int(i + 1));
    EXPECT_FALSE(a.aborted);
    EXPECT_TRUE(a.verified);
    const int d = a.dropped_before_masking + a.dropped_after_masking + a.dropped_before_unmasking;
    // a client dropping before unmasking sent its masked input: it is in the sum
    EXPECT_EQ(a.included, 30 - a.dropped_before_masking - a.dropped_after_masking);
    EXPECT_EQ(r.rounds[i].clients_dropped, d);
    EXPECT_GT(a.neighbours, 0);
    EXPECT_LT(a.neighbours, 30);
    EXPECT_GT(a.prg_words, 0.0);
    dropped += d;
  }
  EXPECT_GT(dropped, 0);  // 12% over 180 client-rounds
  EXPECT_GT(r.evals.back().accuracy, 0.55);
  // the file holds the same records
  const auto file = std::filesystem::temp_directory_path() /
                    ("fedsim-secagg-" + std::to_string(getpid()) + ".h5");
  write_results(file.string(), r, true);
  const RunResult back = read_results(file.string());
  std::filesystem::remove(file);
  ASSERT_EQ(back.secagg.size(), r.secagg.size());
  EXPECT_EQ(back.secagg[3].included, r.secagg[3].included);
  EXPECT_EQ(back.secagg[3].client_bytes_received[3], r.secagg[3].client_bytes_received[3]);
  EXPECT_EQ(back.secagg[3].quantisation_mse, r.secagg[3].quantisation_mse);
}

TEST(SecAggRun, ARoundBelowTheThresholdAbortsAndLeavesTheModelUnchanged) {
  // Every client must survive (t = n) while half drop after masking: every round aborts.
  const RunResult r = run(scenario({"secagg.mode=\"secagg\"", "secagg.threshold=30",
                                    "secagg.dropout_after_masking=0.5", "run.rounds=3"}));
  ASSERT_EQ(r.status, RunStatus::Complete) << r.status_message;
  ASSERT_EQ(r.secagg.size(), 3u);
  for (const SecAggRecord& a : r.secagg) EXPECT_TRUE(a.aborted);
  const Scenario s = scenario({"run.rounds=1"});
  const auto init = init_parameters(make_layout(s.model, r.layout.layers.front().in, 2), 1);
  EXPECT_EQ(r.weights, init);  // no round changed the model
}

TEST(SecAggRun, AutomaticNeighbourhoodsMakeAbortsNegligible) {
  for (double p : {0.01, 0.1, 0.3}) {
    const int k = secagg::robust_neighbours(1000, p);
    ASSERT_GT(k, 0) << p;
    EXPECT_EQ(k % 2, 0);
    EXPECT_GE(k, 10);  // >= log2(1000)
    // at k - 2 the union bound is not met (unless k is the log2 floor)
    auto tail = [&](int kk) {
      const int t = kk / 2 + 1;
      double s = 0;
      for (int d = kk - t + 1; d <= kk; ++d)
        s += std::exp(std::lgamma(kk + 1.0) - std::lgamma(d + 1.0) - std::lgamma(kk - d + 1.0) +
                      d * std::log(p) + (kk - d) * std::log1p(-p));
      return s * 1000;
    };
    EXPECT_LT(tail(k), 1e-6);
    if (k > 10) {
      EXPECT_GE(tail(k - 2), 1e-6);
    }
  }
  EXPECT_EQ(secagg::robust_neighbours(2, 0.1), 0);
}

TEST(SecAggRun, DistributedDpIsValidatedAgainstTheOtherSettings) {
  EXPECT_NE(error_of({"secagg.distributed_dp=true"}).find("secagg.mode = \"off\""),
            std::string::npos);
  EXPECT_NE(error_of({"secagg.mode=\"secagg\"", "secagg.distributed_dp=true"})
                .find("privacy.mode = \"user\""),
            std::string::npos);
  EXPECT_NE(error_of({"secagg.mode=\"secagg\"", "secagg.distributed_dp=true",
                      "privacy.mode=\"user\"", "server.sampling_rate=0.5",
                      "privacy.noise_multiplier=1.0", "privacy.adaptive_clip=true"})
                .find("adaptive_clip"),
            std::string::npos);
}

// The clients' discrete Gaussians replace the server's noise; each round records the noise that
// survived the dropouts, and epsilon is that of the smallest surviving noise multiplier.
TEST(SecAggRun, DistributedDpAccountsTheNoiseThatSurvived) {
  const std::vector<std::string> dp = {
      "privacy.mode=\"user\"", "server.sampling_rate=0.5", "privacy.noise_multiplier=1.0",
      "privacy.delta=1e-5",    "privacy.clip=1.0",         "run.rounds=4"};
  std::vector<std::string> dist = dp;
  for (const char* o : {"secagg.mode=\"secagg+\"", "secagg.distributed_dp=true",
                        "secagg.dropout_after_masking=0.2"})
    dist.push_back(o);
  const RunResult central = run(scenario(dp)), distributed = run(scenario(dist));
  ASSERT_EQ(distributed.status, RunStatus::Complete) << distributed.status_message;
  ASSERT_EQ(distributed.secagg.size(), 4u);
  double z_min = 1e30;
  for (const SecAggRecord& a : distributed.secagg) {
    EXPECT_TRUE(a.verified);
    EXPECT_DOUBLE_EQ(a.dp_noise_std_target, 1.0);  // z S
    EXPECT_GT(a.dp_noise_std_survived, 0.5);
    EXPECT_LT(a.dp_noise_std_survived, 1.5);
    // the multiplier: survived std over the sensitivity (slightly above S from the rounding)
    EXPECT_LT(a.dp_noise_multiplier, a.dp_noise_std_survived);
    EXPECT_GT(a.dp_noise_multiplier, 0.999 * a.dp_noise_std_survived);
    z_min = std::min(z_min, a.dp_noise_multiplier);
  }
  const double q = distributed.privacy.sample_rate;
  EXPECT_NEAR(distributed.rounds.back().epsilon_rdp,
              epsilon_for(AccountantKind::Rdp, {{q, z_min, 4}}, 1e-5), 1e-9);
  EXPECT_NEAR(central.rounds.back().epsilon_rdp,
              epsilon_for(AccountantKind::Rdp, {{q, 1.0, 4}}, 1e-5), 1e-9);
}
