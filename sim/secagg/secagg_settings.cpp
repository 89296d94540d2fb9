// [secagg] -> SecAggSettings (see secagg_settings.h).
#include "sim/secagg/secagg_settings.h"

#include <algorithm>
#include <cmath>

namespace fedsim::secagg {

int robust_neighbours(int cohort, double p) {
  if (cohort < 3) return 0;
  const int k0 = std::max(2, int(std::ceil(std::log2(double(cohort)))));
  for (int k = k0 + k0 % 2; k <= cohort - 1; k += 2) {
    const int t = k / 2 + 1;  // survivors needed among k neighbours
    // P(fewer than t of k survive) = P(Binomial(k, p) > k - t), summed in log space
    double tail = 0.0;
    for (int d = k - t + 1; d <= k; ++d)
      tail += std::exp(std::lgamma(k + 1.0) - std::lgamma(d + 1.0) - std::lgamma(k - d + 1.0) +
                       d * std::log(std::max(p, 1e-300)) + (k - d) * std::log1p(-p));
    if (p <= 0.0 || tail * cohort < 1e-6) return k;
  }
  return 0;
}

SecAggSettings secagg_settings(const SecAggConfig& c, double clip, int cohort) {
  SecAggSettings s;
  s.mode = c.mode == SecAggModeKind::SecAgg       ? SecAggMode::SecAgg
           : c.mode == SecAggModeKind::SecAggPlus ? SecAggMode::SecAggPlus
                                                  : SecAggMode::Off;
  s.prg = c.fast ? MaskPrg::Philox : MaskPrg::ChaCha20;
  s.bits = c.bits;
  s.threshold = c.threshold;
  s.neighbours = c.neighbours;
  s.clip = clip;
  s.dropout = {c.dropout_before_masking, c.dropout_after_masking, c.dropout_before_unmasking};
  if (s.mode == SecAggMode::SecAggPlus && c.neighbours == 0 && c.threshold == 0 && cohort > 0) {
    const double p = 1.0 - (1.0 - c.dropout_before_masking) * (1.0 - c.dropout_after_masking) *
                               (1.0 - c.dropout_before_unmasking);
    const int k = robust_neighbours(cohort, p);
    // no k reaches the bound (a small cohort): the largest even k, the most robust there is
    s.neighbours = k > 0 ? k : std::max(2, (cohort - 1) - (cohort - 1) % 2);
  }
  return s;
}

}  // namespace fedsim::secagg
