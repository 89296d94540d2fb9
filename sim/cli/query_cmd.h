// `fedsim query`: one differentially private answer over a scenario's data (sim/analytics/), its
// 95% interval, what it spent and the budget left in the dataset's ledger.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace fedsim::cli {

struct QueryArgs {
  std::string scenario_file;  // empty: the embedded default scenario
  std::vector<std::string> overrides;
  std::string stat = "count", column, group_by, where;
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  int bins = 0;
  double quantile = 0.5;
  int max_rows = 1, max_groups = 1;
  std::string mechanism = "discrete-laplace", trust = "central";
  double epsilon = std::numeric_limits<double>::quiet_NaN();
  double delta = 0.0;
  std::string budget_file;  // default: results/<scenario name>.budget.toml
  std::optional<double> budget_epsilon, budget_delta;
  bool json = false;
};

CLI::App* add_query_command(CLI::App& app, QueryArgs& args);
// Exit code: 0 answered, 2 bad arguments or scenario, 4 refused by the budget (nothing spent),
// 1 other errors.
int cmd_query(const QueryArgs& args);

}  // namespace fedsim::cli
