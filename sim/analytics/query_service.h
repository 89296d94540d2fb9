// One private query against a dataset's budget, as `fedsim query` and the dashboard's Queries tab
// both answer it: validate, price, check the ledger (refuse past the budget, spending nothing),
// answer, record.
#pragma once

#include <optional>
#include <string>

#include "sim/analytics/budget_ledger.h"
#include "sim/analytics/query.h"

namespace fedsim::analytics {

struct QueryOutcome {
  bool answered = false;
  bool refused = false;  // by the budget; nothing spent
  std::string error;     // a bad query or ledger (nothing spent); "" when answered or refused
  std::string message;   // why it was refused
  QueryResult result;    // when answered
  Spent spent;           // the ledger's total after this query (or unchanged)
  double budget_epsilon = 0, budget_delta = 0;
  std::string ledger_path;
};

// `fingerprint`: federation_fingerprint of the table's federation (computed once by the caller).
// spec.query_index is set from the ledger (fresh noise for every query).
QueryOutcome answer_query(const QueryTable& table, QuerySpec spec, const std::string& fingerprint,
                          const std::string& ledger_path, std::optional<double> budget_epsilon,
                          std::optional<double> budget_delta);

}  // namespace fedsim::analytics
