// Counter-based random numbers (Philox4x32-10 from Random123), the same on every thread and
// backend.
//
// A stream is named by (seed, purpose) as the key and (a, b, c) as the counter, e.g. (round,
// client, step). A draw never depends on how many draws came before it elsewhere, so results do not
// change with thread count, chunking or backend scheduling. Within one counter, `Stream` yields an
// unbounded sequence by advancing the last counter word.
#pragma once

#include <Random123/philox.h>

#include <cmath>
#include <cstdint>

namespace fedsim {

// What a stream is used for: part of the key, so streams for different purposes never collide.
enum class RngPurpose : uint32_t {
  DataGen = 1,
  DataSplit = 2,
  Partition = 3,
  ClientSampling = 4,
  BatchOrder = 5,
  ModelInit = 6,
  Noise = 7,
  Analytics = 8,  // private queries: contribution bounding, randomised response
};

class Stream {
 public:
  // seed: the scenario seed; purpose; a, b, c: counter words (e.g. round, client, step).
  Stream(uint64_t seed, RngPurpose purpose, uint32_t a = 0, uint32_t b = 0, uint32_t c = 0) {
    key_ = {{static_cast<uint32_t>(seed),
             static_cast<uint32_t>(seed >> 32) ^ (static_cast<uint32_t>(purpose) * 0x9E3779B9u)}};
    ctr_ = {{a, b, c, 0}};
  }

  // Jumps to 32-bit word `word` of this counter's sequence (as if that many had been drawn), so
  // parts of one sequence can be drawn on different threads. Forgets a spare normal.
  void seek(uint64_t word) {
    ctr_.v[3] = static_cast<uint32_t>(word / 4);
    refill();
    pos_ = static_cast<int>(word % 4);
    has_spare_ = false;
  }

  uint32_t next_u32() {
    if (pos_ == 4) refill();
    return buf_[pos_++];
  }
  uint64_t next_u64() { return (uint64_t(next_u32()) << 32) | next_u32(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1].
  double uniform_pos() { return 1.0 - uniform(); }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < 2^-32 for n < 2^32).
  uint64_t below(uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    return uint64_t(u128(next_u64()) * n >> 64);
  }
  // Standard normal (Box-Muller, both values used).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = uniform_pos(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }
  // Gamma(shape, 1) by Marsaglia-Tsang (shape < 1 boosted with U^(1/shape)).
  double gamma(double shape) {
    if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform_pos(), 1.0 / shape);
    const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = uniform_pos();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
  }

 private:
  void refill() {
    const auto out = r123::Philox4x32()(ctr_, key_);
    for (int i = 0; i < 4; ++i) buf_[i] = out.v[i];
    ctr_.v[3]++;
    pos_ = 0;
  }
  r123::Philox4x32::key_type key_;
  r123::Philox4x32::ctr_type ctr_;
  uint32_t buf_[4] = {};
  int pos_ = 4;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace fedsim
