// Synthetic e-commerce generator: determinism (seed, thread count), shop sizes, label and fraud
// rates, heterogeneity across shops, and a learnable-but-not-trivial purchase label.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "sim/data/synthetic.h"

namespace fedsim {
namespace {

DataConfig small(int64_t samples = 20000, int shops = 200) {
  DataConfig cfg;
  cfg.samples = samples;
  cfg.shops = shops;
  return cfg;
}

bool same_bytes(const Dataset& a, const Dataset& b) {
  return a.n == b.n && a.d == b.d && a.x.size() == b.x.size() &&
         std::memcmp(a.x.data(), b.x.data(), a.x.size() * sizeof(float)) == 0 && a.y == b.y &&
         a.group == b.group;
}

double mean_label(const Dataset& ds) {
  return double(std::accumulate(ds.y.begin(), ds.y.end(), int64_t(0))) / double(ds.n);
}

TEST(Synthetic, ShapeAndNames) {
  const Dataset ds = generate_synthetic(small(), 1);
  EXPECT_EQ(ds.n, 20000);
  EXPECT_EQ(ds.d, kSyntheticFeatures);
  EXPECT_EQ(ds.classes, 2);
  EXPECT_EQ(ds.x.size(), size_t(ds.n) * size_t(ds.d));
  EXPECT_EQ(ds.y.size(), size_t(ds.n));
  EXPECT_EQ(ds.group.size(), size_t(ds.n));
  ASSERT_EQ(ds.feature_names.size(), size_t(ds.d));
  EXPECT_EQ(ds.feature_names[0], "log_price");
  for (float v : ds.x) ASSERT_TRUE(std::isfinite(v));
  for (int32_t y : ds.y) ASSERT_TRUE(y == 0 || y == 1);
  // Rows are ordered by shop.
  EXPECT_TRUE(std::is_sorted(ds.group.begin(), ds.group.end()));
}

TEST(Synthetic, SameSeedSameBytesDifferentSeedDifferent) {
  const DataConfig cfg = small();
  const Dataset a = generate_synthetic(cfg, 7);
  const Dataset b = generate_synthetic(cfg, 7);
  const Dataset c = generate_synthetic(cfg, 8);
  EXPECT_TRUE(same_bytes(a, b));
  EXPECT_FALSE(same_bytes(a, c));
  EXPECT_NE(a.x, c.x);
  EXPECT_NE(a.y, c.y);
}

TEST(Synthetic, IndependentOfThreadCount) {
  // One large shop spans several work chunks, many small shops interleave across threads.
  DataConfig cfg = small(30000, 50);
  cfg.shop_size_sigma = 2.0;
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const Dataset one = generate_synthetic(cfg, 3);
  omp_set_num_threads(4);
  const Dataset four = generate_synthetic(cfg, 3);
  omp_set_num_threads(before);
  EXPECT_TRUE(same_bytes(one, four));
}

TEST(Synthetic, ShopSizesSumAndHeterogeneity) {
  const DataConfig cfg;  // the default scenario: 125,000 samples over 1,000 shops
  SyntheticTruth truth;
  const Dataset ds = generate_synthetic(cfg, 1, &truth);
  const auto& sizes = truth.shop_sizes;
  ASSERT_EQ(sizes.size(), size_t(cfg.shops));
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), int64_t(0)), cfg.samples);
  EXPECT_GE(*std::min_element(sizes.begin(), sizes.end()), 1);
  // Every shop appears in the data with exactly its size.
  std::vector<int64_t> count(cfg.shops, 0);
  for (int32_t g : ds.group) ++count[g];
  EXPECT_EQ(count, sizes);
  // Lognormal(sigma = 1): coefficient of variation ~ sqrt(e - 1) = 1.31; max far above median.
  std::vector<int64_t> s = sizes;
  std::sort(s.begin(), s.end());
  const double mean = double(cfg.samples) / cfg.shops;
  double var = 0;
  for (int64_t v : s) var += (double(v) - mean) * (double(v) - mean);
  const double cv = std::sqrt(var / double(s.size())) / mean;
  EXPECT_GT(cv, 0.8);
  EXPECT_LT(cv, 2.0);
  EXPECT_GT(double(s.back()) / double(s[s.size() / 2]), 5.0);
  // The standalone function gives the same sizes.
  EXPECT_EQ(synthetic_shop_sizes(cfg.samples, cfg.shops, cfg.shop_size_sigma, 1), sizes);
}

TEST(Synthetic, ShopSizesEdgeCases) {
  // samples == shops: one each. sigma 0: equal sizes up to one.
  auto a = synthetic_shop_sizes(100, 100, 3.0, 1);
  EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](int64_t v) { return v == 1; }));
  auto b = synthetic_shop_sizes(1003, 10, 0.0, 1);
  EXPECT_EQ(std::accumulate(b.begin(), b.end(), int64_t(0)), 1003);
  for (int64_t v : b) EXPECT_TRUE(v == 100 || v == 101);
  // Extreme sigma: still sums and every shop >= 1.
  auto c = synthetic_shop_sizes(5000, 300, 6.0, 2);
  EXPECT_EQ(std::accumulate(c.begin(), c.end(), int64_t(0)), 5000);
  EXPECT_GE(*std::min_element(c.begin(), c.end()), 1);
}

TEST(Synthetic, PurchaseRateAndBayesAccuracy) {
  SyntheticTruth truth;
  const Dataset ds = generate_synthetic(DataConfig{}, 1, &truth);
  const double rate = mean_label(ds);
  EXPECT_GT(rate, 0.3);
  EXPECT_LT(rate, 0.65);
  // Bayes accuracy (knowing the shop offset too): learnable, not separable.
  double bayes = 0;
  for (float p : truth.p_label) bayes += std::max(p, 1.f - p);
  bayes /= double(ds.n);
  EXPECT_GT(bayes, 0.75);
  EXPECT_LT(bayes, 0.85);
}

TEST(Synthetic, ShopsDifferInPurchaseRate) {
  SyntheticTruth truth;
  const Dataset ds = generate_synthetic(DataConfig{}, 1, &truth);
  std::vector<double> pos(1000, 0), cnt(1000, 0);
  for (int64_t i = 0; i < ds.n; ++i) pos[ds.group[i]] += ds.y[i], cnt[ds.group[i]] += 1;
  std::vector<double> rates;
  for (int s = 0; s < 1000; ++s)
    if (cnt[s] >= 100) rates.push_back(pos[s] / cnt[s]);
  ASSERT_GT(rates.size(), 100u);
  const double m = std::accumulate(rates.begin(), rates.end(), 0.0) / double(rates.size());
  double var = 0;
  for (double r : rates) var += (r - m) * (r - m);
  // Binomial noise alone would give sd <= 0.05 for >= 100 sessions; shop offsets add more.
  EXPECT_GT(std::sqrt(var / double(rates.size())), 0.07);
}

TEST(Synthetic, FraudRateWithinTolerance) {
  for (double rate : {0.01, 0.05}) {
    DataConfig cfg;
    cfg.task = SyntheticTask::Fraud;
    cfg.fraud_rate = rate;
    const Dataset ds = generate_synthetic(cfg, 5);
    const double got = mean_label(ds);
    const double sd = std::sqrt(rate * (1 - rate) / double(ds.n));
    EXPECT_NEAR(got, rate, 5 * sd) << "fraud_rate " << rate;
  }
}

TEST(Synthetic, FraudRingsShareDevicesAcrossShops) {
  DataConfig cfg;
  cfg.task = SyntheticTask::Fraud;
  const Dataset ds = generate_synthetic(cfg, 1);
  const int fp0 = 20, fp1 = 21;  // device_fp_0 / device_fp_1
  ASSERT_EQ(ds.feature_names[fp0], "device_fp_0");
  // Count fraud rows whose device fingerprint is shared with another fraud row in another shop.
  std::vector<std::tuple<float, float, int32_t>> fr;
  for (int64_t i = 0; i < ds.n; ++i)
    if (ds.y[i] == 1) fr.emplace_back(ds.x[i * ds.d + fp0], ds.x[i * ds.d + fp1], ds.group[i]);
  std::sort(fr.begin(), fr.end());
  int64_t shared = 0;
  for (size_t i = 0; i < fr.size();) {
    size_t j = i;
    std::set<int32_t> shops;
    while (j < fr.size() && std::get<0>(fr[j]) == std::get<0>(fr[i]) &&
           std::get<1>(fr[j]) == std::get<1>(fr[i]))
      shops.insert(std::get<2>(fr[j++]));
    if (shops.size() >= 2) shared += int64_t(j - i);
    i = j;
  }
  EXPECT_GT(double(shared) / double(fr.size()), 0.6);  // ~80% of fraud comes from rings
}

TEST(Synthetic, TaskChangesOnlyTheLabel) {
  DataConfig cfg = small();
  const Dataset p = generate_synthetic(cfg, 2);
  cfg.task = SyntheticTask::Fraud;
  SyntheticTruth truth;
  const Dataset f = generate_synthetic(cfg, 2, &truth);
  EXPECT_EQ(p.x, f.x);
  EXPECT_EQ(p.group, f.group);
  for (int64_t i = 0; i < f.n; ++i) ASSERT_EQ(f.y[i], int32_t(truth.fraud[i]));
}

TEST(Synthetic, CategoryMixFollowsAlpha) {
  // Small alpha: each shop concentrates on few categories (embedding columns 16..19 identify one).
  auto distinct_per_shop = [](double alpha) {
    DataConfig cfg = small(20000, 100);
    cfg.shop_size_sigma = 0.0;
    cfg.category_alpha = alpha;
    const Dataset ds = generate_synthetic(cfg, 4);
    double total = 0;
    for (int s = 0; s < 100; ++s) {
      std::vector<float> cats;
      for (int64_t i = 0; i < ds.n; ++i)
        if (ds.group[i] == s) cats.push_back(ds.x[i * ds.d + 16]);
      std::sort(cats.begin(), cats.end());
      // Categories holding >= 5% of the shop's sessions.
      int big = 0;
      for (size_t i = 0; i < cats.size();) {
        size_t j = i;
        while (j < cats.size() && cats[j] == cats[i]) ++j;
        big += double(j - i) >= 0.05 * double(cats.size());
        i = j;
      }
      total += big;
    }
    return total / 100.0;
  };
  EXPECT_LT(distinct_per_shop(0.05), distinct_per_shop(5.0) - 3.0);
}

TEST(Synthetic, RejectsBadConfig) {
  DataConfig cfg = small();
  cfg.samples = 10;
  cfg.shops = 20;
  EXPECT_THROW(generate_synthetic(cfg, 1), std::invalid_argument);
  cfg = small();
  cfg.shops = 0;
  EXPECT_THROW(generate_synthetic(cfg, 1), std::invalid_argument);
  cfg = small();
  cfg.fraud_rate = 1.5;
  EXPECT_THROW(generate_synthetic(cfg, 1), std::invalid_argument);
  cfg = small();
  cfg.category_alpha = 0;
  EXPECT_THROW(generate_synthetic(cfg, 1), std::invalid_argument);
}

}  // namespace
}  // namespace fedsim
