// The done-criterion of the dashboard (issue 6) without a window, through the same window-free
// parts the panels use: a researcher opens a scenario, moves the noise slider and watches the
// predicted epsilon change (ScenarioEdit, privacy_predict), runs three noise levels (RunManager),
// sees them on the trade-off chart (tradeoff_model: three points, epsilon falling as the noise
// rises) and exports the HDF5 (write_results) that reads back, also as a dashboard run
// (load_result_file). A sweep file opens as every started run, grouped over seeds like /frontier.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/results/results_writer.h"
#include "sim/sweep/sweep_file.h"
#include "sim/sweep/sweep_runner.h"
#include "ui/privacy_predict.h"
#include "ui/result_files.h"
#include "ui/run_manager.h"
#include "ui/scenario_edit.h"
#include "ui/tradeoff_model.h"

namespace fs = std::filesystem;
using namespace fedsim;
using namespace fedsim::ui;

namespace {

class UiFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fedsim-flow-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_F(UiFlow, NoiseSliderThreeRunsTradeoffAndExport) {
  // Open a scenario and make it private (client-level DP), as in the Privacy panel.
  ScenarioEdit edit;
  edit.load_file(std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny.toml");
  edit.set("privacy.mode", "\"user\"");
  edit.set("server.sampling_rate", "0.25");
  edit.set("privacy.noise_multiplier", "1.0");
  edit.set("run.output", "\"" + (dir_ / "{name}-{seed}.h5").string() + "\"");
  ASSERT_TRUE(edit.valid()) << edit.error();

  // Move the noise slider: the predicted epsilon (RDP, within the frame) changes, downwards.
  PrivacyInputs in = privacy_inputs(edit.scenario());
  ASSERT_TRUE(in.note.empty()) << in.note;
  EXPECT_EQ(in.mode, PrivacyMode::User);
  EXPECT_EQ(in.rounds, 4);
  const double eps_at_1 = predict_rdp(in, in.noise_multiplier, in.rounds);
  edit.set("privacy.noise_multiplier", "2.0");
  in = privacy_inputs(edit.scenario());
  const double eps_at_2 = predict_rdp(in, in.noise_multiplier, in.rounds);
  EXPECT_TRUE(std::isfinite(eps_at_1) && std::isfinite(eps_at_2));
  EXPECT_LT(eps_at_2, eps_at_1);

  // Run three noise levels.
  const std::vector<double> noise = {0.7, 1.5, 4.0};
  std::vector<double> predicted;
  std::vector<int> ids;
  RunManager runs(2);
  for (double z : noise) {
    edit.set("privacy.noise_multiplier", std::to_string(z));
    ASSERT_TRUE(edit.valid()) << edit.error();
    const PrivacyInputs p = privacy_inputs(edit.scenario());
    predicted.push_back(predict_rdp(p, p.noise_multiplier, p.rounds));
    ids.push_back(runs.submit(edit.scenario()));
  }
  runs.wait_idle();

  // The trade-off chart: three points (different noise: no seed groups), epsilon falling as the
  // noise rises, each at the epsilon the prediction promised.
  std::vector<TradeoffRun> points;
  for (const RunSnapshot& s : runs.snapshot()) {
    ASSERT_EQ(s.state, RunState::Finished) << s.name;
    ASSERT_EQ(s.status, RunStatus::Complete) << s.name << ": " << s.message;
    const auto t = tradeoff_run(s);
    ASSERT_TRUE(t) << s.name;
    points.push_back(*t);
  }
  const TradeoffModel m = tradeoff_model(points);
  ASSERT_EQ(m.groups.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(m.groups[i].ids, std::vector<int>{ids[i]});
    EXPECT_NEAR(m.groups[i].epsilon, predicted[i], 1e-9 * predicted[i]) << "noise " << noise[i];
    if (i > 0) {
      EXPECT_LT(m.groups[i].epsilon, m.groups[i - 1].epsilon);
    }
  }
  EXPECT_FALSE(m.frontier.empty());

  // Export the HDF5 of each run (as App::export_selected) and read it back.
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string path = (dir_ / "export" / ("run" + std::to_string(i) + ".h5")).string();
    const RunResult r = runs.result(ids[i]);
    write_results(path, r, /*force=*/true);
    const RunResult back = read_results(path);
    EXPECT_EQ(back.status, RunStatus::Complete);
    ASSERT_EQ(back.rounds.size(), 4u);
    EXPECT_EQ(back.rounds.back().epsilon, m.groups[i].epsilon);
    EXPECT_EQ(back.evals.back().accuracy, m.groups[i].accuracy);
    EXPECT_EQ(back.privacy.noise_multiplier, noise[i]);
    EXPECT_EQ(back.weights, r.weights);
    // ... and opened in the dashboard ("Open results"): the same point on the chart.
    const auto loaded = load_result_file(path, kFirstLoadedId + int(i));
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].snap.name, "run" + std::to_string(i) + " (file)");
    EXPECT_EQ(loaded[0].snap.id, kFirstLoadedId + int(i));
    EXPECT_EQ(loaded[0].snap.output_path, path);
    const auto t = tradeoff_run(loaded[0].snap);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->epsilon, m.groups[i].epsilon);
    EXPECT_EQ(t->accuracy, m.groups[i].accuracy);
    // A loaded run and its original differ in nothing but the name: one seed group of two.
    const TradeoffModel both = tradeoff_model({points[i], *t});
    ASSERT_EQ(both.groups.size(), 1u);
    EXPECT_EQ(both.groups[0].count(), 2u);
  }
  EXPECT_THROW(load_result_file((dir_ / "missing.h5").string(), kFirstLoadedId), std::exception);
}

TEST_F(UiFlow, SweepFileOpensAsRunsGroupedOverSeedsLikeItsFrontier) {
  const std::string path = std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny-sweep.toml";
  const std::string text = read_text(path);
  const SweepSpec spec = read_sweep_spec(text, path);
  const auto points = expand_sweep(spec);
  const auto scenarios = sweep_scenarios(text, path, {}, points);
  ASSERT_EQ(points.size(), 6u);  // 3 noise levels x 2 seeds
  SweepOptions opt;
  opt.parallel = 2;
  SweepResult sw = run_sweep(text, path, {}, spec, points, scenarios, opt);
  ASSERT_EQ(sw.status, RunStatus::Complete) << sw.status_message;
  sw.started[5] = 0;  // as if the sweep had been killed before its last run
  sw.runs[5] = RunResult{};
  const std::string file = (dir_ / "tiny-sweep.h5").string();
  write_sweep(file, sw, /*force=*/true);

  const auto loaded = load_result_file(file, kFirstLoadedId);
  ASSERT_EQ(loaded.size(), 5u);  // every started run
  std::vector<TradeoffRun> runs;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    EXPECT_EQ(loaded[i].snap.id, kFirstLoadedId + int(i));
    EXPECT_EQ(loaded[i].snap.name, "tiny-sweep/" + points[i].id + " (file)");
    EXPECT_EQ(loaded[i].snap.output_path, file + "#/runs/" + points[i].id);
    EXPECT_EQ(loaded[i].result.weights, sw.runs[i].weights);
    const auto t = tradeoff_run(loaded[i].snap);
    ASSERT_TRUE(t) << points[i].id;
    runs.push_back(*t);
  }
  // Three groups (the last of one run), means and ranges as the sweep's own /frontier.
  const TradeoffModel m = tradeoff_model(runs);
  const auto frontier = sweep_frontier(sw);
  ASSERT_EQ(m.groups.size(), 3u);
  ASSERT_EQ(frontier.size(), 3u);
  for (std::size_t g = 0; g < 3; ++g) {
    EXPECT_EQ(m.groups[g].count(), std::size_t(frontier[g].count));
    EXPECT_NEAR(m.groups[g].epsilon, frontier[g].epsilon_mean, 1e-12);
    EXPECT_NEAR(m.groups[g].accuracy, frontier[g].accuracy_mean, 1e-12);
    EXPECT_EQ(m.groups[g].accuracy_min, frontier[g].accuracy_min);
    EXPECT_EQ(m.groups[g].accuracy_max, frontier[g].accuracy_max);
    if (g > 0) {
      EXPECT_LT(m.groups[g].epsilon, m.groups[g - 1].epsilon);
    }
  }
  EXPECT_EQ(m.groups[0].seeds, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(m.groups[2].count(), 1u);
}
