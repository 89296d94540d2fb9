// The whole engine on the synthetic federation: the default scenario learns (at reduced size), and
// label skew (Dirichlet 0.1) costs accuracy against IID, as the literature expects.
#include <gtest/gtest.h>

#include "sim/backend/cpu_backend.h"
#include "sim/data/federation_builder.h"
#include "sim/runner.h"
#include "sim/scenario.h"

using namespace fedsim;

namespace {

RunResult run(const std::vector<std::string>& overrides) {
  const Scenario s = parse_scenario(default_scenario_text(), "<default>", overrides);
  const Federation fed = build_federation(s);
  return run_scenario(s, fed, std::make_unique<CpuBackend>());
}

}  // namespace

// The README states the full default run's accuracy (0.73 at 50 rounds); at a quarter of the data
// and 20 rounds it must already beat 0.70 (pooled logistic regression reaches 0.72, a constant
// predictor 0.53).
TEST(Simulation, DefaultScenarioLearnsAtReducedSize) {
  const RunResult r =
      run({"data.samples=30000", "data.shops=200", "server.clients_per_round=30", "run.rounds=20"});
  ASSERT_EQ(r.status, RunStatus::Complete) << r.status_message;
  ASSERT_EQ(r.evals.size(), 4u);
  EXPECT_GT(r.evals.back().accuracy, 0.70);
  EXPECT_GT(r.evals.back().auc, 0.75);
  EXPECT_LT(r.evals.back().loss, r.rounds.front().train_loss);
  EXPECT_EQ(r.clients.final_accuracy.size(), r.clients.num_samples.size());
  EXPECT_LE(r.clients.accuracy_worst, r.clients.accuracy_p10);
  EXPECT_LE(r.clients.accuracy_p10, r.clients.accuracy_mean);
}

TEST(Simulation, DirichletLabelSkewCostsAccuracyAgainstIid) {
  const std::vector<std::string> common = {"data.samples=30000", "partition.clients=100",
                                           "server.clients_per_round=20", "run.rounds=20",
                                           "client.local_epochs=2"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return run(extra);
  };
  const RunResult iid = with({"partition.scheme=\"iid\""});
  const RunResult skew = with({"partition.scheme=\"dirichlet\"", "partition.alpha=0.1"});
  ASSERT_EQ(iid.status, RunStatus::Complete);
  ASSERT_EQ(skew.status, RunStatus::Complete);
  const double gap = iid.evals.back().accuracy - skew.evals.back().accuracy;
  EXPECT_GT(gap, 0.03) << "iid " << iid.evals.back().accuracy << " dirichlet(0.1) "
                       << skew.evals.back().accuracy;
}

TEST(Simulation, SameScenarioAndSeedGiveIdenticalResults) {
  const std::vector<std::string> o = {"data.samples=8000",
                                      "data.shops=60",
                                      "server.clients_per_round=10",
                                      "run.rounds=3",
                                      "server.optimizer=\"fedyogi\"",
                                      "server.lr=0.02",
                                      "client.momentum=0.9"};
  const RunResult a = run(o), b = run(o);
  ASSERT_EQ(a.rounds.size(), b.rounds.size());
  for (size_t i = 0; i < a.rounds.size(); ++i) {
    EXPECT_EQ(a.rounds[i].train_loss, b.rounds[i].train_loss);
    EXPECT_EQ(a.rounds[i].update_norm, b.rounds[i].update_norm);
  }
  EXPECT_EQ(a.evals.back().accuracy, b.evals.back().accuracy);
  EXPECT_EQ(a.weights, b.weights);
  std::vector<std::string> other = o;
  other.push_back("run.seed=2");
  EXPECT_NE(run(other).weights, a.weights);
}

TEST(Simulation, EveryServerOptimizerTrains) {
  for (const char* opt : {"fedavg", "fedavgm", "fedadam", "fedyogi", "fedadagrad"}) {
    const std::string lr = std::string(opt).rfind("fedad", 0) == 0 || std::string(opt) == "fedyogi"
                               ? "server.lr=0.01"
                               : "server.lr=1.0";
    const RunResult r =
        run({"data.samples=8000", "data.shops=60", "server.clients_per_round=20", "run.rounds=10",
             std::string("server.optimizer=\"") + opt + "\"", lr, "client.prox_mu=0.01"});
    ASSERT_EQ(r.status, RunStatus::Complete) << opt << ": " << r.status_message;
    EXPECT_GT(r.evals.back().accuracy, 0.62) << opt;
  }
}

// With sample-level DP-SGD on the default scenario (reduced size: 20 large shops, so that each
// local step's expected batch q n_k is about the batch size), accuracy falls as the noise rises,
// and epsilon falls with it.
TEST(Simulation, DpSgdAccuracyFallsAsNoiseRises) {
  auto dp = [](const char* sigma) {
    return run({"data.samples=30000", "data.shops=20", "server.clients_per_round=10",
                "run.rounds=10", "privacy.mode=\"sample\"", "privacy.clip=1.0",
                std::string("privacy.noise_multiplier=") + sigma});
  };
  const RunResult low = dp("0.5"), mid = dp("16"), high = dp("128");
  for (const RunResult* r : {&low, &mid, &high}) {
    ASSERT_EQ(r->status, RunStatus::Complete) << r->status_message;
    EXPECT_EQ(r->privacy.unit, "record");
    ASSERT_EQ(r->rounds.size(), 10u);
    EXPECT_GT(r->rounds.back().epsilon_rdp, 0.0);
    EXPECT_LE(r->rounds.back().epsilon_pld, r->rounds.back().epsilon_rdp * 1.0001);
  }
  EXPECT_GT(low.rounds.back().epsilon_rdp, mid.rounds.back().epsilon_rdp);
  EXPECT_GT(mid.rounds.back().epsilon_rdp, high.rounds.back().epsilon_rdp);
  const double a_low = low.evals.back().accuracy, a_mid = mid.evals.back().accuracy,
               a_high = high.evals.back().accuracy;
  EXPECT_GT(a_low, a_mid) << a_low << " " << a_mid << " " << a_high;
  EXPECT_GT(a_mid, a_high) << a_low << " " << a_mid << " " << a_high;
}

TEST(Simulation, UserLevelDpRunsAndCalibratesToTheTargetEpsilon) {
  const RunResult r =
      run({"data.samples=20000", "data.shops=200", "run.rounds=10", "server.sampling_rate=0.1",
           "privacy.mode=\"user\"", "privacy.target_epsilon=4.0", "privacy.clip=0.5",
           "privacy.adaptive_clip=true"});
  ASSERT_EQ(r.status, RunStatus::Complete) << r.status_message;
  EXPECT_TRUE(r.privacy.calibrated);
  EXPECT_EQ(r.privacy.unit, "client");
  EXPECT_GT(r.privacy.noise_multiplier, 0.0);
  EXPECT_GT(r.privacy.update_noise_multiplier, r.privacy.noise_multiplier);
  EXPECT_LE(r.rounds.back().epsilon, 4.0);
  EXPECT_GT(r.rounds.back().epsilon, 3.0);  // calibrated to 3 significant digits, not far below
  for (size_t i = 1; i < r.rounds.size(); ++i)
    EXPECT_GE(r.rounds[i].epsilon, r.rounds[i - 1].epsilon);  // epsilon only grows
}
