// Grouping of a batch of per-client GEMMs with ragged row counts into a few buckets, each run as
// one uniform batched GEMM padded to its bucket's largest count. Used by the CUDA backend's
// gemm_ragged: one GEMM padded to the largest count of all clients wastes about half of the work
// under Poisson batches (the largest of 10,000 Binomial(n, q) counts is ~q n + 4 sd); a handful of
// buckets chosen by dynamic programming wastes a few percent. Header-only and free of CUDA types,
// so the unit tests check it on the CPU.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace fedsim {

// Bucket j holds the clients order[begin[j] .. begin[j + 1]), each padded to size[j] rows.
struct RaggedBuckets {
  std::vector<int> order;  // client indices, grouped by bucket, ascending within each bucket
  std::vector<int> begin;  // size() + 1 entries
  std::vector<int> size;   // the bucket's padded row count (its largest member's)
  int buckets() const { return int(size.size()); }
  // Padded rows summed over the clients (the work the buckets do, in rows).
  int64_t padded_rows() const {
    int64_t s = 0;
    for (int j = 0; j < buckets(); ++j) s += int64_t(size[j]) * (begin[j + 1] - begin[j]);
    return s;
  }
};

// rows[i] (clamped to [0, full]) is client i's row count. drop_empty: clients with 0 rows are left
// out (a GEMM whose ragged dimension is M has nothing to compute for them); otherwise they join
// the smallest bucket (a ragged K: they must still get C = beta C, and their padding rows are
// zeros), so a bucket of size 0 occurs only when every client is empty. Uses the fewest buckets (at
// most max_buckets) whose padded work is within `slack` of the best with max_buckets: each bucket
// is one more GEMM launch over fewer clients.
inline RaggedBuckets ragged_buckets(const int* rows, int batch, int full, bool drop_empty,
                                    int max_buckets = 6, double slack = 1.03) {
  RaggedBuckets out;
  out.begin.push_back(0);
  full = std::max(full, 0);
  // A client's effective count: its rows, or for an empty client kept (ragged K) the smallest
  // positive count present, so that no bucket of K = 0 appears beside others.
  int smallest = 0;
  for (int i = 0; i < batch; ++i) {
    const int r = std::clamp(rows[i], 0, full);
    if (r > 0 && (smallest == 0 || r < smallest)) smallest = r;
  }
  auto eff = [&](int i) {
    const int r = std::clamp(rows[i], 0, full);
    return r == 0 && !drop_empty ? smallest : r;
  };
  auto kept = [&](int i) { return !drop_empty || std::clamp(rows[i], 0, full) > 0; };
  std::vector<int64_t> count(size_t(full) + 1, 0);
  for (int i = 0; i < batch; ++i)
    if (kept(i)) ++count[eff(i)];
  std::vector<int> vals;  // distinct row counts present, ascending
  std::vector<int64_t> cnt;
  for (int v = 0; v <= full; ++v)
    if (count[v] > 0) {
      vals.push_back(v);
      cnt.push_back(count[v]);
    }
  const int V = int(vals.size());
  if (V == 0) return out;
  const int G = std::clamp(max_buckets, 1, V);

  // best[g][j]: least padded work covering vals[0..j] with g + 1 buckets, the last ending at j.
  constexpr int64_t kInf = std::numeric_limits<int64_t>::max() / 4;
  std::vector<int64_t> prefix(size_t(V) + 1, 0);
  for (int j = 0; j < V; ++j) prefix[j + 1] = prefix[j] + cnt[j];
  std::vector<std::vector<int64_t>> best(G, std::vector<int64_t>(V, kInf));
  std::vector<std::vector<int>> from(G, std::vector<int>(V, -1));
  for (int j = 0; j < V; ++j) best[0][j] = int64_t(vals[j]) * prefix[j + 1];
  for (int g = 1; g < G; ++g)
    for (int j = g; j < V; ++j)
      for (int i = g; i <= j; ++i) {  // the last bucket is vals[i..j]
        const int64_t c = best[g - 1][i - 1] + int64_t(vals[j]) * (prefix[j + 1] - prefix[i]);
        if (c < best[g][j]) {
          best[g][j] = c;
          from[g][j] = i;
        }
      }
  int g = 0;
  while (g + 1 < G && double(best[g][V - 1]) > slack * double(best[G - 1][V - 1])) ++g;

  std::vector<int> bucket_top;  // index into vals of each bucket's largest value, descending
  for (int j = V - 1, gg = g; j >= 0; --gg) {
    bucket_top.push_back(j);
    j = gg == 0 ? -1 : from[gg][j] - 1;
  }
  std::reverse(bucket_top.begin(), bucket_top.end());
  std::vector<int> bucket_of(size_t(full) + 1, -1);
  for (int b = 0, j = 0; b < int(bucket_top.size()); ++b) {
    for (; j <= bucket_top[b]; ++j) bucket_of[vals[j]] = b;
    out.size.push_back(vals[bucket_top[b]]);
  }
  std::vector<int> fill(out.size.size() + 1, 0);
  for (int i = 0; i < batch; ++i)
    if (kept(i)) ++fill[bucket_of[eff(i)] + 1];
  for (size_t b = 1; b < fill.size(); ++b) fill[b] += fill[b - 1];
  out.begin.assign(fill.begin(), fill.end());
  out.order.assign(size_t(fill.back()), 0);
  for (int i = 0; i < batch; ++i)
    if (kept(i)) out.order[fill[bucket_of[eff(i)]]++] = i;
  return out;
}

// The bucket plan of the row counts seen last. The DP trainer passes the same counts to every GEMM
// of a micro-batch, so a device backend plans (and uploads the plan's client order) once per
// micro-batch: plan() returns the cached buckets while the counts (clamped to [0, full]), full and
// drop_empty are unchanged, and sets *fresh when it had to plan anew.
class RaggedPlanCache {
 public:
  const RaggedBuckets& plan(const int* rows, int batch, int full, bool drop_empty, bool* fresh) {
    full = std::max(full, 0);
    bool same = full_ == full && drop_empty_ == drop_empty && rows_.size() == size_t(batch);
    for (int i = 0; same && i < batch; ++i) same = rows_[i] == std::clamp(rows[i], 0, full);
    *fresh = !same;
    if (same) return buckets_;
    rows_.resize(size_t(batch));
    for (int i = 0; i < batch; ++i) rows_[i] = std::clamp(rows[i], 0, full);
    full_ = full;
    drop_empty_ = drop_empty;
    buckets_ = ragged_buckets(rows_.data(), batch, full, drop_empty);
    return buckets_;
  }

 private:
  std::vector<int> rows_;
  int full_ = -1;
  bool drop_empty_ = false;
  RaggedBuckets buckets_;
};

// Whether a batched row-major GEMM (Backend::gemm_batched's arguments) reads one B for all batches
// (stride_b = 0) while its A_b and C_b are consecutive row blocks of one matrix each: then
// C = op(A) op(B) over all m * batch rows is one large GEMM, the same products (a round's first
// local step, where every client still holds the global weights). op(A) must be A itself: the
// rows of a transposed A_b are not consecutive.
inline bool stacked_over_shared_b(bool trans_a, int m, int lda, int64_t stride_a, int64_t stride_b,
                                  int ldc, int64_t stride_c, int batch) {
  return !trans_a && stride_b == 0 && batch > 1 && m > 0 && stride_a == int64_t(m) * lda &&
         stride_c == int64_t(m) * ldc && int64_t(m) * batch <= int64_t(INT32_MAX);
}

}  // namespace fedsim
