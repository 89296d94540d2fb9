// CPU noise rows: the portable loop, and the dispatch to the AVX2 / AVX-512 versions
// (cpu_noise_avx2.cpp, cpu_noise_avx512.cpp) by what the CPU supports.
#include "sim/backend/cpu_noise.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace fedsim {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FEDSIM_NOISE_X86 1
void noise_axpy_row_avx2(float* out, const float* base, const float* g, int64_t n, float stddev,
                         float scale, uint32_t k0, uint32_t k1, uint32_t round, uint32_t client,
                         uint32_t step);
void noise_axpy_row_avx512(float* out, const float* base, const float* g, int64_t n, float stddev,
                           float scale, uint32_t k0, uint32_t k1, uint32_t round, uint32_t client,
                           uint32_t step);
void philox_mask_add_avx2(uint32_t* y, uint64_t g0, size_t groups, uint32_t c0, uint32_t c1,
                          uint32_t c2, uint32_t k0, uint32_t k1, bool subtract);
void philox_mask_add_avx512(uint32_t* y, uint64_t g0, size_t groups, uint32_t c0, uint32_t c1,
                            uint32_t c2, uint32_t k0, uint32_t k1, bool subtract);
#endif

namespace {

// Portable: 16 Philox blocks per batch, then Box-Muller lane by lane.
void noise_axpy_row_generic(float* out, const float* base, const float* g, int64_t n, float stddev,
                            float scale, NoiseKey key, uint32_t round, uint32_t client,
                            uint32_t step) {
  constexpr int kLanes = 16;
  const int64_t blocks = (n + 3) / 4;
  for (int64_t b0 = 0; b0 < blocks; b0 += kLanes) {
    float zs[4 * kLanes];
    for (int l = 0; l < kLanes; ++l)
      gaussian4_at(key, round, client, step, uint32_t(b0 + l), zs + 4 * l);
    const int64_t first = b0 * 4, count = std::min<int64_t>(4 * kLanes, n - first);
    for (int64_t t = 0; t < count; ++t) {
      const float v = scale * (g[first + t] + stddev * zs[t]);
      out[first + t] = base ? base[first + t] + v : v;
    }
  }
}

NoiseIsa best_isa() {
  for (NoiseIsa isa : {NoiseIsa::kAvx512, NoiseIsa::kAvx2})
    if (noise_isa_supported(isa)) return isa;
  return NoiseIsa::kGeneric;
}

}  // namespace

const char* noise_isa_name(NoiseIsa isa) {
  switch (isa) {
    case NoiseIsa::kAvx512:
      return "avx512";
    case NoiseIsa::kAvx2:
      return "avx2";
    default:
      return "generic";
  }
}

bool noise_isa_supported(NoiseIsa isa) {
  switch (isa) {
    case NoiseIsa::kGeneric:
      return true;
#ifdef FEDSIM_NOISE_X86
    case NoiseIsa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case NoiseIsa::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("fma");
#endif
    default:
      return false;
  }
}

NoiseIsa noise_isa_in_use() {
  static const NoiseIsa isa = best_isa();
  return isa;
}

void noise_axpy_row_on(NoiseIsa isa, float* out, const float* base, const float* g, int64_t n,
                       float stddev, float scale, NoiseKey key, uint32_t round, uint32_t client,
                       uint32_t step) {
  if (!noise_isa_supported(isa))
    throw std::invalid_argument(std::string("noise: this CPU cannot run ") + noise_isa_name(isa));
  switch (isa) {
#ifdef FEDSIM_NOISE_X86
    case NoiseIsa::kAvx512:
      return noise_axpy_row_avx512(out, base, g, n, stddev, scale, key.k0, key.k1, round, client,
                                   step);
    case NoiseIsa::kAvx2:
      return noise_axpy_row_avx2(out, base, g, n, stddev, scale, key.k0, key.k1, round, client,
                                 step);
#endif
    default:
      return noise_axpy_row_generic(out, base, g, n, stddev, scale, key, round, client, step);
  }
}

bool philox_mask_add(uint32_t* y, uint64_t g0, size_t groups, uint32_t c0, uint32_t c1, uint32_t c2,
                     uint32_t k0, uint32_t k1, bool subtract) {
  switch (noise_isa_in_use()) {
#ifdef FEDSIM_NOISE_X86
    case NoiseIsa::kAvx512:
      philox_mask_add_avx512(y, g0, groups, c0, c1, c2, k0, k1, subtract);
      return true;
    case NoiseIsa::kAvx2:
      philox_mask_add_avx2(y, g0, groups, c0, c1, c2, k0, k1, subtract);
      return true;
#endif
    default:
      return false;
  }
}

void noise_axpy_row(float* out, const float* base, const float* g, int64_t n, float stddev,
                    float scale, NoiseKey key, uint32_t round, uint32_t client, uint32_t step) {
  noise_axpy_row_on(noise_isa_in_use(), out, base, g, n, stddev, scale, key, round, client, step);
}

}  // namespace fedsim
