// The Trade-off panel's model without a window: runs that differ only in run.seed form one point
// (mean accuracy at mean epsilon, min-max error bars), the Pareto frontier over these points, and
// result files as dashboard runs (snapshot_from_result, safe_file_name).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "sim/scenario.h"
#include "ui/result_files.h"
#include "ui/tradeoff_model.h"

using namespace fedsim;
using namespace fedsim::ui;

namespace {

// The resolved default scenario with `sets` applied.
std::string resolved(const std::vector<std::string>& sets) {
  return resolved_toml(parse_scenario(default_scenario_text(), "<default>", sets));
}

TradeoffRun run(int id, double noise, int seed, double eps, double acc, bool complete = true) {
  TradeoffRun r;
  r.id = id;
  r.scenario_resolved =
      resolved({"privacy.mode=\"user\"", "server.sampling_rate=0.1",
                "privacy.noise_multiplier=" + std::to_string(noise),
                "run.seed=" + std::to_string(seed), "run.name=\"r" + std::to_string(id) + "\""});
  r.epsilon = eps;
  r.accuracy = acc;
  r.complete = complete;
  return r;
}

}  // namespace

TEST(UiTradeoff, GroupKeyIgnoresSeedNameAndOutputOnly) {
  const std::string a = resolved({"run.seed=1", "run.name=\"a\""});
  const std::string b = resolved({"run.seed=2", "run.name=\"b\"", "run.output=\"x/{name}.h5\""});
  const std::string c = resolved({"run.seed=1", "client.lr=0.2"});
  EXPECT_NE(a, b);
  EXPECT_EQ(seed_group_key(a), seed_group_key(b));
  EXPECT_NE(seed_group_key(a), seed_group_key(c));
  EXPECT_EQ(seed_group_key(a).find("run.seed"), std::string::npos);
  EXPECT_NE(seed_group_key(a).find("client.lr = "), std::string::npos);
}

TEST(UiTradeoff, SeedsFormOneGroupWithMeanAndMinMax) {
  // noise 1.0 over three seeds, noise 2.0 once, noise 1.0 again with a fourth seed last
  const std::vector<TradeoffRun> runs = {run(1, 1.0, 1, 4.0, 0.80), run(2, 1.0, 2, 4.0, 0.70),
                                         run(3, 2.0, 1, 1.0, 0.60), run(4, 1.0, 3, 4.0, 0.75),
                                         run(5, 1.0, 4, 4.4, 0.79)};
  const TradeoffModel m = tradeoff_model(runs);
  ASSERT_EQ(m.groups.size(), 2u);
  const TradeoffGroup& g = m.groups[0];
  EXPECT_EQ(g.ids, (std::vector<int>{1, 2, 4, 5}));
  EXPECT_EQ(g.members, (std::vector<std::size_t>{0, 1, 3, 4}));
  EXPECT_EQ(g.seeds, (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_NEAR(g.accuracy, (0.80 + 0.70 + 0.75 + 0.79) / 4, 1e-15);
  EXPECT_NEAR(g.epsilon, (4.0 * 3 + 4.4) / 4, 1e-15);
  EXPECT_EQ(g.accuracy_min, 0.70);
  EXPECT_EQ(g.accuracy_max, 0.80);
  EXPECT_EQ(g.epsilon_min, 4.0);
  EXPECT_EQ(g.epsilon_max, 4.4);
  // a single run stays a point: its mean, min and max are itself
  const TradeoffGroup& single = m.groups[1];
  EXPECT_EQ(single.count(), 1u);
  EXPECT_EQ(single.ids, std::vector<int>{3});
  EXPECT_EQ(single.accuracy, 0.60);
  EXPECT_EQ(single.accuracy_min, single.accuracy_max);
  // the frontier is over the groups' means, epsilon ascending
  EXPECT_EQ(m.frontier, (std::vector<std::size_t>{1, 0}));
}

TEST(UiTradeoff, FrontierIsOverGroupMeansNotSingleSeeds) {
  // group A (eps 2): seeds at 0.9 and 0.5, mean 0.7; group B (eps 3): one run at 0.8. A's best
  // seed beats B, but its mean does not: B is on the frontier, A is too (smallest epsilon).
  // group C (eps 5): mean 0.75 is dominated by B.
  const std::vector<TradeoffRun> runs = {run(1, 3.0, 1, 2.0, 0.9), run(2, 3.0, 2, 2.0, 0.5),
                                         run(3, 2.0, 1, 3.0, 0.8), run(4, 1.0, 1, 5.0, 0.7),
                                         run(5, 1.0, 2, 5.0, 0.8)};
  const TradeoffModel m = tradeoff_model(runs);
  ASSERT_EQ(m.groups.size(), 3u);
  EXPECT_EQ(m.frontier, (std::vector<std::size_t>{0, 1}));
}

TEST(UiTradeoff, IncompleteRunsStayAloneAndRunsWithoutEpsilonAreLeftOut) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<TradeoffRun> runs = {
      run(1, 1.0, 1, 4.0, 0.8),
      run(2, 1.0, 2, 2.0, 0.6, /*complete=*/false),  // interrupted: not averaged with seed 1
      run(3, 1.0, 3, nan, 0.8),                      // no privacy
      run(4, 1.0, 4, inf, 0.8),                      // sigma 0
      run(5, 1.0, 5, 4.0, nan),                      // no evaluation
      run(6, 1.0, 6, 4.0, 0.7)};
  const TradeoffModel m = tradeoff_model(runs);
  ASSERT_EQ(m.groups.size(), 2u);
  EXPECT_EQ(m.groups[0].ids, (std::vector<int>{1, 6}));
  EXPECT_EQ(m.groups[1].ids, std::vector<int>{2});
  EXPECT_TRUE(tradeoff_model({}).groups.empty());
}

TEST(UiTradeoff, TradeoffRunOfASnapshot) {
  RunSnapshot s;
  s.id = 7;
  s.scenario_resolved = resolved(
      {"privacy.mode=\"user\"", "server.sampling_rate=0.1", "privacy.noise_multiplier=1.0"});
  s.status = RunStatus::Complete;
  RoundRecord r;
  r.round = 1;
  r.epsilon = 3.5;
  s.rounds = {r};
  s.evals = {EvalRecord{1, 0.75, 0.5}};
  EXPECT_FALSE(tradeoff_run(s));  // still queued
  s.state = RunState::Finished;
  const auto t = tradeoff_run(s);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, 7);
  EXPECT_EQ(t->epsilon, 3.5);
  EXPECT_EQ(t->accuracy, 0.75);
  EXPECT_TRUE(t->complete);
  s.status = RunStatus::Interrupted;
  EXPECT_FALSE(tradeoff_run(s)->complete);
  s.rounds[0].epsilon = std::numeric_limits<double>::quiet_NaN();  // no privacy
  EXPECT_FALSE(tradeoff_run(s));
}

TEST(UiResultFiles, SnapshotFromResult) {
  RunResult r;
  r.status = RunStatus::Complete;
  r.scenario_resolved = resolved({"run.rounds=10"});
  r.wall_time_s = 12.5;
  for (int i = 1; i <= 3; ++i) {
    RoundRecord rec;
    rec.round = i;
    rec.epsilon = 0.5 * i;
    r.rounds.push_back(rec);
  }
  r.evals = {EvalRecord{2, 0.6, 0.7}, EvalRecord{3, 0.65, 0.6}};
  r.privacy.mode = "user";
  r.privacy.noise_multiplier = 1.5;
  r.clients.num_samples = {10, 20};
  r.changes = {{2, "noise_multiplier 1.1 -> 1.5"}};
  const RunSnapshot s = snapshot_from_result(r, "fraud (file)");
  EXPECT_EQ(s.name, "fraud (file)");
  EXPECT_EQ(s.state, RunState::Finished);
  EXPECT_EQ(s.status, RunStatus::Complete);
  EXPECT_EQ(s.rounds_done, 3);
  EXPECT_EQ(s.rounds_total, 10);  // run.rounds of the scenario: the run stopped early
  EXPECT_EQ(s.elapsed_s, 12.5);
  EXPECT_EQ(s.rounds.size(), 3u);
  EXPECT_EQ(s.rounds.back().epsilon, 1.5);
  ASSERT_EQ(s.evals.size(), 2u);
  EXPECT_EQ(s.evals.back().accuracy, 0.65);
  EXPECT_EQ(s.privacy.noise_multiplier, 1.5);
  EXPECT_EQ(s.clients.num_samples, (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(s.changes, std::vector<std::string>{"round 2: noise_multiplier 1.1 -> 1.5"});
  EXPECT_EQ(s.scenario_resolved, r.scenario_resolved);
  const auto t = tradeoff_run(s);  // drawn on the trade-off chart like a run of the manager
  ASSERT_TRUE(t);
  EXPECT_EQ(t->epsilon, 1.5);
  EXPECT_EQ(t->accuracy, 0.65);

  // a file saved mid-run reads as interrupted, with a message
  r.status = RunStatus::Running;
  const RunSnapshot mid = snapshot_from_result(r, "x");
  EXPECT_EQ(mid.state, RunState::Finished);
  EXPECT_EQ(mid.status, RunStatus::Interrupted);
  EXPECT_FALSE(mid.message.empty());
}

TEST(UiResultFiles, SafeFileName) {
  EXPECT_EQ(safe_file_name("sweep/r001 (file)"), "sweep_r001__file_");
  EXPECT_EQ(safe_file_name("fraud-2.v1_x"), "fraud-2.v1_x");
}
