// Preprocessing of tabular (CSV) features after the train/test split: winsorising (clipping at
// quantiles) and one-hot encoding of categorical columns. Every statistic (quantiles, the list of
// categories) comes from the training split only and is then applied unchanged to the test split,
// so nothing about the test rows leaks into training. Standardisation is in split.h; identifier
// columns are pseudonymised as they are read (csv_loader.h, pseudonymize.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/data/dataset.h"
#include "sim/scenario.h"

namespace fedsim {

// A categorical (string) feature column as the CSV loader stores it: the feature at index
// `feature` of the Dataset holds, in every row, the code c of the row's value `values[c]` (codes
// are exact in float32). The codes cover the whole file; which of them are categories is decided
// by the training split (one_hot_encode).
struct CategoricalColumn {
  int feature = 0;
  std::string name;
  std::vector<std::string> values;  // [codes] the text of each code
};

// Per-column clipping bounds chosen by winsorize().
struct WinsorBounds {
  std::vector<int> features;  // feature indices clipped
  std::vector<float> lower, upper;
};

// Clips each feature in `features` of train and test to [quantile(lower_q), quantile(upper_q)] of
// that feature over the training split (quantile() of sim/train/metrics.h: linear interpolation
// between order statistics, Hyndman and Fan type 7, the default of R and NumPy). Returns the
// bounds used.
WinsorBounds winsorize(Dataset& train, Dataset& test, const std::vector<int>& features,
                       double lower_q, double upper_q);

// Replaces each categorical column (codes, see CategoricalColumn) of train and test, in place, by
// one 0/1 column per category seen in the *training* split, in sorted order of the category text,
// named "column=value". A test row whose category never occurs in training gets all zeros.
// `columns` must be in increasing order of `feature`. Returns a mask over the new feature columns:
// true for the one-hot columns.
std::vector<bool> one_hot_encode(Dataset& train, Dataset& test,
                                 const std::vector<CategoricalColumn>& columns);

// The CSV preprocessing a scenario asks for (data.winsorize / winsorize_columns, then the one-hot
// encoding of `categorical`, which load_csv returned in CsvExtras). Returns the one-hot mask of
// one_hot_encode (all false when there is no categorical column), which standardisation leaves
// alone. Throws std::runtime_error naming a winsorize column that is not a numeric feature.
std::vector<bool> preprocess_csv(Dataset& train, Dataset& test, const DataConfig& cfg,
                                 const std::vector<CategoricalColumn>& categorical);

}  // namespace fedsim
