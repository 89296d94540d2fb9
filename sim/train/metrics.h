// Host-side metrics: ROC AUC (Mann-Whitney, ties averaged) and quantiles.
#pragma once

#include <cstdint>
#include <vector>

namespace fedsim {

// Area under the ROC curve of scores for labels (1 = positive). NaN if one class is absent.
double roc_auc(const std::vector<float>& scores, const std::vector<int32_t>& labels);

// q-quantile (0 <= q <= 1) by linear interpolation between order statistics; NaN if empty.
double quantile(std::vector<float> values, double q);

}  // namespace fedsim
