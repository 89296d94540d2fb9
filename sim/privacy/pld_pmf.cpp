// Discrete PLDs: discretisation of the subsampled Gaussian, FFT composition, delta/epsilon (see
// pld_pmf.h and docs/privacy-accounting.md).
#include "sim/privacy/pld_pmf.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "sim/privacy/normal.h"

namespace fedsim::pld {
namespace {

using privacy_detail::kSqrt2;
using privacy_detail::log_add;
using privacy_detail::log_erfc;
constexpr double kInf = std::numeric_limits<double>::infinity();
// The grid covers x in [-10 sigma, 1 + 10 sigma]: N(0, s^2) and N(1, s^2) each put < 8e-24 beyond.
constexpr double kTailZ = 10.0;

// log P(Z > x), Z ~ N(0, 1), accurate far into the tail.
double log_sf(double x) {
  return log_erfc(x / kSqrt2) - std::log(2.0);
}

// log P(a < Z <= b), from the nearer tail; -infinity when empty. Log space, because the masses of
// N(0, s^2) where the loss is large underflow (x / s of 50 and more) while P-masses there do not.
double log_norm_mass(double a, double b) {
  if (!(a < b)) return -kInf;
  if (a >= 0 || b <= 0) {
    const double hi = a >= 0 ? log_sf(a) : log_sf(-b), lo = a >= 0 ? log_sf(b) : log_sf(-a);
    if (hi == -kInf) return -kInf;
    return hi + std::log1p(-std::exp(lo - hi));
  }
  return std::log1p(-(std::exp(log_sf(-a)) + std::exp(log_sf(b))));
}

// The Gaussian pair of one direction (see Direction). Both losses are monotone in the output x:
// remove L(x) = log(1 - q + q exp((2x - 1) / (2 sigma^2))) increases, add L(x) = -that decreases.
struct GaussianPair {
  double q, sigma;
  Direction dir;

  double remove_loss(double x) const {
    const double a = (2 * x - 1) / (2 * sigma * sigma);
    if (q == 1.0) return a;
    if (a > 0) return a + std::log(q + (1 - q) * std::exp(-a));
    return std::log1p(q * std::expm1(a));
  }
  double loss(double x) const {
    return dir == Direction::Remove ? remove_loss(x) : -remove_loss(x);
  }

  // Remove: {L > eps} = {x > t}; add: {L > eps} = {x < t}, with t = sigma^2 log((e^{+-eps} - 1 + q)
  // / q) + 1/2 (-infinity where e^{+-eps} <= 1 - q: remove, the set is everything; add, nothing).
  double threshold(double eps) const {
    const double e = dir == Direction::Remove ? eps : -eps;
    double log_v;
    if (q == 1.0) {
      log_v = e;
    } else if (e > 30.0) {
      log_v = e + std::log1p((q - 1) * std::exp(-e));
    } else {
      const double v = std::expm1(e) + q;
      if (!(v > 0)) return -kInf;
      log_v = std::log(v);
    }
    return sigma * sigma * (log_v - std::log(q)) + 0.5;
  }

  // (log P, log Q) of the outputs x in (a, b].
  std::pair<double, double> masses(double a, double b) const {
    const double n0 = log_norm_mass(a / sigma, b / sigma);
    const double n1 = log_norm_mass((a - 1) / sigma, (b - 1) / sigma);
    const double mix = q == 1.0 ? n1 : log_add(std::log1p(-q) + n0, std::log(q) + n1);
    return dir == Direction::Remove ? std::pair{mix, n0} : std::pair{n0, mix};
  }
  // (log P, log Q) of {eps_a < L <= eps_b} from the thresholds ta = t(eps_a), tb = t(eps_b).
  std::pair<double, double> between(double ta, double tb) const {
    return dir == Direction::Remove ? masses(ta, tb) : masses(tb, ta);
  }
  std::pair<double, double> above(double t) const {  // {L > eps}
    return dir == Direction::Remove ? masses(t, kInf) : masses(-kInf, t);
  }
  std::pair<double, double> at_or_below(double t) const {  // {L <= eps}
    return dir == Direction::Remove ? masses(-kInf, t) : masses(t, kInf);
  }
};

}  // namespace

double Pmf::delta(double epsilon) const {
  if (epsilon == kInf) return inf_mass;
  double d = 0.0;
  for (size_t i = p.size(); i-- > 0;) {
    const double l = loss(i);
    if (!(l > epsilon)) break;
    d += p[i] * -std::expm1(epsilon - l);
  }
  return std::min(1.0, inf_mass + d);
}

// Scans the losses from the top. With U = inf_mass + sum_{j > i} p_j and
// V = sum_{j > i} p_j exp(-l_j), delta(eps) = U - exp(eps) V on [l_i, l_{i+1}]; the first i from
// the top with delta(l_i) > delta brackets the answer, eps = log((U - delta) / V). V is kept as
// W = V exp(ref) for a reference loss ref >= l_i, so that large losses do not underflow it.
double Pmf::epsilon(double delta) const {
  if (inf_mass > delta) return kInf;
  double u = inf_mass, w = 0.0, ref = p.empty() ? 0.0 : loss(p.size() - 1);
  for (size_t i = p.size(); i-- > 0;) {
    const double l = loss(i);
    if (ref - l > 600.0) {
      w *= std::exp(l - ref);
      ref = l;
    }
    if (w > 0 && u - w * std::exp(l - ref) > delta)
      return std::max(0.0, ref + std::log((u - delta) / w));
    u += p[i];
    w += p[i] * std::exp(ref - l);
  }
  if (!(u > delta) || !(w > 0)) return 0.0;
  return std::max(0.0, ref + std::log((u - delta) / w));
}

Pmf identity_pmf(double step) {
  Pmf r;
  r.step = step;
  r.p = {1.0};
  return r;
}

// Connect the dots (Doroshenko et al. 2022, Alg. 1) in the equivalent "hat" form: delta(eps) =
// int (p(x) - e^eps q(x))_+ dx, and each output x contributes to it a function of t = e^eps with
// one kink, at t = e^{L(x)}, of weight q(x). Interpolating delta linearly in t between grid points
// t_{i-1} < t_i splits that Q-mass linearly between them; a grid point's probability is t_i times
// the Q-mass it receives. Over the x with L(x) in (eps_{i-1}, eps_i]:
//   to i:     t_i (P - t_{i-1} Q) / (t_i - t_{i-1}) = (P - t_{i-1} Q) / (1 - e^-step),
//   to i - 1: t_{i-1} (t_i Q - P) / (t_i - t_{i-1}) = (t_i Q - P) / (e^step - 1),
// both >= 0 and summing to P. Below eps_lo the chord from (t = 0, delta = 1) puts the P-mass at
// eps_lo; above eps_hi delta is held at delta(eps_hi), the mass at +infinity. The interpolated
// delta(eps) lies above the exact convex curve everywhere, so the discrete pair dominates the
// exact one and every composition stays pessimistic.
Pmf subsampled_gaussian(double q, double sigma, double step, Direction dir, Discretization method,
                        size_t max_grid) {
  if (!(q > 0 && q <= 1) || !(sigma > 0) || !(step > 0))
    throw std::invalid_argument("pld: expected q in (0, 1], sigma > 0, step > 0");
  const GaussianPair g{q, sigma, dir};
  const double l1 = g.loss(-kTailZ * sigma), l2 = g.loss(1 + kTailZ * sigma);
  const double eps_lo = std::min(l1, l2), eps_hi = std::max(l1, l2);
  if (!std::isfinite(eps_lo) || !std::isfinite(eps_hi) ||
      (eps_hi - eps_lo) / step > double(max_grid))
    throw GridTooLarge(
        "pld: noise multiplier " + std::to_string(sigma) + " needs a loss grid of more than " +
            std::to_string(max_grid) + " points at value discretization " + std::to_string(step),
        std::isfinite(eps_hi - eps_lo) ? (eps_hi - eps_lo) / step / double(max_grid) : 1e300);
  const int64_t i_lo = int64_t(std::floor(eps_lo / step));
  const int64_t i_hi = std::max(i_lo + 1, int64_t(std::ceil(eps_hi / step)));
  const size_t n = size_t(i_hi - i_lo + 1);

  Pmf r;
  r.step = step;
  r.lo = i_lo;
  r.p.assign(n, 0.0);
  std::vector<double> t(n);  // thresholds in x
  for (size_t i = 0; i < n; ++i) t[i] = g.threshold(r.loss(i));

  r.p[0] = std::exp(g.at_or_below(t[0]).first);
  const auto [lp_top, lq_top] = g.above(t[n - 1]);
  if (method == Discretization::RoundUp) {
    for (size_t i = 1; i < n; ++i) r.p[i] = std::exp(g.between(t[i - 1], t[i]).first);
    r.inf_mass = std::exp(lp_top);
    return r;
  }
  // With Lbar = log(P / Q) of the region (its losses lie in [eps_{i-1}, eps_i], so does Lbar):
  // P - t_{i-1} Q = P (1 - e^{eps_{i-1} - Lbar}) and t_i Q - P = P (e^{eps_i - Lbar} - 1).
  const double up_scale = -1.0 / std::expm1(-step), down_scale = 1.0 / std::expm1(step);
  for (size_t i = 1; i < n; ++i) {
    const auto [lp, lq] = g.between(t[i - 1], t[i]);
    if (lp == -kInf) continue;
    // Lbar is clamped to the bin, where it lies exactly; this absorbs rounding.
    const double pm = std::exp(lp), lbar = std::clamp(lp - lq, r.loss(i - 1), r.loss(i));
    r.p[i] += std::max(0.0, -pm * std::expm1(r.loss(i - 1) - lbar) * up_scale);
    r.p[i - 1] += std::max(0.0, pm * std::expm1(r.loss(i) - lbar) * down_scale);
  }
  if (lp_top > -kInf) {  // t_n Q(above) stays at eps_n, the rest of P(above) goes to +infinity
    const double p_top = std::exp(lp_top), d = std::min(0.0, r.loss(n - 1) - (lp_top - lq_top));
    r.p[n - 1] += p_top * std::exp(d);
    r.inf_mass = -p_top * std::expm1(d);
  }
  return r;
}

Pmf compose(const Pmf& a, const Pmf& b, double tail_mass) {
  if (a.step != b.step) throw std::invalid_argument("pld: composing PMFs of different steps");
  Pmf r;
  r.step = a.step;
  r.lo = a.lo + b.lo;
  r.inf_mass = a.inf_mass + b.inf_mass - a.inf_mass * b.inf_mass;
  r.p = fft::convolve(a.p, b.p);
  for (double& x : r.p) x = std::max(0.0, x);
  // Pessimistic truncation: the low tail moves up to the first kept loss, the high tail to +inf.
  size_t first = 0, last = r.p.size();
  double low = 0.0, high = 0.0;
  while (first + 1 < last && low + r.p[first] <= tail_mass / 2) low += r.p[first++];
  while (last - 1 > first && high + r.p[last - 1] <= tail_mass / 2) high += r.p[--last];
  std::vector<double> kept(r.p.begin() + first, r.p.begin() + last);
  kept[0] += low;
  r.p = std::move(kept);
  r.lo += int64_t(first);
  r.inf_mass = std::min(1.0, r.inf_mass + high);
  return r;
}

namespace {

// log sum_i p_i exp(s (i - c)), shifted by its largest term. Exponentials are taken once per run
// of 64 indices and advanced by a geometric progression in between, with runs far below the
// largest term skipped and runs that would leave the double range evaluated term by term.
double log_mgf(const std::vector<double>& p, const std::vector<double>& log_p, double c, double s) {
  const size_t m = p.size();
  double mx = -kInf;
  for (size_t i = 0; i < m; ++i) mx = std::max(mx, log_p[i] + s * (double(i) - c));
  const double ratio = std::exp(s);
  double sum = 0.0;
  for (size_t i0 = 0; i0 < m; i0 += 64) {
    const size_t i1 = std::min(m, i0 + 64);
    const double a = s * (double(i0) - c) - mx, b = s * (double(i1 - 1) - c) - mx;
    if (std::max(a, b) < -700) continue;  // every term is below e^-700 of the largest
    if (std::min(a, b) < -700 || std::max(a, b) > 700) {
      for (size_t i = i0; i < i1; ++i) sum += std::exp(log_p[i] + s * (double(i) - c) - mx);
      continue;
    }
    double g = std::exp(a);
    for (size_t i = i0; i < i1; ++i, g *= ratio) sum += p[i] * g;
  }
  return mx + std::log(sum);
}

}  // namespace

SelfComposer::SelfComposer(Pmf base, int64_t max_count, double tail_mass, size_t max_fft)
    : base_(std::move(base)), max_count_(max_count), tail_mass_(tail_mass) {
  if (max_count < 0) throw std::invalid_argument("pld: negative composition count");
  if (base_.p.empty()) throw std::invalid_argument("pld: empty PMF");
  if (max_count <= 1) return;
  const size_t m = base_.p.size();
  double total = 0.0, m1 = 0.0, m2 = 0.0;
  for (size_t i = 0; i < m; ++i) {
    total += base_.p[i];
    m1 += double(i) * base_.p[i];
  }
  mean_index_ = total > 0 ? m1 / total : 0.0;
  for (size_t i = 0; i < m; ++i)
    m2 += (double(i) - mean_index_) * (double(i) - mean_index_) * base_.p[i];
  const double var = total > 0 ? m2 / total : 0.0;
  // Chernoff bounds on the sum of `count` indices. For a Gaussian of variance v the best lambda is
  // sqrt(2 B / (count v)), B = log(2 / tail_mass); the table spans 30x beyond that range for
  // count = 2 .. max_count at 8 lambdas per decade (any lambda gives a valid bound).
  if (var > 0 && tail_mass_ > 0) {
    std::vector<double> log_p(m, -kInf);
    for (size_t i = 0; i < m; ++i)
      if (base_.p[i] >= 1e-300) log_p[i] = std::log(base_.p[i]);
    const double B = std::log(2.0 / tail_mass_);
    const double l_hi = 30 * std::sqrt(2 * B / (2 * var));
    const double l_lo = std::sqrt(2 * B / (double(max_count) * var)) / 30;
    const int k_max = int(std::ceil(8 * std::log10(l_hi / l_lo)));
    for (int k = 0; k <= k_max; ++k) {
      const double lam = l_lo * std::pow(10.0, k / 8.0);
      for (double s : {lam, -lam}) {
        lambdas_.push_back(s);
        log_mgf_.push_back(log_mgf(base_.p, log_p, mean_index_, s));
      }
    }
  }
  int64_t lo = 0, hi = 0;
  window(max_count, lo, hi);
  const size_t n = fft::fft_size(std::max<size_t>(size_t(hi - lo + 1), m));
  if (n > max_fft)
    throw GridTooLarge("pld: composing " + std::to_string(max_count) +
                           " steps needs an FFT longer than " + std::to_string(max_fft) +
                           " at value discretization " + std::to_string(base_.step),
                       double(n) / double(max_fft));
  fft_ = fft::real_fft(n);
  std::vector<double> padded(n, 0.0);
  std::copy(base_.p.begin(), base_.p.end(), padded.begin());
  std::vector<fft::cplx> spec(fft_->bins());
  fft_->forward(padded.data(), spec.data());
  log_abs_.resize(spec.size());
  arg_.resize(spec.size());
  for (size_t k = 0; k < spec.size(); ++k) {
    const double re = spec[k].real(), im = spec[k].imag();
    log_abs_[k] = 0.5 * std::log(re * re + im * im);  // -inf below 1e-154: never needed
    arg_[k] = std::atan2(im, re);
  }
}

// [lo, hi]: indices of the count-fold sum (from count * base.lo) outside which at most
// tail_mass / 2 lies on each side: P(S >= c mean + b) <= exp(c log M(l) - l b) for l > 0, and
// likewise below (Chernoff); the best of the tabulated lambdas is taken.
void SelfComposer::window(int64_t count, int64_t& lo, int64_t& hi) const {
  const int64_t full_hi = count * int64_t(base_.p.size() - 1);
  lo = 0;
  hi = full_hi;
  if (!(tail_mass_ > 0)) return;
  const double log_budget = std::log(2.0 / tail_mass_), centre = double(count) * mean_index_;
  for (size_t k = 0; k < lambdas_.size(); ++k) {
    const double s = lambdas_[k];
    const double b = (double(count) * log_mgf_[k] + log_budget) / std::fabs(s);  // >= 0
    if (!std::isfinite(b)) continue;
    if (s > 0) hi = std::min<double>(double(hi), std::ceil(centre + b));
    if (s < 0) lo = std::max<double>(double(lo), std::floor(centre - b));
  }
  if (hi < lo) hi = lo;
}

Pmf SelfComposer::compose(int64_t count) const {
  if (count < 0 || count > max_count_)
    throw std::invalid_argument("pld: composition count " + std::to_string(count) +
                                " outside [0, " + std::to_string(max_count_) + "]");
  if (count == 0) return identity_pmf(base_.step);
  if (count == 1) return base_;
  int64_t lo = 0, hi = 0;
  window(count, lo, hi);
  const size_t n = fft_->size();
  const size_t width = size_t(hi - lo + 1);
  if (width > n) throw std::logic_error("pld: composition window exceeds the FFT length");
  std::vector<fft::cplx> spec(fft_->bins());
  const double c = double(count);
  for (size_t k = 0; k < spec.size(); ++k) {
    const double lr = c * log_abs_[k];
    if (lr < -745.0) continue;  // underflows to 0
    const double mag = std::exp(lr), ang = c * arg_[k];
    spec[k] = {mag * std::cos(ang), mag * std::sin(ang)};
  }
  std::vector<double> y(n);
  fft_->inverse(spec.data(), y.data());
  Pmf r;
  r.step = base_.step;
  r.lo = count * base_.lo + lo;
  r.p.resize(width);
  for (size_t i = 0; i < width; ++i) r.p[i] = std::max(0.0, y[(size_t(lo) + i) & (n - 1)]);
  const int64_t full_hi = count * int64_t(base_.p.size() - 1);
  const bool exact = lo == 0 && hi == full_hi && size_t(full_hi) < n;
  r.inf_mass = -std::expm1(c * std::log1p(-base_.inf_mass)) + (exact ? 0.0 : tail_mass_);
  r.inf_mass = std::min(1.0, r.inf_mass);
  return r;
}

}  // namespace fedsim::pld
