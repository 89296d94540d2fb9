// Winsorising and one-hot encoding with training statistics only (see preprocess.h).
#include "sim/data/preprocess.h"

#include <algorithm>
#include <stdexcept>

#include "sim/train/metrics.h"

namespace fedsim {

WinsorBounds winsorize(Dataset& train, Dataset& test, const std::vector<int>& features,
                       double lower_q, double upper_q) {
  if (test.d != train.d) throw std::invalid_argument("winsorize: train and test widths differ");
  if (train.n < 1) throw std::invalid_argument("winsorize: empty training split");
  WinsorBounds b;
  b.features = features;
  const size_t d = size_t(train.d);
  std::vector<float> col(size_t(train.n));
  for (int j : features) {
    if (j < 0 || j >= train.d) throw std::invalid_argument("winsorize: feature out of range");
    for (int64_t i = 0; i < train.n; ++i) col[i] = train.x[size_t(i) * d + j];
    const float lo = float(quantile(col, lower_q));
    const float hi = float(quantile(col, upper_q));
    b.lower.push_back(lo);
    b.upper.push_back(hi);
    for (Dataset* ds : {&train, &test})
      for (int64_t i = 0; i < ds->n; ++i) {
        float& x = ds->x[size_t(i) * d + j];
        x = std::clamp(x, lo, hi);
      }
  }
  return b;
}

std::vector<bool> one_hot_encode(Dataset& train, Dataset& test,
                                 const std::vector<CategoricalColumn>& columns) {
  if (test.d != train.d) throw std::invalid_argument("one-hot: train and test widths differ");
  const int d = train.d;
  // For every input feature: how many output columns it becomes, and for a categorical one the
  // output slot of each code (-1: the code never occurs in training, so it has no column).
  std::vector<int> width(d, 1);
  std::vector<std::vector<int>> slot(d);
  std::vector<const CategoricalColumn*> cat_of(d, nullptr);
  for (size_t k = 0; k < columns.size(); ++k) {
    const CategoricalColumn& c = columns[k];
    if (c.feature < 0 || c.feature >= d || (k > 0 && c.feature <= columns[k - 1].feature))
      throw std::invalid_argument("one-hot: categorical features out of range or order");
    cat_of[c.feature] = &c;
    const int codes = int(c.values.size());
    std::vector<bool> seen(size_t(codes), false);
    for (int64_t i = 0; i < train.n; ++i) {
      const int code = int(train.x[size_t(i) * d + c.feature]);
      if (code < 0 || code >= codes) throw std::invalid_argument("one-hot: code out of range");
      seen[code] = true;
    }
    std::vector<int> order;  // the codes seen in training, in sorted order of their text
    for (int code = 0; code < codes; ++code)
      if (seen[code]) order.push_back(code);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return c.values[a] < c.values[b]; });
    slot[c.feature].assign(size_t(codes), -1);
    for (size_t s = 0; s < order.size(); ++s) slot[c.feature][order[s]] = int(s);
    width[c.feature] = int(order.size());
  }
  // Output layout: input feature j starts at column start[j].
  std::vector<int> start(d + 1, 0);
  for (int j = 0; j < d; ++j) start[j + 1] = start[j] + width[j];
  const int d_out = start[d];
  std::vector<bool> onehot(static_cast<size_t>(d_out), false);
  std::vector<std::string> names(static_cast<size_t>(d_out));
  for (int j = 0; j < d; ++j) {
    if (!cat_of[j]) {
      if (size_t(j) < train.feature_names.size()) names[start[j]] = train.feature_names[j];
      continue;
    }
    for (size_t code = 0; code < slot[j].size(); ++code) {
      const int s = slot[j][code];
      if (s < 0) continue;
      onehot[start[j] + s] = true;
      names[start[j] + s] = cat_of[j]->name + "=" + cat_of[j]->values[code];
    }
  }
  for (Dataset* ds : {&train, &test}) {
    std::vector<float> x(size_t(ds->n) * size_t(d_out), 0.f);
    for (int64_t i = 0; i < ds->n; ++i) {
      const float* in = ds->x.data() + size_t(i) * d;
      float* out = x.data() + size_t(i) * d_out;
      for (int j = 0; j < d; ++j) {
        if (!cat_of[j]) {
          out[start[j]] = in[j];
          continue;
        }
        const int code = int(in[j]);
        if (code < 0 || size_t(code) >= slot[j].size())
          throw std::invalid_argument("one-hot: code out of range");
        if (const int s = slot[j][code]; s >= 0) out[start[j] + s] = 1.f;
      }
    }
    ds->x = std::move(x);
    ds->d = d_out;
    if (!ds->feature_names.empty()) ds->feature_names = names;
  }
  return onehot;
}

std::vector<bool> preprocess_csv(Dataset& train, Dataset& test, const DataConfig& cfg,
                                 const std::vector<CategoricalColumn>& categorical) {
  std::vector<bool> is_cat(size_t(train.d), false);
  for (const auto& c : categorical) is_cat[c.feature] = true;
  if (!cfg.winsorize.empty()) {
    std::vector<int> features;
    if (cfg.winsorize_columns.empty()) {
      for (int j = 0; j < train.d; ++j)
        if (!is_cat[j]) features.push_back(j);
    } else {
      for (const std::string& name : cfg.winsorize_columns) {
        const auto it = std::find(train.feature_names.begin(), train.feature_names.end(), name);
        const int j = int(it - train.feature_names.begin());
        if (it == train.feature_names.end() || is_cat[j])
          throw std::runtime_error(cfg.path + ": data.winsorize_columns: '" + name +
                                   "' is not a numeric feature column");
        features.push_back(j);
      }
    }
    winsorize(train, test, features, cfg.winsorize[0], cfg.winsorize[1]);
  }
  if (categorical.empty()) return std::vector<bool>(size_t(train.d), false);
  return one_hot_encode(train, test, categorical);
}

}  // namespace fedsim
