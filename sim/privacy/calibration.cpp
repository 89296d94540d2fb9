// epsilon_for and the calibration of the noise multiplier for a target epsilon (see accountant.h).
// The search runs over the grid of 3-significant-digit values (100e, 101e, ..., 999e for each
// decade e) by bisection, so the answer is exactly the smallest grid value whose epsilon meets the
// target, i.e. the exact multiplier rounded up to 3 significant digits.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "sim/privacy/accountant.h"
#include "sim/util/format.h"

namespace fedsim {
namespace {

const auto g = format_g;

// Grid index k <-> value: decade D = k div 900 holds mant * 10^(D - 3), mant = 100 + k mod 900,
// so index 0 is 0.100, 900 is 1.00, 3600 is 1000. Division by an exact power of ten keeps the
// values the nearest doubles to their decimal forms.
double grid_value(int64_t k) {
  const int64_t d = k >= 0 ? k / 900 : -((-k + 899) / 900);
  const double mant = double(k - d * 900 + 100);
  return d <= 3 ? mant / std::pow(10.0, double(3 - d)) : mant * std::pow(10.0, double(d - 3));
}
// The smallest grid index whose value is >= v > 0.
int64_t grid_index_up(double v) {
  const int64_t d = int64_t(std::floor(std::log10(v))) + 1;
  int64_t k = d * 900 + int64_t(std::ceil(v * std::pow(10.0, double(3 - d)))) - 100;
  while (grid_value(k) < v) ++k;
  while (grid_value(k - 1) >= v) --k;
  return k;
}

const char* name(AccountantKind k) {
  return k == AccountantKind::Rdp ? "rdp" : "pld";
}

}  // namespace

double epsilon_for(AccountantKind kind, const std::vector<DpEvent>& events, double delta) {
  if (kind == AccountantKind::Rdp) {
    RdpAccountant acc;
    for (const DpEvent& e : events) acc.compose(e);
    return acc.epsilon(delta);
  }
  PldAccountant acc;
  for (const DpEvent& e : events) acc.compose(e);
  return acc.epsilon(delta);
}

double calibrate_noise_multiplier(AccountantKind kind, const std::vector<DpEvent>& events,
                                  double delta, double target_epsilon) {
  if (!(delta > 0 && delta < 1))
    throw std::invalid_argument("calibration: delta must be in (0, 1), got " + g(delta));
  if (!(target_epsilon > 0) || !std::isfinite(target_epsilon))
    throw std::invalid_argument("calibration: target epsilon must be a finite number > 0, got " +
                                g(target_epsilon));
  bool any = false;
  for (const DpEvent& e : events) {
    validate({e.sampling_rate, 1.0, e.count});
    any = any || (e.count > 0 && e.sampling_rate > 0);
  }
  if (!any) return kMinCalibratedNoise;  // nothing is released: any multiplier meets the target
  auto eps_at = [&](AccountantKind k, double sigma) {
    std::vector<DpEvent> ev = events;
    for (DpEvent& e : ev) e.noise_multiplier = sigma;
    return epsilon_for(k, ev, delta);
  };
  const int64_t k_min = grid_index_up(kMinCalibratedNoise),
                k_max = grid_index_up(kMaxCalibratedNoise);
  const double eps_max = eps_at(kind, kMaxCalibratedNoise);
  if (!(eps_max <= target_epsilon))
    throw std::invalid_argument("calibration: target epsilon " + g(target_epsilon) +
                                " is unreachable: even noise multiplier " + g(kMaxCalibratedNoise) +
                                " gives epsilon " + g(eps_max) + " (" + name(kind) + ", delta " +
                                g(delta) + ")");
  // Bracket lo < hi with eps(lo) > target >= eps(hi), then bisect on the grid.
  auto meets = [&](int64_t k) { return eps_at(kind, grid_value(k)) <= target_epsilon; };
  int64_t lo = k_min, hi = k_max;
  if (kind == AccountantKind::Pld) {
    // Start from the RDP answer (cheap, and nearly always an upper bound on the PLD one) so that
    // PLD is evaluated only near the answer, never at tiny multipliers it need not visit.
    try {
      hi = grid_index_up(
          calibrate_noise_multiplier(AccountantKind::Rdp, events, delta, target_epsilon));
    } catch (const std::invalid_argument&) {
      hi = k_max;
    }
    while (hi < k_max && !meets(hi)) hi = std::min(k_max, hi + 90);
    lo = std::max(k_min, hi - 270);
    while (meets(lo)) {
      if (lo == k_min) return grid_value(k_min);
      hi = lo;
      lo = std::max(k_min, lo - 900);
    }
  } else if (meets(k_min)) {
    return grid_value(k_min);
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (eps_at(kind, grid_value(mid)) <= target_epsilon)
      hi = mid;
    else
      lo = mid;
  }
  return grid_value(hi);
}

}  // namespace fedsim
