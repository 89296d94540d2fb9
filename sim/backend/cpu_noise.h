// CPU Gaussian noise for one row: the same numbers as gaussian_at (sim/util/gaussian_noise.h),
// computed 16 Philox blocks at a time so the compiler vectorises them (x86-64-v3 clone).
#pragma once

#include <cstdint>

#include "sim/util/gaussian_noise.h"

namespace fedsim {

// out[i] = (base ? base[i] : 0) + scale * (g[i] + stddev * z_i) for i < n, with
// z_i = gaussian_at(key, round, client, step, i). out may alias base or g.
void noise_axpy_row(float* out, const float* base, const float* g, int64_t n, float stddev,
                    float scale, NoiseKey key, uint32_t round, uint32_t client, uint32_t step);

}  // namespace fedsim
