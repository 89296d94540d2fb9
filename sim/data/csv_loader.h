// CSV loader: a header row, comma-separated values, numeric features, integer class labels.
//
// Client and id columns are pseudonymised as they are read (HMAC-SHA256 with the key in
// cfg.key_file, see pseudonymize.h): raw identifiers are never stored in what is returned. Clients
// become dense group ids in sorted order of their digests; id columns are never features.
// Every error is a std::runtime_error "PATH:LINE: ..." naming the column where one is involved.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/data/dataset.h"
#include "sim/data/preprocess.h"
#include "sim/scenario.h"

namespace fedsim {

// What load_csv knows beyond the Dataset (optional).
struct CsvExtras {
  std::vector<int64_t> label_values;           // [classes] original label of class k (sorted)
  std::vector<std::string> id_columns;         // cfg.id_columns
  std::vector<std::vector<int32_t>> ids;       // [id column][row] dense pseudonymous ids
  int64_t clients = 0;                         // distinct client ids (0 without a client column)
  std::vector<CategoricalColumn> categorical;  // cfg.categorical_columns, in feature order
};

// Reads cfg.path using cfg.label_column, cfg.client_column, cfg.feature_columns, cfg.id_columns and
// cfg.key_file. Feature columns default to every column but the label, client and id columns.
// Labels are remapped to 0..C-1 in sorted order of the distinct values (C >= 2).
// Feature columns named in cfg.categorical_columns may hold any text: each distinct value gets a
// code (in order of first appearance) stored as the feature, and extras->categorical maps codes to
// text for one_hot_encode (preprocess.h), which runs after the split.
// Quoted fields ("a,b", "" for a quote) are accepted; a field may not span lines.
Dataset load_csv(const DataConfig& cfg, CsvExtras* extras = nullptr);

}  // namespace fedsim
