// CSV preprocessing: winsorising at training quantiles, one-hot encoding with the training split's
// categories (an unseen category is all zeros), standardisation that leaves one-hot columns alone,
// the loader's categorical codes and errors, and the whole path through build_federation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/data/csv_loader.h"
#include "sim/data/federation_builder.h"
#include "sim/data/preprocess.h"
#include "sim/data/split.h"
#include "sim/scenario.h"

namespace fedsim {
namespace {

// A dataset of n rows and d = cols.size() features, column j holding cols[j].
Dataset make(const std::vector<std::vector<float>>& cols, std::vector<std::string> names = {}) {
  Dataset ds;
  ds.d = int(cols.size());
  ds.n = int64_t(cols[0].size());
  ds.x.resize(size_t(ds.n) * size_t(ds.d));
  for (int64_t i = 0; i < ds.n; ++i)
    for (int j = 0; j < ds.d; ++j) ds.x[size_t(i) * ds.d + j] = cols[j][i];
  ds.y.assign(size_t(ds.n), 0);
  ds.feature_names = std::move(names);
  return ds;
}

float at(const Dataset& ds, int64_t i, int j) {
  return ds.x[size_t(i) * size_t(ds.d) + size_t(j)];
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/fedsim_pre_" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(Winsorize, BoundsAreTrainingQuantilesAndClipBothSplits) {
  // Training column 0: 0, 1, ..., 100 (type-7 quantiles: q -> 100 q). Column 1 is not clipped.
  std::vector<float> a(101), b(101);
  for (int i = 0; i <= 100; ++i) a[i] = float(i), b[i] = float(1000 * i);
  Dataset train = make({a, b});
  Dataset test = make({{-1e6f, 5.f, 50.f, 1e6f}, {-1e6f, 5.f, 50.f, 1e6f}});
  const WinsorBounds wb = winsorize(train, test, {0}, 0.1, 0.95);
  ASSERT_EQ(wb.lower.size(), 1u);
  EXPECT_FLOAT_EQ(wb.lower[0], 10.f);
  EXPECT_FLOAT_EQ(wb.upper[0], 95.f);
  // Training rows are clipped to the bounds...
  EXPECT_FLOAT_EQ(at(train, 0, 0), 10.f);
  EXPECT_FLOAT_EQ(at(train, 50, 0), 50.f);
  EXPECT_FLOAT_EQ(at(train, 100, 0), 95.f);
  // ...and so are test rows, whose extreme values did not move the bounds.
  EXPECT_FLOAT_EQ(at(test, 0, 0), 10.f);
  EXPECT_FLOAT_EQ(at(test, 1, 0), 10.f);
  EXPECT_FLOAT_EQ(at(test, 2, 0), 50.f);
  EXPECT_FLOAT_EQ(at(test, 3, 0), 95.f);
  // An unlisted column is untouched.
  EXPECT_FLOAT_EQ(at(train, 100, 1), 100000.f);
  EXPECT_FLOAT_EQ(at(test, 3, 1), 1e6f);
}

TEST(Winsorize, InterpolatesBetweenOrderStatisticsAndKeepsEverythingAtZeroAndOne) {
  // 4 training values, unsorted: sorted 1, 2, 4, 8. q = 0.5 -> position 1.5 -> 3.
  Dataset train = make({{8.f, 1.f, 4.f, 2.f}});
  Dataset test = make({{0.f, 100.f}});
  WinsorBounds wb = winsorize(train, test, {0}, 0.5, 0.5 + 1.0 / 6.0);  // pos 1.5 and 2.0
  EXPECT_FLOAT_EQ(wb.lower[0], 3.f);
  EXPECT_FLOAT_EQ(wb.upper[0], 4.f);
  // [0, 1]: the training minimum and maximum, so the training split is unchanged.
  Dataset train2 = make({{8.f, 1.f, 4.f, 2.f}});
  Dataset test2 = make({{0.f, 100.f}});
  wb = winsorize(train2, test2, {0}, 0.0, 1.0);
  EXPECT_FLOAT_EQ(wb.lower[0], 1.f);
  EXPECT_FLOAT_EQ(wb.upper[0], 8.f);
  EXPECT_EQ(train2.x, (std::vector<float>{8.f, 1.f, 4.f, 2.f}));
  EXPECT_EQ(test2.x, (std::vector<float>{1.f, 8.f}));
}

// Column "color" at feature 1 with codes 0 "red", 1 "blue", 2 "green" (green only in test).
std::vector<CategoricalColumn> colors() {
  return {{1, "color", {"red", "blue", "green"}}};
}

TEST(OneHot, CategoriesComeFromTrainingOnlyAndUnseenIsAllZeros) {
  Dataset train = make({{1.f, 2.f, 3.f}, {0.f, 1.f, 0.f}, {7.f, 8.f, 9.f}}, {"a", "color", "b"});
  Dataset test = make({{4.f, 5.f, 6.f}, {1.f, 2.f, 0.f}, {1.f, 2.f, 3.f}}, {"a", "color", "b"});
  const std::vector<bool> mask = one_hot_encode(train, test, colors());
  // a, color=blue, color=red, b: sorted by text; "green" never occurs in training, so no column.
  ASSERT_EQ(train.d, 4);
  ASSERT_EQ(test.d, 4);
  EXPECT_EQ(train.feature_names, (std::vector<std::string>{"a", "color=blue", "color=red", "b"}));
  EXPECT_EQ(test.feature_names, train.feature_names);
  EXPECT_EQ(mask, (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(train.x, (std::vector<float>{1, 0, 1, 7,  //
                                         2, 1, 0, 8,  //
                                         3, 0, 1, 9}));
  EXPECT_EQ(test.x, (std::vector<float>{4, 1, 0, 1,  //
                                        5, 0, 0, 2,  // green: unseen in training -> all zeros
                                        6, 0, 1, 3}));
}

TEST(OneHot, TheSameTestRowsGetOtherColumnsWhenTrainingSeesOtherCategories) {
  // Training holds only "blue": one column; a test "red" (seen in the file, not in training) is 0.
  Dataset train = make({{1.f, 2.f}, {1.f, 1.f}});
  Dataset test = make({{3.f}, {0.f}});
  const std::vector<bool> mask = one_hot_encode(train, test, colors());
  EXPECT_EQ(train.d, 2);
  EXPECT_EQ(mask, (std::vector<bool>{false, true}));
  EXPECT_EQ(test.x, (std::vector<float>{3, 0}));
}

TEST(Standardize, OneHotColumnsAreLeftAsTheyAre) {
  Dataset train = make({{1.f, 3.f}, {0.f, 1.f}});
  Dataset test = make({{5.f}, {1.f}});
  const std::vector<bool> keep = {false, true};
  std::vector<float> mean, sd;
  standardize(train, test, mean, sd, &keep);
  EXPECT_EQ(mean, (std::vector<float>{2.f, 0.f}));
  EXPECT_EQ(sd, (std::vector<float>{1.f, 1.f}));
  EXPECT_EQ(train.x, (std::vector<float>{-1, 0, 1, 1}));
  EXPECT_EQ(test.x, (std::vector<float>{3, 1}));
}

const char* kCsv =
    "id,state,grade,income,label\n"
    "u1,NY,A,10,0\n"
    "u2,NY,B,20,1\n"
    "u3,CA,\"A\",30,0\n"
    "u4,CA,C,1000,1\n";

DataConfig csv_config(const std::string& path) {
  DataConfig cfg;
  cfg.source = DataSource::Csv;
  cfg.path = path;
  cfg.label_column = "label";
  cfg.client_column = "state";
  cfg.id_columns = {"id"};
  cfg.key_file = std::string(FEDSIM_TEST_DATA) + "/hmac.key";
  cfg.categorical_columns = {"grade"};
  return cfg;
}

TEST(CsvCategorical, TextValuesBecomeCodesInOrderOfAppearance) {
  const DataConfig cfg = csv_config(write_temp("cat.csv", kCsv));
  CsvExtras ex;
  const Dataset ds = load_csv(cfg, &ex);
  EXPECT_EQ(ds.feature_names, (std::vector<std::string>{"grade", "income"}));
  ASSERT_EQ(ex.categorical.size(), 1u);
  EXPECT_EQ(ex.categorical[0].feature, 0);
  EXPECT_EQ(ex.categorical[0].name, "grade");
  EXPECT_EQ(ex.categorical[0].values, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(ds.x, (std::vector<float>{0, 10, 1, 20, 0, 30, 2, 1000}));
  // Identifier columns are still pseudonymised, never features.
  ASSERT_EQ(ex.ids.size(), 1u);
  EXPECT_EQ(ex.clients, 2);
}

TEST(CsvCategorical, Errors) {
  DataConfig cfg = csv_config(write_temp("cat_missing.csv", "grade,income,label\nA,1,0\nNA,2,1\n"));
  cfg.client_column.clear();
  cfg.id_columns.clear();
  try {
    load_csv(cfg);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              cfg.path +
                  ":3: categorical column 'grade': missing value 'NA' (give missing values a "
                  "category of their own, e.g. 'missing')");
  }
  cfg.categorical_columns = {"nope"};
  try {
    load_csv(cfg);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(":1: categorical column 'nope' is not a feature column"),
              std::string::npos)
        << e.what();
  }
  // Without categorical_columns, text in a feature column is still an error.
  cfg.categorical_columns.clear();
  try {
    load_csv(cfg);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), cfg.path + ":2: column 'grade': non-numeric value 'A'");
  }
}

TEST(PreprocessCsv, WinsorizeColumnsMustBeNumericFeatures) {
  Dataset train = make({{0.f, 1.f}, {1.f, 2.f}}, {"grade", "income"});
  Dataset test = train;
  DataConfig cfg;
  cfg.path = "f.csv";
  cfg.winsorize = {0.0, 0.5};
  cfg.winsorize_columns = {"grade"};
  const std::vector<CategoricalColumn> cats = {{0, "grade", {"A", "B"}}};
  try {
    preprocess_csv(train, test, cfg, cats);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "f.csv: data.winsorize_columns: 'grade' is not a numeric feature column");
  }
  // Empty winsorize_columns: every numeric feature (here: income), never the codes.
  cfg.winsorize_columns.clear();
  const std::vector<bool> mask = preprocess_csv(train, test, cfg, cats);
  EXPECT_EQ(mask, (std::vector<bool>{true, true, false}));
  EXPECT_EQ(train.feature_names, (std::vector<std::string>{"grade=A", "grade=B", "income"}));
  EXPECT_EQ(train.x, (std::vector<float>{1, 0, 1, 0, 1, 1.5f}));
}

TEST(PreprocessCsv, BuildFederationUsesTrainingStatisticsOnly) {
  // 200 rows: income 0..199 with one huge outlier, grade cycles A/B/C, one "Z" row.
  std::string text = "id,state,grade,income,label\n";
  for (int i = 0; i < 200; ++i) {
    const std::string grade = i == 7 ? "Z" : std::string(1, char('A' + i % 3));
    const int income = i == 3 ? 1000000 : i;
    text += "u" + std::to_string(i) + ",S" + std::to_string(i % 4) + "," + grade + "," +
            std::to_string(income) + "," + std::to_string(i % 2) + "\n";
  }
  const std::string path = write_temp("fed.csv", text);
  const std::string key = std::string(FEDSIM_TEST_DATA) + "/hmac.key";
  const Scenario s = parse_scenario(
      "[data]\nsource = \"csv\"\npath = \"" + path +
          "\"\nlabel_column = \"label\"\nclient_column = \"state\"\nid_columns = [\"id\"]\n"
          "key_file = \"" +
          key +
          "\"\ncategorical_columns = [\"grade\"]\nwinsorize = [0.01, 0.99]\n"
          "test_fraction = 0.25\n",
      "<string>");
  const Federation fed = build_federation(s);
  EXPECT_EQ(fed.train.n + fed.test.n, 200);
  EXPECT_EQ(fed.num_clients(), 4);
  // Categories: those of the training split, one-hot, not standardised.
  std::vector<std::string> names = fed.train.feature_names;
  const bool z_in_train = std::find(names.begin(), names.end(), "grade=Z") != names.end();
  ASSERT_EQ(fed.train.d, z_in_train ? 5 : 4);
  EXPECT_EQ(names[0], "grade=A");
  EXPECT_EQ(names.back(), "income");
  for (int j = 0; j + 1 < fed.train.d; ++j) {
    EXPECT_EQ(fed.feature_mean[j], 0.f);
    EXPECT_EQ(fed.feature_std[j], 1.f);
  }
  for (const Dataset* ds : {&fed.train, &fed.test})
    for (int64_t i = 0; i < ds->n; ++i) {
      float ones = 0;
      for (int j = 0; j + 1 < ds->d; ++j) ones += at(*ds, i, j);
      EXPECT_LE(ones, 1.f);
    }
  // Income: winsorised (the outlier is clipped), then standardised with training statistics: the
  // training column has mean 0 and std 1, and no value is anywhere near the raw outlier.
  const int inc = fed.train.d - 1;
  double m = 0, m2 = 0;
  for (int64_t i = 0; i < fed.train.n; ++i) m += at(fed.train, i, inc);
  m /= double(fed.train.n);
  for (int64_t i = 0; i < fed.train.n; ++i) m2 += std::pow(at(fed.train, i, inc) - m, 2);
  EXPECT_NEAR(m, 0.0, 1e-5);
  EXPECT_NEAR(std::sqrt(m2 / double(fed.train.n)), 1.0, 1e-5);
  for (const Dataset* ds : {&fed.train, &fed.test})
    for (int64_t i = 0; i < ds->n; ++i) EXPECT_LT(std::fabs(at(*ds, i, inc)), 3.f);
  // The income mean is that of the clipped training values (~100), not pulled up by the outlier.
  EXPECT_GT(fed.feature_mean[inc], 90.f);
  EXPECT_LT(fed.feature_mean[inc], 110.f);
}

}  // namespace
}  // namespace fedsim
