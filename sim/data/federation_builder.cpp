// Federation builder (see federation_builder.h).
#include "sim/data/federation_builder.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/data/csv_loader.h"
#include "sim/data/split.h"
#include "sim/data/synthetic.h"

namespace fedsim {

Federation assemble_federation(const Dataset& train, Dataset test, const Partition& p) {
  std::vector<int64_t> rows;
  Federation fed;
  fed.offsets.reserve(p.clients.size() + 1);
  fed.offsets.push_back(0);
  for (const auto& c : p.clients) {
    rows.insert(rows.end(), c.begin(), c.end());
    fed.offsets.push_back(int64_t(rows.size()));
  }
  fed.train = take_rows(train, rows);
  fed.test = std::move(test);
  fed.feature_mean.assign(train.d, 0.f);
  fed.feature_std.assign(train.d, 1.f);
  return fed;
}

Federation build_federation(const Scenario& s, BuildInfo* info) {
  const uint64_t seed = s.run.seed;
  Dataset all =
      s.data.source == DataSource::Synthetic ? generate_synthetic(s.data, seed) : load_csv(s.data);
  const int64_t loaded = all.n;
  auto [train, test] = split_train_test(all, s.data.test_fraction, seed);
  all = Dataset{};  // free the full copy before the reordered one is made
  std::vector<float> mean, stddev;
  if (s.data.standardize) standardize(train, test, mean, stddev);
  const Partition p = partition(train, s.partition, seed);
  if (p.clients.empty())
    throw std::runtime_error("partition: every client has fewer than partition.min_samples = " +
                             std::to_string(s.partition.min_samples) + " training samples");
  Federation fed = assemble_federation(train, std::move(test), p);
  if (s.data.standardize) {
    fed.feature_mean = std::move(mean);
    fed.feature_std = std::move(stddev);
  }
  if (info) {
    info->loaded_samples = loaded;
    info->test_samples = fed.test.n;
    info->dropped_clients = p.dropped_clients;
    info->dropped_samples = p.dropped_samples;
  }
  return fed;
}

}  // namespace fedsim
