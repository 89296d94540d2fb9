// Differentially private queries over a federation's data (`fedsim query`): count, sum, mean,
// variance, histogram and quantile of a column, optionally grouped by a categorical column, under
// three trust models, with contribution bounding and a noisy answer with its 95% interval.
//
// Privacy unit: one client of the federation (a shop, user or platform): neighbouring datasets
// differ in all the rows of one client. Contribution bounding, as the usual DP libraries do it
// (PipelineDP / Google's DP library): each client contributes to at most `max_groups` groups
// (chosen at random among its groups) and at most `max_rows` rows to each (chosen at random);
// values are clamped to [lower, upper]. The sensitivity of the vector of per-group answers is then
// L1 = max_groups * max_rows * b and L2 = sqrt(max_groups) * max_rows * b, b the largest
// contribution of one row (1 for counts, max(|lower|, |upper|) for sums). Groups are the levels of
// the categorical column (a public domain: every level is answered, also empty ones).
//
// Trust models:
//   central  the server holds the rows, bounds them and adds noise once to each answer;
//   secagg   each client bounds its own rows and sends its local statistic through secure
//            aggregation; noise is added once to the sum (the same numbers as central, and the
//            server never sees a client's statistic);
//   local    each client randomises its own answer before sending it: a count or sum with its own
//            noise (sensitivity: the diameter of one client's local answer), a histogram of a
//            categorical column by k-ary randomised response of one of its rows (Warner 1965;
//            the debiased estimate of Wang et al. 2017); the server sums and debiases.
// Mean and variance split epsilon (and delta) evenly over their count, sum and sum of squares
// (computed on values centred at (lower + upper) / 2); their intervals come from the noise's
// distribution around the noisy parts (post-processing: no extra cost). Quantiles read a noisy
// histogram of `bins` equal bins over [lower, upper] (post-processing of one histogram).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/analytics/mechanisms.h"
#include "sim/analytics/query_table.h"

namespace fedsim::analytics {

enum class Statistic { Count, Sum, Mean, Variance, Histogram, Quantile };
enum class TrustModel { Central, SecureAggregation, Local };
const char* statistic_name(Statistic s);
const char* trust_name(TrustModel t);

struct QuerySpec {
  Statistic stat = Statistic::Count;
  std::string column;    // the numeric column (sum, mean, variance, quantile, numeric histogram)
                         // or the categorical one (histogram of levels)
  std::string group_by;  // a categorical column, optional
  std::string where;     // optional "COLUMN=LEVEL" of a categorical column: only those rows
  double lower = NAN, upper = NAN;  // clamping bounds of the values
  int bins = 0;  // equal bins on [lower, upper]: numeric histogram (default 10), quantile (64)
  double quantile = 0.5;  // in (0, 1)
  int max_rows = 1;       // per client and group
  int max_groups = 1;     // per client
  Mechanism mechanism = Mechanism::DiscreteLaplace;
  double epsilon = 1.0, delta = 0.0;
  TrustModel trust = TrustModel::Central;
  uint64_t seed = 1;
  uint32_t query_index = 0;  // fresh noise for every query of a ledger (its entry count)
};

// What a query spends, known before any data is read.
struct QueryCost {
  double epsilon = 0, delta = 0;  // as calibrated (all components together)
  double rho = 0;                 // zCDP of its Gaussian components (Bun & Steinke 2016), else 0
  bool pure = true;               // only pure-epsilon mechanisms
};

struct GroupAnswer {
  std::string group;  // the level, "[a, b)" for a bin, or "" without groups
  double value = 0, ci_low = 0, ci_high = 0;
};

struct QueryResult {
  std::string description;  // e.g. "sum of log_price by device, central"
  std::string mechanism;    // mechanism_name(), or "randomised_response" (local histograms)
  std::vector<GroupAnswer> answers;
  QueryCost cost;
  double sensitivity = 0;  // of one noisy component, in its mechanism's norm (L1 / L2)
  double noise_scale = 0;  // Laplace b or Gaussian sigma of that component (local: per client)
  int64_t rows_read = 0, rows_used = 0;  // contribution bounding kept rows_used
  std::vector<std::string> notes;
  std::vector<double> exact;  // the bounded exact answers (tests only; never printed)
};

// Throws std::invalid_argument naming the option and what was expected (unknown column, missing
// bounds, a statistic the trust model cannot answer, ...). Reads no data values.
void validate_query(const QuerySpec& spec, const QueryTable& table);
// What the query spends; validates first (throws as validate_query).
QueryCost query_cost(const QuerySpec& spec, const QueryTable& table);
QueryResult run_query(const QueryTable& table, const QuerySpec& spec);

}  // namespace fedsim::analytics
