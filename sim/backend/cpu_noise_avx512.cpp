// The noise row on 16 lanes with AVX-512 (compiled with -mavx512f -mavx512dq -mavx512bw
// -mavx512vl -mfma; called only where the CPU has them, see cpu_noise.cpp).
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

#include "sim/backend/noise_simd_kernel.h"

namespace fedsim {
namespace {

struct V16 {
  using I = __m512i;
  using F = __m512;
  static constexpr int kLanes = 16;
  static I set1(uint32_t v) { return _mm512_set1_epi32(int(v)); }
  static F fset1(float v) { return _mm512_set1_ps(v); }
  static I iota() {
    return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  }
  static I add(I a, I b) { return _mm512_add_epi32(a, b); }
  static I sub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I and_(I a, I b) { return _mm512_and_si512(a, b); }
  static I andnot(I a, I b) { return _mm512_andnot_si512(a, b); }  // ~a & b
  static I or_(I a, I b) { return _mm512_or_si512(a, b); }
  static I xor_(I a, I b) { return _mm512_xor_si512(a, b); }
  static I xor3(I a, I b, I c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }
  static I srli(I a, int s) { return _mm512_srli_epi32(a, unsigned(s)); }
  static I slli(I a, int s) { return _mm512_slli_epi32(a, unsigned(s)); }
  static I gt01(I a, I b) {  // 1 where a > b (unsigned), else 0
    return _mm512_maskz_mov_epi32(_mm512_cmpgt_epu32_mask(a, b), _mm512_set1_epi32(1));
  }
  static I swap32(I a) { return _mm512_shuffle_epi32(a, _MM_PERM_CDAB); }  // halves of 64-bit lanes
  static I slli64(I a, int s) { return _mm512_slli_epi64(a, unsigned(s)); }
  static I mul_even(I a, I b) { return _mm512_mul_epu32(a, b); }
  static I blend_odd(I a, I b) { return _mm512_mask_blend_epi32(0xAAAA, a, b); }
  static F to_float(I a) { return _mm512_cvtepi32_ps(a); }
  static I as_int(F a) { return _mm512_castps_si512(a); }
  static F as_float(I a) { return _mm512_castsi512_ps(a); }
  static F fadd(F a, F b) { return _mm512_add_ps(a, b); }
  static F fsub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static I loadi(const uint32_t* p) { return _mm512_loadu_si512(p); }
  static void storei(uint32_t* p, I v) { _mm512_storeu_si512(p, v); }
  // dst[4 l + j] = z[j] lane l: a 4x4 transpose inside each 128-bit chunk, then chunk shuffles
  static void store_interleaved(const F z[4], float* dst) {
    const F a = _mm512_unpacklo_ps(z[0], z[1]), b = _mm512_unpackhi_ps(z[0], z[1]);
    const F c = _mm512_unpacklo_ps(z[2], z[3]), d = _mm512_unpackhi_ps(z[2], z[3]);
    // chunk q of r[i] holds the 4 normals of lane 4 q + i
    const F r0 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
    const F r1 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
    const F r2 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
    const F r3 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
    const F p01 = _mm512_shuffle_f32x4(r0, r1, _MM_SHUFFLE(1, 0, 1, 0));  // r0.c0 r0.c1 r1.c0 r1.c1
    const F p23 = _mm512_shuffle_f32x4(r2, r3, _MM_SHUFFLE(1, 0, 1, 0));
    const F q01 = _mm512_shuffle_f32x4(r0, r1, _MM_SHUFFLE(3, 2, 3, 2));  // r0.c2 r0.c3 r1.c2 r1.c3
    const F q23 = _mm512_shuffle_f32x4(r2, r3, _MM_SHUFFLE(3, 2, 3, 2));
    _mm512_storeu_ps(dst + 0, _mm512_shuffle_f32x4(p01, p23, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_storeu_ps(dst + 16, _mm512_shuffle_f32x4(p01, p23, _MM_SHUFFLE(3, 1, 3, 1)));
    _mm512_storeu_ps(dst + 32, _mm512_shuffle_f32x4(q01, q23, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_storeu_ps(dst + 48, _mm512_shuffle_f32x4(q01, q23, _MM_SHUFFLE(3, 1, 3, 1)));
  }
};

}  // namespace

void noise_axpy_row_avx512(float* out, const float* base, const float* g, int64_t n, float stddev,
                           float scale, uint32_t k0, uint32_t k1, uint32_t round, uint32_t client,
                           uint32_t step) {
  noise_axpy_row_simd<V16>(out, base, g, n, stddev, scale, k0, k1, round, client, step);
}

void philox_mask_add_avx512(uint32_t* y, uint64_t g0, size_t groups, uint32_t c0, uint32_t c1,
                            uint32_t c2, uint32_t k0, uint32_t k1, bool subtract) {
  philox_mask_add_simd<V16>(y, g0, groups, c0, c1, c2, k0, k1, subtract);
}

}  // namespace fedsim
#endif
