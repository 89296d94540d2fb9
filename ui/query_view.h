// The Queries tab's state without a window: the form's fields, the federation of the edited
// scenario (built once per scenario text and kept), and the last outcome of
// analytics::answer_query (the same path as `fedsim query`: ledger check, answer, record).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "sim/analytics/query_service.h"
#include "sim/data/dataset.h"
#include "sim/scenario.h"

namespace fedsim::ui {

struct QueryForm {
  int stat = 4;  // index into kQueryStats: count sum mean variance histogram quantile
  std::string column = "category", group_by, where;
  double lower = 0, upper = 1;
  int bins = 0;
  double quantile = 0.5;
  int max_rows = 10, max_groups = 1;
  int mechanism = 0;  // index into kQueryMechanisms
  int trust = 0;      // index into kQueryTrust
  double epsilon = 1.0, delta = 1e-6;
  std::string ledger;                                 // "": results/<scenario name>.budget.toml
  double budget_epsilon = 10.0, budget_delta = 1e-6;  // used when the ledger file is new
};

extern const char* const kQueryStats[6];
extern const char* const kQueryMechanisms[4];
extern const char* const kQueryTrust[3];

class QueryView {
 public:
  QueryForm form;
  std::optional<analytics::QueryOutcome> last;

  // Answers the form's query over `s`'s data (built on first use for this scenario text, then
  // kept); the outcome also lands in `last`. Never throws (errors are in the outcome).
  const analytics::QueryOutcome& ask(const Scenario& s);
  std::string ledger_path(const Scenario& s) const;
  analytics::QuerySpec spec() const;  // the form as a query (bounds ignored when not needed)

 private:
  std::string data_key_;  // the scenario text the federation was built from
  std::unique_ptr<Federation> fed_;
  std::unique_ptr<analytics::QueryTable> table_;
  std::string fingerprint_;
};

}  // namespace fedsim::ui
