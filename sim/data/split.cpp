// Train/test split and standardisation (see split.h).
#include "sim/data/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "sim/util/rng.h"

namespace fedsim {

Dataset take_rows(const Dataset& ds, const std::vector<int64_t>& rows) {
  Dataset out;
  out.n = int64_t(rows.size());
  out.d = ds.d;
  out.classes = ds.classes;
  out.feature_names = ds.feature_names;
  out.x.resize(size_t(out.n) * size_t(ds.d));
  out.y.resize(size_t(out.n));
  if (!ds.group.empty()) out.group.resize(size_t(out.n));
  for (const RowAttribute& a : ds.attributes) {
    RowAttribute& b = out.attributes.emplace_back();
    b.name = a.name;
    b.levels = a.levels;
    b.code.resize(size_t(out.n));
    for (int64_t i = 0; i < out.n; ++i) b.code[size_t(i)] = a.code[size_t(rows[size_t(i)])];
  }
  const size_t d = size_t(ds.d);
#pragma omp parallel for schedule(static) if (out.n > 65536)
  for (int64_t i = 0; i < out.n; ++i) {
    const int64_t r = rows[i];
    std::copy_n(ds.x.begin() + r * d, d, out.x.begin() + i * d);
    out.y[i] = ds.y[r];
    if (!ds.group.empty()) out.group[i] = ds.group[r];
  }
  return out;
}

std::pair<Dataset, Dataset> split_train_test(const Dataset& ds, double test_fraction,
                                             uint64_t seed) {
  if (ds.n < 2) throw std::invalid_argument("train/test split: need at least 2 samples");
  if (!(test_fraction >= 0.0 && test_fraction < 1.0))
    throw std::invalid_argument("train/test split: test_fraction must be in [0, 1)");
  const int64_t n = ds.n;
  const int64_t n_test = std::clamp<int64_t>(std::llround(double(n) * test_fraction), 1, n - 1);
  // Partial Fisher-Yates: the first n_test slots of the permutation are the test rows.
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Stream s(seed, RngPurpose::DataSplit);
  for (int64_t i = 0; i < n_test; ++i) std::swap(perm[i], perm[i + int64_t(s.below(n - i))]);
  std::vector<int64_t> test(perm.begin(), perm.begin() + n_test);
  std::vector<int64_t> train(perm.begin() + n_test, perm.end());
  std::sort(test.begin(), test.end());
  std::sort(train.begin(), train.end());
  return {take_rows(ds, train), take_rows(ds, test)};
}

void feature_stats(const Dataset& train, std::vector<float>& mean, std::vector<float>& stddev) {
  const int d = train.d;
  std::vector<double> m(d, 0.0), m2(d, 0.0);
  // Two passes in double: exact enough for any realistic n, and simple.
  for (int64_t i = 0; i < train.n; ++i)
    for (int j = 0; j < d; ++j) m[j] += train.x[size_t(i) * d + j];
  for (int j = 0; j < d; ++j) m[j] /= double(std::max<int64_t>(train.n, 1));
  for (int64_t i = 0; i < train.n; ++i)
    for (int j = 0; j < d; ++j) {
      const double t = train.x[size_t(i) * d + j] - m[j];
      m2[j] += t * t;
    }
  mean.assign(d, 0.f);
  stddev.assign(d, 1.f);
  for (int j = 0; j < d; ++j) {
    mean[j] = float(m[j]);
    const double sd = std::sqrt(m2[j] / double(std::max<int64_t>(train.n, 1)));
    stddev[j] = sd > 1e-12 * std::max(1.0, std::fabs(m[j])) ? float(sd) : 1.f;
  }
}

void standardize(Dataset& train, Dataset& test, std::vector<float>& mean,
                 std::vector<float>& stddev, const std::vector<bool>* keep) {
  if (test.d != train.d) throw std::invalid_argument("standardize: train and test widths differ");
  if (keep && keep->size() != size_t(train.d))
    throw std::invalid_argument("standardize: keep mask is not [d]");
  feature_stats(train, mean, stddev);
  const int d = train.d;
  for (int j = 0; keep && j < d; ++j)
    if ((*keep)[j]) mean[j] = 0.f, stddev[j] = 1.f;
  std::vector<float> inv(d);
  for (int j = 0; j < d; ++j) inv[j] = 1.f / stddev[j];
  for (Dataset* ds : {&train, &test}) {
    float* x = ds->x.data();
    const int64_t n = ds->n;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i)
      for (int j = 0; j < d; ++j) x[i * d + j] = (x[i * d + j] - mean[j]) * inv[j];
  }
}

}  // namespace fedsim
