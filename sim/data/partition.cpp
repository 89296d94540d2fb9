// Partitioners and the label-skew measure (see partition.h).
//
// Stream counters (purpose Partition): (0, 0, 0) the row permutation of iid/quantity,
// (1, class, 0) the shuffle of one class and (2, class, 0) its Dirichlet proportions,
// (3, 0, 0) the quantity weights.
#include "sim/data/partition.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

#include "sim/util/rng.h"

namespace fedsim {
namespace {

void shuffle(std::vector<int64_t>& v, Stream& s) {
  for (int64_t i = int64_t(v.size()) - 1; i > 0; --i)
    std::swap(v[i], v[int64_t(s.below(uint64_t(i) + 1))]);
}

std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Stream s(seed, RngPurpose::Partition, 0, 0, 0);
  shuffle(perm, s);
  return perm;
}

// Split `total` into integer parts proportional to `w` (largest remainder, ties to lower index).
std::vector<int64_t> apportion(int64_t total, const std::vector<double>& w) {
  const size_t k = w.size();
  const double sum = std::accumulate(w.begin(), w.end(), 0.0);
  std::vector<int64_t> out(k, 0);
  std::vector<std::pair<double, size_t>> frac(k);
  int64_t given = 0;
  for (size_t i = 0; i < k; ++i) {
    const double q = sum > 0 ? double(total) * w[i] / sum : 0.0;
    out[i] = std::min<int64_t>(total - given, int64_t(std::floor(q)));
    given += out[i];
    frac[i] = {q - double(out[i]), i};
  }
  std::sort(frac.begin(), frac.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (size_t j = 0; given < total; ++j, ++given) ++out[frac[j % k].second];
  return out;
}

// Contiguous chunks of `order` with the given sizes.
std::vector<std::vector<int64_t>> chunks(const std::vector<int64_t>& order,
                                         const std::vector<int64_t>& sizes) {
  std::vector<std::vector<int64_t>> out(sizes.size());
  int64_t pos = 0;
  for (size_t c = 0; c < sizes.size(); ++c) {
    out[c].assign(order.begin() + pos, order.begin() + pos + sizes[c]);
    pos += sizes[c];
  }
  return out;
}

std::vector<std::vector<int64_t>> dirichlet_split(const Dataset& train, int k, double alpha,
                                                  uint64_t seed) {
  std::vector<std::vector<int64_t>> by_class(train.classes);
  for (int64_t i = 0; i < train.n; ++i) by_class[train.y[i]].push_back(i);
  std::vector<std::vector<int64_t>> out(k);
  std::vector<double> p(k);
  for (int c = 0; c < train.classes; ++c) {
    auto& rows = by_class[c];
    if (rows.empty()) continue;
    Stream sh(seed, RngPurpose::Partition, 1, uint32_t(c), 0);
    shuffle(rows, sh);
    Stream sp(seed, RngPurpose::Partition, 2, uint32_t(c), 0);
    for (int j = 0; j < k; ++j) p[j] = sp.gamma(alpha);
    // Split points floor(cumsum(p) * n_c), as in the usual implementation of Hsu et al.
    const double sum = std::accumulate(p.begin(), p.end(), 0.0);
    if (!(sum > 0)) {  // every gamma draw underflowed (tiny alpha): one client gets the class
      std::fill(p.begin(), p.end(), 0.0);
      p[sp.below(uint64_t(k))] = 1.0;
    }
    const double total = sum > 0 ? sum : 1.0;
    const int64_t n_c = int64_t(rows.size());
    double acc = 0;
    int64_t start = 0;
    for (int j = 0; j < k; ++j) {
      acc += p[j];
      const int64_t end = j == k - 1 ? n_c : std::min(n_c, int64_t(std::floor(acc / total * n_c)));
      out[j].insert(out[j].end(), rows.begin() + start, rows.begin() + std::max(start, end));
      start = std::max(start, end);
    }
  }
  return out;
}

}  // namespace

Partition partition(const Dataset& train, const PartitionConfig& cfg, uint64_t seed) {
  auto bad = [](const std::string& m) { throw std::invalid_argument("partition: " + m); };
  if (train.y.size() != size_t(train.n))
    bad("dataset has " + std::to_string(train.y.size()) + " labels for " + std::to_string(train.n) +
        " rows");
  const bool natural = cfg.scheme == PartitionScheme::Natural;
  if (!natural && cfg.clients < 1) bad("clients must be >= 1, got " + std::to_string(cfg.clients));
  std::vector<std::vector<int64_t>> clients;
  std::vector<int32_t> groups;
  switch (cfg.scheme) {
    case PartitionScheme::Iid: {
      const int64_t k = cfg.clients;
      std::vector<int64_t> sizes(k, train.n / k);
      for (int64_t c = 0; c < train.n % k; ++c) ++sizes[c];
      clients = chunks(permutation(train.n, seed), sizes);
      break;
    }
    case PartitionScheme::Dirichlet:
      if (!(cfg.alpha > 0) || !std::isfinite(cfg.alpha)) bad("dirichlet alpha must be > 0");
      clients = dirichlet_split(train, cfg.clients, cfg.alpha, seed);
      break;
    case PartitionScheme::Quantity: {
      if (!(cfg.quantity_sigma >= 0) || !std::isfinite(cfg.quantity_sigma))
        bad("quantity_sigma must be >= 0");
      std::vector<double> w(cfg.clients);
      Stream s(seed, RngPurpose::Partition, 3, 0, 0);
      for (auto& v : w) v = std::exp(cfg.quantity_sigma * s.normal());
      clients = chunks(permutation(train.n, seed), apportion(train.n, w));
      break;
    }
    case PartitionScheme::Natural: {
      if (train.group.size() != size_t(train.n))
        bad("scheme 'natural' needs natural client ids (synthetic shops, or data.client_column for "
            "csv), and this data has none");
      std::map<int32_t, int64_t> index;  // group id -> client, ascending group id
      for (int32_t g : train.group) index.emplace(g, 0);
      int64_t next = 0;
      for (auto& [g, c] : index) {
        c = next++;
        groups.push_back(g);
      }
      clients.resize(index.size());
      for (int64_t i = 0; i < train.n; ++i) clients[index[train.group[i]]].push_back(i);
      break;
    }
  }

  Partition out;
  const int64_t min_samples = std::max(1, cfg.min_samples);  // empty clients are always dropped
  for (size_t c = 0; c < clients.size(); ++c) {
    auto& rows = clients[c];
    if (int64_t(rows.size()) < min_samples) {
      ++out.dropped_clients;
      out.dropped_samples += int64_t(rows.size());
      continue;
    }
    std::sort(rows.begin(), rows.end());
    out.clients.push_back(std::move(rows));
    out.client_group.push_back(natural ? groups[c] : -1);
  }
  return out;
}

std::vector<std::vector<int64_t>> label_histograms(
    const std::vector<int32_t>& labels, int classes,
    const std::vector<std::vector<int64_t>>& clients) {
  std::vector<std::vector<int64_t>> h(clients.size(), std::vector<int64_t>(classes, 0));
  for (size_t c = 0; c < clients.size(); ++c)
    for (int64_t r : clients[c]) ++h[c][labels[r]];
  return h;
}

double label_skew_tv(const std::vector<std::vector<int64_t>>& histograms) {
  if (histograms.empty()) return 0.0;
  const size_t classes = histograms[0].size();
  std::vector<double> global(classes, 0.0);
  double total = 0;
  for (const auto& h : histograms)
    for (size_t k = 0; k < classes; ++k) global[k] += double(h[k]), total += double(h[k]);
  if (total == 0) return 0.0;
  for (auto& g : global) g /= total;
  double sum = 0;
  int64_t counted = 0;
  for (const auto& h : histograms) {
    const double n = double(std::accumulate(h.begin(), h.end(), int64_t(0)));
    if (n == 0) continue;
    double tv = 0;
    for (size_t k = 0; k < classes; ++k) tv += std::fabs(double(h[k]) / n - global[k]);
    sum += 0.5 * tv;
    ++counted;
  }
  return counted ? sum / double(counted) : 0.0;
}

double label_skew_tv(const Dataset& train, const Partition& p) {
  return label_skew_tv(label_histograms(train.y, train.classes, p.clients));
}

}  // namespace fedsim
