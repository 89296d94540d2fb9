// Renyi DP of the Poisson-subsampled Gaussian and the RDP accountant (see accountant.h and
// docs/privacy-accounting.md, which gives each formula with its source).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/privacy/accountant.h"
#include "sim/privacy/normal.h"

namespace fedsim {
namespace {

using privacy_detail::kSqrt2;
using privacy_detail::log_add;
using privacy_detail::log_erfc;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kMaxFracTerms = 3000;
constexpr double kMaxIntOrder = 1 << 20;  // integer orders above this use the fractional series

// A sum of signed terms given by their logs: log(pos - neg).
struct SignedLogSum {
  double pos = -kInf, neg = -kInf;
  void add(bool negative, double log_term) {
    double& s = negative ? neg : pos;
    s = log_add(s, log_term);
  }
};

// log(exp(a) - exp(b)); -infinity when b >= a.
double log_sub(double a, double b) {
  if (b == -kInf) return a;
  if (!(a > b)) return -kInf;
  return a + std::log1p(-std::exp(b - a));
}

// Mironov, Talwar, Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian Mechanism",
// Sec. 3.3, integer alpha: A_alpha = E_{z ~ N(0, s^2)} [(1 - q + q exp((2z - 1) / (2 s^2)))^alpha]
//   = sum_{k=0}^{alpha} C(alpha, k) (1 - q)^{alpha - k} q^k exp((k^2 - k) / (2 s^2)).
double log_a_int(double q, double sigma, int64_t alpha) {
  const double log_q = std::log(q), log_1mq = std::log1p(-q), two_s2 = 2 * sigma * sigma;
  double log_a = -kInf, log_binom = 0.0;  // log C(alpha, k)
  for (int64_t k = 0; k <= alpha; ++k) {
    const double kd = double(k);
    log_a = log_add(log_a,
                    log_binom + kd * log_q + double(alpha - k) * log_1mq + (kd * kd - kd) / two_s2);
    log_binom += std::log(double(alpha - k)) - std::log(kd + 1);
  }
  return log_a;
}

// MTZ19 Sec. 3.3, fractional alpha: split the integral at z0 = s^2 log(1/q - 1) + 1/2, where
// q exp((2z - 1) / (2 s^2)) = 1 - q, and expand (1 - q + q e^.)^alpha as a binomial series on each
// side (the smaller term to the power i). With j = alpha - i,
//   A_0 = sum_i C(alpha, i) (1-q)^j q^i exp((i^2 - i) / (2 s^2)) erfc((i - z0) / (sqrt2 s)) / 2,
//   A_1 = sum_i C(alpha, i) q^j (1-q)^i exp((j^2 - j) / (2 s^2)) erfc((z0 - j) / (sqrt2 s)) / 2,
// as in TF Privacy's / Opacus' _compute_log_a_frac. C(alpha, i) changes sign for i > alpha + 1:
// the signs are kept (dp_accounting 0.6 drops them and over-estimates, see the docs). Past
// i > alpha + 1 both series alternate with decreasing terms: we stop once the terms are small (see
// stop_level) and add the last terms' magnitudes, which bound the remainders. Returns NaN if the
// series has not converged after kMaxFracTerms terms (slow for q >= 0.5 with large sigma).
// log of the term size at which the fractional series may stop (see log_a_frac): below 1e-10 of
// log(A) (what the RDP is made of; A is close to 1 for small q) and 1e-13 of A, or in any case
// below 1e-16 of A (the rounding level of the RDP itself).
double stop_level(const SignedLogSum& a) {
  const double log_a = log_sub(a.pos, a.neg);
  const double level =
      log_a > 1e-300 ? std::min(a.pos - 30.0, log_a + std::log(log_a) - 23.0) : a.pos - 37.0;
  return std::max(level, a.pos - 37.0);
}

double log_a_frac(double q, double sigma, double alpha) {
  const double log_q = std::log(q), log_1mq = std::log1p(-q), two_s2 = 2 * sigma * sigma;
  const double z0 = sigma * sigma * (log_1mq - log_q) + 0.5;
  const double log_half = std::log(0.5);
  SignedLogSum a;
  double log_binom = 0.0;  // log |C(alpha, i)|
  bool negative = false;   // sign of C(alpha, i)
  double last0 = kInf, last1 = kInf;
  for (int i = 0; i < kMaxFracTerms; ++i) {
    const double id = i, j = alpha - id;
    const double log_s0 = log_binom + id * log_q + j * log_1mq + (id * id - id) / two_s2 +
                          log_half + log_erfc((id - z0) / (kSqrt2 * sigma));
    const double log_s1 = log_binom + j * log_q + id * log_1mq + (j * j - j) / two_s2 + log_half +
                          log_erfc((z0 - j) / (kSqrt2 * sigma));
    a.add(negative, log_s0);
    a.add(negative, log_s1);
    const double top = std::max(log_s0, log_s1);
    if (id > alpha + 1 && log_s0 < last0 && log_s1 < last1 && top < stop_level(a)) {
      // The rest of each alternating series is smaller than its last term: adding those terms
      // once more makes the result an upper bound (by at most 2e-13 relative).
      a.add(false, log_s0);
      a.add(false, log_s1);
      return log_sub(a.pos, a.neg);
    }
    last0 = log_s0;
    last1 = log_s1;
    // C(alpha, i + 1) = C(alpha, i) (alpha - i) / (i + 1).
    if (j < 0) negative = !negative;
    log_binom += std::log(std::fabs(j)) - std::log(id + 1);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

bool is_integer(double a) {
  return a == std::floor(a) && a <= kMaxIntOrder;
}

}  // namespace

void validate(const DpEvent& e) {
  if (!(e.sampling_rate >= 0 && e.sampling_rate <= 1))
    throw std::invalid_argument("privacy event: sampling rate must be in [0, 1], got " +
                                std::to_string(e.sampling_rate));
  if (!(e.noise_multiplier > 0))
    throw std::invalid_argument("privacy event: noise multiplier must be > 0, got " +
                                std::to_string(e.noise_multiplier));
  if (e.count < 0)
    throw std::invalid_argument("privacy event: count must be >= 0, got " +
                                std::to_string(e.count));
}

double rdp_subsampled_gaussian(double q, double sigma, double alpha) {
  if (!(q >= 0 && q <= 1) || !(sigma > 0) || !(alpha > 1))
    throw std::invalid_argument(
        "rdp_subsampled_gaussian: expected q in [0, 1], sigma > 0, alpha > 1");
  if (q == 0 || sigma == kInf) return 0.0;
  if (alpha == kInf) return kInf;
  // q = 1: the Gaussian mechanism, D_alpha(N(1, s^2) || N(0, s^2)) = alpha / (2 s^2)
  // (Mironov 2017, "Renyi Differential Privacy", Prop. 7 / Table II).
  if (q == 1) return alpha / (2 * sigma * sigma);
  if (is_integer(alpha)) return std::max(0.0, log_a_int(q, sigma, int64_t(alpha)) / (alpha - 1));
  double log_a = log_a_frac(q, sigma, alpha);
  if (std::isnan(log_a)) {
    // Upper bound from the neighbouring integers: A_alpha = E[X^alpha] (X = mu / mu0 >= 0) is
    // log-convex in alpha (Lyapunov's inequality; van Erven & Harremoes 2014, Thm. 11), and
    // log A_1 = 0.
    const double a0 = std::floor(alpha), a1 = a0 + 1;
    const double l0 = a0 <= 1 ? 0.0 : log_a_int(q, sigma, int64_t(a0));
    log_a = (a1 - alpha) * l0 + (alpha - a0) * log_a_int(q, sigma, int64_t(a1));
  }
  // MTZ19 Sec. 3.3: the RDP at order alpha is log(A_alpha) / (alpha - 1).
  return std::max(0.0, log_a / (alpha - 1));
}

const std::vector<double>& default_rdp_orders() {
  static const std::vector<double> orders = [] {
    std::vector<double> o;
    for (int x = 1; x < 100; ++x) o.push_back(1 + x / 10.0);  // Opacus: 1.1 .. 10.9
    for (double a : {1.25, 1.75, 2.25}) o.push_back(a);       // TF Privacy's fractional orders
    for (int a = 11; a <= 64; ++a) o.push_back(a);            // Opacus 12..63, TF 11
    for (double a : {80, 96, 128, 160, 192, 256, 320, 384, 512, 640, 768, 1024}) o.push_back(a);
    std::sort(o.begin(), o.end());
    o.erase(std::unique(o.begin(), o.end()), o.end());
    return o;
  }();
  return orders;
}

RdpAccountant::RdpAccountant() : RdpAccountant(default_rdp_orders()) {}

RdpAccountant::RdpAccountant(std::vector<double> orders) : orders_(std::move(orders)) {
  if (orders_.empty()) throw std::invalid_argument("RdpAccountant: no orders");
  for (double a : orders_)
    if (!(a > 1)) throw std::invalid_argument("RdpAccountant: every order must be > 1");
  rdp_.assign(orders_.size(), 0.0);
}

// RDP composes additively (Mironov 2017, Prop. 1).
void RdpAccountant::compose(const DpEvent& e) {
  validate(e);
  if (e.count == 0 || e.sampling_rate == 0) return;
  for (size_t i = 0; i < orders_.size(); ++i)
    rdp_[i] +=
        double(e.count) * rdp_subsampled_gaussian(e.sampling_rate, e.noise_multiplier, orders_[i]);
}

namespace {

void check_delta(double delta) {
  if (!(delta > 0 && delta < 1))
    throw std::invalid_argument("delta must be in (0, 1), got " + std::to_string(delta));
}

// Canonne, Kamath, Steinke 2020, "The Discrete Gaussian for Differential Privacy", Prop. 12 (also
// Balle et al. 2020, "Hypothesis Testing Interpretations and Renyi DP", Thm. 21): (alpha, r)-RDP
// implies (eps, delta)-DP for eps = r + log((alpha - 1) / alpha) - (log delta + log alpha) /
// (alpha - 1). As in dp_accounting, eps = 0 when delta >= sqrt(1 - exp(-r)): r >= KL and
// TV <= sqrt(1 - exp(-KL)) (Bretagnolle-Huber) give (0, delta)-DP directly.
double improved_epsilon(double alpha, double r, double delta) {
  if (!(r < kInf)) return kInf;
  if (delta * delta + std::expm1(-r) > 0) return 0.0;
  if (alpha == kInf) return r;  // the limit of the formula
  return r + std::log1p(-1 / alpha) - (std::log(delta) + std::log(alpha)) / (alpha - 1);
}

}  // namespace

double RdpAccountant::epsilon(double delta) const {
  check_delta(delta);
  double best = kInf;
  for (size_t i = 0; i < orders_.size(); ++i)
    best = std::min(best, improved_epsilon(orders_[i], rdp_[i], delta));
  return std::max(0.0, best);
}

double RdpAccountant::optimal_order(double delta) const {
  check_delta(delta);
  double best = kInf, order = std::numeric_limits<double>::quiet_NaN();
  for (size_t i = 0; i < orders_.size(); ++i) {
    const double e = improved_epsilon(orders_[i], rdp_[i], delta);
    if (e < best) best = e, order = orders_[i];
  }
  return best > 0 && best < kInf ? order : std::numeric_limits<double>::quiet_NaN();
}

// Mironov 2017, "Renyi Differential Privacy", Prop. 3: (alpha, r)-RDP implies
// (r + log(1/delta) / (alpha - 1), delta)-DP.
double RdpAccountant::epsilon_classic(double delta) const {
  check_delta(delta);
  double best = kInf;
  for (size_t i = 0; i < orders_.size(); ++i)
    if (rdp_[i] < kInf && orders_[i] < kInf)
      best = std::min(best, rdp_[i] - std::log(delta) / (orders_[i] - 1));
  return std::max(0.0, best);
}

// CKS20 Prop. 12 solved for delta: delta = exp((alpha - 1)(r - eps + log(1 - 1/alpha)) -
// log(alpha)), and delta <= sqrt(1 - exp(-r)) from the KL bound; the minimum over orders.
double RdpAccountant::delta(double epsilon) const {
  if (!(epsilon >= 0)) throw std::invalid_argument("epsilon must be >= 0");
  double best_log = 0.0;  // delta = 1
  for (size_t i = 0; i < orders_.size(); ++i) {
    const double a = orders_[i], r = rdp_[i];
    if (!(r < kInf)) continue;
    double log_d = r == 0 ? -kInf : 0.5 * std::log1p(-std::exp(-r));
    if (a < kInf)
      log_d = std::min(log_d, (a - 1) * (r - epsilon + std::log1p(-1 / a)) - std::log(a));
    best_log = std::min(best_log, log_d);
  }
  return std::min(1.0, std::exp(best_log));
}

}  // namespace fedsim
