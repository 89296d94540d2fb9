// Federation builder (see federation_builder.h).
#include "sim/data/federation_builder.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/data/csv_loader.h"
#include "sim/data/idx_loader.h"
#include "sim/data/preprocess.h"
#include "sim/data/split.h"
#include "sim/data/synthetic.h"
#include "sim/util/rng.h"

namespace fedsim {
namespace {

// `keep` rows drawn without replacement (partial Fisher-Yates, stream DataSplit), in row order.
Dataset subsample(const Dataset& ds, int64_t keep, uint64_t seed) {
  std::vector<int64_t> perm(size_t(ds.n));
  std::iota(perm.begin(), perm.end(), 0);
  Stream s(seed, RngPurpose::DataSplit);
  for (int64_t i = 0; i < keep; ++i) std::swap(perm[i], perm[i + int64_t(s.below(ds.n - i))]);
  perm.resize(size_t(keep));
  std::sort(perm.begin(), perm.end());
  return take_rows(ds, perm);
}

}  // namespace

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
  Dataset train, test;
  int64_t loaded = 0;
  std::vector<bool> onehot;  // columns standardisation leaves alone (one-hot categories)
  if (s.data.source == DataSource::FashionMnist) {
    // The official split: t10k is the test set (test_fraction is ignored); data.samples below
    // 60,000 keeps a seeded random subset of the training images.
    if (s.partition.scheme == PartitionScheme::Natural)
      throw std::runtime_error(
          "partition: scheme 'natural' is not available for fashion_mnist "
          "(no natural clients); use iid, dirichlet or quantity");
    TrainTest tt = load_fashion_mnist(s.data.path);
    loaded = tt.train.n + tt.test.n;
    train = std::move(tt.train);
    test = std::move(tt.test);
    if (s.data.samples < train.n) train = subsample(train, s.data.samples, seed);
  } else {
    CsvExtras extras;
    Dataset all = s.data.source == DataSource::Synthetic ? generate_synthetic(s.data, seed)
                                                         : load_csv(s.data, &extras);
    loaded = all.n;
    std::tie(train, test) = split_train_test(all, s.data.test_fraction, seed);
    // Winsorising and one-hot encoding, with statistics of the training split only.
    if (s.data.source == DataSource::Csv)
      onehot = preprocess_csv(train, test, s.data, extras.categorical);
  }
  std::vector<float> mean, stddev;
  if (s.data.standardize)
    standardize(train, test, mean, stddev, onehot.empty() ? nullptr : &onehot);
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
