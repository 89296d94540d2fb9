// The dashboard's panel state without a window: scenario edits -> overrides -> the engine's
// error at the key, the settings diff between runs, the Pareto frontier, the privacy prediction
// (RDP within the frame, PLD on the worker thread) and small helpers.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "sim/privacy/accountant.h"
#include "ui/privacy_predict.h"
#include "ui/scenario_edit.h"

using namespace fedsim;
using namespace fedsim::ui;

TEST(UiScenarioEdit, DefaultIsValidAndValuesComeFromResolvedToml) {
  ScenarioEdit e;
  EXPECT_TRUE(e.valid());
  EXPECT_EQ(e.path(), "<default>");
  EXPECT_EQ(e.value("run.rounds"), "50");
  EXPECT_EQ(e.value("server.optimizer"), "\"fedavg\"");
  EXPECT_FALSE(e.dirty());
}

TEST(UiScenarioEdit, EditBecomesOverrideAndReachesTheScenario) {
  ScenarioEdit e;
  e.set("server.lr", "0.5");
  e.set("model.hidden", "[64, 64]");
  ASSERT_TRUE(e.valid()) << e.error();
  EXPECT_DOUBLE_EQ(e.scenario().server.lr, 0.5);
  EXPECT_EQ(e.scenario().model.hidden, (std::vector<int>{64, 64}));
  EXPECT_TRUE(e.edited("server.lr"));
  EXPECT_EQ(e.overrides().size(), 2u);
  e.set("server.lr", "1.0");  // back to the file's value: the override goes away
  EXPECT_FALSE(e.edited("server.lr"));
}

TEST(UiScenarioEdit, InvalidValueGivesTheEngineMessageAtTheKey) {
  ScenarioEdit e;
  e.set("client.lr", "-1");
  EXPECT_FALSE(e.valid());
  EXPECT_EQ(e.error_key(), "client.lr");
  EXPECT_NE(e.error().find("client.lr"), std::string::npos);
  e.reset("client.lr");
  EXPECT_TRUE(e.valid());
  EXPECT_TRUE(e.error().empty());
  e.set("privacy.mode", "\"sideways\"");
  EXPECT_EQ(e.error_key(), "privacy.mode");
}

TEST(UiScenarioEdit, ErrorKeyParsing) {
  EXPECT_EQ(error_key("f.toml:5: key 'client.lerning_rate': unknown key"), "client.lerning_rate");
  EXPECT_EQ(error_key("--set a.b=1: key 'a.b': expected section.key=value"), "a.b");
  EXPECT_EQ(error_key("no key here"), "");
}

TEST(UiScenarioEdit, LoadEditSaveRoundTrip) {
  ScenarioEdit e;
  e.load_file(std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny.toml");
  EXPECT_EQ(e.value("run.rounds"), "4");
  e.set("run.rounds", "7");
  const std::string out = testing::TempDir() + "ui_saved.toml";
  e.save(out);
  EXPECT_FALSE(e.dirty());
  const Scenario s = load_scenario_file(out);
  EXPECT_EQ(s.run.rounds, 7);
  EXPECT_EQ(s.data.shops, 40);
  EXPECT_THROW(e.load_file(testing::TempDir() + "does-not-exist.toml"), ScenarioError);
  EXPECT_EQ(e.path(), out);  // unchanged by the failed load
  std::remove(out.c_str());
}

TEST(UiSettingsDiff, ListsDifferingKeysExceptNameAndOutput) {
  const Scenario a = parse_scenario(default_scenario_text(), "<default>");
  const Scenario b = parse_scenario(default_scenario_text(), "<default>",
                                    {"server.lr=0.1", "run.name=other", "client.batch_size=64",
                                     "server.optimizer=\"fedadam\"", "privacy.delta=1e-7"});
  const auto d = diff_settings(resolved_toml(a), resolved_toml(b));
  std::vector<std::string> keys;
  for (const auto& x : d) keys.push_back(x.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"client.batch_size", "server.optimizer", "server.lr",
                                            "privacy.delta"}));
  EXPECT_EQ(d[0].base, "32");
  EXPECT_EQ(d[0].value, "64");
  EXPECT_EQ(d[1].value, "\"fedadam\"");
  EXPECT_EQ(describe_diff({}), "(base)");
  EXPECT_EQ(describe_diff({{"server.lr", "1", "0.1"}}), "server.lr=0.1");
  EXPECT_TRUE(diff_settings(resolved_toml(a), resolved_toml(a)).empty());
}

TEST(UiPareto, FrontierOfEpsilonAccuracy) {
  // eps:  1    2    2    4    8    3     NaN
  // acc: .60  .70  .65  .68  .80  .75   .99
  const std::vector<TradeoffPoint> p = {{1, .60}, {2, .70}, {2, .65},  {4, .68},
                                        {8, .80}, {3, .75}, {NAN, .99}};
  EXPECT_EQ(pareto_frontier(p), (std::vector<std::size_t>{0, 1, 5, 4}));
  EXPECT_TRUE(pareto_frontier({}).empty());
  // Duplicates both stay; a point dominated only by equal epsilon and higher accuracy goes.
  EXPECT_EQ(pareto_frontier({{1, .5}, {1, .5}, {1, .4}}), (std::vector<std::size_t>{0, 1}));
}

TEST(UiHelpers, RecentListAndCsv) {
  std::vector<std::string> r;
  push_recent(r, "a", 3);
  push_recent(r, "b", 3);
  push_recent(r, "a", 3);
  push_recent(r, "c", 3);
  push_recent(r, "d", 3);
  EXPECT_EQ(r, (std::vector<std::string>{"d", "c", "a"}));
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(UiPrivacy, InputsFollowThePrivacyPlan) {
  // User mode: one event per round at the client rate.
  Scenario u = parse_scenario(default_scenario_text(), "<default>",
                              {"privacy.mode=\"user\"", "server.sampling_rate=0.1",
                               "privacy.noise_multiplier=1.0", "run.rounds=100"});
  PrivacyInputs in = privacy_inputs(u);
  EXPECT_TRUE(in.note.empty());
  EXPECT_DOUBLE_EQ(in.q, 0.1);
  EXPECT_EQ(in.steps_per_round, 1);
  RdpAccountant rdp;
  rdp.compose({0.1, 1.0, 100});
  EXPECT_DOUBLE_EQ(predict_rdp(in, 1.0, 100), rdp.epsilon(1e-6));
  // Sample mode, auto q: batch / mean client size = 32 / (125000 * 0.8 / 1000) = 0.32.
  Scenario s = parse_scenario(default_scenario_text(), "<default>",
                              {"privacy.mode=\"sample\"", "privacy.noise_multiplier=1.0"});
  in = privacy_inputs(s);
  EXPECT_TRUE(in.q_estimated);
  EXPECT_NEAR(in.q, 0.32, 1e-12);
  EXPECT_EQ(in.steps_per_round, 4);  // ceil(1 / 0.32) steps for one epoch
  EXPECT_FALSE(privacy_inputs(parse_scenario(default_scenario_text(), "<default>")).note.empty());
}

TEST(UiPrivacy, FullPredictionCalibratesAndMatchesAccountants) {
  Scenario u = parse_scenario(default_scenario_text(), "<default>",
                              {"privacy.mode=\"user\"", "server.sampling_rate=0.1",
                               "privacy.target_epsilon=3.0", "run.rounds=50"});
  const PrivacyPrediction p = predict_full(privacy_inputs(u), 10);
  ASSERT_TRUE(p.error.empty()) << p.error;
  EXPECT_LE(p.eps_rdp, 3.0 + 1e-9);
  EXPECT_GT(p.sigma, 0.1);
  EXPECT_LT(p.eps_pld, p.eps_rdp);  // PLD is tighter
  ASSERT_EQ(p.curve_rounds.size(), 10u);
  EXPECT_EQ(p.curve_rounds.back(), 50);
  EXPECT_DOUBLE_EQ(p.curve_rdp.back(), p.eps_rdp);
  for (std::size_t i = 1; i < p.curve_rdp.size(); ++i)
    EXPECT_GE(p.curve_rdp[i], p.curve_rdp[i - 1]);
}

TEST(UiPrivacy, WorkerAnswersTheLatestRequest) {
  Scenario u = parse_scenario(
      default_scenario_text(), "<default>",
      {"privacy.mode=\"user\"", "server.sampling_rate=0.1", "privacy.noise_multiplier=1.0"});
  PrivacyInputs in = privacy_inputs(u);
  PrivacyWorker w;
  for (double z : {0.8, 0.9, 1.0, 1.2}) {
    in.noise_multiplier = z;
    w.request(in);
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (w.busy() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto r = w.latest();
  ASSERT_TRUE(r.has_value());
  EXPECT_DOUBLE_EQ(r->inputs.noise_multiplier, 1.2);
  EXPECT_DOUBLE_EQ(r->sigma, 1.2);
  EXPECT_NEAR(r->eps_pld, epsilon_for(AccountantKind::Pld, {{0.1, 1.2, 50}}, 1e-6), 1e-9);
}
