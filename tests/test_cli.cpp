// The `fedsim` command line end to end: run, existing outputs, bad scenarios, Ctrl-C, divergence,
// data export and describe. Runs the real binary (FEDSIM_BIN) in a fresh temporary directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "shell_command.h"
#include "sim/results/results_writer.h"

namespace fs = std::filesystem;
using namespace fedsim;

namespace {

const std::string kTiny = std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny.toml";

using Cmd = CommandResult;  // stdout and stderr together

Cmd run_cmd(const std::string& args, const std::string& env = "") {
  return run_shell(env + std::string(FEDSIM_BIN) + " " + args + " 2>&1");
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fedsim-cli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
    return path(name);
  }
  fs::path dir_;
};

}  // namespace

TEST_F(Cli, RunWritesACompleteResultFile) {
  const std::string out = path("r.h5");
  const Cmd c = run_cmd("run " + kTiny + " --backend cpu --output " + out);
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_NE(c.out.find("round 4/4"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("complete"), std::string::npos) << c.out;
  const RunResult r = read_results(out);
  EXPECT_EQ(r.status, RunStatus::Complete);
  EXPECT_EQ(r.rounds.size(), 4u);
  EXPECT_EQ(r.evals.size(), 2u);
  EXPECT_EQ(r.backend, "cpu");
  EXPECT_EQ(r.clients.num_samples.size(), r.clients.final_accuracy.size());
  EXPECT_EQ(r.weights.size(), size_t(r.layout.num_params));
  for (const auto& e : r.evals) EXPECT_GT(e.accuracy, 0.5);
  // nothing but the result is left in the directory (no temporary files)
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(Cli, ExistingOutputIsRefusedBeforeAnyWorkAndReplacedWithForce) {
  const std::string out = write("r.h5", "precious");
  Cmd c = run_cmd("run " + kTiny + " --output " + out);
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("--force"), std::string::npos) << c.out;
  EXPECT_EQ(c.out.find("round 1"), std::string::npos) << "work started: " << c.out;
  std::ifstream in(out);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "precious");
  c = run_cmd("run " + kTiny + " --quiet --force --output " + out);
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_EQ(read_results(out).status, RunStatus::Complete);
}

TEST_F(Cli, ScenarioErrorsNameFileLineAndKeyAndExitBeforeWork) {
  const std::string bad = write("bad.toml", "[run]\nrounds = 3\n\n[client]\nlerning_rate = 0.1\n");
  Cmd c = run_cmd("validate " + bad);
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find(bad + ":5"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("client.lerning_rate"), std::string::npos) << c.out;
  c = run_cmd("run " + bad + " --output " + path("x.h5"));
  EXPECT_EQ(c.code, 2);
  EXPECT_FALSE(fs::exists(path("x.h5")));
  c = run_cmd("run " + kTiny + " --set server.lr=-1 --output " + path("x.h5"));
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("server.lr"), std::string::npos) << c.out;
  c = run_cmd("validate " + path("missing.toml"));
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("missing.toml"), std::string::npos) << c.out;
}

TEST_F(Cli, CtrlCFinishesTheRoundAndSavesAnInterruptedFile) {
  const std::string out = path("int.h5");
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    close(pipefd[0]);
    execl(FEDSIM_BIN, FEDSIM_BIN, "run", kTiny.c_str(), "--set", "run.rounds=100000", "--output",
          out.c_str(), (char*)nullptr);
    _exit(127);
  }
  close(pipefd[1]);
  // Wait for the third progress line, then press Ctrl-C.
  FILE* f = fdopen(pipefd[0], "r");
  char line[512];
  int rounds_seen = 0;
  while (rounds_seen < 3 && fgets(line, sizeof line, f))
    if (std::string(line).rfind("round ", 0) == 0) ++rounds_seen;
  ASSERT_EQ(rounds_seen, 3);
  kill(pid, SIGINT);
  while (fgets(line, sizeof line, f)) {
  }
  fclose(f);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const RunResult r = read_results(out);
  EXPECT_EQ(r.status, RunStatus::Interrupted);
  EXPECT_GE(r.rounds.size(), 3u);
  EXPECT_LT(r.rounds.size(), 100000u);
  EXPECT_EQ(r.weights.size(), size_t(r.layout.num_params));
}

TEST_F(Cli, DivergenceStopsWithAClearMessageAndKeepsTheRounds) {
  const std::string out = path("div.h5");
  const Cmd c =
      run_cmd("run " + kTiny + " --set client.lr=1e30 --set run.rounds=20 --output " + out);
  EXPECT_EQ(c.code, 3) << c.out;
  EXPECT_NE(c.out.find("diverged"), std::string::npos) << c.out;
  const RunResult r = read_results(out);
  EXPECT_EQ(r.status, RunStatus::Diverged);
  EXPECT_GE(r.rounds.size(), 1u);
  EXPECT_LT(r.rounds.size(), 20u);
  for (float w : r.weights) ASSERT_TRUE(std::isfinite(w));
}

TEST_F(Cli, DataExportAndDescribe) {
  const std::string out = path("fed.h5");
  Cmd c = run_cmd("data " + kTiny + " --output " + out);
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_TRUE(fs::exists(out));
  c = run_cmd("data " + kTiny + " --output " + out);
  EXPECT_EQ(c.code, 2) << c.out;
  c = run_cmd("describe " + kTiny);
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_NE(c.out.find("40"), std::string::npos) << c.out;  // the 40 shops
}

TEST_F(Cli, CudaBackendUnavailableIsAClearError) {
  const Cmd c = run_cmd("run " + kTiny + " --backend cuda --output " + path("c.h5"));
  if (c.code == 0) GTEST_SKIP() << "a CUDA device exists here; the CPU-only error path is not run";
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("cuda"), std::string::npos) << c.out;
}

TEST_F(Cli, SameScenarioAndSeedGiveIdenticalFilesWhateverTheThreadCount) {
  const Cmd one =
      run_cmd("run " + kTiny + " -q --backend cpu --output " + path("t1.h5"), "OMP_NUM_THREADS=1 ");
  const Cmd two =
      run_cmd("run " + kTiny + " -q --backend cpu --output " + path("t2.h5"), "OMP_NUM_THREADS=2 ");
  ASSERT_EQ(one.code, 0) << one.out;
  ASSERT_EQ(two.code, 0) << two.out;
  const RunResult a = read_results(path("t1.h5")), b = read_results(path("t2.h5"));
  EXPECT_NE(a.device, b.device);  // the thread count is recorded, and differs
  EXPECT_EQ(a.weights, b.weights);
  ASSERT_EQ(a.rounds.size(), b.rounds.size());
  for (size_t i = 0; i < a.rounds.size(); ++i)
    EXPECT_EQ(a.rounds[i].train_loss, b.rounds[i].train_loss);
  for (size_t i = 0; i < a.evals.size(); ++i) {
    EXPECT_EQ(a.evals[i].accuracy, b.evals[i].accuracy);
    EXPECT_EQ(a.evals[i].auc, b.evals[i].auc);
  }
  EXPECT_EQ(a.clients.final_accuracy, b.clients.final_accuracy);
}

// Every scenario that ships runs end to end at a reduced size.
TEST_F(Cli, EveryShippedScenarioRuns) {
  int ran = 0;
  for (const auto& entry : fs::directory_iterator(std::string(FEDSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    const std::string out = path(entry.path().stem().string() + ".h5");
    // A converted data set (tools/prepare-datasets.sh) is read from this build's datasets/, not
    // from build/datasets/ that the scenario names for a user of tools/build.sh.
    std::string data;
    const toml::table t = toml::parse_file(entry.path().string());
    if (const auto p = t["data"]["path"].value<std::string>()) {
      if (const auto at = p->find("build/datasets/"); at != std::string::npos) {
        const std::string file = std::string(FEDSIM_DATASETS_DIR) + "/" + p->substr(at + 15);
        ASSERT_TRUE(fs::exists(file))
            << entry.path() << ": " << file << " missing: run `tools/prepare-datasets.sh "
            << FEDSIM_DATASETS_DIR << "` (r-cran-modeldata)";
        data = " --set data.path=" + file;
      }
    }
    const Cmd c = run_cmd("run " + entry.path().string() +
                          " -q --set run.rounds=2 --set data.samples=8000 --set data.shops=400" +
                          data + " --output " + out);
    ASSERT_EQ(c.code, 0) << entry.path() << ": " << c.out;
    const RunResult r = read_results(out);
    EXPECT_EQ(r.status, RunStatus::Complete) << entry.path();
    EXPECT_EQ(r.rounds.size(), 2u);
    if (r.privacy.mode != "none") {
      EXPECT_GT(r.rounds.back().epsilon, 0.0) << entry.path();
    }
    ++ran;
  }
  EXPECT_GE(ran, 3);
}

TEST_F(Cli, ImpossiblePrivacySettingsFailBeforeTrainingWithAClearMessage) {
  // A target epsilon no noise multiplier up to 1000 reaches.
  Cmd c = run_cmd("run " + kTiny +
                  " --set privacy.mode=sample --set privacy.target_epsilon=1e-9 --output " +
                  path("x.h5"));
  EXPECT_EQ(c.code, 2) << c.out;
  EXPECT_NE(c.out.find("target"), std::string::npos) << c.out;
  EXPECT_EQ(c.out.find("round 1"), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(path("x.h5")));
  // A delta that is not small against the records it protects is warned about.
  c = run_cmd("run " + kTiny +
              " -q --set privacy.mode=sample --set privacy.noise_multiplier=1 --set "
              "privacy.delta=0.01 --output " +
              path("w.h5"));
  EXPECT_EQ(c.code, 0) << c.out;
  EXPECT_NE(c.out.find("warning: privacy.delta"), std::string::npos) << c.out;
  // Adaptive clipping whose count noise cannot carry its share of the budget.
  c = run_cmd("run " + kTiny +
              " --set privacy.mode=user --set server.sampling_rate=0.5 --set "
              "privacy.noise_multiplier=1 --set privacy.adaptive_clip=true --set "
              "privacy.count_noise=0.1 --output " +
              path("y.h5"));
  EXPECT_EQ(c.code, 2) << c.out;
  EXPECT_NE(c.out.find("privacy.count_noise"), std::string::npos) << c.out;
}

TEST_F(Cli, ResultFilesCarryAReproducibilityManifest) {
  const std::string out = path("m.h5");
  const Cmd c = run_cmd("run " + kTiny + " -q --set run.rounds=2 --output " + out);
  ASSERT_EQ(c.code, 0) << c.out;
  const RunResult r = read_results(out);
  EXPECT_NE(r.command_line.find("run " + kTiny + " -q --set run.rounds=2 --output"),
            std::string::npos)
      << r.command_line;
  auto value = [&](const std::string& name) {
    for (const auto& [k, v] : r.manifest)
      if (k == name) return v;
    return std::string();
  };
  EXPECT_NE(value("compiler").find_first_of("0123456789"), std::string::npos) << value("compiler");
  EXPECT_NE(value("openblas").find("OpenBLAS"), std::string::npos) << value("openblas");
  EXPECT_NE(value("openblas").find("kernels"), std::string::npos) << value("openblas");
  EXPECT_EQ(value("hdf5").substr(0, 2), "1.");
  EXPECT_FALSE(value("tomlplusplus").empty());
  EXPECT_FALSE(value("openssl").empty());
  EXPECT_FALSE(value("zlib").empty());
  EXPECT_FALSE(value("host_cpu").empty());
  EXPECT_FALSE(r.git_commit.empty());
  EXPECT_NE(r.scenario_resolved.find("checkpoint_every"), std::string::npos);
}
