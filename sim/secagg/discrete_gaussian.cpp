// Exact discrete Gaussian sampling (Canonne, Kamath, Steinke 2020, Algorithms 1-3) in integer
// arithmetic; see discrete_gaussian.h.
#include "sim/secagg/discrete_gaussian.h"

#include <cmath>
#include <stdexcept>

namespace fedsim::secagg {

namespace {

// Uniform integer in [0, n), n >= 1, by rejection (exactly uniform).
u128 uniform_below(u128 n, PhiloxBits& bits) {
  if (n >> 64 == 0) {
    const uint64_t m = uint64_t(n);
    if (m == 0) return 0;  // n = 2^64 only if the high word is 1, handled below
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % m + 1) % m;  // largest multiple of m, minus 1
    for (;;) {
      const uint64_t x = bits.next_u64();
      if (x <= limit) return x % m;
    }
  }
  const u128 max = ~u128(0);
  const u128 limit = max - (max % n + 1) % n;
  for (;;) {
    const u128 x = (u128(bits.next_u64()) << 64) | bits.next_u64();
    if (x <= limit) return x % n;
  }
}

uint64_t isqrt(uint64_t x) {
  uint64_t r = uint64_t(std::sqrt(double(x)));
  while (r * r > x) --r;
  while ((r + 1) * (r + 1) <= x) ++r;
  return r;
}

}  // namespace

RationalSigma2 rational_sigma2(double sigma2) {
  if (!(sigma2 > 0) || !(sigma2 <= 0x1p56))
    throw std::invalid_argument("discrete Gaussian: sigma^2 must be in (0, 2^56]");
  const double t = std::floor(std::sqrt(sigma2)) + 1;
  uint64_t den = uint64_t(1) << 20;
  while (den > 1 && t * t * double(den) >= 0x1p57) den >>= 1;
  RationalSigma2 r{uint64_t(std::llround(sigma2 * double(den))), den};
  if (r.num == 0) r.num = 1;
  return r;
}

bool sample_bernoulli(u128 num, u128 den, PhiloxBits& bits) {
  return uniform_below(den, bits) < num;
}

// CKS 2020, Algorithm 1: for gamma = num / den in [0, 1], K = first k with Bernoulli(gamma / k) = 0
// gives P[K odd] = exp(-gamma); for gamma > 1, exp(-gamma) = exp(-1)^floor(gamma) exp(-frac).
bool sample_bernoulli_exp(u128 num, u128 den, PhiloxBits& bits) {
  if (num <= den) {
    u128 k = 1;
    for (;;) {
      const u128 dk = den * k;
      if (dk / k != den) throw std::logic_error("discrete Gaussian: 128-bit overflow");
      if (!sample_bernoulli(num, dk, bits)) break;
      ++k;
    }
    return k & 1;
  }
  for (u128 i = num / den; i > 0; --i)
    if (!sample_bernoulli_exp(1, 1, bits)) return false;
  return sample_bernoulli_exp(num % den, den, bits);
}

// CKS 2020, Algorithm 2: U uniform in [0, t) accepted with probability exp(-U / t), plus t times a
// geometric count V of Bernoulli(exp(-1)) successes; X = U + t V is geometric with parameter
// exp(-1 / t), Y = floor(X / s); a random sign, with -0 rejected.
int64_t sample_discrete_laplace(uint64_t t, uint64_t s, PhiloxBits& bits) {
  for (;;) {
    const uint64_t u = uint64_t(uniform_below(t, bits));
    if (!sample_bernoulli_exp(u, t, bits)) continue;
    uint64_t v = 0;
    while (sample_bernoulli_exp(1, 1, bits)) ++v;
    const uint64_t x = (u + t * v) / s;
    const bool negative = bits.next_u64() >> 63;
    if (negative && x == 0) continue;
    return negative ? -int64_t(x) : int64_t(x);
  }
}

int64_t sample_discrete_laplace(uint64_t t, PhiloxBits& bits) {
  return sample_discrete_laplace(t, 1, bits);
}

// CKS 2020, Algorithm 3: t = floor(sigma) + 1; Y ~ DLap(t) accepted with probability
// exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2)). With sigma^2 = a / b the exponent is
// (|Y| t b - a)^2 / (2 a t^2 b), all integers. |Y| > 64 t is rejected outright: its acceptance
// probability is below exp(-1900), so this changes the output distribution by less than 2^-2700.
int64_t sample_discrete_gaussian(const RationalSigma2& s, PhiloxBits& bits) {
  const uint64_t a = s.num, b = s.den;
  const uint64_t t = isqrt(a / b) + 1;
  for (;;) {
    const int64_t y = sample_discrete_laplace(t, bits);
    const uint64_t ay = uint64_t(y < 0 ? -y : y);
    if (ay > 64 * t) continue;
    const u128 ytb = u128(ay) * t * b;
    const u128 diff = ytb > a ? ytb - a : u128(a) - ytb;
    const u128 num = diff * diff;
    const u128 den = u128(2) * a * t * t * b;
    if (sample_bernoulli_exp(num, den, bits)) return y;
  }
}

double discrete_gaussian_variance(double sigma2) {
  const double sigma = std::sqrt(sigma2);
  if (sigma >= 10) return sigma2;
  const int64_t lim = int64_t(std::ceil(40 * sigma)) + 10;
  long double num = 0, den = 1;  // x = 0 term
  for (int64_t x = 1; x <= lim; ++x) {
    const long double w = std::exp(-(long double)(x * x) / (2.0L * sigma2));
    num += 2 * (long double)(x * x) * w;
    den += 2 * w;
  }
  return double(num / den);
}

}  // namespace fedsim::secagg
