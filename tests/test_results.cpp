// Result and federation files: round trips through write/read, independent checks with the raw
// HDF5 C API and h5dump, the force/overwrite rules, atomicity (no temporary files left, nothing
// written on failure).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "sim/data/federation_io.h"
#include "sim/results/results_writer.h"

namespace fs = std::filesystem;
using namespace fedsim;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A fresh directory per test, removed afterwards.
class ResultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("fedsim-test-results-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Names of every entry under the test directory (recursively).
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      out.push_back(fs::relative(e.path(), dir_).string());
    }
    return out;
  }
  fs::path dir_;
};

// Two dense layers (3 -> 4 ReLU -> 2), built by hand.
ModelLayout small_layout() {
  ModelLayout l;
  DenseLayer a;
  a.name = "dense0";
  a.in = 3;
  a.out = 4;
  a.w_offset = 0;
  a.b_offset = 12;
  a.activation = true;
  DenseLayer b;
  b.name = "dense1";
  b.in = 4;
  b.out = 2;
  b.w_offset = 16;
  b.b_offset = 24;
  b.activation = false;
  l.layers = {a, b};
  l.num_params = 26;
  return l;
}

RunResult sample_result() {
  RunResult r;
  r.status = RunStatus::Interrupted;
  r.status_message = "interrupted by SIGINT after round 3";
  r.fedsim_version = "0.1.0";
  r.git_commit = "abcdef123456";
  r.backend = "cpu";
  r.device = "CPU 2 threads (OpenBLAS) \xc2\xb5";  // a UTF-8 character
  r.seed = 18446744073709551615ull;                // uint64 max survives
  r.start_time = "2024-01-02T03:04:05Z";
  r.end_time = "2024-01-02T03:05:06Z";
  r.wall_time_s = 61.25;
  r.scenario_path = "scenarios/x.toml";
  r.scenario_text = "[run]\nname = \"x\"\n";
  r.scenario_resolved = "[run]\nname = \"x\"\nseed = 1\n";
  for (int i = 1; i <= 3; ++i) {
    RoundRecord rr;
    rr.round = i;
    rr.train_loss = 1.0 / i;
    rr.clients_sampled = 10 + i;
    rr.clients_dropped = i - 1;
    rr.update_norm = 0.5 * i;
    rr.mean_client_update_norm = 0.25 * i;
    rr.epsilon = i == 2 ? kNaN : 0.1 * i;
    rr.epsilon_rdp = i == 2 ? kNaN : 0.1 * i;
    rr.epsilon_pld = i == 2 ? kNaN : 0.09 * i;
    rr.clip_fraction = i == 3 ? kNaN : 0.125 * i;
    rr.clip_norm = 1.5 / i;
    rr.wall_time_s = 0.01 * i;
    r.rounds.push_back(rr);
  }
  EvalRecord e1;
  e1.round = 2;
  e1.accuracy = 0.75;
  e1.loss = 0.5;
  e1.auc = 0.8;
  EvalRecord e2;
  e2.round = 3;
  e2.accuracy = 0.8;
  e2.loss = 0.4;  // auc stays NaN
  r.evals = {e1, e2};
  r.clients.classes = 3;
  r.clients.num_samples = {5, 7};
  r.clients.label_counts = {1, 2, 2, 3, 4, 0};
  r.clients.final_accuracy = {0.5f, 0.75f};
  r.clients.final_loss = {0.9f, kNaN};
  r.clients.accuracy_mean = 0.625;
  r.clients.accuracy_p10 = 0.525;
  r.clients.accuracy_worst = 0.5;
  PrivacyReport& p = r.privacy;
  p.mode = "user";
  p.unit = "client";
  p.neighbouring = "add/remove one client with all its records";
  p.sampling = "Poisson client sampling, rate 0.1 per round";
  p.sampling_covered = false;
  p.accountant = "pld";
  p.noise_multiplier = 1.0625;
  p.calibrated = true;
  p.target_epsilon = 4.0;
  p.delta = 1e-6;
  p.clip = 0.75;
  p.sample_rate = 0.1;
  p.steps_per_round = 1234567890123;  // int64 survives
  p.adaptive_clip = true;
  p.update_noise_multiplier = 1.0701;
  p.count_noise = kNaN;
  r.layout = small_layout();
  for (int i = 0; i < 26; ++i) r.weights.push_back(0.01f * static_cast<float>(i) - 0.1f);
  return r;
}

// Equal, treating NaN == NaN.
void expect_same(double a, double b) {
  if (std::isnan(a)) {
    EXPECT_TRUE(std::isnan(b));
  } else {
    EXPECT_EQ(a, b);
  }
}

void expect_same_result(const RunResult& a, const RunResult& b) {
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.status_message, b.status_message);
  EXPECT_EQ(a.fedsim_version, b.fedsim_version);
  EXPECT_EQ(a.git_commit, b.git_commit);
  EXPECT_EQ(a.backend, b.backend);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.start_time, b.start_time);
  EXPECT_EQ(a.end_time, b.end_time);
  EXPECT_EQ(a.wall_time_s, b.wall_time_s);
  EXPECT_EQ(a.scenario_path, b.scenario_path);
  EXPECT_EQ(a.scenario_text, b.scenario_text);
  EXPECT_EQ(a.scenario_resolved, b.scenario_resolved);
  ASSERT_EQ(a.rounds.size(), b.rounds.size());
  for (size_t i = 0; i < a.rounds.size(); ++i) {
    const auto &x = a.rounds[i], &y = b.rounds[i];
    EXPECT_EQ(x.round, y.round);
    EXPECT_EQ(x.train_loss, y.train_loss);
    EXPECT_EQ(x.clients_sampled, y.clients_sampled);
    EXPECT_EQ(x.clients_dropped, y.clients_dropped);
    EXPECT_EQ(x.update_norm, y.update_norm);
    EXPECT_EQ(x.mean_client_update_norm, y.mean_client_update_norm);
    expect_same(x.epsilon, y.epsilon);
    expect_same(x.epsilon_rdp, y.epsilon_rdp);
    expect_same(x.epsilon_pld, y.epsilon_pld);
    expect_same(x.clip_fraction, y.clip_fraction);
    expect_same(x.clip_norm, y.clip_norm);
    EXPECT_EQ(x.wall_time_s, y.wall_time_s);
  }
  const PrivacyReport &p = a.privacy, &q = b.privacy;
  EXPECT_EQ(p.mode, q.mode);
  EXPECT_EQ(p.unit, q.unit);
  EXPECT_EQ(p.neighbouring, q.neighbouring);
  EXPECT_EQ(p.sampling, q.sampling);
  EXPECT_EQ(p.sampling_covered, q.sampling_covered);
  EXPECT_EQ(p.accountant, q.accountant);
  expect_same(p.noise_multiplier, q.noise_multiplier);
  EXPECT_EQ(p.calibrated, q.calibrated);
  expect_same(p.target_epsilon, q.target_epsilon);
  expect_same(p.delta, q.delta);
  expect_same(p.clip, q.clip);
  expect_same(p.sample_rate, q.sample_rate);
  EXPECT_EQ(p.steps_per_round, q.steps_per_round);
  EXPECT_EQ(p.adaptive_clip, q.adaptive_clip);
  expect_same(p.update_noise_multiplier, q.update_noise_multiplier);
  expect_same(p.count_noise, q.count_noise);
  ASSERT_EQ(a.evals.size(), b.evals.size());
  for (size_t i = 0; i < a.evals.size(); ++i) {
    EXPECT_EQ(a.evals[i].round, b.evals[i].round);
    EXPECT_EQ(a.evals[i].accuracy, b.evals[i].accuracy);
    EXPECT_EQ(a.evals[i].loss, b.evals[i].loss);
    expect_same(a.evals[i].auc, b.evals[i].auc);
  }
  EXPECT_EQ(a.clients.classes, b.clients.classes);
  EXPECT_EQ(a.clients.num_samples, b.clients.num_samples);
  EXPECT_EQ(a.clients.label_counts, b.clients.label_counts);
  EXPECT_EQ(a.clients.final_accuracy, b.clients.final_accuracy);
  ASSERT_EQ(a.clients.final_loss.size(), b.clients.final_loss.size());
  for (size_t i = 0; i < a.clients.final_loss.size(); ++i) {
    expect_same(a.clients.final_loss[i], b.clients.final_loss[i]);
  }
  expect_same(a.clients.accuracy_mean, b.clients.accuracy_mean);
  expect_same(a.clients.accuracy_p10, b.clients.accuracy_p10);
  expect_same(a.clients.accuracy_worst, b.clients.accuracy_worst);
  EXPECT_EQ(a.layout.num_params, b.layout.num_params);
  ASSERT_EQ(a.layout.layers.size(), b.layout.layers.size());
  for (size_t i = 0; i < a.layout.layers.size(); ++i) {
    const auto &x = a.layout.layers[i], &y = b.layout.layers[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.in, y.in);
    EXPECT_EQ(x.out, y.out);
    EXPECT_EQ(x.w_offset, y.w_offset);
    EXPECT_EQ(x.b_offset, y.b_offset);
    EXPECT_EQ(x.activation, y.activation);
  }
  EXPECT_EQ(a.weights, b.weights);
}

// Runs a shell command, returning its exit status and its stdout.
int run_command(const std::string& cmd, std::string* out) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  return ::pclose(p);
}

TEST_F(ResultsTest, RoundTripsEveryField) {
  const RunResult r = sample_result();
  const std::string p = path("run.h5");
  write_results(p, r, false);
  expect_same_result(r, read_results(p));
  EXPECT_EQ(entries(), std::vector<std::string>{"run.h5"});  // no temporary file left behind
}

TEST_F(ResultsTest, RoundTripsTheDefaultPrivacyReport) {
  RunResult r = sample_result();
  r.privacy = PrivacyReport{};  // mode "none"
  for (RoundRecord& rr : r.rounds) {
    rr.epsilon = rr.epsilon_rdp = rr.epsilon_pld = rr.clip_fraction = rr.clip_norm = kNaN;
  }
  const std::string p = path("run.h5");
  write_results(p, r, false);
  const RunResult back = read_results(p);
  expect_same_result(r, back);
  EXPECT_EQ(back.privacy.mode, "none");
  EXPECT_TRUE(back.privacy.sampling_covered);
  EXPECT_TRUE(std::isnan(back.rounds[0].epsilon_pld));
}

// A file as written before the privacy fields existed: no /privacy group and no new /rounds
// columns. It still reads, with the defaults (NaN columns, mode "none").
TEST_F(ResultsTest, ReadsFilesWithoutPrivacyFields) {
  const std::string p = path("old.h5");
  write_results(p, sample_result(), false);
  const hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const char* name : {"/privacy", "/rounds/epsilon_rdp", "/rounds/epsilon_pld",
                           "/rounds/clip_fraction", "/rounds/clip_norm"}) {
    EXPECT_GE(H5Ldelete(f, name, H5P_DEFAULT), 0) << name;
  }
  H5Fclose(f);
  const RunResult back = read_results(p);
  const PrivacyReport defaults;
  EXPECT_EQ(back.privacy.mode, defaults.mode);
  EXPECT_EQ(back.privacy.unit, defaults.unit);
  EXPECT_EQ(back.privacy.sampling_covered, defaults.sampling_covered);
  EXPECT_EQ(back.privacy.accountant, defaults.accountant);
  EXPECT_EQ(back.privacy.noise_multiplier, defaults.noise_multiplier);
  EXPECT_EQ(back.privacy.steps_per_round, defaults.steps_per_round);
  ASSERT_EQ(back.rounds.size(), 3u);
  for (const RoundRecord& rr : back.rounds) {
    EXPECT_TRUE(std::isnan(rr.epsilon_rdp));
    EXPECT_TRUE(std::isnan(rr.epsilon_pld));
    EXPECT_TRUE(std::isnan(rr.clip_fraction));
    EXPECT_TRUE(std::isnan(rr.clip_norm));
  }
  EXPECT_EQ(back.rounds[0].epsilon, 0.1);  // the old columns are untouched
  EXPECT_EQ(back.rounds[2].train_loss, 1.0 / 3);
}

TEST_F(ResultsTest, RejectsPrivacyCopiesOfTheWrongLength) {
  const std::string p = path("bad.h5");
  write_results(p, sample_result(), false);
  const hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  ASSERT_GE(H5Ldelete(f, "/privacy/epsilon_pld", H5P_DEFAULT), 0);
  const hsize_t two = 2;
  const hid_t s = H5Screate_simple(1, &two, nullptr);
  const hid_t d = H5Dcreate2(f, "/privacy/epsilon_pld", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
  ASSERT_GE(d, 0);
  const double v[2] = {1, 2};
  ASSERT_GE(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
  H5Dclose(d);
  H5Sclose(s);
  H5Fclose(f);
  try {
    read_results(p);
    FAIL() << "expected ResultsError";
  } catch (const ResultsError& e) {
    EXPECT_NE(std::string(e.what()).find("/privacy/epsilon_pld: length differs"), std::string::npos)
        << e.what();
  }
}

TEST_F(ResultsTest, RoundTripsEmptyRun) {
  RunResult r;  // nothing happened yet: no rounds, evals, clients or model
  r.status = RunStatus::Failed;
  r.status_message = "out of memory";
  const std::string p = path("empty.h5");
  write_results(p, r, false);
  const RunResult back = read_results(p);
  expect_same_result(r, back);
  EXPECT_TRUE(back.rounds.empty());
  EXPECT_TRUE(back.layout.layers.empty());
}

TEST_F(ResultsTest, StatusNamesRoundTrip) {
  for (auto s : {RunStatus::Running, RunStatus::Complete, RunStatus::Interrupted,
                 RunStatus::Diverged, RunStatus::Failed}) {
    EXPECT_EQ(run_status_from_string(to_string(s)), s);
  }
  EXPECT_STREQ(to_string(RunStatus::Complete), "complete");
  EXPECT_THROW(run_status_from_string("done"), std::invalid_argument);
}

// Reads the file with the raw C API, independently of read_results.
TEST_F(ResultsTest, LayoutMatchesTheDocumentation) {
  const RunResult r = sample_result();
  const std::string p = path("run.h5");
  write_results(p, r, false);

  const hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  // /model/weights: float32 [26]
  const hid_t d = H5Dopen2(f, "/model/weights", H5P_DEFAULT);
  ASSERT_GE(d, 0);
  const hid_t s = H5Dget_space(d);
  hsize_t dims[1] = {0};
  EXPECT_EQ(H5Sget_simple_extent_ndims(s), 1);
  H5Sget_simple_extent_dims(s, dims, nullptr);
  EXPECT_EQ(dims[0], 26u);
  const hid_t t = H5Dget_type(d);
  EXPECT_EQ(H5Tget_class(t), H5T_FLOAT);
  EXPECT_EQ(H5Tget_size(t), 4u);
  H5Tclose(t);
  H5Sclose(s);
  H5Dclose(d);

  // root attribute status: variable-length UTF-8 string "interrupted"
  const hid_t a = H5Aopen(f, "status", H5P_DEFAULT);
  ASSERT_GE(a, 0);
  const hid_t at = H5Aget_type(a);
  EXPECT_EQ(H5Tget_class(at), H5T_STRING);
  EXPECT_GT(H5Tis_variable_str(at), 0);
  EXPECT_EQ(H5Tget_cset(at), H5T_CSET_UTF8);
  char* value = nullptr;
  ASSERT_GE(H5Aread(a, at, &value), 0);
  EXPECT_STREQ(value, "interrupted");
  H5free_memory(value);
  H5Tclose(at);
  H5Aclose(a);

  // root attribute format_version == 1; /rounds/epsilon [3] with NaN in the middle
  int32_t version = 0;
  const hid_t va = H5Aopen(f, "format_version", H5P_DEFAULT);
  ASSERT_GE(H5Aread(va, H5T_NATIVE_INT32, &version), 0);
  EXPECT_EQ(version, 1);
  H5Aclose(va);
  double eps[3] = {0, 0, 0};
  const hid_t e = H5Dopen2(f, "/rounds/epsilon", H5P_DEFAULT);
  ASSERT_GE(H5Dread(e, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, eps), 0);
  EXPECT_DOUBLE_EQ(eps[0], 0.1);
  EXPECT_TRUE(std::isnan(eps[1]));
  H5Dclose(e);

  // /rounds/epsilon_pld and the copy /privacy/epsilon_pld: float64 [3], NaN in the middle
  for (const char* name : {"/rounds/epsilon_pld", "/privacy/epsilon_pld"}) {
    double pld[3] = {0, 0, 0};
    const hid_t ed = H5Dopen2(f, name, H5P_DEFAULT);
    ASSERT_GE(ed, 0) << name;
    const hid_t et = H5Dget_type(ed);
    EXPECT_EQ(H5Tget_class(et), H5T_FLOAT);
    EXPECT_EQ(H5Tget_size(et), 8u);
    H5Tclose(et);
    ASSERT_GE(H5Dread(ed, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, pld), 0);
    EXPECT_DOUBLE_EQ(pld[0], 0.09);
    EXPECT_TRUE(std::isnan(pld[1]));
    EXPECT_DOUBLE_EQ(pld[2], 0.27);
    H5Dclose(ed);
  }

  // /privacy attributes: sampling_covered int8 0, steps_per_round int64, mode a UTF-8 string
  const hid_t pg = H5Gopen2(f, "/privacy", H5P_DEFAULT);
  ASSERT_GE(pg, 0);
  const hid_t sc = H5Aopen(pg, "sampling_covered", H5P_DEFAULT);
  ASSERT_GE(sc, 0);
  const hid_t sct = H5Aget_type(sc);
  EXPECT_EQ(H5Tget_class(sct), H5T_INTEGER);
  EXPECT_EQ(H5Tget_size(sct), 1u);
  int8_t covered = 7;
  ASSERT_GE(H5Aread(sc, H5T_NATIVE_INT8, &covered), 0);
  EXPECT_EQ(covered, 0);
  H5Tclose(sct);
  H5Aclose(sc);
  const hid_t sp = H5Aopen(pg, "steps_per_round", H5P_DEFAULT);
  ASSERT_GE(sp, 0);
  const hid_t spt = H5Aget_type(sp);
  EXPECT_EQ(H5Tget_size(spt), 8u);
  int64_t steps = 0;
  ASSERT_GE(H5Aread(sp, H5T_NATIVE_INT64, &steps), 0);
  EXPECT_EQ(steps, 1234567890123);
  H5Tclose(spt);
  H5Aclose(sp);
  const hid_t nm = H5Aopen(pg, "noise_multiplier", H5P_DEFAULT);
  double sigma = 0;
  ASSERT_GE(H5Aread(nm, H5T_NATIVE_DOUBLE, &sigma), 0);
  EXPECT_EQ(sigma, 1.0625);
  H5Aclose(nm);
  const hid_t ma = H5Aopen(pg, "mode", H5P_DEFAULT);
  ASSERT_GE(ma, 0);
  const hid_t mt = H5Aget_type(ma);
  EXPECT_EQ(H5Tget_class(mt), H5T_STRING);
  EXPECT_GT(H5Tis_variable_str(mt), 0);
  char* mode = nullptr;
  ASSERT_GE(H5Aread(ma, mt, &mode), 0);
  EXPECT_STREQ(mode, "user");
  H5free_memory(mode);
  H5Tclose(mt);
  H5Aclose(ma);
  H5Gclose(pg);

  // /clients/label_counts is [clients, classes]
  const hid_t lc = H5Dopen2(f, "/clients/label_counts", H5P_DEFAULT);
  const hid_t ls = H5Dget_space(lc);
  hsize_t ldims[2] = {0, 0};
  EXPECT_EQ(H5Sget_simple_extent_ndims(ls), 2);
  H5Sget_simple_extent_dims(ls, ldims, nullptr);
  EXPECT_EQ(ldims[0], 2u);
  EXPECT_EQ(ldims[1], 3u);
  H5Sclose(ls);
  H5Dclose(lc);
  H5Fclose(f);
}

TEST_F(ResultsTest, H5dumpReadsTheFile) {
  const std::string p = path("run.h5");
  write_results(p, sample_result(), false);
  std::string out;
  const int rc = run_command("h5dump -H '" + p + "' 2>&1", &out);
  if (rc != 0 && out.find("not found") != std::string::npos) GTEST_SKIP() << "h5dump missing";
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("GROUP \"rounds\""), std::string::npos) << out;
  EXPECT_NE(out.find("H5T_CSET_UTF8"), std::string::npos) << out;
  // -n lists every object by its full path.
  std::string contents;
  EXPECT_EQ(run_command("h5dump -n '" + p + "' 2>&1", &contents), 0) << contents;
  EXPECT_NE(contents.find("/rounds/epsilon"), std::string::npos) << contents;
  EXPECT_NE(contents.find("/privacy/epsilon_rdp"), std::string::npos) << contents;
  EXPECT_NE(contents.find("/model/weights"), std::string::npos) << contents;
}

TEST_F(ResultsTest, RefusesExistingFileUnlessForced) {
  const std::string p = path("run.h5");
  RunResult r = sample_result();
  write_results(p, r, false);
  EXPECT_THROW(check_output_writable(p, false), ResultsError);
  EXPECT_NO_THROW(check_output_writable(p, true));
  try {
    write_results(p, r, false);
    FAIL() << "expected ResultsError";
  } catch (const ResultsError& e) {
    EXPECT_EQ(std::string(e.what()), p + " exists; pass --force to overwrite it");
  }
  EXPECT_EQ(read_results(p).status, RunStatus::Interrupted);  // untouched

  r.status = RunStatus::Complete;
  write_results(p, r, true);
  EXPECT_EQ(read_results(p).status, RunStatus::Complete);
  EXPECT_EQ(entries(), std::vector<std::string>{"run.h5"});
}

TEST_F(ResultsTest, CreatesParentDirectories) {
  const std::string p = path("a/b/run.h5");
  EXPECT_NO_THROW(check_output_writable(p, false));
  EXPECT_FALSE(fs::exists(path("a")));  // the check itself creates nothing
  write_results(p, sample_result(), false);
  EXPECT_TRUE(fs::is_regular_file(p));
}

TEST_F(ResultsTest, FailsCleanlyWhenTheDirectoryCannotBeCreated) {
  std::ofstream(path("plain")) << "not a directory";
  const std::string p = path("plain/sub/run.h5");
  EXPECT_THROW(check_output_writable(p, false), ResultsError);
  try {
    write_results(p, sample_result(), false);
    FAIL() << "expected ResultsError";
  } catch (const ResultsError& e) {
    EXPECT_NE(std::string(e.what()).find("plain"), std::string::npos) << e.what();
  }
  EXPECT_EQ(entries(), std::vector<std::string>{"plain"});
}

TEST_F(ResultsTest, FailedWriteLeavesTargetAndNoTemporaryFile) {
  const std::string p = path("run.h5");
  RunResult r = sample_result();
  write_results(p, r, false);
  r.clients.label_counts.pop_back();  // no longer [clients, classes]: the writer must refuse
  r.status = RunStatus::Complete;
  EXPECT_THROW(write_results(p, r, true), ResultsError);
  EXPECT_EQ(read_results(p).status, RunStatus::Interrupted);  // the old file is intact
  EXPECT_EQ(entries(), std::vector<std::string>{"run.h5"});
}

// A full disk, simulated with a file size limit (EFBIG instead of ENOSPC, same code path): the
// error carries the OS reason, the old file survives and the temporary file is removed.
TEST_F(ResultsTest, WriteErrorFromTheOsIsReported) {
  const std::string p = path("run.h5");
  write_results(p, sample_result(), false);
  RunResult big = sample_result();
  big.status = RunStatus::Complete;
  big.weights.assign(1 << 20, 0.5f);  // 4 MiB
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = 1 << 20;
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  try {
    write_results(p, big, true);
  } catch (const ResultsError& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot write " + p), std::string::npos) << message;
  EXPECT_EQ(read_results(p).status, RunStatus::Interrupted);
  EXPECT_EQ(entries(), std::vector<std::string>{"run.h5"});
}

TEST_F(ResultsTest, ReadErrorsNameTheFile) {
  const std::string missing = path("missing.h5");
  try {
    read_results(missing);
    FAIL() << "expected ResultsError";
  } catch (const ResultsError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  std::ofstream(path("text.h5")) << "not HDF5";
  EXPECT_THROW(read_results(path("text.h5")), ResultsError);
}

Federation tiny_federation() {
  Federation f;
  f.train.n = 5;
  f.train.d = 2;
  f.train.classes = 3;
  f.train.x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  f.train.y = {0, 1, 2, 1, 0};
  f.train.group = {0, 0, 1, 1, 1};
  f.train.feature_names = {"price", "h\xc3\xa4ufigkeit"};
  f.test.n = 2;
  f.test.d = 2;
  f.test.classes = 3;
  f.test.x = {-1, -2, -3, -4};
  f.test.y = {2, 0};  // no groups in the test split
  f.test.feature_names = f.train.feature_names;
  f.offsets = {0, 2, 5};
  f.feature_mean = {0.5f, 1.5f};
  f.feature_std = {1.0f, 2.0f};
  return f;
}

TEST_F(ResultsTest, FederationRoundTrip) {
  const Federation f = tiny_federation();
  const std::string p = path("fed/federation.h5");
  write_federation(p, f, "[data]\nsamples = 7\n", false);
  EXPECT_THROW(write_federation(p, f, "", false), ResultsError);
  const Federation g = read_federation(p);
  for (const auto* pair : {&f.train, &f.test}) {
    const Dataset& a = *pair;
    const Dataset& b = pair == &f.train ? g.train : g.test;
    EXPECT_EQ(a.n, b.n);
    EXPECT_EQ(a.d, b.d);
    EXPECT_EQ(a.classes, b.classes);
    EXPECT_EQ(a.x, b.x);
    EXPECT_EQ(a.y, b.y);
    EXPECT_EQ(a.group, b.group);
    EXPECT_EQ(a.feature_names, b.feature_names);
  }
  EXPECT_EQ(f.offsets, g.offsets);
  EXPECT_EQ(f.feature_mean, g.feature_mean);
  EXPECT_EQ(f.feature_std, g.feature_std);
  EXPECT_EQ(g.num_clients(), 2);

  // Independent check: /test/group is absent, /train/client_offsets is int64 [C+1].
  const hid_t file = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  EXPECT_EQ(H5Lexists(file, "/test/group", H5P_DEFAULT), 0);
  EXPECT_GT(H5Lexists(file, "/train/group", H5P_DEFAULT), 0);
  EXPECT_GT(H5Lexists(file, "/scenario/text", H5P_DEFAULT), 0);
  H5Fclose(file);
  // A result file is not a federation file.
  write_results(path("run.h5"), sample_result(), false);
  EXPECT_THROW(read_federation(path("run.h5")), ResultsError);
}

TEST_F(ResultsTest, FederationRejectsInconsistentShapes) {
  Federation f = tiny_federation();
  f.offsets = {0, 2, 4};  // does not end at train.n
  EXPECT_THROW(write_federation(path("f.h5"), f, "", false), ResultsError);
  EXPECT_TRUE(entries().empty());
}

}  // namespace
