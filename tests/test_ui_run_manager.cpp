// The dashboard's RunManager without a window: runs finish and are saved; pause, step one round,
// change settings while paused (recorded with their round, accounted as the schedule that ran),
// resume, stop and closing the manager keep the results with status interrupted.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "sim/privacy/accountant.h"
#include "sim/results/results_writer.h"
#include "ui/run_manager.h"

namespace fs = std::filesystem;
using namespace fedsim;
using namespace fedsim::ui;

namespace {

RunChanges rounds(int n) {
  RunChanges c;
  c.rounds = n;
  return c;
}

class RunManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fedsim-rm-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  Scenario scenario(std::vector<std::string> extra) const {
    std::vector<std::string> o = {"data.samples=4000",
                                  "data.shops=40",
                                  "model.hidden=[16]",
                                  "server.clients_per_round=8",
                                  "run.eval_every=2",
                                  "run.rounds=6",
                                  "run.output=\"" + (dir_ / "{name}-{seed}.h5").string() + "\""};
    o.insert(o.end(), extra.begin(), extra.end());
    return parse_scenario(default_scenario_text(), "<default>", o);
  }
  static RunSnapshot wait_finished(const RunManager& m, int id) {
    for (int i = 0; i < 3000; ++i) {
      const auto s = m.snapshot(id);
      if (s && s->state == RunState::Finished) return *s;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "run " << id << " did not finish";
    return {};
  }
  fs::path dir_;
};

}  // namespace

TEST_F(RunManagerTest, ARunFinishesAndIsSaved) {
  RunManager m;
  const int id = m.submit(scenario({}));
  const RunSnapshot s = wait_finished(m, id);
  EXPECT_EQ(s.status, RunStatus::Complete) << s.message;
  EXPECT_EQ(s.rounds_done, 6);
  EXPECT_EQ(s.rounds.size(), 6u);
  EXPECT_EQ(s.evals.size(), 3u);
  EXPECT_EQ(s.clients.num_samples.size(), s.clients.final_accuracy.size());
  ASSERT_FALSE(s.output_path.empty());
  const RunResult r = read_results(s.output_path);
  EXPECT_EQ(r.rounds.size(), 6u);
  EXPECT_EQ(m.result(id).weights, r.weights);
  // a second run of the same scenario gets its own name and file
  const int id2 = m.submit(scenario({}));
  const RunSnapshot s2 = wait_finished(m, id2);
  EXPECT_EQ(s2.name, "default-2");
  EXPECT_NE(s2.output_path, s.output_path);
}

TEST_F(RunManagerTest, PauseStepChangeAndResumeAreRecordedAndAccounted) {
  RunManager m;
  const int id = m.submit(scenario({"privacy.mode=\"sample\"", "privacy.noise_multiplier=1.0",
                                    "privacy.delta=1e-5", "run.rounds=8"}));
  m.pause(id);
  m.wait_idle();
  RunSnapshot s = *m.snapshot(id);
  ASSERT_EQ(s.state, RunState::Paused);
  const int at = s.rounds_done;
  EXPECT_LE(at, 1);  // paused before or right after the first round

  std::string error;
  EXPECT_FALSE(m.change(id, rounds(-1), &error));
  m.step(id);
  m.wait_idle();
  s = *m.snapshot(id);
  EXPECT_EQ(s.rounds_done, at + 1);  // exactly one round
  EXPECT_EQ(s.state, RunState::Paused);

  RunChanges bad_clip;
  bad_clip.clip = -1.0;
  EXPECT_FALSE(m.change(id, bad_clip, &error));
  EXPECT_NE(error.find("clip"), std::string::npos) << error;
  EXPECT_FALSE(m.change(id, rounds(at), &error));  // below the rounds done
  RunChanges c = rounds(10);
  c.noise_multiplier = 2.0;
  c.client_lr = 0.02;
  ASSERT_TRUE(m.change(id, c, &error)) << error;
  const int changed_at = at + 1;
  m.resume(id);
  s = wait_finished(m, id);
  EXPECT_EQ(s.status, RunStatus::Complete) << s.message;
  EXPECT_EQ(s.rounds_done, 10);
  ASSERT_EQ(s.changes.size(), 3u);
  EXPECT_EQ(s.changes[0], "round " + std::to_string(changed_at) + ": noise_multiplier 1 -> 2");

  const RunResult r = read_results(s.output_path);
  ASSERT_EQ(r.changes.size(), 3u);
  EXPECT_EQ(r.changes[0].first, changed_at);
  EXPECT_EQ(r.changes[2].second, "rounds 8 -> 10");
  EXPECT_FALSE(r.has_checkpoint);  // two noise segments: not resumable from the command line
  // epsilon composes changed_at rounds at sigma 1 and the rest at sigma 2 (per-round steps: the
  // worst-case client's), so it is below an all-sigma-1 run and above an all-sigma-2 one
  const double q = r.privacy.sample_rate;
  const int64_t spr = r.privacy.steps_per_round;
  const double eps = r.rounds.back().epsilon_rdp;
  const double all1 = epsilon_for(AccountantKind::Rdp, {{q, 1.0, 10 * spr}}, 1e-5);
  const double all2 = epsilon_for(AccountantKind::Rdp, {{q, 2.0, 10 * spr}}, 1e-5);
  EXPECT_LT(eps, all1);
  EXPECT_GT(eps, all2);
  EXPECT_LE(eps,
            epsilon_for(AccountantKind::Rdp,
                        {{q, 1.0, changed_at * spr}, {q, 2.0, (10 - changed_at) * spr}}, 1e-5) *
                (1 + 1e-12));
}

TEST_F(RunManagerTest, ChangesNeedAPausedRun) {
  RunManager m;
  const int id = m.submit(scenario({"run.rounds=400"}));
  std::string error;
  RunChanges lr;
  lr.client_lr = 0.1;
  EXPECT_FALSE(m.change(id, lr, &error));
  EXPECT_NE(error.find("pause"), std::string::npos) << error;
  for (int i = 0; i < 12000 && m.snapshot(id)->rounds_done < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  m.stop(id);
  const RunSnapshot s = wait_finished(m, id);
  EXPECT_EQ(s.status, RunStatus::Interrupted);
  EXPECT_LT(s.rounds_done, 400);
  ASSERT_FALSE(s.output_path.empty());
  EXPECT_EQ(read_results(s.output_path).status, RunStatus::Interrupted);
}

TEST_F(RunManagerTest, RunsQueueAndClosingTheManagerSavesThemInterrupted) {
  {
    RunManager m(1);
    const int a = m.submit(scenario({"run.rounds=100000"}));
    const int b = m.submit(scenario({"run.name=\"second\""}));
    for (int i = 0; i < 12000 && m.snapshot(a)->rounds_done < 1; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(m.snapshot(a)->state, RunState::Running);
    EXPECT_EQ(m.snapshot(b)->state, RunState::Queued);  // one slot, taken by a
  }                                                     // closing the window
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    const RunResult r = read_results(e.path().string());
    EXPECT_EQ(r.status, RunStatus::Interrupted);
    ++files;
  }
  EXPECT_EQ(files, 1);  // the queued run never started: nothing to save
}

// Queued runs start in submission order (one slot): same name and seed, so each one's file is
// named when it ends: name-seed.h5, then -2, -3 in the order they ran.
TEST_F(RunManagerTest, QueuedRunsStartInSubmissionOrder) {
  RunManager m(1);
  std::vector<int> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(m.submit(scenario({"run.rounds=2"})));
  m.wait_idle();
  const std::string base = (dir_ / "default-1").string();
  const std::vector<std::string> want = {base + ".h5", base + "-2.h5", base + "-3.h5",
                                         base + "-4.h5"};
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto s = m.snapshot(ids[i]);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->output_path, want[i]) << "run " << i << " of 4";
  }
}
