// CPU Gaussian noise for one row: the same numbers as gaussian_at (sim/util/gaussian_noise.h),
// computed 16 Philox blocks at a time so the compiler vectorises them (x86-64-v3 clone).
#pragma once

#include <cstdint>

#include "sim/util/gaussian_noise.h"

namespace fedsim {

// g[i] = (g[i] + stddev * z_i) * scale for i < n, z_i = gaussian_at(key, round, client, step, i).
void add_scaled_noise_row(float* g, int64_t n, float stddev, float scale, NoiseKey key,
                          uint32_t round, uint32_t client, uint32_t step);

}  // namespace fedsim
