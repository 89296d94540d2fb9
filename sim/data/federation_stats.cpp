// Federation summary and its text (see federation_stats.h).
#include "sim/data/federation_stats.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "sim/data/partition.h"

namespace fedsim {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string label_line(const std::vector<int64_t>& counts) {
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t(0));
  std::string s;
  for (size_t k = 0; k < counts.size(); ++k) {
    if (k) s += ", ";
    s += std::to_string(k) + ": " + std::to_string(counts[k]) +
         fmt(" (%.1f%%)", total ? 100.0 * double(counts[k]) / double(total) : 0.0);
  }
  return s;
}

}  // namespace

FederationSummary summarize(const Federation& fed, const BuildInfo* info) {
  FederationSummary s;
  s.clients = fed.num_clients();
  s.d = fed.train.d;
  s.classes = fed.train.classes;
  s.train_samples = fed.train.n;
  s.test_samples = fed.test.n;
  std::vector<int64_t> sizes(s.clients);
  for (int c = 0; c < s.clients; ++c) sizes[c] = fed.client_size(c);
  if (!sizes.empty()) {
    std::sort(sizes.begin(), sizes.end());
    s.size_min = sizes.front();
    s.size_max = sizes.back();
    const size_t m = sizes.size();
    s.size_median = m % 2 ? double(sizes[m / 2]) : 0.5 * double(sizes[m / 2 - 1] + sizes[m / 2]);
    s.size_mean = double(fed.train.n) / double(m);
  }
  s.train_label_counts.assign(s.classes, 0);
  s.test_label_counts.assign(s.classes, 0);
  for (int32_t y : fed.train.y) ++s.train_label_counts[y];
  for (int32_t y : fed.test.y) ++s.test_label_counts[y];
  std::vector<std::vector<int64_t>> hist(s.clients, std::vector<int64_t>(s.classes, 0));
  for (int c = 0; c < s.clients; ++c)
    for (int64_t r = fed.offsets[c]; r < fed.offsets[c + 1]; ++r) ++hist[c][fed.train.y[r]];
  s.label_skew_tv = label_skew_tv(hist);
  if (info) {
    s.has_build_info = true;
    s.build = *info;
  }
  return s;
}

std::string describe(const FederationSummary& s) {
  std::string t;
  t += "clients:        " + std::to_string(s.clients) + "\n";
  t += "features:       " + std::to_string(s.d) + "\n";
  t += "classes:        " + std::to_string(s.classes) + "\n";
  t += "train samples:  " + std::to_string(s.train_samples) + "\n";
  t += "test samples:   " + std::to_string(s.test_samples) + "\n";
  t += "client size:    min " + std::to_string(s.size_min) + fmt(", median %.1f", s.size_median) +
       fmt(", mean %.1f", s.size_mean) + ", max " + std::to_string(s.size_max) + "\n";
  t += "train labels:   " + label_line(s.train_label_counts) + "\n";
  t += "test labels:    " + label_line(s.test_label_counts) + "\n";
  t += "label skew:     " + fmt("%.4f", s.label_skew_tv) +
       " (mean total-variation distance of client label distributions to the pooled one)\n";
  if (s.has_build_info) {
    t += "dropped:        " + std::to_string(s.build.dropped_clients) + " clients, " +
         std::to_string(s.build.dropped_samples) + " training samples (under min_samples)\n";
  }
  return t;
}

}  // namespace fedsim
