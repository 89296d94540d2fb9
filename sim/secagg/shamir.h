// Shamir t-of-n secret sharing (Shamir 1979, "How to share a secret") of 32-byte secrets, as SecAgg
// uses it for the self-mask seeds and the key-agreement secret keys (Bonawitz et al. 2017,
// Section 4, "ShareKeys").
//
// The field is GF(p), p = 2^61 - 1 (a Mersenne prime: reduction is a shift and an add). A 32-byte
// secret is eight 32-bit chunks, each shared with its own random polynomial of degree t - 1 at the
// same points, so one share is eight field elements (64 bytes) at x = holder + 1 (x = 0 is the
// secret). Any t shares give the secret by Lagrange interpolation at 0; t - 1 give no information.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace fedsim::secagg {

using Secret = std::array<uint8_t, 32>;

inline constexpr uint64_t kShamirPrime = (uint64_t(1) << 61) - 1;
inline constexpr int kShamirChunks = 8;  // 32-bit chunks of a 32-byte secret

struct Share {
  uint32_t x = 0;                         // evaluation point, 1..n (the holder's index + 1)
  std::array<uint64_t, kShamirChunks> y;  // one field element per chunk
};

// Field arithmetic mod 2^61 - 1.
uint64_t field_mul(uint64_t a, uint64_t b);
uint64_t field_add(uint64_t a, uint64_t b);
uint64_t field_sub(uint64_t a, uint64_t b);
uint64_t field_inv(uint64_t a);  // a != 0 (Fermat: a^(p-2))

// Shares of `secret` at x = 1..n with threshold t (1 <= t <= n). `coeff_bytes` supplies the
// polynomials' random coefficients: called as coeff_bytes(out, len) for 8 * (t - 1) * 8 random
// bytes (rejection-sampled into the field; more may be requested).
template <class RandomBytes>
std::vector<Share> shamir_share(const Secret& secret, int n, int t, RandomBytes&& coeff_bytes);

// The secret from at least t shares with distinct x (only the first t are used); nullopt when
// fewer than t are given.
std::optional<Secret> shamir_reconstruct(std::span<const Share> shares, int t);

// Evaluates the degree-(t-1) polynomial through the first `count` shares at 0 without the
// threshold check (for tests: below the threshold this is not the secret).
Secret shamir_interpolate_unchecked(std::span<const Share> shares, int count);

// --- implementation of the template --------------------------------------------------------------

namespace detail {
void shamir_evaluate(const Secret& secret, int n, int t, std::span<const uint64_t> coeffs,
                     std::vector<Share>& out);
}

template <class RandomBytes>
std::vector<Share> shamir_share(const Secret& secret, int n, int t, RandomBytes&& coeff_bytes) {
  // coeffs[c * (t - 1) + j]: coefficient of x^(j+1) for chunk c, uniform in [0, p)
  std::vector<uint64_t> coeffs(size_t(kShamirChunks) * size_t(t - 1));
  std::vector<uint64_t> raw(coeffs.size());
  size_t filled = 0;
  while (filled < coeffs.size()) {
    coeff_bytes(reinterpret_cast<uint8_t*>(raw.data()), raw.size() * sizeof(uint64_t));
    for (size_t i = 0; i < raw.size() && filled < coeffs.size(); ++i) {
      const uint64_t v = raw[i] & kShamirPrime;  // 61 bits; p itself is rejected
      if (v != kShamirPrime) coeffs[filled++] = v;
    }
  }
  std::vector<Share> out;
  detail::shamir_evaluate(secret, n, t, coeffs, out);
  return out;
}

}  // namespace fedsim::secagg
