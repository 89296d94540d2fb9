// The PRGs that expand a 32-byte seed into a mask of 32-bit words (SecAgg's PRG(b_u) and
// PRG(s_uv), Bonawitz et al. 2017, Section 4, "MaskedInputCollection").
//
// Faithful mode: ChaCha20 (Bernstein 2008) keyed by the seed, nonce 0: word i is the little-endian
// 32-bit word at byte 4i of libsodium's crypto_stream_chacha20 keystream.
// Fast mode: Philox4x32-10 (Salmon et al. 2011), the counter-based generator of
// sim/util/gaussian_noise.h, so a CUDA kernel can compute any word alone. The key is seed bytes
// 0..7, counter words 0..2 are seed bytes 8..19 and counter word 3 is the block number. Words are
// laid out for 16-lane SIMD: word i belongs to block 16 (i / 64) + i % 16 and is its output word
// (i / 16) % 4. Philox is not a cryptographic PRG: fast mode simulates the cancellation and the
// cost, not the secrecy, of the masks.
//
// Masks are added modulo 2^32; SecAgg works modulo 2^b, b <= 32, and 2^b divides 2^32, so the low b
// bits of the sum are the sum modulo 2^b.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/secagg/shamir.h"
#include "sim/util/philox_mask.h"

namespace fedsim::secagg {

enum class MaskPrg { ChaCha20, Philox };

using fedsim::fast_mask_word;  // word i of the fast-mode mask (sim/util/philox_mask.h)
using fedsim::PhiloxMaskKey;

PhiloxMaskKey philox_mask_key(const Secret& seed);

// y[i] += mask[offset + i] (or -= when `subtract`) mod 2^32 for i < n; offset is a multiple of 64
// (a tile of a longer mask). `scratch` is reused for ChaCha20's keystream (grown to n words).
void add_mask(MaskPrg prg, const Secret& seed, bool subtract, uint32_t* y, size_t n,
              std::vector<uint32_t>& scratch, uint64_t offset = 0);

// out[i] = word offset + i of the Philox stream of key k (layout of fast_mask_word); offset is a
// multiple of 64.
void philox_words(PhiloxMaskKey k, uint64_t offset, size_t n, uint32_t* out);

// The first n words of the mask (tests).
std::vector<uint32_t> expand_mask(MaskPrg prg, const Secret& seed, size_t n);

// The SIMD path add_mask uses for Philox on this CPU: "avx512", "avx2" or "scalar".
const char* philox_mask_isa();

}  // namespace fedsim::secagg
