// Shamir sharing over GF(2^61 - 1): polynomial evaluation (Horner) and Lagrange interpolation at 0.
#include "sim/secagg/shamir.h"

#include <cstring>
#include <stdexcept>

namespace fedsim::secagg {

namespace {
__extension__ using u128 = unsigned __int128;

// x mod p for x < 2^122 (a product of two field elements): fold the high bits onto the low ones.
inline uint64_t reduce128(u128 x) {
  uint64_t lo = uint64_t(x) & kShamirPrime;
  uint64_t hi = uint64_t(x >> 61);
  uint64_t r = lo + hi;  // < 2^62
  r = (r & kShamirPrime) + (r >> 61);
  return r >= kShamirPrime ? r - kShamirPrime : r;
}
}  // namespace

uint64_t field_mul(uint64_t a, uint64_t b) {
  return reduce128(u128(a) * b);
}
uint64_t field_add(uint64_t a, uint64_t b) {
  const uint64_t r = a + b;
  return r >= kShamirPrime ? r - kShamirPrime : r;
}
uint64_t field_sub(uint64_t a, uint64_t b) {
  return a >= b ? a - b : a + kShamirPrime - b;
}
uint64_t field_inv(uint64_t a) {
  uint64_t result = 1, base = a, e = kShamirPrime - 2;
  for (; e; e >>= 1, base = field_mul(base, base))
    if (e & 1) result = field_mul(result, base);
  return result;
}

namespace detail {
void shamir_evaluate(const Secret& secret, int n, int t, std::span<const uint64_t> coeffs,
                     std::vector<Share>& out) {
  if (t < 1 || t > n) throw std::invalid_argument("shamir_share: need 1 <= t <= n");
  uint32_t chunk[kShamirChunks];
  std::memcpy(chunk, secret.data(), sizeof(chunk));
  out.resize(size_t(n));
  for (int i = 0; i < n; ++i) {
    const uint64_t x = uint64_t(i) + 1;
    out[size_t(i)].x = uint32_t(x);
    for (int c = 0; c < kShamirChunks; ++c) {
      // Horner: a_{t-1} x^{t-1} + ... + a_1 x + secret
      const uint64_t* a = coeffs.data() + size_t(c) * size_t(t - 1);
      uint64_t y = 0;
      for (int j = t - 2; j >= 0; --j) y = field_mul(field_add(y, a[j]), x);
      out[size_t(i)].y[size_t(c)] = field_add(y, chunk[c]);
    }
  }
}
}  // namespace detail

Secret shamir_interpolate_unchecked(std::span<const Share> shares, int count) {
  // Lagrange at 0: secret = sum_i y_i prod_{j != i} x_j / (x_j - x_i)
  uint64_t acc[kShamirChunks] = {};
  for (int i = 0; i < count; ++i) {
    uint64_t num = 1, den = 1;
    for (int j = 0; j < count; ++j) {
      if (j == i) continue;
      num = field_mul(num, shares[size_t(j)].x);
      den = field_mul(den, field_sub(shares[size_t(j)].x, shares[size_t(i)].x));
    }
    if (den == 0) throw std::invalid_argument("shamir_reconstruct: duplicate share points");
    const uint64_t l = field_mul(num, field_inv(den));
    for (int c = 0; c < kShamirChunks; ++c)
      acc[c] = field_add(acc[c], field_mul(l, shares[size_t(i)].y[size_t(c)]));
  }
  Secret s;
  for (int c = 0; c < kShamirChunks; ++c) {
    const uint32_t v = uint32_t(acc[c]);  // a real secret's chunk is < 2^32
    std::memcpy(s.data() + 4 * c, &v, 4);
  }
  return s;
}

std::optional<Secret> shamir_reconstruct(std::span<const Share> shares, int t) {
  if (t < 1 || int(shares.size()) < t) return std::nullopt;
  return shamir_interpolate_unchecked(shares, t);
}

}  // namespace fedsim::secagg
