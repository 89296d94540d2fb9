// The table that private queries read: a scenario's training data, one privacy unit per client
// (a shop, user or platform of the federation), columns by name.
//
// Numeric columns are the features in their original units (the standardisation the engine
// applied is undone) and "label" (the class index). Categorical columns are "label" (levels: the
// class indices) and every one-hot family of features named "NAME=LEVEL" (the CSV loader's
// categorical_columns), whose level is the one set to 1 in a row (none: the row has no level), and
// the data's row attributes (e.g. the synthetic data's product "category").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/data/dataset.h"

namespace fedsim::analytics {

struct CategoricalColumn {
  std::string name;
  std::vector<std::string> levels;
  std::vector<int> features;  // the one-hot feature of each level; empty for the others
  int attribute = -1;         // a row attribute of the data (Dataset::attributes), or -1
};

class QueryTable {
 public:
  explicit QueryTable(const Federation& fed);  // keeps a reference: fed must outlive the table

  int64_t rows() const { return fed_.train.n; }
  int units() const { return fed_.num_clients(); }
  int64_t unit_begin(int u) const { return fed_.offsets[size_t(u)]; }    // a unit's rows are
  int64_t unit_end(int u) const { return fed_.offsets[size_t(u) + 1]; }  // contiguous

  // The numeric column's index (features 0..d-1, "label" = d), or -1.
  int numeric_index(const std::string& name) const;
  double numeric(int64_t row, int column) const;
  // The categorical column of that name, or nullptr.
  const CategoricalColumn* categorical(const std::string& name) const;
  int level(int64_t row, const CategoricalColumn& c) const;  // -1: no level set in this row

  // Every column name, for messages ("numeric: a, b; categorical: c, d").
  std::string describe_columns() const;

 private:
  const Federation& fed_;
  std::vector<CategoricalColumn> categoricals_;
};

}  // namespace fedsim::analytics
