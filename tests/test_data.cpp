// Data pipeline: train/test split, standardisation from training statistics, the Federation
// built from a Scenario (contiguous client rows, consistent offsets) and its summary text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/data/federation_builder.h"
#include "sim/data/federation_stats.h"
#include "sim/data/split.h"
#include "sim/data/synthetic.h"

namespace fedsim {
namespace {

// Feature 0 = row index (to trace rows), feature 1 = 3 + 2 * (i % 5), feature 2 constant.
Dataset traced(int64_t n) {
  Dataset ds;
  ds.n = n;
  ds.d = 3;
  ds.classes = 2;
  ds.feature_names = {"row", "five", "const"};
  for (int64_t i = 0; i < n; ++i) {
    ds.x.insert(ds.x.end(), {float(i), float(3 + 2 * (i % 5)), 7.f});
    ds.y.push_back(int32_t(i % 3 == 0));
    ds.group.push_back(int32_t(i % 4));
  }
  return ds;
}

Scenario small_scenario() {
  Scenario s;
  s.run.seed = 3;
  s.data.samples = 12000;
  s.data.shops = 150;
  return s;
}

TEST(Split, SizesDisjointAndComplete) {
  const Dataset ds = traced(1001);
  const auto [train, test] = split_train_test(ds, 0.2, 1);
  EXPECT_EQ(test.n, 200);  // round(200.2)
  EXPECT_EQ(train.n, 801);
  std::set<int> rows;
  for (const Dataset* part : {&train, &test}) {
    EXPECT_EQ(part->d, 3);
    EXPECT_EQ(part->feature_names, ds.feature_names);
    for (int64_t i = 0; i < part->n; ++i) {
      const int r = int(part->x[i * 3]);
      EXPECT_TRUE(rows.insert(r).second) << "row " << r << " twice";
      EXPECT_EQ(part->y[i], ds.y[r]);
      EXPECT_EQ(part->group[i], ds.group[r]);  // group ids kept in both
    }
  }
  EXPECT_EQ(rows.size(), 1001u);
}

TEST(Split, DeterministicAndClamped) {
  const Dataset ds = traced(500);
  EXPECT_EQ(split_train_test(ds, 0.3, 4).second.x, split_train_test(ds, 0.3, 4).second.x);
  EXPECT_NE(split_train_test(ds, 0.3, 4).second.x, split_train_test(ds, 0.3, 5).second.x);
  EXPECT_EQ(split_train_test(ds, 0.0, 1).second.n, 1);    // at least one test sample
  EXPECT_EQ(split_train_test(ds, 0.9999, 1).first.n, 1);  // at least one training sample
  EXPECT_THROW(split_train_test(ds, 1.0, 1), std::invalid_argument);
  EXPECT_THROW(split_train_test(traced(1), 0.5, 1), std::invalid_argument);
}

TEST(Standardize, UsesTrainingStatisticsOnly) {
  const Dataset ds = traced(2000);
  auto [train, test] = split_train_test(ds, 0.25, 2);
  const Dataset raw_test = test;
  // Expected statistics from the training rows.
  std::vector<double> m(3, 0), v(3, 0);
  for (int64_t i = 0; i < train.n; ++i)
    for (int j = 0; j < 3; ++j) m[j] += train.x[i * 3 + j];
  for (auto& a : m) a /= double(train.n);
  for (int64_t i = 0; i < train.n; ++i)
    for (int j = 0; j < 3; ++j) v[j] += std::pow(train.x[i * 3 + j] - m[j], 2);
  std::vector<float> mean, stddev;
  standardize(train, test, mean, stddev);
  ASSERT_EQ(mean.size(), 3u);
  for (int j = 0; j < 2; ++j) {
    EXPECT_NEAR(mean[j], m[j], 1e-3 * (1 + std::fabs(m[j])));
    EXPECT_NEAR(stddev[j], std::sqrt(v[j] / double(train.n)), 1e-3);
  }
  EXPECT_FLOAT_EQ(mean[2], 7.f);
  EXPECT_FLOAT_EQ(stddev[2], 1.f);  // constant column
  // Train: mean ~0, std ~1 (constant column: 0).
  for (int j = 0; j < 3; ++j) {
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < train.n; ++i)
      s += train.x[i * 3 + j], s2 += std::pow(train.x[i * 3 + j], 2);
    EXPECT_NEAR(s / double(train.n), 0.0, 1e-4);
    EXPECT_NEAR(std::sqrt(s2 / double(train.n)), j == 2 ? 0.0 : 1.0, 1e-4);
  }
  // Test: transformed with the training statistics.
  for (int64_t i = 0; i < test.n; ++i)
    for (int j = 0; j < 3; ++j)
      EXPECT_FLOAT_EQ(test.x[i * 3 + j], (raw_test.x[i * 3 + j] - mean[j]) * (1.f / stddev[j]));
}

void expect_consistent(const Federation& fed) {
  ASSERT_GE(fed.num_clients(), 1);
  EXPECT_EQ(fed.offsets.front(), 0);
  EXPECT_EQ(fed.offsets.back(), fed.train.n);
  for (int c = 0; c < fed.num_clients(); ++c) EXPECT_GT(fed.client_size(c), 0) << "client " << c;
  EXPECT_EQ(fed.train.x.size(), size_t(fed.train.n) * size_t(fed.train.d));
  EXPECT_EQ(fed.train.y.size(), size_t(fed.train.n));
  EXPECT_EQ(fed.test.d, fed.train.d);
  EXPECT_EQ(fed.feature_mean.size(), size_t(fed.train.d));
  EXPECT_EQ(fed.feature_std.size(), size_t(fed.train.d));
}

TEST(Federation, NaturalClientsAreContiguousShops) {
  const Scenario s = small_scenario();
  BuildInfo info;
  const Federation fed = build_federation(s, &info);
  expect_consistent(fed);
  EXPECT_EQ(info.loaded_samples, 12000);
  EXPECT_EQ(fed.test.n, 2400);
  EXPECT_EQ(fed.train.n + fed.test.n + info.dropped_samples, 12000);
  EXPECT_EQ(fed.train.d, kSyntheticFeatures);
  // Each client's rows belong to one shop, and no shop is split over two clients.
  std::set<int32_t> shops;
  for (int c = 0; c < fed.num_clients(); ++c) {
    const int32_t g = fed.train.group[fed.offsets[c]];
    for (int64_t r = fed.offsets[c]; r < fed.offsets[c + 1]; ++r) ASSERT_EQ(fed.train.group[r], g);
    EXPECT_TRUE(shops.insert(g).second);
  }
  // Standardised with training statistics: train mean ~0.
  for (int j = 0; j < fed.train.d; ++j) {
    double m = 0;
    for (int64_t i = 0; i < fed.train.n; ++i) m += fed.train.x[i * fed.train.d + j];
    EXPECT_NEAR(m / double(fed.train.n), 0.0, 1e-3) << fed.train.feature_names[j];
  }
}

TEST(Federation, DeterministicPureFunction) {
  const Scenario s = small_scenario();
  const Federation a = build_federation(s), b = build_federation(s);
  EXPECT_EQ(a.train.x, b.train.x);
  EXPECT_EQ(a.train.y, b.train.y);
  EXPECT_EQ(a.test.x, b.test.x);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.feature_mean, b.feature_mean);
}

TEST(Federation, DirichletPartitionWithoutStandardisation) {
  Scenario s = small_scenario();
  s.data.standardize = false;
  s.partition.scheme = PartitionScheme::Dirichlet;
  s.partition.clients = 40;
  s.partition.alpha = 0.1;
  s.partition.min_samples = 10;
  BuildInfo info;
  const Federation fed = build_federation(s, &info);
  expect_consistent(fed);
  EXPECT_LE(fed.num_clients(), 40);
  EXPECT_EQ(fed.num_clients() + info.dropped_clients, 40);
  EXPECT_EQ(fed.train.n + info.dropped_samples, 12000 - fed.test.n);
  for (int c = 0; c < fed.num_clients(); ++c) EXPECT_GE(fed.client_size(c), 10);
  for (float m : fed.feature_mean) EXPECT_EQ(m, 0.f);
  for (float v : fed.feature_std) EXPECT_EQ(v, 1.f);
  // Raw (unstandardised) values: the device one-hot columns hold exactly 0/1.
  for (int64_t i = 0; i < fed.train.n; ++i) {
    const float mob = fed.train.x[i * fed.train.d + 5];
    ASSERT_TRUE(mob == 0.f || mob == 1.f);
  }
  const FederationSummary sum = summarize(fed, &info);
  EXPECT_GT(sum.label_skew_tv, 0.2);
}

TEST(Federation, FromCsv) {
  Scenario s;
  s.data.source = DataSource::Csv;
  s.data.path = std::string(FEDSIM_TEST_DATA) + "/shops.csv";
  s.data.label_column = "label";
  s.data.client_column = "shop";
  s.data.id_columns = {"session_id"};
  s.data.key_file = std::string(FEDSIM_TEST_DATA) + "/hmac.key";
  s.data.test_fraction = 0.2;
  const Federation fed = build_federation(s);
  expect_consistent(fed);
  EXPECT_EQ(fed.train.n, 8);
  EXPECT_EQ(fed.test.n, 2);
  EXPECT_EQ(fed.train.classes, 3);
  EXPECT_LE(fed.num_clients(), 3);
}

TEST(Federation, AssembleKeepsClientOrder) {
  const Dataset ds = traced(20);
  Partition p;
  p.clients = {{3, 7}, {0}, {19, 1, 2}};
  const Federation fed = assemble_federation(ds, Dataset{}, p);
  EXPECT_EQ(fed.offsets, (std::vector<int64_t>{0, 2, 3, 6}));
  std::vector<float> rows;
  for (int64_t i = 0; i < fed.train.n; ++i) rows.push_back(fed.train.x[i * 3]);
  EXPECT_EQ(rows, (std::vector<float>{3, 7, 0, 19, 1, 2}));
  EXPECT_EQ(fed.train.group[3], ds.group[19]);
}

TEST(Summary, CountsAndText) {
  const Scenario s = small_scenario();
  BuildInfo info;
  const Federation fed = build_federation(s, &info);
  const FederationSummary sum = summarize(fed, &info);
  EXPECT_EQ(sum.clients, fed.num_clients());
  EXPECT_EQ(sum.train_samples, fed.train.n);
  EXPECT_EQ(sum.test_samples, fed.test.n);
  EXPECT_EQ(
      std::accumulate(sum.train_label_counts.begin(), sum.train_label_counts.end(), int64_t(0)),
      fed.train.n);
  EXPECT_LE(sum.size_min, sum.size_median);
  EXPECT_LE(sum.size_median, sum.size_max);
  EXPECT_NEAR(sum.size_mean * sum.clients, double(fed.train.n), 1e-6);
  EXPECT_GT(sum.label_skew_tv, 0.0);
  const std::string text = describe(sum);
  for (const char* key : {"clients:", "train samples:", "test samples:", "client size:",
                          "train labels:", "label skew:", "dropped:"})
    EXPECT_NE(text.find(key), std::string::npos) << key << "\n" << text;
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace fedsim
