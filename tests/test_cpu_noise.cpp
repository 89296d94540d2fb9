// The CPU noise rows: every instruction set this CPU runs gives exactly the bits of gaussian_at
// (the scalar definition the CUDA kernels also use), for any row length, with or without a base,
// and in place.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "sim/backend/cpu_noise.h"

using namespace fedsim;

namespace {

const NoiseIsa kAll[] = {NoiseIsa::kGeneric, NoiseIsa::kAvx2, NoiseIsa::kAvx512};

std::vector<float> ramp(int64_t n, float a) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = a * float(i % 97) - 1.5f;
  return v;
}

}  // namespace

TEST(CpuNoise, SaysWhichInstructionSetItUses) {
  EXPECT_TRUE(noise_isa_supported(NoiseIsa::kGeneric));
  EXPECT_TRUE(noise_isa_supported(noise_isa_in_use()));
  std::printf("noise rows use %s on this CPU\n", noise_isa_name(noise_isa_in_use()));
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_NE(noise_isa_in_use(), NoiseIsa::kGeneric) << "a SIMD path exists for this CPU";
  }
#endif
}

TEST(CpuNoise, EveryInstructionSetGivesTheBitsOfGaussianAt) {
  const NoiseKey key = noise_key(0x123456789abcdefULL, kNoiseDpSgd);
  const float stddev = 0.7f, scale = -0.03f;
  int tested = 0;
  for (NoiseIsa isa : kAll) {
    if (!noise_isa_supported(isa)) {
      std::printf("%s: not run by this CPU, not tested here\n", noise_isa_name(isa));
      continue;
    }
    ++tested;
    for (int64_t n : {1, 3, 4, 5, 31, 32, 33, 63, 64, 65, 127, 128, 200, 1031, 19970}) {
      const auto g = ramp(n, 0.01f), base = ramp(n, -0.02f);
      std::vector<float> plain(n), with_base(n);
      noise_axpy_row_on(isa, plain.data(), nullptr, g.data(), n, stddev, scale, key, 7, 1234, 3);
      noise_axpy_row_on(isa, with_base.data(), base.data(), g.data(), n, stddev, scale, key, 7,
                        1234, 3);
      int bad = 0;
      for (int64_t i = 0; i < n && bad < 5; ++i) {
        const float z = gaussian_at(key, 7, 1234, 3, uint64_t(i));
        const float v = scale * (g[i] + stddev * z), w = base[i] + v;
        if (std::memcmp(&plain[i], &v, 4) != 0 || std::memcmp(&with_base[i], &w, 4) != 0) {
          ADD_FAILURE() << noise_isa_name(isa) << " n " << n << " i " << i << ": " << plain[i]
                        << " vs " << v << ", " << with_base[i] << " vs " << w;
          ++bad;
        }
      }
      // in place: out aliases g, and out aliases base
      std::vector<float> in_g = g, in_base = base;
      noise_axpy_row_on(isa, in_g.data(), nullptr, in_g.data(), n, stddev, scale, key, 7, 1234, 3);
      noise_axpy_row_on(isa, in_base.data(), in_base.data(), g.data(), n, stddev, scale, key, 7,
                        1234, 3);
      EXPECT_EQ(0, std::memcmp(in_g.data(), plain.data(), 4 * n)) << noise_isa_name(isa) << n;
      EXPECT_EQ(0, std::memcmp(in_base.data(), with_base.data(), 4 * n))
          << noise_isa_name(isa) << n;
    }
  }
  EXPECT_GE(tested, 1);
}

TEST(CpuNoise, ExtremeUniformsStayFiniteOnEveryInstructionSet) {
  // Many blocks, so the smallest uniforms (largest |z|) and every quadrant of the angle occur;
  // all instruction sets must agree and no value may be infinite or NaN.
  const int64_t n = 1 << 20;
  const NoiseKey key = noise_key(99, kNoiseServer);
  std::vector<float> zero(n, 0.0f), ref(n), got(n);
  noise_axpy_row_on(NoiseIsa::kGeneric, ref.data(), nullptr, zero.data(), n, 1.0f, 1.0f, key, 0, 0,
                    0);
  float max_abs = 0;
  for (float v : ref) {
    ASSERT_TRUE(std::isfinite(v));
    max_abs = std::max(max_abs, std::fabs(v));
  }
  EXPECT_GT(max_abs, 4.0f);  // 2^20 normals reach beyond 4 sigma with overwhelming probability
  for (NoiseIsa isa : kAll) {
    if (!noise_isa_supported(isa)) continue;
    noise_axpy_row_on(isa, got.data(), nullptr, zero.data(), n, 1.0f, 1.0f, key, 0, 0, 0);
    EXPECT_EQ(0, std::memcmp(got.data(), ref.data(), 4 * n)) << noise_isa_name(isa);
  }
}

TEST(CpuNoise, AnUnsupportedInstructionSetIsRefused) {
  for (NoiseIsa isa : kAll) {
    if (noise_isa_supported(isa)) continue;
    float x = 0;
    EXPECT_THROW(noise_axpy_row_on(isa, &x, nullptr, &x, 1, 1, 1, NoiseKey{1, 2}, 0, 0, 0),
                 std::invalid_argument);
  }
}
