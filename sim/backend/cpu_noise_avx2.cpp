// The noise row on 8 lanes with AVX2 and FMA (compiled with -mavx2 -mfma; called only where the
// CPU has them, see cpu_noise.cpp).
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

#include "sim/backend/noise_simd_kernel.h"

namespace fedsim {
namespace {

struct V8 {
  using I = __m256i;
  using F = __m256;
  static constexpr int kLanes = 8;
  static I set1(uint32_t v) { return _mm256_set1_epi32(int(v)); }
  static F fset1(float v) { return _mm256_set1_ps(v); }
  static I iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static I add(I a, I b) { return _mm256_add_epi32(a, b); }
  static I sub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I and_(I a, I b) { return _mm256_and_si256(a, b); }
  static I andnot(I a, I b) { return _mm256_andnot_si256(a, b); }  // ~a & b
  static I or_(I a, I b) { return _mm256_or_si256(a, b); }
  static I xor_(I a, I b) { return _mm256_xor_si256(a, b); }
  static I xor3(I a, I b, I c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  static I srli(I a, int s) { return _mm256_srli_epi32(a, s); }
  static I slli(I a, int s) { return _mm256_slli_epi32(a, s); }
  // 1 where a > b; both hold mantissa bits of a float in [1, 2), below 2^31, so the signed
  // comparison is the unsigned one
  static I gt01(I a, I b) { return _mm256_srli_epi32(_mm256_cmpgt_epi32(a, b), 31); }
  static I swap32(I a) { return _mm256_shuffle_epi32(a, 0xB1); }  // 32-bit halves of 64-bit lanes
  static I slli64(I a, int s) { return _mm256_slli_epi64(a, s); }
  static I mul_even(I a, I b) { return _mm256_mul_epu32(a, b); }
  static I blend_odd(I a, I b) { return _mm256_blend_epi32(a, b, 0xAA); }
  static F to_float(I a) { return _mm256_cvtepi32_ps(a); }
  static I as_int(F a) { return _mm256_castps_si256(a); }
  static F as_float(I a) { return _mm256_castsi256_ps(a); }
  static F fadd(F a, F b) { return _mm256_add_ps(a, b); }
  static F fsub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F sqrt(F a) { return _mm256_sqrt_ps(a); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static I loadi(const uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const I*>(p)); }
  static void storei(uint32_t* p, I v) { _mm256_storeu_si256(reinterpret_cast<I*>(p), v); }
  // dst[4 l + j] = z[j] lane l: a 4x4 transpose inside each 128-bit half, then half swaps
  static void store_interleaved(const F z[4], float* dst) {
    const F a = _mm256_unpacklo_ps(z[0], z[1]), b = _mm256_unpackhi_ps(z[0], z[1]);
    const F c = _mm256_unpacklo_ps(z[2], z[3]), d = _mm256_unpackhi_ps(z[2], z[3]);
    // half h of r[i] holds the 4 normals of lane 4 h + i
    const F r0 = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(a), _mm256_castps_pd(c)));
    const F r1 = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(a), _mm256_castps_pd(c)));
    const F r2 = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(b), _mm256_castps_pd(d)));
    const F r3 = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(b), _mm256_castps_pd(d)));
    _mm256_storeu_ps(dst + 0, _mm256_permute2f128_ps(r0, r1, 0x20));
    _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(r2, r3, 0x20));
    _mm256_storeu_ps(dst + 16, _mm256_permute2f128_ps(r0, r1, 0x31));
    _mm256_storeu_ps(dst + 24, _mm256_permute2f128_ps(r2, r3, 0x31));
  }
};

}  // namespace

void noise_axpy_row_avx2(float* out, const float* base, const float* g, int64_t n, float stddev,
                         float scale, uint32_t k0, uint32_t k1, uint32_t round, uint32_t client,
                         uint32_t step) {
  noise_axpy_row_simd<V8>(out, base, g, n, stddev, scale, k0, k1, round, client, step);
}

void philox_mask_add_avx2(uint32_t* y, uint64_t g0, size_t groups, uint32_t c0, uint32_t c1,
                          uint32_t c2, uint32_t k0, uint32_t k1, bool subtract) {
  philox_mask_add_simd<V8>(y, g0, groups, c0, c1, c2, k0, k1, subtract);
}

}  // namespace fedsim
#endif
