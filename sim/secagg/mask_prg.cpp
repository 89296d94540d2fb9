// Mask expansion: ChaCha20 through libsodium; Philox in AVX-512, AVX2 or scalar code, chosen at run
// time (functions compiled with GCC's target attribute, so the rest of the file stays generic).
#include "sim/secagg/mask_prg.h"

#include <sodium.h>

#include <bit>
#include <cstring>
#include <stdexcept>

#if defined(__x86_64__)
// GCC 12 warns falsely about _mm512_undefined_* inside its own AVX-512 headers (as for
// sim/backend/cpu_noise_avx512.cpp, which CMake builds with -Wno-maybe-uninitialized).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

namespace fedsim::secagg {

PhiloxMaskKey philox_mask_key(const Secret& seed) {
  uint32_t w[5];
  std::memcpy(w, seed.data(), sizeof(w));
  return {w[0], w[1], w[2], w[3], w[4]};
}

namespace {

// y[i] +-= word offset + i, i in [begin, end), by the scalar reference.
void philox_add_scalar(PhiloxMaskKey k, uint32_t* y, uint64_t offset, size_t begin, size_t end,
                       bool subtract) {
  for (size_t i = begin; i < end; ++i) {
    const uint32_t m = fast_mask_word(k, offset + i);
    y[i] = subtract ? y[i] - m : y[i] + m;
  }
}

#if defined(__x86_64__)
// 16 blocks per step: two passes of 8 blocks, one per 64-bit lane, whose low halves carry the
// Philox state (one 32x32->64 multiply gives both product halves); then the even and odd blocks
// are blended into 16 32-bit lanes. Same algorithm as sim/backend/noise_simd_kernel.h.
__attribute__((target("avx512f"))) void philox_add_avx512(PhiloxMaskKey k, uint32_t* y, uint64_t g0,
                                                          size_t groups, bool subtract) {
  __m512i ks[20];
  uint32_t k0 = k.k0, k1 = k.k1;
  for (int r = 0; r < 10; ++r, k0 += 0x9E3779B9u, k1 += 0xBB67AE85u) {
    ks[2 * r] = _mm512_set1_epi32(int(k0));
    ks[2 * r + 1] = _mm512_set1_epi32(int(k1));
  }
  const __m512i m0 = _mm512_set1_epi32(int(0xD2511F53u)), m1 = _mm512_set1_epi32(int(0xCD9E8D57u));
  const __m512i c0i = _mm512_set1_epi32(int(k.c0)), c1i = _mm512_set1_epi32(int(k.c1)),
                c2i = _mm512_set1_epi32(int(k.c2));
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i one = _mm512_set1_epi32(1);
  for (size_t g = 0; g < groups; ++g) {
    const __m512i even = _mm512_add_epi32(_mm512_set1_epi32(int(uint32_t((g0 + g) * 16))), iota);
    __m512i u[2][4];
    for (int pass = 0; pass < 2; ++pass) {
      __m512i c0 = c0i, c1 = c1i, c2 = c2i, c3 = pass ? _mm512_add_epi32(even, one) : even;
      for (int r = 0; r < 10; ++r) {
        const __m512i p0 = _mm512_mul_epu32(m0, c0), p1 = _mm512_mul_epu32(m1, c2);
        c0 = _mm512_ternarylogic_epi32(_mm512_srli_epi64(p1, 32), c1, ks[2 * r], 0x96);
        c1 = p1;
        c2 = _mm512_ternarylogic_epi32(_mm512_srli_epi64(p0, 32), c3, ks[2 * r + 1], 0x96);
        c3 = p0;
      }
      u[pass][0] = c0;
      u[pass][1] = c1;
      u[pass][2] = c2;
      u[pass][3] = c3;
    }
    uint32_t* yg = y + g * 64;
    for (int w = 0; w < 4; ++w) {
      const __m512i m = _mm512_mask_blend_epi32(0xAAAA, u[0][w], _mm512_slli_epi64(u[1][w], 32));
      const __m512i v = _mm512_loadu_si512(yg + 16 * w);
      _mm512_storeu_si512(yg + 16 * w, subtract ? _mm512_sub_epi32(v, m) : _mm512_add_epi32(v, m));
    }
  }
}

// The same with 8 32-bit lanes: four passes of 4 blocks per 16-block group.
__attribute__((target("avx2"))) void philox_add_avx2(PhiloxMaskKey k, uint32_t* y, uint64_t g0,
                                                     size_t groups, bool subtract) {
  __m256i ks[20];
  uint32_t k0 = k.k0, k1 = k.k1;
  for (int r = 0; r < 10; ++r, k0 += 0x9E3779B9u, k1 += 0xBB67AE85u) {
    ks[2 * r] = _mm256_set1_epi32(int(k0));
    ks[2 * r + 1] = _mm256_set1_epi32(int(k1));
  }
  const __m256i m0 = _mm256_set1_epi32(int(0xD2511F53u)), m1 = _mm256_set1_epi32(int(0xCD9E8D57u));
  const __m256i c0i = _mm256_set1_epi32(int(k.c0)), c1i = _mm256_set1_epi32(int(k.c1)),
                c2i = _mm256_set1_epi32(int(k.c2));
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i one = _mm256_set1_epi32(1);
  for (size_t g = 0; g < groups; ++g) {
    uint32_t* yg = y + g * 64;
    for (int half = 0; half < 2; ++half) {  // blocks 16 g + 8 half + (0..7)
      const __m256i even =
          _mm256_add_epi32(_mm256_set1_epi32(int(uint32_t((g0 + g) * 16 + 8 * half))), iota);
      __m256i u[2][4];
      for (int pass = 0; pass < 2; ++pass) {
        __m256i c0 = c0i, c1 = c1i, c2 = c2i, c3 = pass ? _mm256_add_epi32(even, one) : even;
        for (int r = 0; r < 10; ++r) {
          const __m256i p0 = _mm256_mul_epu32(m0, c0), p1 = _mm256_mul_epu32(m1, c2);
          c0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1), ks[2 * r]);
          c1 = p1;
          c2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), ks[2 * r + 1]);
          c3 = p0;
        }
        u[pass][0] = c0;
        u[pass][1] = c1;
        u[pass][2] = c2;
        u[pass][3] = c3;
      }
      for (int w = 0; w < 4; ++w) {
        const __m256i m = _mm256_blend_epi32(u[0][w], _mm256_slli_epi64(u[1][w], 32), 0xAA);
        uint32_t* p = yg + 16 * w + 8 * half;
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p),
                            subtract ? _mm256_sub_epi32(v, m) : _mm256_add_epi32(v, m));
      }
    }
  }
}
#endif

enum class Isa { Scalar, Avx2, Avx512 };

Isa detect_isa() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2")) return Isa::Avx2;
#endif
  return Isa::Scalar;
}

const Isa g_isa = detect_isa();

void philox_add(PhiloxMaskKey k, uint32_t* y, uint64_t offset, size_t n, bool subtract) {
  if (offset % 64) throw std::invalid_argument("secagg: mask offset must be a multiple of 64");
  if (offset + n > (uint64_t(1) << 34))
    throw std::invalid_argument("secagg: mask longer than 2^34 words");
  const size_t groups = n / 64;
  const uint64_t g0 = offset / 64;
#if defined(__x86_64__)
  if (g_isa == Isa::Avx512)
    philox_add_avx512(k, y, g0, groups, subtract);
  else if (g_isa == Isa::Avx2)
    philox_add_avx2(k, y, g0, groups, subtract);
  else
    philox_add_scalar(k, y, offset, 0, groups * 64, subtract);
#else
  philox_add_scalar(k, y, offset, 0, groups * 64, subtract);
#endif
  philox_add_scalar(k, y, offset, groups * 64, n, subtract);
}

static_assert(std::endian::native == std::endian::little, "mask words are little-endian");

// ChaCha20 keystream from 64-byte block offset / 16 (libsodium's initial counter), added.
void chacha_add(const Secret& seed, uint32_t* y, uint64_t offset, size_t n, bool subtract,
                std::vector<uint32_t>& scratch) {
  if (offset % 16) throw std::invalid_argument("secagg: mask offset must be a multiple of 16");
  if (scratch.size() < n) scratch.resize(n);
  std::memset(scratch.data(), 0, n * 4);
  static const unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  auto* buf = reinterpret_cast<unsigned char*>(scratch.data());
  crypto_stream_chacha20_xor_ic(buf, buf, n * 4, nonce, offset / 16, seed.data());
  const uint32_t* m = scratch.data();
  if (subtract)
    for (size_t i = 0; i < n; ++i) y[i] -= m[i];
  else
    for (size_t i = 0; i < n; ++i) y[i] += m[i];
}

}  // namespace

void add_mask(MaskPrg prg, const Secret& seed, bool subtract, uint32_t* y, size_t n,
              std::vector<uint32_t>& scratch, uint64_t offset) {
  if (prg == MaskPrg::Philox)
    philox_add(philox_mask_key(seed), y, offset, n, subtract);
  else
    chacha_add(seed, y, offset, n, subtract, scratch);
}

void philox_words(PhiloxMaskKey k, uint64_t offset, size_t n, uint32_t* out) {
  std::memset(out, 0, n * 4);
  philox_add(k, out, offset, n, false);
}

std::vector<uint32_t> expand_mask(MaskPrg prg, const Secret& seed, size_t n) {
  std::vector<uint32_t> y(n, 0), scratch;
  add_mask(prg, seed, false, y.data(), n, scratch);
  return y;
}

const char* philox_mask_isa() {
  return g_isa == Isa::Avx512 ? "avx512" : g_isa == Isa::Avx2 ? "avx2" : "scalar";
}

}  // namespace fedsim::secagg
