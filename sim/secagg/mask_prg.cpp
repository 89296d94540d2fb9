// Mask expansion: ChaCha20 through libsodium; Philox on the DP noise's SIMD Philox
// (sim/backend/cpu_noise.h: AVX-512 or AVX2, chosen at run time) or the scalar reference.
#include "sim/secagg/mask_prg.h"

#include <sodium.h>

#include <bit>
#include <cstring>
#include <stdexcept>

#include "sim/backend/cpu_noise.h"

namespace fedsim::secagg {

using fedsim::NoiseIsa;

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

void philox_add(PhiloxMaskKey k, uint32_t* y, uint64_t offset, size_t n, bool subtract) {
  if (offset % 64) throw std::invalid_argument("secagg: mask offset must be a multiple of 64");
  if (offset + n > (uint64_t(1) << 34))
    throw std::invalid_argument("secagg: mask longer than 2^34 words");
  const size_t groups = n / 64;
  if (!philox_mask_add(y, offset / 64, groups, k.c0, k.c1, k.c2, k.k0, k.k1, subtract))
    philox_add_scalar(k, y, offset, 0, groups * 64, subtract);  // no SIMD on this CPU
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
  const NoiseIsa isa = noise_isa_in_use();
  return isa == NoiseIsa::kGeneric ? "scalar" : noise_isa_name(isa);
}

}  // namespace fedsim::secagg
