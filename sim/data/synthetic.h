// Synthetic e-commerce sessions: the data `fedsim` runs on when no file is given.
//
// Shops are the natural clients: each has its own size (lognormal), category mix (Dirichlet), price
// level, device mix and purchase propensity, so a natural partition is non-IID in both quantity and
// label. Every random draw comes from a counter-based stream named by (seed, shop, chunk), so the
// output is byte-identical for a seed whatever the thread count. docs/datasets.md describes the
// model.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/data/dataset.h"
#include "sim/scenario.h"

namespace fedsim {

// Number of feature columns the generator writes (same for both tasks).
inline constexpr int kSyntheticFeatures = 24;

// Ground truth kept by the generator, for tests and learnability checks (never used in training).
struct SyntheticTruth {
  std::vector<float> p_label;       // [n] true P(y = 1 | session, shop) the label was drawn from
  std::vector<uint8_t> fraud;       // [n] 1 for fraudulent sessions (in both tasks)
  std::vector<int64_t> shop_sizes;  // [shops] samples per shop (sum = cfg.samples)
};

// Generate cfg.samples sessions over cfg.shops shops for cfg.task (purchase | fraud); classes = 2,
// group = shop id. Rows are ordered by shop. Throws std::invalid_argument on a bad configuration
// (samples < shops, shops < 1, fraud_rate outside [0, 1], ...). `truth` is optional.
Dataset generate_synthetic(const DataConfig& cfg, uint64_t seed, SyntheticTruth* truth = nullptr);

// Shop sizes alone: lognormal(0, sigma) weights scaled to sum to `samples`, every shop >= 1,
// rounded by largest remainder (ties to the lower shop id). Deterministic in (samples, shops,
// sigma, seed); the same sizes generate_synthetic uses.
std::vector<int64_t> synthetic_shop_sizes(int64_t samples, int shops, double sigma, uint64_t seed);

}  // namespace fedsim
