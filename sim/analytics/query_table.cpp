// QueryTable (see query_table.h): column lookup over a federation's training data.
#include "sim/analytics/query_table.h"

#include <map>

namespace fedsim::analytics {

QueryTable::QueryTable(const Federation& fed) : fed_(fed) {
  CategoricalColumn label{"label", {}, {}};
  for (int k = 0; k < fed.train.classes; ++k) label.levels.push_back(std::to_string(k));
  categoricals_.push_back(label);
  for (size_t a = 0; a < fed.train.attributes.size(); ++a)
    categoricals_.push_back(
        {fed.train.attributes[a].name, fed.train.attributes[a].levels, {}, int(a)});
  std::map<std::string, size_t> family;  // one-hot families "NAME=LEVEL", in first-seen order
  const auto& names = fed.train.feature_names;
  for (size_t j = 0; j < names.size(); ++j) {
    const size_t eq = names[j].find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string name = names[j].substr(0, eq);
    auto [it, fresh] = family.emplace(name, categoricals_.size());
    if (fresh) categoricals_.push_back({name, {}, {}});
    categoricals_[it->second].levels.push_back(names[j].substr(eq + 1));
    categoricals_[it->second].features.push_back(int(j));
  }
}

int QueryTable::numeric_index(const std::string& name) const {
  if (name == "label") return fed_.train.d;
  const auto& names = fed_.train.feature_names;
  for (size_t j = 0; j < names.size(); ++j)
    if (names[j] == name) return int(j);
  return -1;
}

double QueryTable::numeric(int64_t row, int column) const {
  if (column == fed_.train.d) return double(fed_.train.y[size_t(row)]);
  const float z = fed_.train.x[size_t(row) * size_t(fed_.train.d) + size_t(column)];
  const bool standardised = fed_.feature_std.size() == size_t(fed_.train.d);
  return standardised
             ? double(z) * fed_.feature_std[size_t(column)] + fed_.feature_mean[size_t(column)]
             : double(z);
}

const CategoricalColumn* QueryTable::categorical(const std::string& name) const {
  for (const auto& c : categoricals_)
    if (c.name == name) return &c;
  return nullptr;
}

int QueryTable::level(int64_t row, const CategoricalColumn& c) const {
  if (c.attribute >= 0) return fed_.train.attributes[size_t(c.attribute)].code[size_t(row)];
  if (c.features.empty()) return fed_.train.y[size_t(row)];
  for (size_t l = 0; l < c.features.size(); ++l)
    if (numeric(row, c.features[l]) > 0.5) return int(l);
  return -1;
}

std::string QueryTable::describe_columns() const {
  std::string s = "numeric: label";
  for (const auto& n : fed_.train.feature_names) s += ", " + n;
  s += "; categorical:";
  for (size_t i = 0; i < categoricals_.size(); ++i) s += (i ? ", " : " ") + categoricals_[i].name;
  return s;
}

}  // namespace fedsim::analytics
