// ragged_buckets: the grouping of ragged per-client GEMMs that the CUDA backend's gemm_ragged runs
// as a few padded batched GEMMs. Checked here (no GPU needed): every client exactly once, no
// client padded below its rows, sizes ascending and equal to a member's count, at most max_buckets,
// the padded work within the slack of a brute-force optimum, empty clients as each mode requires;
// the plan cache and the one-GEMM-over-shared-weights predicate of the same header.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <set>
#include <vector>

#include "sim/backend/cpu_backend.h"
#include "sim/backend/ragged_buckets.h"

using namespace fedsim;

namespace {

// The invariants every result must hold; returns the padded rows.
int64_t check_buckets(const RaggedBuckets& rb, const std::vector<int>& rows, int full,
                      bool drop_empty, int max_buckets) {
  const int n = int(rows.size());
  EXPECT_LE(rb.buckets(), max_buckets);
  EXPECT_EQ(int(rb.begin.size()), rb.buckets() + 1);
  std::vector<int> seen(n, 0);
  bool any_positive = false;
  for (int r : rows) any_positive |= std::clamp(r, 0, full) > 0;
  for (int q = 0; q < rb.buckets(); ++q) {
    EXPECT_LT(rb.begin[q], rb.begin[q + 1]) << "bucket " << q << " is empty";
    if (q > 0) {
      EXPECT_LT(rb.size[q - 1], rb.size[q]);
    }
    int largest = -1;
    for (int j = rb.begin[q]; j < rb.begin[q + 1]; ++j) {
      const int i = rb.order[j];
      ++seen[i];
      const int r = std::clamp(rows[i], 0, full);
      EXPECT_LE(r, rb.size[q]) << "client " << i << " padded below its rows";
      largest = std::max(largest, r);
      if (j > rb.begin[q]) {
        EXPECT_LT(rb.order[j - 1], i) << "not ascending within a bucket";
      }
    }
    if (q > 0 || !any_positive || drop_empty) {
      EXPECT_EQ(largest, rb.size[q]);
    }
    if (any_positive) {
      EXPECT_GT(rb.size[q], 0) << "a bucket of 0 rows beside others";
    }
  }
  for (int i = 0; i < n; ++i) {
    const bool kept = !drop_empty || std::clamp(rows[i], 0, full) > 0;
    EXPECT_EQ(seen[i], kept ? 1 : 0) << "client " << i;
  }
  return rb.padded_rows();
}

// The least padded work over every split of the distinct (effective) counts into at most g
// contiguous groups, by brute force.
int64_t brute_force_best(std::vector<int> rows, int full, bool drop_empty, int g) {
  int smallest = 0;
  for (int& r : rows) {
    r = std::clamp(r, 0, full);
    if (r > 0 && (smallest == 0 || r < smallest)) smallest = r;
  }
  std::vector<int> eff;
  for (int r : rows) {
    if (r == 0 && drop_empty) continue;
    eff.push_back(r == 0 ? smallest : r);
  }
  std::set<int> distinct(eff.begin(), eff.end());
  const std::vector<int> vals(distinct.begin(), distinct.end());
  const int V = int(vals.size());
  int64_t best = INT64_MAX;
  // Each of the V - 1 gaps between distinct values is a cut or not.
  for (int mask = 0; mask < (1 << std::max(V - 1, 0)); ++mask) {
    if (__builtin_popcount(unsigned(mask)) + 1 > g) continue;
    int64_t cost = 0;
    int lo = 0;
    for (int j = 0; j < V; ++j) {
      if (j == V - 1 || (mask >> j & 1)) {
        for (int r : eff)
          if (r >= vals[lo] && r <= vals[j]) cost += vals[j];
        lo = j + 1;
      }
    }
    best = std::min(best, cost);
  }
  return V == 0 ? 0 : best;
}

}  // namespace

TEST(RaggedBuckets, UniformCountsAreOneBucket) {
  const std::vector<int> rows(100, 32);
  const RaggedBuckets rb = ragged_buckets(rows.data(), 100, 32, true);
  ASSERT_EQ(rb.buckets(), 1);
  EXPECT_EQ(rb.size[0], 32);
  EXPECT_EQ(check_buckets(rb, rows, 32, true, 6), 3200);
}

TEST(RaggedBuckets, AllEmptyDropsEverythingOrKeepsOneBucketOfZero) {
  const std::vector<int> rows(10, 0);
  EXPECT_EQ(ragged_buckets(rows.data(), 10, 8, true).buckets(), 0);
  const RaggedBuckets keep = ragged_buckets(rows.data(), 10, 8, false);
  ASSERT_EQ(keep.buckets(), 1);
  EXPECT_EQ(keep.size[0], 0);
  EXPECT_EQ(int(keep.order.size()), 10);
}

TEST(RaggedBuckets, EmptyClientsJoinTheSmallestBucketForRaggedK) {
  // Many empty clients and a few of 50 rows: never a K = 0 bucket beside the others.
  std::vector<int> rows(100, 0);
  for (int i = 0; i < 100; i += 10) rows[i] = 50;
  rows[5] = 3;
  const RaggedBuckets rb = ragged_buckets(rows.data(), 100, 64, false);
  check_buckets(rb, rows, 64, false, 6);
  ASSERT_GE(rb.buckets(), 1);
  EXPECT_GT(rb.size[0], 0);
  const RaggedBuckets dropped = ragged_buckets(rows.data(), 100, 64, true);
  check_buckets(dropped, rows, 64, true, 6);
  EXPECT_EQ(int(dropped.order.size()), 11);
}

TEST(RaggedBuckets, CountsAboveFullAreClamped) {
  const std::vector<int> rows = {100, -3, 7, 7, 40};
  const RaggedBuckets rb = ragged_buckets(rows.data(), 5, 16, true);
  check_buckets(rb, rows, 16, true, 6);
  EXPECT_EQ(rb.size.back(), 16);
}

TEST(RaggedBuckets, WithinTheSlackOfTheBruteForceOptimum) {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 1 + int(gen() % 40), full = 1 + int(gen() % 12);
    const bool drop = gen() % 2;
    const int g = 1 + int(gen() % 5);
    std::vector<int> rows(n);
    for (int& r : rows) r = int(gen() % (full + 3)) - 1;
    const RaggedBuckets rb = ragged_buckets(rows.data(), n, full, drop, g, 1.03);
    const int64_t padded = check_buckets(rb, rows, full, drop, g);
    const int64_t best = brute_force_best(rows, full, drop, g);
    EXPECT_LE(double(padded), 1.03 * double(best) + 1e-9) << "trial " << trial;
    EXPECT_GE(padded, best) << "trial " << trial;
  }
}

TEST(RaggedBuckets, PoissonBatchesWasteLittle) {
  // 10,000 clients, Binomial(128, 1/4) rows (DP-SGD's Poisson batches of expected size 32): one
  // GEMM padded to the largest count does ~1.6x the real work; the buckets stay within 10%.
  std::mt19937 gen(11);
  std::binomial_distribution<int> batch(128, 0.25);
  std::vector<int> rows(10000);
  int64_t real = 0;
  int largest = 0;
  for (int& r : rows) {
    r = batch(gen);
    real += r;
    largest = std::max(largest, r);
  }
  const RaggedBuckets rb = ragged_buckets(rows.data(), 10000, 128, true);
  const int64_t padded = check_buckets(rb, rows, 128, true, 6);
  EXPECT_GT(double(largest) * 10000 / double(real), 1.4);
  EXPECT_LT(double(padded) / double(real), 1.10);
  EXPECT_LE(rb.buckets(), 6);
}

// The plan cache replans exactly when what the plan depends on changed (the clamped counts, full,
// drop_empty, the batch), and always returns what ragged_buckets would.
TEST(RaggedPlanCache, ReplansOnlyWhenTheCountsChange) {
  auto same = [](const RaggedBuckets& a, const RaggedBuckets& b) {
    return a.order == b.order && a.begin == b.begin && a.size == b.size;
  };
  RaggedPlanCache cache;
  std::vector<int> rows = {5, 0, 12, 7, 5, 3, 9, 1};
  bool fresh = false;
  auto check = [&](int full, bool drop, bool want_fresh, const char* what) {
    const RaggedBuckets& got = cache.plan(rows.data(), int(rows.size()), full, drop, &fresh);
    EXPECT_EQ(fresh, want_fresh) << what;
    EXPECT_TRUE(same(got, ragged_buckets(rows.data(), int(rows.size()), full, drop))) << what;
  };
  check(10, true, true, "first call");
  check(10, true, false, "same counts");
  rows[2] = 11;  // 12 and 11 are both clamped to 10
  check(10, true, false, "a change above full");
  rows[3] = 6;
  check(10, true, true, "a changed count");
  check(10, false, true, "drop_empty changed");
  check(12, false, true, "full changed");
  rows.push_back(4);
  check(12, false, true, "one more client");
  check(12, false, false, "again");
}

// When stacked_over_shared_b holds, one GEMM over all m * batch rows computes what the batched
// GEMM computes (checked on the CPU backend: the CUDA backend's experimental path makes this
// substitution); when it does not, the predicate says so.
TEST(StackedOverSharedB, OneGemmOverAllRowsIsTheBatchedGemm) {
  const int m = 6, n = 5, k = 7, batch = 4;
  EXPECT_TRUE(stacked_over_shared_b(false, m, k, int64_t(m) * k, 0, n, int64_t(m) * n, batch));
  EXPECT_FALSE(stacked_over_shared_b(true, m, k, int64_t(m) * k, 0, n, int64_t(m) * n, batch));
  EXPECT_FALSE(stacked_over_shared_b(false, m, k, int64_t(m) * k, 1, n, int64_t(m) * n, batch));
  EXPECT_FALSE(stacked_over_shared_b(false, m, k, int64_t(m) * k + 1, 0, n, int64_t(m) * n, batch));
  EXPECT_FALSE(stacked_over_shared_b(false, m, k, int64_t(m) * k, 0, n, int64_t(m) * n + 2, batch));
  EXPECT_FALSE(stacked_over_shared_b(false, m, k, int64_t(m) * k, 0, n, int64_t(m) * n, 1));
  EXPECT_FALSE(stacked_over_shared_b(false, 1 << 20, 4, 4 << 20, 0, 4, 4 << 20, 4096));

  CpuBackend be;
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (bool tb : {false, true}) {
    const int ldb = tb ? k : n;
    std::vector<float> a(size_t(m) * k * batch), b(size_t(k) * n), c1(size_t(m) * n * batch);
    for (float& v : a) v = u(gen);
    for (float& v : b) v = u(gen);
    for (float& v : c1) v = u(gen);
    std::vector<float> c2 = c1;
    ASSERT_TRUE(stacked_over_shared_b(false, m, k, int64_t(m) * k, 0, n, int64_t(m) * n, batch));
    be.gemm_batched(false, tb, m, n, k, 0.5f, a.data(), k, int64_t(m) * k, b.data(), ldb, 0, 0.25f,
                    c1.data(), n, int64_t(m) * n, batch);
    be.gemm_batched(false, tb, m * batch, n, k, 0.5f, a.data(), k, 0, b.data(), ldb, 0, 0.25f,
                    c2.data(), n, 0, 1);
    for (size_t i = 0; i < c1.size(); ++i) EXPECT_NEAR(c1[i], c2[i], 1e-5f) << "tb " << tb;
  }
}
