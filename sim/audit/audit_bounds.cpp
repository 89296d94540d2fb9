// Empirical privacy lower bounds (see audit_bounds.h).
#include "sim/audit/audit_bounds.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fedsim::audit {

namespace {

// log P[Bin(n, p) = k].
long double log_pmf(int64_t n, double p, int64_t k) {
  if (p <= 0) return k == 0 ? 0.0L : -INFINITY;
  if (p >= 1) return k == n ? 0.0L : -INFINITY;
  return std::lgamma((long double)n + 1) - std::lgamma((long double)k + 1) -
         std::lgamma((long double)(n - k) + 1) + (long double)k * std::log((long double)p) +
         (long double)(n - k) * std::log1p(-(long double)p);
}

}  // namespace

double binomial_tail(int64_t n, double p, int64_t k) {
  if (k <= 0) return 1.0;
  if (k > n) return 0.0;
  long double s = 0;
  for (int64_t j = k; j <= n; ++j) s += std::exp(log_pmf(n, p, j));
  return double(std::min<long double>(s, 1.0L));
}

double one_run_p_value(int64_t m, int64_t r, int64_t v, double epsilon, double delta) {
  if (!(0 <= v && v <= r && r <= m) || epsilon < 0 || delta < 0 || delta > 1)
    throw std::invalid_argument(
        "one-run audit: need 0 <= v <= r <= m, epsilon >= 0, delta in [0, 1]");
  const double q = 1 / (1 + std::exp(-epsilon));
  const double beta = binomial_tail(r, q, v);
  double alpha = 0;
  if (delta > 0) {
    long double sum = 0;  // P[v - i <= Bin(r, q) < v]
    for (int64_t i = 1; i <= v; ++i) {
      sum += std::exp(log_pmf(r, q, v - i));
      alpha = std::max(alpha, double(sum / (long double)i));
    }
  }
  return std::min(1.0, beta + alpha * delta * 2 * double(m));
}

double one_run_epsilon_lower_bound(int64_t m, int64_t r, int64_t v, double delta, double beta) {
  if (!(beta > 0 && beta < 1)) throw std::invalid_argument("one-run audit: beta must be in (0, 1)");
  if (one_run_p_value(m, r, v, 0.0, delta) >= beta) return 0.0;
  double lo = 0, hi = 1;  // p(lo) < beta <= p(hi)
  while (one_run_p_value(m, r, v, hi, delta) < beta && hi < 1e4) hi *= 2;
  while (hi - lo > 1e-6) {
    const double mid = 0.5 * (lo + hi);
    (one_run_p_value(m, r, v, mid, delta) < beta ? lo : hi) = mid;
  }
  return lo;
}

Interval clopper_pearson(int64_t k, int64_t n, double alpha) {
  if (!(0 <= k && k <= n && n > 0))
    throw std::invalid_argument("Clopper-Pearson: need 0 <= k <= n, n > 0");
  Interval out;
  // lo: P[Bin(n, lo) >= k] = alpha / 2 (0 when k = 0); hi: P[Bin(n, hi) <= k] = alpha / 2.
  auto solve = [](auto&& f) {  // f increasing in p on [0, 1]; the p with f(p) = 0
    double a = 0, b = 1;
    for (int i = 0; i < 100; ++i) {
      const double mid = 0.5 * (a + b);
      (f(mid) < 0 ? a : b) = mid;
    }
    return 0.5 * (a + b);
  };
  if (k > 0) out.lo = solve([&](double p) { return binomial_tail(n, p, k) - alpha / 2; });
  if (k < n)
    out.hi = solve([&](double p) { return (alpha / 2) - (1 - binomial_tail(n, p, k + 1)); });
  return out;
}

double epsilon_from_rates(int64_t tp, int64_t n_in, int64_t fp, int64_t n_out, double delta,
                          double alpha) {
  const Interval tpr = clopper_pearson(tp, n_in, alpha / 2),
                 fpr = clopper_pearson(fp, n_out, alpha / 2);
  double eps = 0;
  if (fpr.hi > 0 && tpr.lo - delta > 0) eps = std::max(eps, std::log((tpr.lo - delta) / fpr.hi));
  // the complementary test: non-members flagged "out" against members flagged "out"
  const double tnr_lo = 1 - fpr.hi, fnr_hi = 1 - tpr.lo;
  if (fnr_hi > 0 && tnr_lo - delta > 0) eps = std::max(eps, std::log((tnr_lo - delta) / fnr_hi));
  return eps;
}

MiaSummary summarize_attack(const std::vector<double>& in, const std::vector<double>& out) {
  MiaSummary s;
  if (in.empty() || out.empty()) return s;
  std::vector<std::pair<double, int>> all;  // (score, member)
  for (double x : in) all.emplace_back(x, 1);
  for (double x : out) all.emplace_back(x, 0);
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
  const double P = double(in.size()), N = double(out.size());
  double tp = 0, fp = 0, auc = 0;
  for (size_t i = 0; i < all.size();) {  // thresholds between distinct scores, descending
    size_t j = i;
    double dtp = 0, dfp = 0;
    while (j < all.size() && all[j].first == all[i].first) {
      (all[j].second ? dtp : dfp) += 1;
      ++j;
    }
    auc += dfp * (tp + dtp / 2);  // non-members at this score: members above, half of ties
    tp += dtp;
    fp += dfp;
    const double tpr = tp / P, fpr = fp / N;
    if (fpr <= 0.001) s.tpr_at_fpr_0001 = std::max(s.tpr_at_fpr_0001, tpr);
    if (fpr <= 0.01) s.tpr_at_fpr_001 = std::max(s.tpr_at_fpr_001, tpr);
    s.advantage = std::max(s.advantage, tpr - fpr);
    i = j;
  }
  s.auc = auc / (P * N);
  return s;
}

}  // namespace fedsim::audit
