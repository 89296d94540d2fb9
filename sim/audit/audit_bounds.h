// Empirical privacy lower bounds from attack outcomes: the statistics behind `fedsim audit`.
//
// One-run audit (Steinke, Nasr, Jagielski 2023, "Privacy auditing with one (1) training run",
// Theorem 3 and the paper's reference code): m canaries, each included with probability 1/2; an
// auditor guesses "in" or "out" for r of them and is right v times. Under (eps, delta)-DP,
//   P[>= v correct] <= P[Bin(r, q) >= v] + 2 m delta max_{i=1..v} P[v - i <= Bin(r, q) < v] / i,
// q = e^eps / (1 + e^eps). The lower bound is the largest eps whose p-value stays below beta:
// with confidence 1 - beta, the training run was not (eps, delta)-DP for any smaller eps.
//
// Membership inference (Jagielski, Ullman, Oprea 2020): a threshold attack's true and false
// positive counts, bounded by Clopper-Pearson intervals, give eps >= ln((TPR_lo - delta) / FPR_hi)
// (and the same with the complements).
#pragma once

#include <cstdint>
#include <vector>

namespace fedsim::audit {

// P[Bin(n, p) >= k] (0 <= k <= n + 1), in long double sums of the pmf.
double binomial_tail(int64_t n, double p, int64_t k);

double one_run_p_value(int64_t m, int64_t r, int64_t v, double epsilon, double delta);
// The largest epsilon (to 1e-6) with p-value < beta; 0 when none (the guesses prove nothing).
double one_run_epsilon_lower_bound(int64_t m, int64_t r, int64_t v, double delta, double beta);

// The two-sided Clopper-Pearson interval of a binomial proportion k / n at confidence 1 - alpha.
struct Interval {
  double lo = 0, hi = 1;
};
Interval clopper_pearson(int64_t k, int64_t n, double alpha);

// eps lower bound from a membership attack's outcome: tp of n_in members flagged, fp of n_out
// non-members flagged, at confidence 1 - alpha (each rate's interval at alpha / 2). 0 if none.
double epsilon_from_rates(int64_t tp, int64_t n_in, int64_t fp, int64_t n_out, double delta,
                          double alpha);

// Scores of members and non-members (higher: more likely a member): ROC AUC (ties count 1/2),
// the best TPR at FPR <= 0.1% and <= 1%, and the attack advantage max(TPR - FPR).
struct MiaSummary {
  double auc = 0.5, tpr_at_fpr_0001 = 0, tpr_at_fpr_001 = 0, advantage = 0;
};
MiaSummary summarize_attack(const std::vector<double>& member_scores,
                            const std::vector<double>& nonmember_scores);

}  // namespace fedsim::audit
