// Calibration, exact draws and intervals of the analytics noise mechanisms (see mechanisms.h).
#include "sim/analytics/mechanisms.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "sim/privacy/normal.h"

namespace fedsim::analytics {

namespace {

using privacy_detail::norm_cdf;
using privacy_detail::norm_sf;

constexpr double kZ95 = 1.959963984540054;  // the standard normal's 97.5% quantile
// Discrete Gaussians with sigma (in grid units) up to this are summed exactly; beyond, their tails
// are the continuous normal's to far below any reported digit.
constexpr double kExactSigma = 2000.0;

// Uniform in (0, 1) from the top 53 bits of a random word (never 0 or 1).
double uniform_open(secagg::PhiloxBits& bits) {
  return (double(bits.next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

// Weights exp(-x^2 / (2 s2)) of N_Z(0, s2) for x = 0..lim and their total over all integers.
struct DiscreteGaussianPmf {
  std::vector<long double> w;  // w[x], x >= 0
  long double total = 0;
  explicit DiscreteGaussianPmf(double s2) {
    const int64_t lim = int64_t(std::ceil(40.0 * std::sqrt(s2))) + 10;
    w.resize(size_t(lim) + 1);
    for (int64_t x = 0; x <= lim; ++x) {
      w[size_t(x)] = std::exp(-(long double)(x) * (long double)(x) / (2.0L * s2));
      total += x == 0 ? w[0] : 2 * w[size_t(x)];
    }
  }
  // P[Y > a] for a real a.
  double tail_above(double a) const {
    long double s = 0;
    const int64_t lim = int64_t(w.size()) - 1;
    if (a < 0) {  // P[Y > a] = 1 - P[Y <= a] = 1 - P[Y >= -a] = 1 - P[Y > -a] - P[Y = -a]
      const double b = -a;
      long double below = 0;
      for (int64_t x = int64_t(std::ceil(b)); x <= lim; ++x) below += w[size_t(x)];
      return double(1.0L - below / total);
    }
    for (int64_t x = int64_t(std::floor(a)) + 1; x <= lim; ++x) s += w[size_t(x)];
    return double(s / total);
  }
};

void check_common(const NoiseRequest& r) {
  if (!(r.epsilon > 0) || !std::isfinite(r.epsilon))
    throw std::invalid_argument("epsilon must be a positive number, got " +
                                std::to_string(r.epsilon));
  if (!(r.sensitivity > 0) || !std::isfinite(r.sensitivity))
    throw std::invalid_argument("the sensitivity must be positive, got " +
                                std::to_string(r.sensitivity));
  if (!(r.granularity > 0) || !std::isfinite(r.granularity))
    throw std::invalid_argument("the granularity must be positive, got " +
                                std::to_string(r.granularity));
  if (is_gaussian(r.mechanism)) {
    if (!(r.delta > 0 && r.delta < 1))
      throw std::invalid_argument(std::string(mechanism_name(r.mechanism)) +
                                  " needs delta in (0, 1), got " + std::to_string(r.delta));
  } else if (r.delta != 0) {
    throw std::invalid_argument(std::string(mechanism_name(r.mechanism)) +
                                " is pure epsilon-DP: delta must be 0, got " +
                                std::to_string(r.delta));
  }
}

// The sensitivity on the grid: the smallest integer >= sensitivity / granularity.
int64_t grid_sensitivity(const NoiseRequest& r) {
  const double g = r.sensitivity / r.granularity;
  const double up = std::ceil(g * (1 - 1e-12));  // 3 / 0.1 = 30.000000000000004 is 30
  if (up > 0x1p40) throw std::invalid_argument("sensitivity / granularity above 2^40");
  return std::max<int64_t>(1, int64_t(up));
}

// The smallest x in [lo, hi] (to a relative 1e-12) with f(x) true, f monotone false -> true.
template <typename F>
double bisect_up(double lo, double hi, F&& f) {
  while (!f(hi)) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (f(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

const char* mechanism_name(Mechanism m) {
  switch (m) {
    case Mechanism::Laplace:
      return "laplace";
    case Mechanism::Gaussian:
      return "gaussian";
    case Mechanism::DiscreteLaplace:
      return "discrete_laplace";
    case Mechanism::DiscreteGaussian:
      return "discrete_gaussian";
  }
  return "?";
}

bool is_gaussian(Mechanism m) {
  return m == Mechanism::Gaussian || m == Mechanism::DiscreteGaussian;
}

double gaussian_delta(double sigma, double epsilon, double l2) {
  const double a = l2 / (2 * sigma), b = epsilon * sigma / l2;
  return norm_cdf(a - b) - std::exp(epsilon) * norm_cdf(-a - b);
}

double discrete_gaussian_delta(double sigma2, double epsilon, int64_t l2) {
  const double d = double(l2), x = epsilon * sigma2 / d;
  if (std::sqrt(sigma2) > kExactSigma) {  // continuous tails, with the lattice's half step
    const double s = std::sqrt(sigma2);
    const auto above = [&](double a) { return norm_sf((std::floor(a) + 0.5) / s); };
    return above(x - d / 2) - std::exp(epsilon) * above(x + d / 2);
  }
  const DiscreteGaussianPmf pmf(sigma2);
  return pmf.tail_above(x - d / 2) - std::exp(epsilon) * pmf.tail_above(x + d / 2);
}

CalibratedNoise calibrate(const NoiseRequest& r) {
  check_common(r);
  CalibratedNoise n;
  n.mechanism = r.mechanism;
  n.epsilon = r.epsilon;
  n.delta = r.delta;
  n.granularity = r.granularity;
  switch (r.mechanism) {
    case Mechanism::Laplace: {
      n.scale = r.sensitivity / r.epsilon;
      n.variance = 2 * n.scale * n.scale;
      n.ci95 = n.scale * std::log(20.0);  // P(|X| > c) = exp(-c / b) = 0.05
      n.granularity = 0;
      break;
    }
    case Mechanism::Gaussian: {
      const double l2 = r.sensitivity;
      n.scale = bisect_up(1e-9 * l2, l2 / r.epsilon,
                          [&](double s) { return gaussian_delta(s, r.epsilon, l2) <= r.delta; });
      n.variance = n.scale * n.scale;
      n.ci95 = kZ95 * n.scale;
      n.granularity = 0;
      break;
    }
    case Mechanism::DiscreteLaplace: {
      // b = D / epsilon on the grid, as t / s with s = 2^20 and t rounded up (b only grows).
      const double b = double(grid_sensitivity(r)) / r.epsilon;
      if (b > 0x1p40) throw std::invalid_argument("discrete Laplace scale above 2^40 grid steps");
      n.lap_s = uint64_t(1) << 20;
      n.lap_t = uint64_t(std::ceil(b * double(n.lap_s)));
      const double bq = double(n.lap_t) / double(n.lap_s), p = std::exp(-1.0 / bq);
      n.scale = bq * r.granularity;
      n.variance = 2 * p / ((1 - p) * (1 - p)) * r.granularity * r.granularity;
      // P(|X| > k) = 2 p^(k+1) / (1 + p): the smallest k with that <= 0.05.
      const double k = std::ceil(std::log(0.025 * (1 + p)) / std::log(p)) - 1;
      n.ci95 = std::max(0.0, k) * r.granularity;
      break;
    }
    case Mechanism::DiscreteGaussian: {
      const int64_t d = grid_sensitivity(r);
      // Start from the continuous sigma (in grid units); the exact discrete delta decides.
      const double sc = bisect_up(1e-9, double(d) / r.epsilon, [&](double s) {
        return gaussian_delta(s, r.epsilon, double(d)) <= r.delta;
      });
      double s2 = bisect_up(0.25 * sc * sc, sc * sc, [&](double v) {
        return discrete_gaussian_delta(v, r.epsilon, d) <= r.delta;
      });
      n.sigma2 = secagg::rational_sigma2(s2);
      while (discrete_gaussian_delta(n.sigma2.value(), r.epsilon, d) > r.delta)
        ++n.sigma2.num;  // the rational was rounded below the calibrated value
      s2 = n.sigma2.value();
      n.scale = std::sqrt(s2) * r.granularity;
      n.variance = secagg::discrete_gaussian_variance(s2) * r.granularity * r.granularity;
      if (std::sqrt(s2) > kExactSigma) {
        n.ci95 = std::ceil(kZ95 * std::sqrt(s2)) * r.granularity;
      } else {  // the smallest k with P(|Y| <= k) >= 0.95
        const DiscreteGaussianPmf pmf(s2);
        long double in = pmf.w[0];
        int64_t k = 0;
        while (in < 0.95L * pmf.total && k + 1 < int64_t(pmf.w.size()))
          in += 2 * pmf.w[size_t(++k)];
        n.ci95 = double(k) * r.granularity;
      }
      break;
    }
  }
  return n;
}

double draw_noise(const CalibratedNoise& n, secagg::PhiloxBits& bits) {
  switch (n.mechanism) {
    case Mechanism::Laplace: {
      const bool negative = bits.next_u64() >> 63;
      const double e = -std::log(uniform_open(bits));  // Exp(1)
      return (negative ? -e : e) * n.scale;
    }
    case Mechanism::Gaussian: {
      const double u1 = uniform_open(bits), u2 = uniform_open(bits);
      return n.scale * std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    }
    case Mechanism::DiscreteLaplace:
      return double(secagg::sample_discrete_laplace(n.lap_t, n.lap_s, bits)) * n.granularity;
    case Mechanism::DiscreteGaussian:
      return double(secagg::sample_discrete_gaussian(n.sigma2, bits)) * n.granularity;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace fedsim::analytics
