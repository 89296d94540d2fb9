// Sweeps: the [sweep] table (grid, zip, errors before any run), run_sweep against the same runs
// done one by one (bit for bit, whatever runs in parallel), the summary and the seed-aggregated
// frontier, a failing run that does not stop the sweep, the sweep file round trip, and
// `fedsim sweep` killed with SIGKILL and resumed to the results of an uninterrupted sweep.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "shell_command.h"
#include "sim/backend/cpu_backend.h"
#include "sim/data/federation_builder.h"
#include "sim/runner.h"
#include "sim/sweep/sweep_file.h"
#include "sim/sweep/sweep_runner.h"

namespace fs = std::filesystem;
using namespace fedsim;

namespace {

const std::string kBase = R"(
[run]
name = "sw"
rounds = 3
eval_every = 3
[data]
samples = 4000
shops = 40
[model]
hidden = [16]
[client]
batch_size = 16
lr = 0.05
[server]
clients_per_round = 8
)";

std::string error_of(const std::string& sweep) {
  try {
    const std::string text = kBase + sweep;
    const SweepSpec spec = read_sweep_spec(text, "s.toml");
    sweep_scenarios(text, "s.toml", {}, expand_sweep(spec));
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), 4 * a.size()) == 0;
}

}  // namespace

TEST(SweepSpec, GridIsACartesianProductAndZipIsTakenTogether) {
  const SweepSpec spec = read_sweep_spec(kBase + R"(
[sweep]
parallel = 3
[sweep.grid]
client.lr = [0.05, 0.1]
run.seed = [1, 2, 3]
[sweep.zip]
model.hidden = [[8], [16, 16]]
client.batch_size = [8, 32]
)",
                                         "s.toml");
  EXPECT_EQ(spec.parallel, 3);
  const auto points = expand_sweep(spec);
  ASSERT_EQ(points.size(), 2u * 3u * 2u);
  EXPECT_EQ(points[0].id, "r000");
  EXPECT_EQ(points[11].id, "r011");
  // grid-major, the last grid axis fastest, zip innermost
  EXPECT_EQ(points[0].overrides(),
            (std::vector<std::string>{"client.lr=0.05", "run.seed=1", "model.hidden=[ 8 ]",
                                      "client.batch_size=8"}));
  EXPECT_EQ(points[1].values[2].second, "[ 16, 16 ]");
  EXPECT_EQ(points[1].values[3].second, "32");
  EXPECT_EQ(points[2].values[1].second, "2");
  EXPECT_EQ(points[6].values[0].second, "0.1");
  EXPECT_TRUE(spec.grid[0].numeric);
  EXPECT_FALSE(spec.zip[0].numeric);
  const auto scenarios = sweep_scenarios(
      kBase + "[sweep.grid]\nclient.lr = [0.05, 0.1]\n", "s.toml", {"run.rounds=7"},
      expand_sweep(read_sweep_spec(kBase + "[sweep.grid]\nclient.lr = [0.05, 0.1]\n", "s.toml")));
  ASSERT_EQ(scenarios.size(), 2u);
  EXPECT_EQ(scenarios[1].client.lr, 0.1);
  EXPECT_EQ(scenarios[1].run.rounds, 7);
  EXPECT_TRUE(scenarios[1].has_sweep);
}

TEST(SweepSpec, BadSweepsAreRejectedBeforeAnyRunWithFileLineAndKey) {
  EXPECT_EQ(error_of("[sweep.grid]\nprivacy.noise_multiplyer = [1.0]\n"),
            "s.toml:17: key 'sweep.grid.privacy.noise_multiplyer': "
            "'privacy.noise_multiplyer' is not a scenario key (did you mean "
            "'privacy.noise_multiplier'?)");
  EXPECT_EQ(error_of("[sweep.grid]\nclient.lr = []\n"),
            "s.toml:17: key 'sweep.grid.client.lr': the list is empty (a sweep needs at least one "
            "value)");
  EXPECT_EQ(error_of("[sweep.zip]\nclient.lr = [0.1, 0.2]\nrun.seed = [1]\n"),
            "s.toml:18: key 'sweep.zip.run.seed': 1 values, but 'sweep.zip.client.lr' has 2 "
            "(zipped lists are taken together and need one length)");
  EXPECT_NE(error_of("[sweep.grid]\nrun.output = [\"a.h5\"]\n").find("cannot be swept"),
            std::string::npos);
  EXPECT_NE(error_of("[sweep]\nparalel = 2\n[sweep.grid]\nrun.seed = [1]\n").find("sweep.paralel"),
            std::string::npos);
  EXPECT_NE(error_of("[sweep]\nparallel = 2\n").find("no lists"), std::string::npos);
  // a value out of range names the key, the run and its values
  const std::string e = error_of("[sweep.grid]\nclient.lr = [0.1, -1.0]\n");
  EXPECT_NE(e.find("client.lr"), std::string::npos) << e;
  EXPECT_NE(e.find("sweep run r001: client.lr = -1.0"), std::string::npos) << e;
  EXPECT_NE(error_of("").find("no [sweep] table"), std::string::npos);
}

TEST(Sweep, RunsEqualTheSameRunsDoneOneByOneAndTheFrontierAggregatesSeeds) {
  const std::string text = kBase + "[sweep.grid]\nclient.lr = [0.02, 0.1]\nrun.seed = [1, 2, 3]\n";
  const SweepSpec spec = read_sweep_spec(text, "s.toml");
  const auto points = expand_sweep(spec);
  const auto scenarios = sweep_scenarios(text, "s.toml", {}, points);
  std::vector<int> saves;
  SweepOptions opt;
  opt.parallel = 2;
  opt.save = [&](const SweepResult& s) {
    int started = 0;
    for (char c : s.started) started += c;
    saves.push_back(started);
  };
  const SweepResult s = run_sweep(text, "s.toml", {}, spec, points, scenarios, opt);
  EXPECT_EQ(s.status, RunStatus::Complete) << s.status_message;
  ASSERT_EQ(s.runs.size(), 6u);
  EXPECT_EQ(saves.size(), 6u);  // once per finished run (3 rounds < checkpoint_every)
  for (size_t i = 0; i < points.size(); ++i) {
    const Federation fed = build_federation(scenarios[i]);
    const RunResult alone = run_scenario(scenarios[i], fed, std::make_unique<CpuBackend>());
    EXPECT_TRUE(same_bits(s.runs[i].weights, alone.weights)) << points[i].id;
    EXPECT_EQ(s.runs[i].evals.back().accuracy, alone.evals.back().accuracy);
  }
  const auto summary = sweep_summary(s);
  EXPECT_EQ(summary[4].run_id, "r004");
  EXPECT_EQ(summary[4].status, "complete");
  EXPECT_EQ(summary[4].rounds_done, 3);
  EXPECT_EQ(frontier_keys(s), std::vector<std::string>{"client.lr"});
  const auto frontier = sweep_frontier(s);
  ASSERT_EQ(frontier.size(), 2u);
  for (int g = 0; g < 2; ++g) {
    double a[3], mean = 0;
    for (int k = 0; k < 3; ++k) mean += (a[k] = s.runs[3 * g + k].evals.back().accuracy) / 3;
    double ss = 0;
    for (double x : a) ss += (x - mean) * (x - mean);
    EXPECT_EQ(frontier[g].values, std::vector<std::string>{g ? "0.1" : "0.02"});
    EXPECT_EQ(frontier[g].count, 3);
    EXPECT_NEAR(frontier[g].accuracy_mean, mean, 1e-15);
    EXPECT_NEAR(frontier[g].accuracy_std, std::sqrt(ss / 2), 1e-15);
    EXPECT_EQ(frontier[g].accuracy_min, std::min({a[0], a[1], a[2]}));
    EXPECT_EQ(frontier[g].accuracy_max, std::max({a[0], a[1], a[2]}));
    EXPECT_TRUE(std::isnan(frontier[g].epsilon_mean));  // no privacy
  }

  // the file round trip
  const fs::path file = fs::temp_directory_path() / ("fedsim-sweep-" + std::to_string(getpid()));
  write_sweep(file.string(), s, true);
  const SweepResult back = read_sweep(file.string());
  fs::remove(file);
  EXPECT_EQ(back.keys, s.keys);
  ASSERT_EQ(back.runs.size(), s.runs.size());
  for (size_t i = 0; i < s.runs.size(); ++i) {
    EXPECT_EQ(back.points[i].id, points[i].id);
    EXPECT_TRUE(same_bits(back.runs[i].weights, s.runs[i].weights));
  }
}

TEST(Sweep, AFailedRunIsRecordedAndTheSweepGoesOn) {
  const std::string text = kBase +
                           "[privacy]\nmode = \"sample\"\ndelta = 1e-5\n"
                           "[sweep.grid]\nprivacy.target_epsilon = [1e-9, 8.0]\n";
  const SweepSpec spec = read_sweep_spec(text, "s.toml");
  const auto points = expand_sweep(spec);
  const SweepResult s =
      run_sweep(text, "s.toml", {}, spec, points, sweep_scenarios(text, "s.toml", {}, points), {});
  EXPECT_EQ(s.status, RunStatus::Complete);
  EXPECT_EQ(s.runs[0].status, RunStatus::Failed);
  EXPECT_NE(s.runs[0].status_message.find("epsilon"), std::string::npos)
      << s.runs[0].status_message;
  EXPECT_EQ(s.runs[1].status, RunStatus::Complete) << s.runs[1].status_message;
  EXPECT_NE(s.status_message.find("1 failed"), std::string::npos) << s.status_message;
  const auto frontier = sweep_frontier(s);
  ASSERT_EQ(frontier.size(), 1u);  // failed runs are left out
  EXPECT_EQ(frontier[0].values, std::vector<std::string>{"8.0"});
  EXPECT_GT(frontier[0].epsilon_mean, 0.0);
}

// ---- the command line ----

namespace {

class SweepCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fedsim-sweepcli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(path("s.toml")) << kBase << "[sweep.grid]\nclient.lr = [0.02, 0.05]\n"
                                  << "run.seed = [1, 2]\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static CommandResult fedsim(const std::string& args) {
    return run_shell(std::string(FEDSIM_BIN) + " " + args + " 2>&1");
  }
  fs::path dir_;
};

}  // namespace

TEST_F(SweepCli, BadInputFailsBeforeAnyRunAndWritesNothing) {
  std::ofstream(path("bad.toml")) << kBase << "[sweep.grid]\nclient.lrr = [0.1]\n";
  const CommandResult c = fedsim("sweep " + path("bad.toml") + " -o " + path("o.h5"));
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("bad.toml:17: key 'sweep.grid.client.lrr'"), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(path("o.h5")));
}

TEST_F(SweepCli, KilledSweepResumesToTheResultsOfAnUninterruptedOne) {
  const std::string ref = path("ref.h5"), out = path("killed.h5");
  CommandResult c =
      fedsim("sweep " + path("s.toml") + " -q --parallel 1 --set run.rounds=20 -o " + ref);
  ASSERT_EQ(c.code, 0) << c.out;

  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    close(pipefd[0]);
    const std::string file = path("s.toml");
    execl(FEDSIM_BIN, FEDSIM_BIN, "sweep", file.c_str(), "--parallel", "1", "--set",
          "run.rounds=20", "--set", "run.checkpoint_every=3", "-o", out.c_str(), (char*)nullptr);
    _exit(127);
  }
  close(pipefd[1]);
  FILE* f = fdopen(pipefd[0], "r");
  char line[1024];
  bool first_done = false;
  while (!first_done && fgets(line, sizeof line, f)) first_done = line[0] == '[';
  ASSERT_TRUE(first_done);
  kill(pid, SIGKILL);
  fclose(f);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  const SweepResult killed = read_sweep(out);
  EXPECT_EQ(killed.status, RunStatus::Running);
  int complete = 0;
  for (size_t i = 0; i < killed.runs.size(); ++i)
    complete += killed.started[i] && killed.runs[i].status == RunStatus::Complete;
  EXPECT_GE(complete, 1);
  ASSERT_LT(complete, 4) << "the sweep ended before the kill";

  c = fedsim("resume " + out + " -q");
  ASSERT_EQ(c.code, 0) << c.out;
  const SweepResult resumed = read_sweep(out), reference = read_sweep(ref);
  EXPECT_EQ(resumed.status, RunStatus::Complete);
  ASSERT_EQ(resumed.runs.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(resumed.runs[i].status, RunStatus::Complete);
    EXPECT_TRUE(same_bits(resumed.runs[i].weights, reference.runs[i].weights)) << i;
  }
  const auto fa = sweep_frontier(resumed), fb = sweep_frontier(reference);
  ASSERT_EQ(fa.size(), 2u);
  ASSERT_EQ(fb.size(), 2u);
  for (int g = 0; g < 2; ++g) EXPECT_EQ(fa[g].accuracy_mean, fb[g].accuracy_mean);
}
