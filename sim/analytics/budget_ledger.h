// The privacy budget of one dataset for private queries: a TOML file beside the results that lists
// every answered query's cost, composed into the total spent; a query whose cost would take the
// total past the budget is refused before it reads any data, and then nothing is spent.
//
// Composition (all queries on the same dataset and privacy unit):
//   pure-epsilon queries (Laplace, discrete Laplace, randomised response): epsilons add (basic
//   composition, Dwork et al. 2006);
//   Gaussian queries: the better of basic composition, (sum eps_i, sum delta_i), and zero-
//   concentrated DP, rho = sum rho_i -> (rho + 2 sqrt(rho ln(1/delta_B)), delta_B) with delta_B the
//   budget's delta (Bun & Steinke 2016, Props. 1.3 and 1.6);
//   the two parts add: (eps_pure + eps_gauss, delta_gauss).
// The file names the dataset by its fingerprint (SHA-256 of the federation): a ledger is refused
// for other data.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/analytics/query.h"

namespace fedsim::analytics {

struct LedgerEntry {
  std::string when;       // UTC, ISO 8601
  std::string query;      // the query's description
  std::string mechanism;  // e.g. "discrete_laplace"
  QueryCost cost;
};

struct Spent {
  double epsilon = 0, delta = 0;
};

class BudgetLedger {
 public:
  // Opens the ledger at `path` for the dataset with `fingerprint`. A missing file starts a new
  // ledger with the budget given (required then); an existing one keeps its budget (a different
  // one given is an error, as is another dataset's fingerprint). Nothing is written until record().
  static BudgetLedger open(const std::string& path, const std::string& fingerprint,
                           std::optional<double> budget_epsilon,
                           std::optional<double> budget_delta);

  Spent spent() const { return compose(entries_); }
  // The total if `cost` were spent too; fits() says whether that is within the budget, else why.
  Spent spent_with(const QueryCost& cost) const;
  bool fits(const QueryCost& cost, std::string* why) const;
  // Appends the entry and rewrites the file atomically (temporary file, then rename).
  void record(const LedgerEntry& e);

  double budget_epsilon() const { return budget_epsilon_; }
  double budget_delta() const { return budget_delta_; }
  const std::vector<LedgerEntry>& entries() const { return entries_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_, fingerprint_;
  double budget_epsilon_ = 0, budget_delta_ = 0;
  std::vector<LedgerEntry> entries_;
  Spent compose(const std::vector<LedgerEntry>& entries) const;
  void save() const;
};

}  // namespace fedsim::analytics
