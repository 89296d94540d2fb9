// ROC AUC and quantiles (see metrics.h).
#include "sim/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace fedsim {

double roc_auc(const std::vector<float>& scores, const std::vector<int32_t>& labels) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Sum of the (tie-averaged, 1-based) ranks of the positives.
  double rank_sum = 0.0;
  int64_t pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double avg_rank = 0.5 * double(i + 1 + j);
    for (size_t t = i; t < j; ++t)
      if (labels[order[t]] == 1) {
        rank_sum += avg_rank;
        ++pos;
      }
    i = j;
  }
  const int64_t neg = int64_t(n) - pos;
  if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - 0.5 * double(pos) * double(pos + 1)) / (double(pos) * double(neg));
}

double quantile(std::vector<float> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double pos = q * double(values.size() - 1);
  const size_t lo = size_t(std::floor(pos)), hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - double(lo)) * (values[hi] - values[lo]);
}

}  // namespace fedsim
