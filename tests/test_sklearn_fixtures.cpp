// scikit-learn's bundled tables as small real fixtures: breast cancer, wine, iris and digits, as
// tools/prepare-sklearn-data.sh extracts them from Debian's python3-sklearn (never committed). The
// CSV loader reads them with the shapes and class counts sklearn documents, and the whole engine
// (scenario -> federation -> FedAvg) learns breast cancer and wine to a stated test accuracy.
// A missing file is a failure naming the command that prepares it, never a silent skip.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/backend/cpu_backend.h"
#include "sim/data/csv_loader.h"
#include "sim/data/federation_builder.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace fedsim {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrepare =
    "tools/prepare-sklearn-data.sh (run by tools/setup.sh; it unpacks the files from `apt-get "
    "download python3-sklearn` into build/datasets/sklearn)";

// Where the fixtures are: $FEDSIM_SKLEARN_DIR, else <this build>/datasets/sklearn when it exists,
// else build/datasets/sklearn in the source tree (where tools/setup.sh puts them).
std::string sklearn_dir() {
  if (const char* env = std::getenv("FEDSIM_SKLEARN_DIR"); env && *env) return env;
#ifdef FEDSIM_DATASETS_DIR
  const std::string own = std::string(FEDSIM_DATASETS_DIR) + "/sklearn";
  if (fs::exists(own + "/breast_cancer.csv")) return own;
#endif
  return std::string(FEDSIM_SOURCE_DIR) + "/build/datasets/sklearn";
}

// The path of fixture `name`; fails the test (naming the command that prepares it) when missing.
std::string fixture(const std::string& name) {
  const std::string path = sklearn_dir() + "/" + name;
  if (!fs::is_regular_file(path))
    ADD_FAILURE() << path << " is missing: run " << kPrepare
                  << " (or set FEDSIM_SKLEARN_DIR to a directory that has it)";
  return path;
}

DataConfig csv_config(const std::string& path) {
  DataConfig cfg;
  cfg.source = DataSource::Csv;
  cfg.path = path;
  cfg.label_column = "target";
  return cfg;
}

std::map<int32_t, int> class_counts(const Dataset& ds) {
  std::map<int32_t, int> c;
  for (int32_t y : ds.y) ++c[y];
  return c;
}

struct Expected {
  const char* file;
  int64_t n;
  int d;
  std::map<int32_t, int> counts;  // sklearn's documented class distribution
  const char* first_feature;
};

TEST(SklearnFixtures, ShapesAndClassCountsAsSklearnDocuments) {
  const std::vector<Expected> all = {
      {"breast_cancer.csv", 569, 30, {{0, 212}, {1, 357}}, "mean radius"},  // 0 malignant
      {"wine.csv", 178, 13, {{0, 59}, {1, 71}, {2, 48}}, "alcohol"},
      {"iris.csv", 150, 4, {{0, 50}, {1, 50}, {2, 50}}, "sepal length (cm)"},
      {"digits.csv",
       1797,
       64,
       {{0, 178},
        {1, 182},
        {2, 177},
        {3, 183},
        {4, 181},
        {5, 182},
        {6, 181},
        {7, 179},
        {8, 174},
        {9, 180}},
       "pixel_0_0"},
  };
  for (const Expected& e : all) {
    SCOPED_TRACE(e.file);
    const std::string path = fixture(e.file);
    if (!fs::is_regular_file(path)) continue;
    CsvExtras extras;
    const Dataset ds = load_csv(csv_config(path), &extras);
    EXPECT_EQ(ds.n, e.n);
    EXPECT_EQ(ds.d, e.d);
    EXPECT_EQ(ds.classes, int(e.counts.size()));
    EXPECT_EQ(class_counts(ds), e.counts);
    ASSERT_FALSE(ds.feature_names.empty());
    EXPECT_EQ(ds.feature_names.front(), e.first_feature);
    EXPECT_TRUE(ds.group.empty());
  }
}

// The first row of breast_cancer.csv as the original data set has it (WDBC sample 842302).
TEST(SklearnFixtures, BreastCancerFirstRowIsTheOriginal) {
  const std::string path = fixture("breast_cancer.csv");
  if (!fs::is_regular_file(path)) return;
  const Dataset ds = load_csv(csv_config(path));
  ASSERT_EQ(ds.d, 30);
  EXPECT_FLOAT_EQ(ds.x[0], 17.99f);    // mean radius
  EXPECT_FLOAT_EQ(ds.x[3], 1001.0f);   // mean area
  EXPECT_FLOAT_EQ(ds.x[29], 0.1189f);  // worst fractal dimension
  EXPECT_EQ(ds.y[0], 0);               // malignant
}

// A small federated run on one fixture through the public API: 10 IID clients, 5 a round.
RunResult train(const std::string& path, const std::vector<std::string>& extra) {
  std::vector<std::string> o = {"data.source=\"csv\"",          "data.path=\"" + path + "\"",
                                "data.label_column=\"target\"", "data.test_fraction=0.2",
                                "partition.scheme=\"iid\"",     "partition.clients=10",
                                "server.clients_per_round=5",   "client.batch_size=8",
                                "client.local_epochs=2",        "run.eval_every=10"};
  o.insert(o.end(), extra.begin(), extra.end());
  const Scenario s = parse_scenario(default_scenario_text(), "<sklearn>", o);
  const Federation fed = build_federation(s);
  return run_scenario(s, fed, std::make_unique<CpuBackend>());
}

// Logistic regression on the 30 standardised features separates malignant from benign to ~0.95-0.98
// in the literature; after 30 rounds of FedAvg it must beat 0.90 on the 114 held-out samples (the
// majority class alone gives 0.63).
TEST(SklearnFixtures, BreastCancerLogisticRegressionLearns) {
  const std::string path = fixture("breast_cancer.csv");
  if (!fs::is_regular_file(path)) return;
  const RunResult r = train(path, {"model.kind=\"logreg\"", "run.rounds=30", "client.lr=0.05"});
  ASSERT_EQ(r.status, RunStatus::Complete) << r.status_message;
  ASSERT_FALSE(r.evals.empty());
  std::printf("breast cancer, logreg, 30 rounds: test accuracy %.4f, AUC %.4f\n",
              r.evals.back().accuracy, r.evals.back().auc);
  EXPECT_GT(r.evals.back().accuracy, 0.90);
  EXPECT_GT(r.evals.back().auc, 0.95);
}

// Wine's three cultivars are linearly separable on the 13 standardised features; a small MLP must
// beat 0.90 on the 36 held-out samples after 30 rounds (the majority class alone gives 0.40).
TEST(SklearnFixtures, WineMlpLearnsThreeClasses) {
  const std::string path = fixture("wine.csv");
  if (!fs::is_regular_file(path)) return;
  const RunResult r =
      train(path, {"model.kind=\"mlp\"", "model.hidden=[16]", "run.rounds=30", "client.lr=0.05"});
  ASSERT_EQ(r.status, RunStatus::Complete) << r.status_message;
  ASSERT_FALSE(r.evals.empty());
  std::printf("wine, MLP [16], 30 rounds: test accuracy %.4f\n", r.evals.back().accuracy);
  EXPECT_GT(r.evals.back().accuracy, 0.90);
}

}  // namespace
}  // namespace fedsim
