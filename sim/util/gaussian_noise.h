// Counter-based Gaussian noise that CPU loops and CUDA kernels compute identically.
//
// Element i of the noise vector for (seed, purpose; round, client, step) is a standard normal
// computed from Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3")
// with key (seed low, seed high ^ purpose) and counter (round, client, step, i / 4), followed by
// the Box-Muller transform (Box & Muller 1958). Any element can be drawn alone, in any order, on
// any device. log, sin and cos are evaluated by the fixed polynomials below (with fmaf), not by the
// platform's libm, so the host and CUDA give the same bits and the CPU loop vectorises.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "sim/util/host_device.h"

namespace fedsim {

// Purposes of noise streams (part of the key, so streams never collide).
enum : uint32_t { kNoiseDpSgd = 0x4450u, kNoiseServer = 0x5356u };

struct NoiseKey {
  uint32_t k0, k1;
};

FEDSIM_HD inline NoiseKey noise_key(uint64_t seed, uint32_t purpose) {
  return {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32) ^ (purpose * 0x9E3779B9u)};
}

// Philox4x32-10 (Random123's constants; tests check it against r123::Philox4x32).
FEDSIM_HD inline void philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                                    uint32_t k1, uint32_t out[4]) {
  for (int r = 0; r < 10; ++r) {
    const uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// ln(k * 2^-24) for an integer k in [1, 2^24]: k = m 2^e with m in [sqrt(1/2), sqrt(2)), then
// ln(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m - 1) / (m + 1), |s| < 0.1716; the series
// to s^11 is accurate to about 1 float ulp.
FEDSIM_HD inline float log_of_24bit_uniform(uint32_t k) {
  // Integer operations only (no branches or selects), so the CPU loop vectorises.
  const float x = float(k);  // exact: k <= 2^24
  uint32_t bits;
  memcpy(&bits, &x, 4);
  uint32_t mbits = (bits & 0x007FFFFFu) | 0x3F800000u;  // m in [1, 2)
  const uint32_t big = mbits > 0x3FB504F3u ? 1u : 0u;   // m > sqrt(2): use m / 2
  mbits -= big << 23;
  const int e = int(bits >> 23) - 127 + int(big);
  float m;
  memcpy(&m, &mbits, 4);
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  float p = fmaf(s2, 1.0f / 11.0f, 1.0f / 9.0f);
  p = fmaf(s2, p, 1.0f / 7.0f);
  p = fmaf(s2, p, 1.0f / 5.0f);
  p = fmaf(s2, p, 1.0f / 3.0f);
  const float ln_m = fmaf(2.0f * s * s2, p, 2.0f * s);
  return fmaf(float(e - 24), 0.693147180559945309f, ln_m);
}

// sin and cos of 2 pi u for u = k 2^-24, k in [0, 2^24): quadrant j = round(4u), y = 2 pi (u - j/4)
// in [-pi/4, pi/4] (the subtraction is exact), Taylor polynomials to y^9 / y^10 (error < 1e-8),
// then a rotation by j quarter turns.
FEDSIM_HD inline void sincos_2pi_24bit(uint32_t k, float& sin_out, float& cos_out) {
  const uint32_t j = ((k + (1u << 21)) >> 22) & 3u;  // round(4u) mod 4
  const float d = float(int32_t(k) - int32_t(((k + (1u << 21)) >> 22) << 22)) * 0x1.0p-24f;
  const float y = d * 6.28318530717958647692f, y2 = y * y;
  float sp = fmaf(y2, 1.0f / 362880.0f, -1.0f / 5040.0f);
  sp = fmaf(y2, sp, 1.0f / 120.0f);
  sp = fmaf(y2, sp, -1.0f / 6.0f);
  const float sy = fmaf(y * y2, sp, y);
  float cp = fmaf(y2, -1.0f / 3628800.0f, 1.0f / 40320.0f);
  cp = fmaf(y2, cp, -1.0f / 720.0f);
  cp = fmaf(y2, cp, 1.0f / 24.0f);
  cp = fmaf(y2, cp, -0.5f);
  const float cy = fmaf(y2, cp, 1.0f);
  // rotate by j quarter turns: (sin, cos)(y + j pi/2)
  // as bit operations (no branches): swap on odd j, negate sin for j = 2, 3 and cos for j = 1, 2
  uint32_t sb, cb;
  memcpy(&sb, &sy, 4);
  memcpy(&cb, &cy, 4);
  const uint32_t swap = 0u - (j & 1u);
  const uint32_t s_bits = ((cb & swap) | (sb & ~swap)) ^ ((j & 2u) << 30);
  const uint32_t c_bits = ((sb & swap) | (cb & ~swap)) ^ (((j ^ (j >> 1)) & 1u) << 31);
  memcpy(&sin_out, &s_bits, 4);
  memcpy(&cos_out, &c_bits, 4);
}

// Box-Muller: two independent standard normals from two 32-bit uniforms (24 bits each are used:
// u1 in (0, 1] so the logarithm is finite, u2 in [0, 1)).
FEDSIM_HD inline void box_muller(uint32_t a, uint32_t b, float& z0, float& z1) {
  const float r = sqrtf(-2.0f * log_of_24bit_uniform((a >> 8) + 1u));
  float s, c;
  sincos_2pi_24bit(b >> 8, s, c);
  z0 = r * c;
  z1 = r * s;
}

// Elements 4*block .. 4*block+3 of the stream (key; round, client, step).
FEDSIM_HD inline void gaussian4_at(NoiseKey key, uint32_t round, uint32_t client, uint32_t step,
                                   uint32_t block, float out[4]) {
  uint32_t u[4];
  philox4x32_10(round, client, step, block, key.k0, key.k1, u);
  box_muller(u[0], u[1], out[0], out[1]);
  box_muller(u[2], u[3], out[2], out[3]);
}

// The i-th standard normal of the stream (key; round, client, step).
FEDSIM_HD inline float gaussian_at(NoiseKey key, uint32_t round, uint32_t client, uint32_t step,
                                   uint64_t i) {
  float z[4];
  gaussian4_at(key, round, client, step, uint32_t(i >> 2), z);
  return z[i & 3];
}

}  // namespace fedsim
