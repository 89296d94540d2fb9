// CPU noise rows, vectorised over Philox blocks (see cpu_noise.h).
#include "sim/backend/cpu_noise.h"

#include <algorithm>

namespace fedsim {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FEDSIM_NOISE_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FEDSIM_NOISE_CLONES
#endif

FEDSIM_NOISE_CLONES
void noise_axpy_row(float* out, const float* base, const float* g, int64_t n, float stddev,
                    float scale, NoiseKey key, uint32_t round, uint32_t client, uint32_t step) {
  constexpr int kLanes = 16;  // Philox blocks per batch: 64 normals
  const int64_t blocks = (n + 3) / 4;
  for (int64_t b0 = 0; b0 < blocks; b0 += kLanes) {
    uint32_t u0[kLanes], u1[kLanes], u2[kLanes], u3[kLanes];
    float z[4][kLanes];
#pragma GCC ivdep
    for (int l = 0; l < kLanes; ++l) {
      uint32_t u[4];
      philox4x32_10(round, client, step, uint32_t(b0 + l), key.k0, key.k1, u);
      u0[l] = u[0];
      u1[l] = u[1];
      u2[l] = u[2];
      u3[l] = u[3];
    }
#pragma GCC ivdep
    for (int l = 0; l < kLanes; ++l) {
      box_muller(u0[l], u1[l], z[0][l], z[1][l]);
      box_muller(u2[l], u3[l], z[2][l], z[3][l]);
    }
    const int64_t first = b0 * 4, count = std::min<int64_t>(4 * kLanes, n - first);
    float zs[4 * kLanes];
    for (int l = 0; l < kLanes; ++l)
      for (int j = 0; j < 4; ++j) zs[4 * l + j] = z[j][l];
    if (base) {
      for (int64_t t = 0; t < count; ++t)
        out[first + t] = base[first + t] + scale * (g[first + t] + stddev * zs[t]);
    } else {
      for (int64_t t = 0; t < count; ++t) out[first + t] = scale * (g[first + t] + stddev * zs[t]);
    }
  }
}

}  // namespace fedsim
