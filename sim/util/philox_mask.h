// SecAgg's fast-mode mask words (sim/secagg/mask_prg.h): Philox4x32-10 keyed by a 32-byte seed,
// one word at any index, the same on the CPU and in CUDA kernels. Here, not in sim/secagg/, so
// the backends (which know nothing of secure aggregation) can expand and sum masks.
#pragma once

#include <cstdint>

#include "sim/util/gaussian_noise.h"
#include "sim/util/host_device.h"

namespace fedsim {

// Key: seed bytes 0..7; counter words 0..2: seed bytes 8..19 (counter word 3 is the block).
struct PhiloxMaskKey {
  uint32_t k0, k1, c0, c1, c2;
};

// Word i of the fast-mode mask. Words are laid out for 16-lane SIMD: word i belongs to block
// 16 (i / 64) + i % 16 and is its output word (i / 16) % 4.
FEDSIM_HD inline uint32_t fast_mask_word(PhiloxMaskKey k, uint64_t i) {
  const uint32_t block = uint32_t((i >> 6) * 16 + (i & 15));
  uint32_t out[4];
  philox4x32_10(k.c0, k.c1, k.c2, block, k.k0, k.k1, out);
  return out[(i >> 4) & 3];
}

}  // namespace fedsim
