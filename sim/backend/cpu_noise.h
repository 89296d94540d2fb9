// CPU Gaussian noise for one row: the same numbers as gaussian_at (sim/util/gaussian_noise.h),
// computed many Philox blocks at a time with AVX-512 or AVX2 where the CPU has them.
#pragma once

#include <cstdint>

#include "sim/util/gaussian_noise.h"

namespace fedsim {

// out[i] = (base ? base[i] : 0) + scale * (g[i] + stddev * z_i) for i < n, with
// z_i = gaussian_at(key, round, client, step, i). out may alias base or g.
void noise_axpy_row(float* out, const float* base, const float* g, int64_t n, float stddev,
                    float scale, NoiseKey key, uint32_t round, uint32_t client, uint32_t step);

// The instruction sets noise_axpy_row can use; all give the same bits (tests compare them).
enum class NoiseIsa { kGeneric, kAvx2, kAvx512 };
const char* noise_isa_name(NoiseIsa isa);
bool noise_isa_supported(NoiseIsa isa);  // built in and run by this CPU
NoiseIsa noise_isa_in_use();             // the best supported one, which noise_axpy_row uses

// noise_axpy_row on a given instruction set (must be supported).
void noise_axpy_row_on(NoiseIsa isa, float* out, const float* base, const float* g, int64_t n,
                       float stddev, float scale, NoiseKey key, uint32_t round, uint32_t client,
                       uint32_t step);

}  // namespace fedsim
