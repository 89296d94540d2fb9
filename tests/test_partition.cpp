// Partitioners: every sample assigned exactly once (or dropped with its client), sizes per scheme,
// label skew (dirichlet 0.1 >> iid), natural partition = group ids, determinism and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "sim/data/partition.h"
#include "sim/util/rng.h"

namespace fedsim {
namespace {

// n samples, `classes` balanced-ish labels, group = i % groups (or none).
Dataset toy(int64_t n, int classes, int groups) {
  Dataset ds;
  ds.n = n;
  ds.d = 1;
  ds.classes = classes;
  ds.x.resize(n);
  ds.y.resize(n);
  Stream s(99, RngPurpose::DataGen);
  for (int64_t i = 0; i < n; ++i) {
    ds.x[i] = float(i);
    ds.y[i] = int32_t(s.below(uint64_t(classes)));
  }
  if (groups > 0) {
    ds.group.resize(n);
    for (int64_t i = 0; i < n; ++i) ds.group[i] = int32_t((i * 7) % groups);
  }
  ds.feature_names = {"i"};
  return ds;
}

PartitionConfig config(PartitionScheme scheme, int clients) {
  PartitionConfig c;
  c.scheme = scheme;
  c.clients = clients;
  return c;
}

// Every row appears at most once; kept + dropped = n.
void expect_exactly_once(const Dataset& ds, const Partition& p) {
  std::vector<int> seen(ds.n, 0);
  int64_t kept = 0;
  for (const auto& c : p.clients) {
    EXPECT_FALSE(c.empty());
    EXPECT_TRUE(std::is_sorted(c.begin(), c.end()));
    for (int64_t r : c) {
      ASSERT_GE(r, 0);
      ASSERT_LT(r, ds.n);
      ++seen[r];
    }
    kept += int64_t(c.size());
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int v) { return v <= 1; }));
  EXPECT_EQ(kept + p.dropped_samples, ds.n);
}

TEST(Partition, IidEqualSizesAndLowSkew) {
  const Dataset ds = toy(10007, 10, 0);
  const Partition p = partition(ds, config(PartitionScheme::Iid, 100), 1);
  expect_exactly_once(ds, p);
  ASSERT_EQ(p.clients.size(), 100u);
  EXPECT_EQ(p.dropped_clients, 0);
  for (size_t c = 0; c < 100; ++c) EXPECT_EQ(int64_t(p.clients[c].size()), c < 7 ? 101 : 100);
  EXPECT_LT(label_skew_tv(ds, p), 0.15);
  for (int32_t g : p.client_group) EXPECT_EQ(g, -1);
}

TEST(Partition, DirichletSkewMuchLargerThanIid) {
  const Dataset ds = toy(20000, 10, 0);
  const Partition iid = partition(ds, config(PartitionScheme::Iid, 100), 1);
  PartitionConfig dc = config(PartitionScheme::Dirichlet, 100);
  dc.alpha = 0.1;
  const Partition dir = partition(ds, dc, 1);
  expect_exactly_once(ds, dir);
  const double s_iid = label_skew_tv(ds, iid), s_dir = label_skew_tv(ds, dir);
  EXPECT_GT(s_dir, 0.6);
  EXPECT_GT(s_dir, 5 * s_iid);
  // Larger alpha: closer to IID.
  dc.alpha = 100.0;
  const Partition flat = partition(ds, dc, 1);
  expect_exactly_once(ds, flat);
  EXPECT_LT(label_skew_tv(ds, flat), 0.5 * s_dir);
}

TEST(Partition, DirichletTinyAlphaStillAssignsEverySample) {
  const Dataset ds = toy(3000, 3, 0);
  PartitionConfig dc = config(PartitionScheme::Dirichlet, 50);
  dc.alpha = 1e-4;  // gamma draws underflow: each class lands on (almost) one client
  const Partition p = partition(ds, dc, 2);
  expect_exactly_once(ds, p);
  EXPECT_EQ(p.dropped_samples, 0);
  EXPECT_LE(p.clients.size(), 3u * 2);
}

TEST(Partition, QuantityHeterogeneousSizesIidLabels) {
  const Dataset ds = toy(20000, 2, 0);
  PartitionConfig qc = config(PartitionScheme::Quantity, 100);
  qc.quantity_sigma = 1.5;
  const Partition p = partition(ds, qc, 3);
  expect_exactly_once(ds, p);
  std::vector<size_t> sizes;
  for (const auto& c : p.clients) sizes.push_back(c.size());
  std::sort(sizes.begin(), sizes.end());
  EXPECT_GT(double(sizes.back()), 5.0 * double(sizes[sizes.size() / 2]));
  // sigma 0: equal sizes.
  qc.quantity_sigma = 0.0;
  const Partition eq = partition(ds, qc, 3);
  for (const auto& c : eq.clients) EXPECT_EQ(c.size(), 200u);
}

TEST(Partition, NaturalMatchesGroups) {
  const Dataset ds = toy(5000, 2, 37);
  const Partition p = partition(ds, config(PartitionScheme::Natural, 5), 1);
  expect_exactly_once(ds, p);
  ASSERT_EQ(p.clients.size(), 37u);
  ASSERT_EQ(p.client_group.size(), 37u);
  for (size_t c = 0; c < p.clients.size(); ++c) {
    EXPECT_EQ(p.client_group[c], int32_t(c));  // ascending group id
    for (int64_t r : p.clients[c]) EXPECT_EQ(ds.group[r], p.client_group[c]);
  }
}

TEST(Partition, NaturalWithSparseGroupIds) {
  Dataset ds = toy(100, 2, 0);
  ds.group.resize(100);
  for (int64_t i = 0; i < 100; ++i) ds.group[i] = i < 30 ? 900 : (i < 90 ? 5 : 77);
  const Partition p = partition(ds, config(PartitionScheme::Natural, 1), 1);
  expect_exactly_once(ds, p);
  EXPECT_EQ(p.client_group, (std::vector<int32_t>{5, 77, 900}));
  EXPECT_EQ(p.clients[0].size(), 60u);
  EXPECT_EQ(p.clients[1].size(), 10u);
  EXPECT_EQ(p.clients[2].size(), 30u);
}

TEST(Partition, NaturalWithoutGroupsIsAnError) {
  const Dataset ds = toy(100, 2, 0);
  try {
    partition(ds, config(PartitionScheme::Natural, 1), 1);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("natural"), std::string::npos) << e.what();
  }
}

TEST(Partition, MinSamplesDropsSmallClients) {
  Dataset ds = toy(1000, 2, 0);
  ds.group.resize(1000);
  // Groups 0..9 with 1, 2, ..., 10 samples, group 10 with the rest.
  int64_t r = 0;
  for (int g = 0; g < 10; ++g)
    for (int k = 0; k <= g; ++k) ds.group[r++] = g;
  for (; r < 1000; ++r) ds.group[r] = 10;
  PartitionConfig pc = config(PartitionScheme::Natural, 1);
  pc.min_samples = 5;
  const Partition p = partition(ds, pc, 1);
  expect_exactly_once(ds, p);
  EXPECT_EQ(p.dropped_clients, 4);  // sizes 1, 2, 3, 4
  EXPECT_EQ(p.dropped_samples, 1 + 2 + 3 + 4);
  EXPECT_EQ(p.clients.size(), 7u);
  EXPECT_EQ(p.client_group.front(), 4);
}

TEST(Partition, EmptyClientsAreDropped) {
  const Dataset ds = toy(10, 2, 0);
  const Partition p = partition(ds, config(PartitionScheme::Iid, 25), 1);
  expect_exactly_once(ds, p);
  EXPECT_EQ(p.clients.size(), 10u);
  EXPECT_EQ(p.dropped_clients, 15);
  EXPECT_EQ(p.dropped_samples, 0);
}

TEST(Partition, DeterministicAndSeedDependent) {
  const Dataset ds = toy(5000, 4, 0);
  PartitionConfig dc = config(PartitionScheme::Dirichlet, 20);
  const Partition a = partition(ds, dc, 11), b = partition(ds, dc, 11), c = partition(ds, dc, 12);
  EXPECT_EQ(a.clients, b.clients);
  EXPECT_NE(a.clients, c.clients);
  const PartitionConfig ic = config(PartitionScheme::Iid, 20);
  EXPECT_EQ(partition(ds, ic, 5).clients, partition(ds, ic, 5).clients);
  EXPECT_NE(partition(ds, ic, 5).clients, partition(ds, ic, 6).clients);
}

TEST(Partition, RejectsBadConfig) {
  const Dataset ds = toy(100, 2, 0);
  EXPECT_THROW(partition(ds, config(PartitionScheme::Iid, 0), 1), std::invalid_argument);
  PartitionConfig dc = config(PartitionScheme::Dirichlet, 10);
  dc.alpha = 0.0;
  EXPECT_THROW(partition(ds, dc, 1), std::invalid_argument);
  PartitionConfig qc = config(PartitionScheme::Quantity, 10);
  qc.quantity_sigma = -1.0;
  EXPECT_THROW(partition(ds, qc, 1), std::invalid_argument);
}

TEST(LabelSkew, KnownValues) {
  // Identical distributions: 0. Two single-class clients of a 50/50 pool: 0.5 each.
  EXPECT_DOUBLE_EQ(label_skew_tv({{5, 5}, {3, 3}}), 0.0);
  EXPECT_DOUBLE_EQ(label_skew_tv({{10, 0}, {0, 10}}), 0.5);
  // Empty clients are ignored.
  EXPECT_DOUBLE_EQ(label_skew_tv({{10, 0}, {0, 0}, {0, 10}}), 0.5);
  EXPECT_DOUBLE_EQ(label_skew_tv({}), 0.0);
  const auto h = label_histograms({0, 1, 1, 2}, 3, {{0, 1}, {2, 3}});
  EXPECT_EQ(h, (std::vector<std::vector<int64_t>>{{1, 1, 0}, {0, 1, 1}}));
}

}  // namespace
}  // namespace fedsim
