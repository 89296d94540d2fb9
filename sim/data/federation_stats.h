// A summary of a Federation (client sizes, labels, skew) and its readable text, for
// `fedsim describe` and for logs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/data/dataset.h"
#include "sim/data/federation_builder.h"

namespace fedsim {

struct FederationSummary {
  int clients = 0;
  int d = 0;
  int classes = 0;
  int64_t train_samples = 0;
  int64_t test_samples = 0;
  int64_t size_min = 0, size_max = 0;
  double size_median = 0, size_mean = 0;
  std::vector<int64_t> train_label_counts;  // [classes]
  std::vector<int64_t> test_label_counts;   // [classes]
  double label_skew_tv = 0;  // mean TV distance of client label distributions to the pooled one
  bool has_build_info = false;
  BuildInfo build;  // valid when has_build_info
};

// `info` (optional) adds what only the build knows (dropped clients and samples).
FederationSummary summarize(const Federation& fed, const BuildInfo* info = nullptr);

// Multi-line, human-readable text (ends with a newline).
std::string describe(const FederationSummary& s);

}  // namespace fedsim
