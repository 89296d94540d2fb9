// The noise row of cpu_noise.h written once over a SIMD "ops" type V (AVX2: 8 lanes, AVX-512: 16),
// included only by cpu_noise_avx2.cpp and cpu_noise_avx512.cpp, each compiled for its ISA.
//
// One lane computes one Philox block (4 normals), exactly as gaussian4_at in
// sim/util/gaussian_noise.h: the same operations in the same order, with IEEE-exact division and
// square root and explicit FMAs, so every lane gives the bits of the scalar (and CUDA) code. The
// Philox multiplies use the 32x32->64 instruction on even and odd lanes (the compiler's
// auto-vectorised loop used a 64-bit multiply, three times slower) on 64-bit lanes. Everything here
// has internal linkage, so no ISA-specific code can be merged into a generic caller.
//
// V provides (I: 32-bit integer lanes, F: float lanes): set1, fset1, iota (0, 1, 2, ...), add, sub,
// and_, andnot (~a & b), or_, xor_, xor3, srli, slli (32-bit lanes), slli64 (64-bit
// lanes), swap32 (exchange the 32-bit halves of each 64-bit lane: a shuffle, which runs on another
// port than the multiplies), mul_even (32x32->64 multiply of the low halves of 64-bit lanes),
// blend_odd (a's even 32-bit lanes, b's odd ones), gt01 (1 where a > b), to_float, as_int,
// as_float, fadd, fsub, mul, div, sqrt, fma, load, store, loadi, storei (32-bit integers),
// store_interleaved.
#pragma once

#include <cstdint>

namespace fedsim {
namespace {

// The Philox key schedule of one row, broadcast once: ks[2 r], ks[2 r + 1] = round r's (k0, k1).
template <class V>
struct PhiloxKeys {
  typename V::I ks[20];
  PhiloxKeys(uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; ++r, k0 += 0x9E3779B9u, k1 += 0xBB67AE85u) {
      ks[2 * r] = V::set1(k0);
      ks[2 * r + 1] = V::set1(k1);
    }
  }
};

// Philox4x32-10 on V::kLanes / 2 blocks, one per 64-bit lane: the low 32 bits of each 64-bit lane
// carry the state (the high halves are ignored), so one 32x32->64 multiply gives both halves of
// a product. Counters (c0, c1, c2) are shared; c3 is the block number in each lane's low half.
template <class V>
inline void philox_wide(typename V::I c0, typename V::I c1, typename V::I c2, typename V::I c3,
                        const PhiloxKeys<V>& keys, typename V::I out[4]) {
  using I = typename V::I;
  const I m0 = V::set1(0xD2511F53u), m1 = V::set1(0xCD9E8D57u);
  for (int r = 0; r < 10; ++r) {
    const I p0 = V::mul_even(m0, c0), p1 = V::mul_even(m1, c2);  // lo in the low half
    c0 = V::xor3(V::swap32(p1), c1, keys.ks[2 * r]);
    c1 = p1;
    c2 = V::xor3(V::swap32(p0), c3, keys.ks[2 * r + 1]);
    c3 = p0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// Philox4x32-10 on V::kLanes blocks: lane l gets block `first` + l.
template <class V>
inline void philox_lanes(typename V::I c0, typename V::I c1, typename V::I c2, uint32_t first,
                         const PhiloxKeys<V>& keys, typename V::I out[4]) {
  using I = typename V::I;
  const I even = V::add(V::set1(first), V::iota());  // low halves: first + 2i
  I ue[4], uo[4];
  philox_wide<V>(c0, c1, c2, even, keys, ue);
  philox_wide<V>(c0, c1, c2, V::add(even, V::set1(1u)), keys, uo);
  for (int w = 0; w < 4; ++w) out[w] = V::blend_odd(ue[w], V::slli64(uo[w], 32));
}

// philox_lanes for two groups at once: lane l of out gets block first + l, of out2 first + L + l.
template <class V>
inline void philox_lanes2(typename V::I c0, typename V::I c1, typename V::I c2, uint32_t first,
                          const PhiloxKeys<V>& keys, typename V::I out[4], typename V::I out2[4]) {
  using I = typename V::I;
  const I m0 = V::set1(0xD2511F53u), m1 = V::set1(0xCD9E8D57u);
  const I e0 = V::add(V::set1(first), V::iota());
  I s[4][4];  // chains: even, odd of group 1; even, odd of group 2
  const I c3[4] = {e0, V::add(e0, V::set1(1u)), V::add(e0, V::set1(uint32_t(V::kLanes))),
                   V::add(e0, V::set1(uint32_t(V::kLanes) + 1u))};
  for (int h = 0; h < 4; ++h) {
    s[h][0] = c0;
    s[h][1] = c1;
    s[h][2] = c2;
    s[h][3] = c3[h];
  }
  for (int r = 0; r < 10; ++r) {
    for (int h = 0; h < 4; ++h) {
      const I p0 = V::mul_even(m0, s[h][0]), p1 = V::mul_even(m1, s[h][2]);
      s[h][0] = V::xor3(V::swap32(p1), s[h][1], keys.ks[2 * r]);
      s[h][1] = p1;
      s[h][2] = V::xor3(V::swap32(p0), s[h][3], keys.ks[2 * r + 1]);
      s[h][3] = p0;
    }
  }
  for (int w = 0; w < 4; ++w) {
    out[w] = V::blend_odd(s[0][w], V::slli64(s[1][w], 32));
    out2[w] = V::blend_odd(s[2][w], V::slli64(s[3][w], 32));
  }
}

// log_of_24bit_uniform, lane-wise.
template <class V>
inline typename V::F log_24bit(typename V::I k) {
  using F = typename V::F;
  using I = typename V::I;
  const F x = V::to_float(k);
  const I bits = V::as_int(x);
  I mbits = V::or_(V::and_(bits, V::set1(0x007FFFFFu)), V::set1(0x3F800000u));
  const I big = V::gt01(mbits, V::set1(0x3FB504F3u));  // 1 where m > sqrt(2)
  mbits = V::sub(mbits, V::slli(big, 23));
  const I e = V::add(V::sub(V::srli(bits, 23), V::set1(127u)), big);
  const F m = V::as_float(mbits);
  const F one = V::fset1(1.0f);
  const F s = V::div(V::fsub(m, one), V::fadd(m, one)), s2 = V::mul(s, s);
  F p = V::fma(s2, V::fset1(1.0f / 11.0f), V::fset1(1.0f / 9.0f));
  p = V::fma(s2, p, V::fset1(1.0f / 7.0f));
  p = V::fma(s2, p, V::fset1(1.0f / 5.0f));
  p = V::fma(s2, p, V::fset1(1.0f / 3.0f));
  const F two_s = V::mul(V::fset1(2.0f), s);
  const F ln_m = V::fma(V::mul(two_s, s2), p, two_s);
  return V::fma(V::to_float(V::sub(e, V::set1(24u))), V::fset1(0.693147180559945309f), ln_m);
}

// sincos_2pi_24bit, lane-wise.
template <class V>
inline void sincos_24bit(typename V::I k, typename V::F& sin_out, typename V::F& cos_out) {
  using F = typename V::F;
  using I = typename V::I;
  const I q = V::srli(V::add(k, V::set1(1u << 21)), 22);
  const I j = V::and_(q, V::set1(3u));
  const F d = V::mul(V::to_float(V::sub(k, V::slli(q, 22))), V::fset1(0x1.0p-24f));
  const F y = V::mul(d, V::fset1(6.28318530717958647692f)), y2 = V::mul(y, y);
  F sp = V::fma(y2, V::fset1(1.0f / 362880.0f), V::fset1(-1.0f / 5040.0f));
  sp = V::fma(y2, sp, V::fset1(1.0f / 120.0f));
  sp = V::fma(y2, sp, V::fset1(-1.0f / 6.0f));
  const F sy = V::fma(V::mul(y, y2), sp, y);
  F cp = V::fma(y2, V::fset1(-1.0f / 3628800.0f), V::fset1(1.0f / 40320.0f));
  cp = V::fma(y2, cp, V::fset1(-1.0f / 720.0f));
  cp = V::fma(y2, cp, V::fset1(1.0f / 24.0f));
  cp = V::fma(y2, cp, V::fset1(-0.5f));
  const F cy = V::fma(y2, cp, V::fset1(1.0f));
  const I sb = V::as_int(sy), cb = V::as_int(cy);
  const I swap = V::sub(V::set1(0u), V::and_(j, V::set1(1u)));
  const I s_bits =
      V::xor_(V::or_(V::and_(cb, swap), V::andnot(swap, sb)), V::slli(V::and_(j, V::set1(2u)), 30));
  const I c_bits = V::xor_(V::or_(V::and_(sb, swap), V::andnot(swap, cb)),
                           V::slli(V::and_(V::xor_(j, V::srli(j, 1)), V::set1(1u)), 31));
  sin_out = V::as_float(s_bits);
  cos_out = V::as_float(c_bits);
}

// box_muller, lane-wise.
template <class V>
inline void box_muller_lanes(typename V::I a, typename V::I b, typename V::F& z0,
                             typename V::F& z1) {
  using F = typename V::F;
  const F ln = log_24bit<V>(V::add(V::srli(a, 8), V::set1(1u)));
  const F r = V::sqrt(V::mul(V::fset1(-2.0f), ln));
  F s, c;
  sincos_24bit<V>(V::srli(b, 8), s, c);
  z0 = V::mul(r, c);
  z1 = V::mul(r, s);
}

// Secure-aggregation masks (sim/secagg/mask_prg.h): for every group g < groups of 16 blocks,
// y[64 g + 16 w + l] (+ or -)= output word w of Philox block 16 (g0 + g) + l, counter
// (c0, c1, c2, block), key (k0, k1); modulo 2^32.
template <class V>
inline void philox_mask_add_simd(uint32_t* y, uint64_t g0, size_t groups, uint32_t c0s,
                                 uint32_t c1s, uint32_t c2s, uint32_t k0, uint32_t k1,
                                 bool subtract) {
  using I = typename V::I;
  constexpr int L = V::kLanes;
  const PhiloxKeys<V> keys(k0, k1);
  const I c0 = V::set1(c0s), c1 = V::set1(c1s), c2 = V::set1(c2s);
  for (size_t g = 0; g < groups; ++g) {
    uint32_t* yg = y + g * 64;
    for (int h = 0; h < 16; h += L) {
      I u[4];
      philox_lanes<V>(c0, c1, c2, uint32_t((g0 + g) * 16 + h), keys, u);
      for (int w = 0; w < 4; ++w) {
        uint32_t* p = yg + 16 * w + h;
        const I v = V::loadi(p);
        V::storei(p, subtract ? V::sub(v, u[w]) : V::add(v, u[w]));
      }
    }
  }
}

// out[i] = (base ? base[i] : 0) + scale * (g[i] + stddev * z_i), z_i = gaussian_at(...), i < n.
template <class V>
inline void noise_axpy_row_simd(float* out, const float* base, const float* g, int64_t n,
                                float stddev, float scale, uint32_t k0, uint32_t k1, uint32_t round,
                                uint32_t client, uint32_t step) {
  using F = typename V::F;
  using I = typename V::I;
  constexpr int L = V::kLanes, kPerBatch = 4 * L;
  const F vstd = V::fset1(stddev), vscale = V::fset1(scale);
  const int64_t blocks = (n + 3) / 4;
  alignas(64) float zs[kPerBatch];
  const PhiloxKeys<V> keys(k0, k1);
  const I c0 = V::set1(round), c1 = V::set1(client), c2 = V::set1(step);
  // Two groups of L blocks per iteration: four independent Philox chains keep the multipliers busy
  // (one group's chain of ten dependent rounds leaves them idle half the time).
  auto emit = [&](int64_t b0, const F z[4]) {
    V::store_interleaved(z, zs);  // zs[4 l + j] = z[j] of lane l
    const int64_t first = b0 * 4;
    if (n - first >= kPerBatch) {
      for (int t = 0; t < kPerBatch; t += L) {
        // the scalar expression's order: base + scale * (g + stddev * z), no contraction
        F v = V::mul(vscale, V::fadd(V::load(g + first + t), V::mul(vstd, V::load(zs + t))));
        if (base) v = V::fadd(V::load(base + first + t), v);
        V::store(out + first + t, v);
      }
    } else {
      for (int64_t t = 0; t < n - first; ++t) {
        const float v = scale * (g[first + t] + stddev * zs[t]);
        out[first + t] = base ? base[first + t] + v : v;
      }
    }
  };
  for (int64_t b0 = 0; b0 < blocks; b0 += 2 * L) {
    I u[4], w[4];
    philox_lanes2<V>(c0, c1, c2, uint32_t(b0), keys, u, w);
    F z[4], y[4];
    box_muller_lanes<V>(u[0], u[1], z[0], z[1]);
    box_muller_lanes<V>(w[0], w[1], y[0], y[1]);
    box_muller_lanes<V>(u[2], u[3], z[2], z[3]);
    box_muller_lanes<V>(w[2], w[3], y[2], y[3]);
    emit(b0, z);
    if (b0 + L < blocks) emit(b0 + L, y);
  }
}

}  // namespace
}  // namespace fedsim
