// CPU Gaussian noise for one row: the same numbers as gaussian_at (sim/util/gaussian_noise.h),
// computed many Philox blocks at a time with AVX-512 or AVX2 where the CPU has them.
#pragma once

#include <cstddef>
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

// Secure-aggregation masks on the same SIMD Philox, on noise_isa_in_use(): for every group
// g < groups, y[64 g + 16 w + l] (+ or -)= output word w of Philox block 16 (g0 + g) + l with
// counter (c0, c1, c2, block) and key (k0, k1), modulo 2^32 (sim/secagg/mask_prg.h). Returns false
// (and does nothing) on the generic instruction set, where the caller uses its scalar loop.
bool philox_mask_add(uint32_t* y, uint64_t g0, size_t groups, uint32_t c0, uint32_t c1, uint32_t c2,
                     uint32_t k0, uint32_t k1, bool subtract);

// noise_axpy_row on a given instruction set (must be supported).
void noise_axpy_row_on(NoiseIsa isa, float* out, const float* base, const float* g, int64_t n,
                       float stddev, float scale, NoiseKey key, uint32_t round, uint32_t client,
                       uint32_t step);

}  // namespace fedsim
