// An exact sampler of the discrete Gaussian N_Z(0, sigma^2) (P[x] proportional to
// exp(-x^2 / (2 sigma^2)) on the integers), for distributed DP with secure aggregation (Kairouz,
// Liu, Steinke 2021, "The Distributed Discrete Gaussian Mechanism for Federated Learning with
// Secure Aggregation", Section 4: each client adds N_Z(0, sigma^2 / n) so the sum carries about
// N_Z(0, sigma^2)).
//
// Canonne, Kamath, Steinke 2020 ("The Discrete Gaussian for Differential Privacy"), Section 5:
// Algorithm 1 (Bernoulli(exp(-gamma))), Algorithm 2 (discrete Laplace) and Algorithm 3 (discrete
// Gaussian by rejection from the discrete Laplace), in integer arithmetic on a rational sigma^2 =
// num / den, as in the paper's reference code, so no floating point enters the sampling: the only
// randomness is uniform integers drawn by rejection from a stream of random 64-bit words.
#pragma once

#include <cstdint>

#include "sim/util/gaussian_noise.h"

namespace fedsim::secagg {

__extension__ using u128 = unsigned __int128;

// sigma^2 = num / den exactly. For the sampler's 128-bit arithmetic, (floor(sigma) + 1)^2 * den
// must be below 2^57 (sigma below about 2^28).
struct RationalSigma2 {
  uint64_t num = 0, den = 1;
  double value() const { return double(num) / double(den); }
};

// The rational nearest to sigma2 with a power-of-two denominator <= 2^20 that keeps the arithmetic
// in range (sigma2 > 0, at most 2^56). Throws std::invalid_argument outside that range.
RationalSigma2 rational_sigma2(double sigma2);

// Random 64-bit words from Philox4x32-10 with key (k0, k1) and counter (c0, c1, c2, i), i = 0, 1,
// ...
class PhiloxBits {
 public:
  PhiloxBits(NoiseKey key, uint32_t c0, uint32_t c1, uint32_t c2) : key_(key), c_{c0, c1, c2} {}
  uint64_t next_u64() {
    if (pos_ == 4) {
      philox4x32_10(c_[0], c_[1], c_[2], block_++, key_.k0, key_.k1, buf_);
      pos_ = 0;
    }
    const uint64_t hi = buf_[pos_], lo = buf_[pos_ + 1];
    pos_ += 2;
    return (hi << 32) | lo;
  }

 private:
  NoiseKey key_;
  uint32_t c_[3];
  uint32_t block_ = 0;
  uint32_t buf_[4] = {};
  int pos_ = 4;
};

// One draw of N_Z(0, sigma2) (CKS 2020, Algorithm 3).
int64_t sample_discrete_gaussian(const RationalSigma2& sigma2, PhiloxBits& bits);

// The exact variance of N_Z(0, sigma2), sum_x x^2 e^{-x^2/2s^2} / sum_x e^{-x^2/2s^2} (below
// sigma2, CKS 2020, Corollary 9); for sigma >= 10 it equals sigma2 to within a relative 1e-800,
// and sigma2 is returned.
double discrete_gaussian_variance(double sigma2);

// Building blocks, exposed for tests: Bernoulli(num / den), Bernoulli(exp(-num / den)) (CKS 2020,
// Algorithm 1) and the discrete Laplace with scale t, P[x] proportional to exp(-|x| / t)
// (Algorithm 2 with s = 1).
bool sample_bernoulli(u128 num, u128 den, PhiloxBits& bits);
bool sample_bernoulli_exp(u128 num, u128 den, PhiloxBits& bits);
int64_t sample_discrete_laplace(uint64_t t, PhiloxBits& bits);
// The discrete Laplace with a rational scale t / s, P[x] proportional to exp(-|x| s / t) (CKS 2020,
// Algorithm 2 in full); t, s >= 1.
int64_t sample_discrete_laplace(uint64_t t, uint64_t s, PhiloxBits& bits);

}  // namespace fedsim::secagg
