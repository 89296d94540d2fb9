// Train/test split and feature standardisation.
//
// The split is a seeded random permutation (stream purpose DataSplit), so it is reproducible and
// independent of thread count. Standardisation statistics come from the training split only, so no
// information about the test split leaks into training.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/data/dataset.h"

namespace fedsim {

// Rows subset in the given order (x, y, group and names carried over).
Dataset take_rows(const Dataset& ds, const std::vector<int64_t>& rows);

// Random split: the test set gets round(n * test_fraction) samples, clamped to [1, n - 1]; both
// keep the original row order and the group ids. Needs n >= 2 and test_fraction in [0, 1).
std::pair<Dataset, Dataset> split_train_test(const Dataset& ds, double test_fraction,
                                             uint64_t seed);

// Per-feature mean and (population) std over `train`; a constant column gets std 1.
void feature_stats(const Dataset& train, std::vector<float>& mean, std::vector<float>& stddev);

// x <- (x - mean) / std on both splits with statistics from `train` only; mean/std are returned.
// Columns where `keep` (optional, [d]) is true are left as they are (mean 0, std 1 returned): the
// one-hot columns of categorical features stay 0/1.
void standardize(Dataset& train, Dataset& test, std::vector<float>& mean,
                 std::vector<float>& stddev, const std::vector<bool>* keep = nullptr);

}  // namespace fedsim
