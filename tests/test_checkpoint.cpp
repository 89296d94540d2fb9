// Checkpoints and resumption: a run stopped after k rounds and resumed (in memory, through an HDF5
// file, and through `fedsim resume` after a SIGKILL) ends with the very bits of an uninterrupted
// run, for plain FedAdam, sample-level DP-SGD and user-level DP with adaptive clipping; and resume
// refuses files it cannot continue faithfully, saying why.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "shell_command.h"
#include "sim/backend/cpu_backend.h"
#include "sim/data/federation_builder.h"
#include "sim/results/results_writer.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace fs = std::filesystem;
using namespace fedsim;

namespace {

const std::string kTiny = std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny.toml";

Scenario scenario(std::vector<std::string> overrides, int rounds) {
  std::vector<std::string> o = {"data.samples=6000", "data.shops=60", "server.clients_per_round=12",
                                "run.eval_every=2", "run.rounds=" + std::to_string(rounds)};
  o.insert(o.end(), overrides.begin(), overrides.end());
  return parse_scenario(default_scenario_text(), "<default>", o);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), 4 * a.size()) == 0;
}

bool same_value(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// Uninterrupted `total` rounds against `split` rounds, a trip through a result file, and a resume.
void expect_resume_is_bit_identical(const std::vector<std::string>& overrides, int split,
                                    int total) {
  const Scenario full_s = scenario(overrides, total), part_s = scenario(overrides, split);
  const Federation fed = build_federation(full_s);
  const RunResult full = run_scenario(full_s, fed, std::make_unique<CpuBackend>());
  ASSERT_EQ(full.status, RunStatus::Complete) << full.status_message;

  const RunResult part = run_scenario(part_s, fed, std::make_unique<CpuBackend>());
  ASSERT_EQ(part.status, RunStatus::Complete) << part.status_message;
  ASSERT_TRUE(part.has_checkpoint);
  EXPECT_EQ(part.checkpoint.round, split);
  const fs::path file = fs::temp_directory_path() /
                        ("fedsim-ckpt-" + std::to_string(getpid()) + "-" + std::to_string(split));
  write_results(file.string(), part, true);
  const RunResult back = read_results(file.string());
  fs::remove(file);
  ASSERT_TRUE(back.has_checkpoint);
  EXPECT_TRUE(same_bits(back.checkpoint.global, part.checkpoint.global));

  RunOptions opt;
  opt.resume = &back;
  const RunResult resumed = run_scenario(full_s, fed, std::make_unique<CpuBackend>(), nullptr, opt);
  ASSERT_EQ(resumed.status, RunStatus::Complete) << resumed.status_message;
  EXPECT_TRUE(same_bits(resumed.weights, full.weights)) << "final models differ";
  ASSERT_EQ(resumed.rounds.size(), full.rounds.size());
  for (size_t i = 0; i < full.rounds.size(); ++i) {
    EXPECT_EQ(resumed.rounds[i].train_loss, full.rounds[i].train_loss) << "round " << i + 1;
    EXPECT_EQ(resumed.rounds[i].update_norm, full.rounds[i].update_norm) << "round " << i + 1;
    EXPECT_TRUE(same_value(resumed.rounds[i].clip_norm, full.rounds[i].clip_norm)) << i + 1;
    if (!std::isnan(full.rounds[i].epsilon_rdp)) {
      EXPECT_EQ(resumed.rounds[i].epsilon_rdp, full.rounds[i].epsilon_rdp) << "round " << i + 1;
    }
  }
  EXPECT_EQ(resumed.evals.back().accuracy, full.evals.back().accuracy);
  EXPECT_EQ(resumed.evals.back().round, total);
}

}  // namespace

TEST(Checkpoint, ResumeOfFedAdamIsBitIdenticalToAnUninterruptedRun) {
  expect_resume_is_bit_identical({"server.optimizer=\"fedadam\"", "server.lr=0.01"}, 3, 6);
}

TEST(Checkpoint, ResumeOfSampleLevelDpSgdIsBitIdentical) {
  expect_resume_is_bit_identical(
      {"privacy.mode=\"sample\"", "privacy.noise_multiplier=1.0", "privacy.clip=1.0"}, 2, 5);
}

TEST(Checkpoint, ResumeOfUserLevelDpWithAdaptiveClippingIsBitIdentical) {
  expect_resume_is_bit_identical(
      {"privacy.mode=\"user\"", "server.sampling_rate=0.3", "privacy.noise_multiplier=0.8",
       "privacy.adaptive_clip=true", "server.optimizer=\"fedavgm\"", "server.momentum=0.9"},
      3, 6);
}

TEST(Checkpoint, PeriodicSavesCarryTheStateOfTheirRound) {
  const Scenario s = scenario({}, 7);
  const Federation fed = build_federation(s);
  std::vector<RunResult> saved;
  RunOptions opt;
  opt.checkpoint_every = 2;
  opt.save = [&](const RunResult& r) { saved.push_back(r); };
  const RunResult full = run_scenario(s, fed, std::make_unique<CpuBackend>(), nullptr, opt);
  ASSERT_EQ(saved.size(), 3u);  // rounds 2, 4, 6 (the end is saved by the caller)
  for (size_t i = 0; i < saved.size(); ++i) {
    EXPECT_EQ(saved[i].status, RunStatus::Running);
    EXPECT_EQ(saved[i].checkpoint.round, int(2 * (i + 1)));
    EXPECT_EQ(saved[i].rounds.size(), 2 * (i + 1));
    EXPECT_TRUE(same_bits(saved[i].weights, saved[i].checkpoint.global));
  }
  opt = {};
  opt.resume = &saved[1];  // round 4
  const RunResult resumed = run_scenario(s, fed, std::make_unique<CpuBackend>(), nullptr, opt);
  EXPECT_TRUE(same_bits(resumed.weights, full.weights));
}

// ---- the command line ----

namespace {

class Resume : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fedsim-resume-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static CommandResult fedsim(const std::string& args) {
    return run_shell(std::string(FEDSIM_BIN) + " " + args + " 2>&1");
  }
  fs::path dir_;
};

}  // namespace

TEST_F(Resume, TenRoundsPlusTenMoreEqualTwentyRounds) {
  const std::string a = path("a.h5"), b = path("b.h5");
  CommandResult c = fedsim("run " + kTiny + " -q --set run.rounds=10 --output " + a);
  ASSERT_EQ(c.code, 0) << c.out;
  c = fedsim("resume " + a + " --rounds 20");
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_NE(c.out.find("resuming"), std::string::npos) << c.out;
  c = fedsim("run " + kTiny + " -q --set run.rounds=20 --output " + b);
  ASSERT_EQ(c.code, 0) << c.out;
  const RunResult ra = read_results(a), rb = read_results(b);
  EXPECT_EQ(ra.status, RunStatus::Complete);
  EXPECT_EQ(ra.rounds.size(), 20u);
  EXPECT_TRUE(same_bits(ra.weights, rb.weights));
  EXPECT_EQ(ra.evals.back().accuracy, rb.evals.back().accuracy);
}

TEST_F(Resume, AProcessKilledMidRunLeavesAResumableFile) {
  const std::string out = path("killed.h5"), ref = path("ref.h5");
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    close(pipefd[0]);
    execl(FEDSIM_BIN, FEDSIM_BIN, "run", kTiny.c_str(), "--set", "run.rounds=100000", "--set",
          "run.checkpoint_every=2", "--output", out.c_str(), (char*)nullptr);
    _exit(127);
  }
  close(pipefd[1]);
  FILE* f = fdopen(pipefd[0], "r");
  char line[512];
  int rounds_seen = 0;
  while (rounds_seen < 5 && fgets(line, sizeof line, f))
    if (std::string(line).rfind("round ", 0) == 0) ++rounds_seen;
  ASSERT_EQ(rounds_seen, 5);
  kill(pid, SIGKILL);
  fclose(f);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  const RunResult killed = read_results(out);  // readable: written whole, then renamed
  EXPECT_EQ(killed.status, RunStatus::Running);
  ASSERT_TRUE(killed.has_checkpoint);
  EXPECT_GE(killed.checkpoint.round, 4);
  EXPECT_EQ(killed.rounds.size(), size_t(killed.checkpoint.round));
  ASSERT_LT(killed.checkpoint.round, 60) << "the run went further than this test expects";

  CommandResult c = fedsim("resume " + out + " -q --rounds 60");
  ASSERT_EQ(c.code, 0) << c.out;
  c = fedsim("run " + kTiny + " -q --set run.rounds=60 --output " + ref);
  ASSERT_EQ(c.code, 0) << c.out;
  const RunResult resumed = read_results(out), reference = read_results(ref);
  EXPECT_EQ(resumed.status, RunStatus::Complete);
  EXPECT_EQ(resumed.rounds.size(), 60u);
  EXPECT_TRUE(same_bits(resumed.weights, reference.weights));
}

TEST_F(Resume, RefusesWhatItCannotContinueFaithfully) {
  const std::string a = path("a.h5");
  CommandResult c = fedsim("run " + kTiny + " -q --output " + a);
  ASSERT_EQ(c.code, 0) << c.out;
  // complete, no more rounds asked
  c = fedsim("resume " + a);
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("rounds are done"), std::string::npos) << c.out;
  c = fedsim("resume " + a + " --rounds 2");
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("below the 4 rounds"), std::string::npos) << c.out;

  const RunResult good = read_results(a);
  // another fedsim version wrote it
  RunResult other = good;
  other.fedsim_version = "0.0.1";
  write_results(path("v.h5"), other, true);
  c = fedsim("resume " + path("v.h5") + " --rounds 6");
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("0.0.1"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("--allow-mismatch"), std::string::npos) << c.out;
  c = fedsim("resume " + path("v.h5") + " -q --rounds 6 --allow-mismatch");
  EXPECT_EQ(c.code, 0) << c.out;

  // the data changed since the checkpoint
  RunResult data = good;
  data.checkpoint.data_fingerprint = std::string(64, '0');
  write_results(path("d.h5"), data, true);
  c = fedsim("resume " + path("d.h5") + " --rounds 6");
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("data differs"), std::string::npos) << c.out;

  // no checkpoint at all
  RunResult none = good;
  none.has_checkpoint = false;
  write_results(path("n.h5"), none, true);
  c = fedsim("resume " + path("n.h5") + " --rounds 6");
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("no /checkpoint"), std::string::npos) << c.out;

  // not a result file
  c = fedsim("resume " + path("missing.h5"));
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("missing.h5"), std::string::npos) << c.out;
}
