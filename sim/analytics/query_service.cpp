// answer_query (see query_service.h).
#include "sim/analytics/query_service.h"

#include "sim/runner.h"

namespace fedsim::analytics {

QueryOutcome answer_query(const QueryTable& table, QuerySpec spec, const std::string& fingerprint,
                          const std::string& ledger_path, std::optional<double> budget_epsilon,
                          std::optional<double> budget_delta) {
  QueryOutcome out;
  out.ledger_path = ledger_path;
  std::optional<BudgetLedger> ledger;
  QueryCost cost;
  try {
    cost = query_cost(spec, table);  // validates too
    ledger = BudgetLedger::open(ledger_path, fingerprint, budget_epsilon, budget_delta);
  } catch (const std::exception& e) {
    out.error = e.what();
    return out;
  }
  out.budget_epsilon = ledger->budget_epsilon();
  out.budget_delta = ledger->budget_delta();
  out.spent = ledger->spent();
  if (!ledger->fits(cost, &out.message)) {
    out.refused = true;
    return out;
  }
  spec.query_index = uint32_t(ledger->entries().size());
  try {
    out.result = run_query(table, spec);
    ledger->record(
        {utc_now_iso8601(), out.result.description, out.result.mechanism, out.result.cost});
  } catch (const std::exception& e) {
    out.error = e.what();
    return out;
  }
  out.answered = true;
  out.spent = ledger->spent();
  return out;
}

}  // namespace fedsim::analytics
