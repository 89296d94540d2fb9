// Private queries (see query.h): grouping, contribution bounding, the noise on each component
// under the three trust models, and the answers with their intervals (prices: query_cost.cpp).
#include "sim/analytics/query.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <numeric>
#include <stdexcept>

#include "sim/analytics/query_internal.h"
#include "sim/util/gaussian_noise.h"
#include "sim/util/rng.h"

namespace fedsim::analytics {

using namespace detail;

namespace {

constexpr int kQuantileBins = 64;  // default grid of a quantile's histogram
constexpr int kBootstrap = 2000;   // draws for the intervals of mean, variance and quantile
constexpr uint32_t kNoisePurpose = 0x51525931u;  // "QRY1": the answers' noise
constexpr double kZ95 = 1.959963984540054;

std::string bin_name(double a, double b, bool last) {
  char buf[96];
  std::snprintf(buf, sizeof buf, last ? "[%.6g, %.6g]" : "[%.6g, %.6g)", a, b);
  return buf;
}

// The groups of a query and each row's group (-1: not in any).
struct Grouping {
  std::vector<std::string> names;
  std::function<int(int64_t)> of;
};

Grouping grouping_all(const QueryTable& t, const QuerySpec& s);

Grouping grouping(const QueryTable& t, const QuerySpec& s) {
  Grouping g = grouping_all(t, s);
  const auto [c, level] = where_filter(t, s);
  if (c)
    g.of = [&t, c = c, level = level, of = g.of](int64_t r) {
      return t.level(r, *c) == level ? of(r) : -1;
    };
  return g;
}

Grouping grouping_all(const QueryTable& t, const QuerySpec& s) {
  Grouping g;
  const bool binned =
      s.stat == Statistic::Quantile || (s.stat == Statistic::Histogram && !t.categorical(s.column));
  if (binned) {
    const int bins = s.bins > 0 ? s.bins : s.stat == Statistic::Quantile ? kQuantileBins : 10;
    const int col = t.numeric_index(s.column);
    const double lo = s.lower, width = (s.upper - s.lower) / bins;
    for (int b = 0; b < bins; ++b)
      g.names.push_back(bin_name(lo + b * width, lo + (b + 1) * width, b == bins - 1));
    g.of = [&t, col, lo, width, bins, hi = s.upper](int64_t r) {
      const double v = std::clamp(t.numeric(r, col), lo, hi);
      return std::min(bins - 1, int((v - lo) / width));
    };
    return g;
  }
  const std::string& name = s.stat == Statistic::Histogram ? s.column : s.group_by;
  if (name.empty()) {
    g.names = {""};
    g.of = [](int64_t) { return 0; };
    return g;
  }
  const CategoricalColumn* c = t.categorical(name);
  g.names = c->levels;
  g.of = [&t, c](int64_t r) { return t.level(r, *c); };
  return g;
}

// Per-client bounded rows: at most max_groups of the client's groups and max_rows rows in each,
// chosen uniformly at random (stream: seed, query, client). Calls keep(row, group) for each kept
// row; returns the rows the client had in any group.
int64_t bound_client(const QueryTable& t, const QuerySpec& s, const Grouping& g, int u,
                     const std::function<void(int64_t, int)>& keep) {
  std::vector<std::pair<int, int64_t>> rows;  // (group, row)
  for (int64_t r = t.unit_begin(u); r < t.unit_end(u); ++r) {
    const int grp = g.of(r);
    if (grp >= 0) rows.emplace_back(grp, r);
  }
  if (rows.empty()) return 0;
  Stream rng(s.seed, RngPurpose::Analytics, s.query_index, uint32_t(u));
  for (size_t i = rows.size() - 1; i > 0; --i) std::swap(rows[i], rows[rng.below(i + 1)]);
  std::vector<int> groups;  // the client's groups in random order (first appearance after shuffle)
  for (const auto& [grp, r] : rows)
    if (std::find(groups.begin(), groups.end(), grp) == groups.end()) groups.push_back(grp);
  if (int(groups.size()) > s.max_groups) groups.resize(size_t(s.max_groups));
  std::vector<int> taken(g.names.size(), 0);
  for (const auto& [grp, r] : rows) {
    if (std::find(groups.begin(), groups.end(), grp) == groups.end()) continue;
    if (taken[size_t(grp)] >= s.max_rows) continue;
    ++taken[size_t(grp)];
    keep(r, grp);
  }
  return int64_t(rows.size());
}

// A row's contribution to each component (clamped; centred for mean and variance; on the grid for
// discrete mechanisms).
std::vector<double> contributions(const QueryTable& t, const QuerySpec& s, int col, int64_t r,
                                  const std::vector<Component>& comps) {
  std::vector<double> out(comps.size(), 1.0);  // counts
  if (!needs_numeric(s.stat) || s.stat == Statistic::Quantile) return out;
  const double v = std::clamp(t.numeric(r, col), s.lower, s.upper);
  const double m = (s.lower + s.upper) / 2, w = (s.upper - s.lower) / 2;
  if (s.stat == Statistic::Sum) out[0] = v;
  if (s.stat == Statistic::Mean || s.stat == Statistic::Variance) out[1] = v - m;
  if (s.stat == Statistic::Variance) out[2] = (v - m) * (v - m) - w * w / 2;
  if (discrete(s.mechanism))
    for (size_t k = 0; k < comps.size(); ++k)
      out[k] = comps[k].grid * std::round(out[k] / comps[k].grid);
  return out;
}

// The statistic from its components' per-group values (count, centred sum, centred squares).
double finish(const QuerySpec& s, const std::vector<double>& v) {
  const double m = (s.lower + s.upper) / 2, w = (s.upper - s.lower) / 2;
  switch (s.stat) {
    case Statistic::Mean:
      return m + v[1] / std::max(v[0], 1.0);
    case Statistic::Variance: {
      const double c = std::max(v[0], 1.0), mean_c = v[1] / c;
      const double sq = (v[2] + c * w * w / 2) / c;
      return std::clamp(sq - mean_c * mean_c, 0.0, w * w);
    }
    default:
      return v[0];
  }
}

// The q-quantile of a histogram over bins of [lo, hi] (negative counts read as 0), interpolated.
double quantile_of(const std::vector<double>& counts, double q, double lo, double hi) {
  double total = 0;
  for (double c : counts) total += std::max(c, 0.0);
  const double width = (hi - lo) / double(counts.size());
  if (total <= 0) return (lo + hi) / 2;
  double cum = 0;
  for (size_t b = 0; b < counts.size(); ++b) {
    const double c = std::max(counts[b], 0.0);
    if (cum + c >= q * total && c > 0) return lo + width * (double(b) + (q * total - cum) / c);
    cum += c;
  }
  return hi;
}

}  // namespace

QueryResult run_query(const QueryTable& t, const QuerySpec& s) {
  check_spec(s, t);
  QueryResult res;
  res.description = std::string(statistic_name(s.stat)) +
                    (s.column.empty() ? " of rows" : " of " + s.column) +
                    (s.group_by.empty() ? "" : " by " + s.group_by) +
                    (s.where.empty() ? "" : " where " + s.where) + ", " + trust_name(s.trust);
  const Grouping g = grouping(t, s);
  const size_t G = g.names.size();
  const int col = t.numeric_index(s.column);
  const NoiseKey key = noise_key(s.seed, kNoisePurpose);

  // Local DP, histogram of a categorical column: k-ary randomised response of one row per client.
  res.mechanism = mechanism_name(s.mechanism);
  if (randomised_response(s, t)) {
    res.mechanism = "randomised_response";
    res.cost = randomised_response_cost(s);
    const double k = double(G), e = std::exp(s.epsilon);
    const double p = e / (e + k - 1), q = 1 / (e + k - 1);
    std::vector<double> reported(G, 0), truth(G, 0);
    double n = 0;
    for (int u = 0; u < t.units(); ++u) {
      std::vector<int64_t> rows;
      for (int64_t r = t.unit_begin(u); r < t.unit_end(u); ++r)
        if (g.of(r) >= 0) rows.push_back(r);
      res.rows_read += int64_t(rows.size());
      if (rows.empty()) continue;
      Stream rng(s.seed, RngPurpose::Analytics, s.query_index, uint32_t(u), 1);
      const int level = g.of(rows[rng.below(rows.size())]);
      int report = level;
      if (G > 1 && rng.uniform() >= p) {  // another level, uniformly
        report = int(rng.below(G - 1));
        if (report >= level) ++report;
      }
      truth[size_t(level)] += 1;
      reported[size_t(report)] += 1;
      n += 1;
      ++res.rows_used;
    }
    for (size_t v = 0; v < G; ++v) {
      const double est = (reported[v] - n * q) / (p - q);
      const double var =
          n * q * (1 - q) / ((p - q) * (p - q)) + std::max(est, 0.0) * (1 - p - q) / (p - q);
      const double half = kZ95 * std::sqrt(std::max(var, 0.0));
      res.answers.push_back({g.names[v], est, est - half, est + half});
      res.exact.push_back(truth[v]);
    }
    res.sensitivity = 1;
    res.notes.push_back(
        "randomised response: each client reports the level of one of its rows "
        "(chosen at random), kept with probability " +
        std::to_string(p) +
        "; the answers estimate clients per level; intervals: normal "
        "approximation of the debiased estimate");
    return res;
  }

  // Bounded per-client contributions, summed per group and component.
  const std::vector<Component> comps = components(s);
  const size_t C = comps.size();
  const std::vector<CalibratedNoise> noise = component_noises(s, comps);
  res.cost = cost_of(s, comps, noise);
  res.sensitivity = request_sensitivity(s, comps.back());
  res.noise_scale = noise.back().scale;
  std::vector<std::vector<double>> exact(C, std::vector<double>(G, 0.0));
  std::vector<std::vector<double>> noisy(C, std::vector<double>(G, 0.0));
  double local_variance = 0;  // local: the summed noise's variance (component 0)
  for (int u = 0; u < t.units(); ++u) {
    std::vector<std::vector<double>> mine(C, std::vector<double>(G, 0.0));
    res.rows_read += bound_client(t, s, g, u, [&](int64_t r, int grp) {
      const std::vector<double> add = contributions(t, s, col, r, comps);
      for (size_t k = 0; k < C; ++k) mine[k][size_t(grp)] += add[k];
      ++res.rows_used;
    });
    for (size_t k = 0; k < C; ++k)
      for (size_t v = 0; v < G; ++v) exact[k][v] += mine[k][v];
    if (s.trust == TrustModel::Local) {  // the client's own noise, then it sends the answer
      secagg::PhiloxBits bits(key, s.query_index, uint32_t(u), 0xC11E47u);
      noisy[0][0] += mine[0][0] + draw_noise(noise[0], bits);
      local_variance += noise[0].variance;
    }
  }
  if (s.trust != TrustModel::Local) {  // noise once on each group's sum
    for (size_t k = 0; k < C; ++k)
      for (size_t v = 0; v < G; ++v) {
        secagg::PhiloxBits bits(key, s.query_index, uint32_t(k), uint32_t(v));
        noisy[k][v] = exact[k][v] + draw_noise(noise[k], bits);
      }
  }

  // Answers and intervals.
  const bool bootstrap = s.stat == Statistic::Mean || s.stat == Statistic::Variance;
  if (s.stat == Statistic::Quantile) {
    std::vector<double> counts = noisy[0], draws;
    const double value = quantile_of(counts, s.quantile, s.lower, s.upper);
    secagg::PhiloxBits bits(key, s.query_index, 0xB007u, 0);
    for (int b = 0; b < kBootstrap; ++b) {
      std::vector<double> c = counts;
      for (double& x : c) x += draw_noise(noise[0], bits);
      draws.push_back(quantile_of(c, s.quantile, s.lower, s.upper));
    }
    std::sort(draws.begin(), draws.end());
    res.answers.push_back({"q = " + std::to_string(s.quantile), value,
                           draws[size_t(0.025 * kBootstrap)],
                           draws[size_t(0.975 * kBootstrap) - 1]});
    res.exact.push_back(quantile_of(exact[0], s.quantile, s.lower, s.upper));
    res.notes.push_back("quantile read from a noisy histogram of " + std::to_string(G) +
                        " bins; interval: the noise's bootstrap around the noisy histogram "
                        "(approximate)");
  } else {
    for (size_t v = 0; v < G; ++v) {
      std::vector<double> parts(C), truth(C);
      for (size_t k = 0; k < C; ++k) {
        parts[k] = noisy[k][v];
        truth[k] = exact[k][v];
      }
      const double value = finish(s, parts);
      double lo = value - noise[0].ci95, hi = value + noise[0].ci95;
      if (s.trust == TrustModel::Local) {
        const double half = kZ95 * std::sqrt(local_variance);
        lo = value - half;
        hi = value + half;
      } else if (bootstrap) {
        secagg::PhiloxBits bits(key, s.query_index, 0xB007u, uint32_t(v) + 1);
        std::vector<double> draws;
        for (int b = 0; b < kBootstrap; ++b) {
          std::vector<double> p = parts;
          for (size_t k = 0; k < C; ++k) p[k] += draw_noise(noise[k], bits);
          draws.push_back(finish(s, p));
        }
        std::sort(draws.begin(), draws.end());
        lo = draws[size_t(0.025 * kBootstrap)];
        hi = draws[size_t(0.975 * kBootstrap) - 1];
      }
      res.answers.push_back({g.names[v], value, lo, hi});
      res.exact.push_back(finish(s, truth));
    }
    if (bootstrap)
      res.notes.push_back(
          "interval: the noise's bootstrap around the noisy count and sums "
          "(approximate)");
    if (s.trust == TrustModel::Local)
      res.notes.push_back("local: every client added its own noise (scale " +
                          std::to_string(noise[0].scale) +
                          "); interval: normal approximation of the summed noise");
  }
  if (s.trust == TrustModel::SecureAggregation)
    res.notes.push_back(
        "secagg: each client bounded its own rows; the server saw only the sum of "
        "the clients' statistics, to which the noise was added once");
  if (res.rows_used < res.rows_read)
    res.notes.push_back("contribution bounding dropped " +
                        std::to_string(res.rows_read - res.rows_used) + " of " +
                        std::to_string(res.rows_read) + " rows");
  return res;
}

}  // namespace fedsim::analytics
