// Internals of the query engine shared by its two files: query_cost.cpp (names, validation, the
// components of each statistic and their noise, what a query spends) and query.cpp (grouping,
// contribution bounding, the answers). Not part of the API: include from sim/analytics/ only.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/analytics/query.h"

namespace fedsim::analytics::detail {

constexpr int kGridSteps = 1024;  // discrete mechanisms: a row's largest value is 1024 steps

[[noreturn]] void bad(const std::string& what);  // throws std::invalid_argument(what)
bool needs_numeric(Statistic s);

// One noisy vector of per-group values: each row adds at most per_row to one group.
struct Component {
  const char* name;
  double per_row;  // largest |contribution| of one row
  double grid;     // discrete mechanisms: values are rounded to multiples of this
};

// The components of a statistic, for bounds [lower, upper].
std::vector<Component> components(const QuerySpec& s);
bool discrete(Mechanism m);
// The noise of one component: central/secagg for the vector of groups, local for one client.
CalibratedNoise component_noise(const QuerySpec& s, const Component& c, int parts);
// The sensitivity of one component in its mechanism's norm (local: one client's diameter).
double request_sensitivity(const QuerySpec& s, const Component& c);
// The noise of every component, and what they spend together.
std::vector<CalibratedNoise> component_noises(const QuerySpec& s,
                                              const std::vector<Component>& comps);
QueryCost cost_of(const QuerySpec& s, const std::vector<Component>& comps,
                  const std::vector<CalibratedNoise>& noise);
// Local DP's histogram of a categorical column (k-ary randomised response), and its cost.
bool randomised_response(const QuerySpec& s, const QueryTable& t);
QueryCost randomised_response_cost(const QuerySpec& s);
// The spec's own checks (columns, bounds, groups, trust model); throws std::invalid_argument.
void check_spec(const QuerySpec& s, const QueryTable& t);
// The rows a `where` keeps: the categorical column and level it names (nullptr: all rows).
std::pair<const CategoricalColumn*, int> where_filter(const QueryTable& t, const QuerySpec& s);

}  // namespace fedsim::analytics::detail
