// The query engine's prices (see query.h, query_internal.h): names, validation, the noisy
// components of each statistic with their calibrated noise and sensitivity, and what a query
// spends.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/analytics/query_internal.h"

namespace fedsim::analytics {
namespace detail {

void bad(const std::string& what) {
  throw std::invalid_argument(what);
}

bool needs_numeric(Statistic s) {
  return s == Statistic::Sum || s == Statistic::Mean || s == Statistic::Variance ||
         s == Statistic::Quantile;
}

// The components of a statistic, for bounds [lower, upper].
std::vector<Component> components(const QuerySpec& s) {
  const double h = std::max(std::abs(s.lower), std::abs(s.upper)), w = (s.upper - s.lower) / 2;
  switch (s.stat) {
    case Statistic::Count:
    case Statistic::Histogram:
    case Statistic::Quantile:
      return {{"count", 1.0, 1.0}};
    case Statistic::Sum:
      return {{"sum", h, h / kGridSteps}};
    case Statistic::Mean:
      return {{"count", 1.0, 1.0}, {"centred sum", w, w / kGridSteps}};
    case Statistic::Variance:
      return {{"count", 1.0, 1.0},
              {"centred sum", w, w / kGridSteps},
              {"centred squares", w * w / 2, w * w / 2 / kGridSteps}};
  }
  return {};
}

bool discrete(Mechanism m) {
  return m == Mechanism::DiscreteLaplace || m == Mechanism::DiscreteGaussian;
}

// The noise of one component: central/secagg for the vector of groups, local for one client.
CalibratedNoise component_noise(const QuerySpec& s, const Component& c, int parts) {
  NoiseRequest r;
  r.mechanism = s.mechanism;
  r.epsilon = s.epsilon / parts;
  r.delta = s.delta / parts;
  if (s.trust == TrustModel::Local) {  // the diameter of one client's local answer
    const double span =
        s.stat == Statistic::Count ? 1.0 : std::max(s.upper, 0.0) - std::min(s.lower, 0.0);
    r.sensitivity = s.max_rows * span;
    r.granularity = s.stat == Statistic::Count ? 1.0 : c.grid;
  } else {
    const double per_group = s.max_rows * c.per_row;
    r.sensitivity = is_gaussian(s.mechanism) ? std::sqrt(double(s.max_groups)) * per_group
                                             : s.max_groups * per_group;
    r.granularity = c.grid;
  }
  return calibrate(r);
}

// zCDP of a Gaussian component: rho = D^2 / (2 sigma^2) (Bun & Steinke 2016, Prop. 1.6; the
// discrete Gaussian has the same, Canonne-Kamath-Steinke 2020, Thm. 4), in grid units for it.
double component_rho(const CalibratedNoise& n, double sensitivity) {
  if (!is_gaussian(n.mechanism)) return 0.0;
  if (n.mechanism == Mechanism::DiscreteGaussian) {
    const double d = std::ceil(sensitivity / n.granularity * (1 - 1e-12));
    return d * d / (2 * n.sigma2.value());
  }
  return sensitivity * sensitivity / (2 * n.scale * n.scale);
}

double request_sensitivity(const QuerySpec& s, const Component& c) {
  if (s.trust == TrustModel::Local) {
    const double span =
        s.stat == Statistic::Count ? 1.0 : std::max(s.upper, 0.0) - std::min(s.lower, 0.0);
    return s.max_rows * span;
  }
  const double per_group = s.max_rows * c.per_row;
  return is_gaussian(s.mechanism) ? std::sqrt(double(s.max_groups)) * per_group
                                  : s.max_groups * per_group;
}

// The rows a `where` keeps: the categorical column and level it names (nullptr: all rows).
std::pair<const CategoricalColumn*, int> where_filter(const QueryTable& t, const QuerySpec& s) {
  if (s.where.empty()) return {nullptr, -1};
  const size_t eq = s.where.find('=');
  const std::string name = eq == std::string::npos ? s.where : s.where.substr(0, eq);
  const CategoricalColumn* c = t.categorical(name);
  if (eq == std::string::npos || !c)
    bad("--where: expected CATEGORICAL=LEVEL, got '" + s.where + "' (" + t.describe_columns() +
        ")");
  const std::string level = s.where.substr(eq + 1);
  for (size_t l = 0; l < c->levels.size(); ++l)
    if (c->levels[l] == level) return {c, int(l)};
  std::string all;
  for (const auto& l : c->levels) all += (all.empty() ? "" : ", ") + l;
  bad("--where: '" + name + "' has no level '" + level + "' (levels: " + all + ")");
}

}  // namespace detail

using namespace detail;

const char* statistic_name(Statistic s) {
  switch (s) {
    case Statistic::Count:
      return "count";
    case Statistic::Sum:
      return "sum";
    case Statistic::Mean:
      return "mean";
    case Statistic::Variance:
      return "variance";
    case Statistic::Histogram:
      return "histogram";
    case Statistic::Quantile:
      return "quantile";
  }
  return "?";
}

const char* trust_name(TrustModel t) {
  switch (t) {
    case TrustModel::Central:
      return "central";
    case TrustModel::SecureAggregation:
      return "secagg";
    case TrustModel::Local:
      return "local";
  }
  return "?";
}

namespace detail {

bool randomised_response(const QuerySpec& s, const QueryTable& t) {
  return s.trust == TrustModel::Local && s.stat == Statistic::Histogram && t.categorical(s.column);
}

std::vector<CalibratedNoise> component_noises(const QuerySpec& s,
                                              const std::vector<Component>& comps) {
  std::vector<CalibratedNoise> out;
  for (const Component& c : comps) out.push_back(component_noise(s, c, int(comps.size())));
  return out;
}

QueryCost cost_of(const QuerySpec& s, const std::vector<Component>& comps,
                  const std::vector<CalibratedNoise>& noise) {
  QueryCost cost;
  for (size_t k = 0; k < comps.size(); ++k) {
    cost.epsilon += noise[k].epsilon;
    cost.delta += noise[k].delta;
    cost.rho += component_rho(noise[k], request_sensitivity(s, comps[k]));
    cost.pure = cost.pure && !is_gaussian(noise[k].mechanism);
  }
  return cost;
}

QueryCost randomised_response_cost(const QuerySpec& s) {
  if (!(s.epsilon > 0) || !std::isfinite(s.epsilon)) bad("--epsilon must be a positive number");
  QueryCost cost;
  cost.epsilon = s.epsilon;
  return cost;
}

void check_spec(const QuerySpec& s, const QueryTable& t) {
  const bool categorical_histogram = s.stat == Statistic::Histogram && t.categorical(s.column);
  if (needs_numeric(s.stat) || (s.stat == Statistic::Histogram && !categorical_histogram)) {
    if (s.column.empty())
      bad(std::string("--column: the ") + statistic_name(s.stat) + " needs a column");
    if (t.numeric_index(s.column) < 0)
      bad("--column: no column '" + s.column + "' (" + t.describe_columns() + ")");
    if (!std::isfinite(s.lower) || !std::isfinite(s.upper) || !(s.lower < s.upper))
      bad(std::string("--lower/--upper: the ") + statistic_name(s.stat) +
          " needs finite bounds lower < upper (values are clamped to them; the sensitivity "
          "comes from them)");
  }
  if (s.stat == Statistic::Count && !s.column.empty())
    bad("--column: a count counts rows; use --group-by for counts per level");
  if (!s.group_by.empty()) {
    if (s.stat == Statistic::Histogram || s.stat == Statistic::Quantile)
      bad(std::string("--group-by: not available for a ") + statistic_name(s.stat) +
          " (its groups are its levels or bins)");
    if (!t.categorical(s.group_by))
      bad("--group-by: no categorical column '" + s.group_by + "' (" + t.describe_columns() + ")");
  }
  where_filter(t, s);
  if (s.stat == Statistic::Quantile && !(s.quantile > 0 && s.quantile < 1))
    bad("--quantile: expected a value in (0, 1), got " + std::to_string(s.quantile));
  if (s.bins < 0 || s.bins > 100000) bad("--bins: expected 1 to 100000");
  if (s.max_rows < 1) bad("--max-rows: expected at least 1 row per client and group");
  if (s.max_groups < 1) bad("--max-groups: expected at least 1 group per client");
  if (s.trust == TrustModel::Local) {
    if (s.stat != Statistic::Count && s.stat != Statistic::Sum && !categorical_histogram)
      bad(std::string("--trust local: a ") + statistic_name(s.stat) +
          " is not available; local DP answers count, sum and the histogram of a categorical "
          "column");
    if (!s.group_by.empty()) bad("--trust local: --group-by is not available");
    if (categorical_histogram && s.delta != 0)
      bad("--trust local: randomised response is pure epsilon-DP; --delta must be 0");
  }
}

}  // namespace detail

void validate_query(const QuerySpec& s, const QueryTable& t) {
  query_cost(s, t);  // the spec's checks, then the mechanism's own (epsilon, delta)
}

QueryCost query_cost(const QuerySpec& s, const QueryTable& t) {
  check_spec(s, t);
  if (randomised_response(s, t)) return randomised_response_cost(s);
  const std::vector<Component> comps = components(s);
  return cost_of(s, comps, component_noises(s, comps));
}

}  // namespace fedsim::analytics
