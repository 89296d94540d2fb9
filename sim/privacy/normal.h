// Standard normal tail probabilities and log(erfc) that keep their relative accuracy far into the
// tails. Used by the RDP series (MTZ19 Sec. 3.3) and the PLD discretisation of Gaussians.
#pragma once

#include <cmath>

namespace fedsim::privacy_detail {

inline constexpr double kSqrt2 = 1.4142135623730950488;
inline constexpr double kLogSqrtPi = 0.57236494292470008707;  // log(sqrt(pi))

// P(Z > x), Z ~ N(0, 1); erfc keeps the relative accuracy for large x.
inline double norm_sf(double x) {
  return 0.5 * std::erfc(x / kSqrt2);
}
// P(Z <= x).
inline double norm_cdf(double x) {
  return 0.5 * std::erfc(-x / kSqrt2);
}

// P(a < Z <= b) for a <= b (either may be infinite), taken from the nearer tail so that narrow
// intervals far out keep their relative accuracy.
inline double norm_mass(double a, double b) {
  if (!(a < b)) return 0.0;
  if (a >= 0) return norm_sf(a) - norm_sf(b);
  if (b <= 0) return norm_cdf(b) - norm_cdf(a);
  return 1.0 - norm_cdf(a) - norm_sf(b);
}

// log(erfc(x)) for any x. erfc itself is used while it is a normal double (x < 26); beyond, the
// asymptotic series of Abramowitz & Stegun 7.1.23, erfc(x) = exp(-x^2) / (x sqrt(pi)) *
// (1 - 1/(2x^2) + 3/(4x^4) - ...), whose truncation error at x >= 26 is below 1e-16.
inline double log_erfc(double x) {
  if (x < 26.0) return std::log(std::erfc(x));
  const double r = 1.0 / (x * x);
  const double series =
      r * (-0.5 + r * (0.75 + r * (-1.875 + r * (6.5625 + r * (-29.53125 + r * 162.421875)))));
  return -x * x - std::log(x) - kLogSqrtPi + std::log1p(series);
}

// log(exp(a) + exp(b)), exact for -infinity operands.
inline double log_add(double a, double b) {
  if (a == -INFINITY) return b;
  if (b == -INFINITY) return a;
  const double m = a > b ? a : b;
  return m + std::log1p(std::exp(-std::fabs(a - b)));
}

}  // namespace fedsim::privacy_detail
