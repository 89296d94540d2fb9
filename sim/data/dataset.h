// Dataset and Federation: the data a simulation trains on, laid out once and never copied per
// round.
//
// A Dataset is a dense float32 feature matrix [n, d] (row-major), int32 labels [n] in 0..classes-1
// and, when the data has natural clients (shops, users), a group id per sample. A Federation is the
// training set reordered so that each client's samples are contiguous (client c owns rows
// offsets[c] .. offsets[c+1]-1, CSR style), plus the global test split.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fedsim {

// A categorical attribute of every row that is not a model feature (e.g. the synthetic data's
// product category): private queries read it (sim/analytics/), training never does.
struct RowAttribute {
  std::string name;
  std::vector<std::string> levels;
  std::vector<int32_t> code;  // [n] index into levels
};

struct Dataset {
  int64_t n = 0;
  int d = 0;
  int classes = 2;
  std::vector<float> x;                    // [n, d] row-major
  std::vector<int32_t> y;                  // [n]
  std::vector<int32_t> group;              // [n] natural client id, or empty when the data has none
  std::vector<std::string> feature_names;  // [d]
  std::vector<RowAttribute> attributes;    // optional, each [n]
};

struct Federation {
  Dataset train;                    // rows grouped by client (see offsets)
  Dataset test;                     // global test split
  std::vector<int64_t> offsets;     // [clients + 1], offsets[0] = 0, offsets.back() = train.n
  std::vector<float> feature_mean;  // [d] standardisation applied (0 / 1 when off)
  std::vector<float> feature_std;   // [d]

  int num_clients() const { return static_cast<int>(offsets.size()) - 1; }
  int64_t client_size(int c) const { return offsets[c + 1] - offsets[c]; }
};

}  // namespace fedsim
