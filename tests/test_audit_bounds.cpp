// Empirical privacy lower bounds (sim/audit/audit_bounds.h) against independent reference values:
// the one-run audit's bound (Steinke, Nasr, Jagielski 2023) recomputed in Python from the paper's
// reference code with exact binomials (math.comb), Clopper-Pearson intervals from standard
// tables, and the membership-inference summary on hand-made scores.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/audit/audit_bounds.h"

using namespace fedsim::audit;

TEST(AuditBounds, BinomialTail) {
  EXPECT_NEAR(binomial_tail(10, 0.5, 8), 56.0 / 1024, 1e-15);
  EXPECT_EQ(binomial_tail(10, 0.3, 0), 1.0);
  EXPECT_EQ(binomial_tail(10, 0.3, 11), 0.0);
  EXPECT_NEAR(binomial_tail(1000, 0.5, 500), 0.5126125, 1e-6);
}

TEST(AuditBounds, OneRunLowerBoundMatchesThePapersCode) {
  // All 1,000 guesses right, delta 0: q^1000 = 0.05, eps = ln(q / (1 - q)) = 5.80907.
  EXPECT_NEAR(one_run_epsilon_lower_bound(1000, 1000, 1000, 0.0, 0.05), 5.8090683, 1e-5);
  // Python reference (the paper's p_value_DP_audit with exact binomials):
  EXPECT_NEAR(one_run_epsilon_lower_bound(1000, 1000, 900, 1e-5, 0.05), 2.0206456, 1e-5);
  EXPECT_NEAR(one_run_epsilon_lower_bound(1000, 200, 180, 0.0, 0.05), 1.7988653, 1e-5);
  // Coin-flip guesses prove nothing.
  EXPECT_EQ(one_run_epsilon_lower_bound(1000, 1000, 500, 1e-5, 0.05), 0.0);
  // delta only weakens the bound; more correct guesses only strengthen it.
  EXPECT_GE(one_run_p_value(1000, 500, 400, 1.0, 1e-3), one_run_p_value(1000, 500, 400, 1.0, 0.0));
  EXPECT_LT(one_run_epsilon_lower_bound(1000, 500, 400, 1e-3, 0.05),
            one_run_epsilon_lower_bound(1000, 500, 400, 0.0, 0.05));
  EXPECT_LT(one_run_epsilon_lower_bound(1000, 500, 380, 0.0, 0.05),
            one_run_epsilon_lower_bound(1000, 500, 400, 0.0, 0.05));
  EXPECT_THROW(one_run_p_value(10, 20, 5, 1.0, 0.0), std::invalid_argument);
}

TEST(AuditBounds, ClopperPearsonAgainstTables) {
  const Interval zero = clopper_pearson(0, 10, 0.05);
  EXPECT_EQ(zero.lo, 0.0);
  EXPECT_NEAR(zero.hi, 0.3084971, 1e-6);  // 1 - 0.025^(1/10)
  const Interval half = clopper_pearson(5, 10, 0.05);
  EXPECT_NEAR(half.lo, 0.1870860, 1e-6);
  EXPECT_NEAR(half.hi, 0.8129140, 1e-6);
  const Interval all = clopper_pearson(10, 10, 0.05);
  EXPECT_NEAR(all.lo, 0.6915029, 1e-6);
  EXPECT_EQ(all.hi, 1.0);
}

TEST(AuditBounds, EpsilonFromAttackRates) {
  // A perfect attack on 1,000 + 1,000: TPR >= 0.0125^(1/1000), FPR <= 1 - that (each at 1.25%).
  EXPECT_NEAR(epsilon_from_rates(1000, 1000, 0, 1000, 0.0, 0.05), 5.4280521, 1e-4);
  // a useless attack: no bound
  EXPECT_EQ(epsilon_from_rates(500, 1000, 500, 1000, 0.0, 0.05), 0.0);
}

TEST(AuditBounds, AttackSummary) {
  const MiaSummary perfect = summarize_attack({5, 6, 7}, {1, 2, 3});
  EXPECT_DOUBLE_EQ(perfect.auc, 1.0);
  EXPECT_DOUBLE_EQ(perfect.advantage, 1.0);
  EXPECT_DOUBLE_EQ(perfect.tpr_at_fpr_0001, 1.0);
  const MiaSummary ties = summarize_attack({1, 1, 1}, {1, 1});
  EXPECT_DOUBLE_EQ(ties.auc, 0.5);
  EXPECT_DOUBLE_EQ(ties.advantage, 0.0);
  // members {3, 1}, non-members {2, 0}: pairs (3>2, 3>0, 1<2, 1>0) = 3 of 4
  EXPECT_DOUBLE_EQ(summarize_attack({3, 1}, {2, 0}).auc, 0.75);
}
