// `fedsim query` (see query_cmd.h): arguments, the ledger check before the query, the answer in
// text or JSON.
#include "sim/cli/query_cmd.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "sim/analytics/query_service.h"
#include "sim/data/federation_builder.h"
#include "sim/data/federation_fingerprint.h"
#include "sim/scenario.h"
#include "sim/util/format.h"

namespace fedsim::cli {
namespace {

using namespace fedsim::analytics;

std::string num(double v) {  // JSON: shortest round trip; NaN / inf as null
  if (!std::isfinite(v)) return "null";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

const auto g6 = format_g;

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

int fail(int code, const std::string& msg) {
  std::fprintf(stderr, "fedsim query: %s\n", msg.c_str());
  return code;
}

QuerySpec spec_from(const QueryArgs& a) {
  QuerySpec s;
  const std::pair<const char*, Statistic> stats[] = {
      {"count", Statistic::Count},         {"sum", Statistic::Sum},
      {"mean", Statistic::Mean},           {"variance", Statistic::Variance},
      {"histogram", Statistic::Histogram}, {"quantile", Statistic::Quantile}};
  for (const auto& [n, v] : stats)
    if (a.stat == n) s.stat = v;
  const std::pair<const char*, Mechanism> mechs[] = {
      {"laplace", Mechanism::Laplace},
      {"gaussian", Mechanism::Gaussian},
      {"discrete-laplace", Mechanism::DiscreteLaplace},
      {"discrete-gaussian", Mechanism::DiscreteGaussian}};
  for (const auto& [n, v] : mechs)
    if (a.mechanism == n) s.mechanism = v;
  s.trust = a.trust == "local"    ? TrustModel::Local
            : a.trust == "secagg" ? TrustModel::SecureAggregation
                                  : TrustModel::Central;
  s.column = a.column;
  s.group_by = a.group_by;
  s.where = a.where;
  s.lower = a.lower;
  s.upper = a.upper;
  s.bins = a.bins;
  s.quantile = a.quantile;
  s.max_rows = a.max_rows;
  s.max_groups = a.max_groups;
  s.epsilon = a.epsilon;
  s.delta = a.delta;
  return s;
}

}  // namespace

CLI::App* add_query_command(CLI::App& app, QueryArgs& a) {
  auto* cmd = app.add_subcommand(
      "query", "a differentially private statistic of the scenario's data, within a budget");
  cmd->add_option("file", a.scenario_file, "scenario TOML file (default: the embedded one)");
  cmd->add_option("--set", a.overrides, "override a scenario key (repeatable)");
  cmd->add_option("--stat", a.stat, "count | sum | mean | variance | histogram | quantile")
      ->check(CLI::IsMember({"count", "sum", "mean", "variance", "histogram", "quantile"}));
  cmd->add_option("--column", a.column, "the column (numeric; a histogram's may be categorical)");
  cmd->add_option("--group-by", a.group_by, "a categorical column: one answer per level");
  cmd->add_option("--where", a.where, "CATEGORICAL=LEVEL: only those rows (e.g. label=1)");
  cmd->add_option("--lower", a.lower, "values are clamped to [lower, upper]");
  cmd->add_option("--upper", a.upper, "values are clamped to [lower, upper]");
  cmd->add_option("--bins", a.bins, "equal bins on [lower, upper] (histogram 10, quantile 64)");
  cmd->add_option("--quantile", a.quantile, "the quantile, in (0, 1) (default 0.5)");
  cmd->add_option("--max-rows", a.max_rows, "rows per client and group (default 1)");
  cmd->add_option("--max-groups", a.max_groups, "groups per client (default 1)");
  cmd->add_option("--mechanism", a.mechanism,
                  "discrete-laplace (default) | discrete-gaussian | laplace | gaussian")
      ->check(CLI::IsMember({"laplace", "gaussian", "discrete-laplace", "discrete-gaussian"}));
  cmd->add_option("--trust", a.trust, "central (default) | secagg | local")
      ->check(CLI::IsMember({"central", "secagg", "local"}));
  cmd->add_option("--epsilon", a.epsilon, "what this answer may spend")->required();
  cmd->add_option("--delta", a.delta, "Gaussian mechanisms: delta in (0, 1)");
  cmd->add_option("--budget-file", a.budget_file,
                  "the dataset's ledger (default results/<scenario name>.budget.toml)");
  cmd->add_option("--budget-epsilon", a.budget_epsilon, "the budget, when the ledger is new");
  cmd->add_option("--budget-delta", a.budget_delta, "the budget's delta, when the ledger is new");
  cmd->add_flag("--json", a.json, "print one JSON object");
  return cmd;
}

int cmd_query(const QueryArgs& a) {
  Scenario sc;
  try {
    sc = a.scenario_file.empty() ? parse_scenario(default_scenario_text(), "<default>", a.overrides)
                                 : load_scenario_file(a.scenario_file, a.overrides);
  } catch (const std::exception& e) {
    return fail(2, e.what());
  }
  Federation fed;
  try {
    fed = build_federation(sc);
  } catch (const std::exception& e) {
    return fail(1, sc.source_path + ": data: " + e.what());
  }
  const QueryTable table(fed);
  QuerySpec spec = spec_from(a);
  spec.seed = sc.run.seed;
  const std::string path =
      a.budget_file.empty() ? "results/" + sc.run.name + ".budget.toml" : a.budget_file;
  const QueryOutcome out = answer_query(table, spec, federation_fingerprint(fed), path,
                                        a.budget_epsilon, a.budget_delta);
  if (!out.error.empty()) return fail(out.answered ? 1 : 2, out.error);
  if (out.refused) return fail(4, path + ": " + out.message);
  const QueryResult& r = out.result;
  const Spent spent = out.spent;
  const char* mech = r.mechanism.c_str();
  if (a.json) {
    std::string s = "{\"query\": " + json_string(r.description) +
                    ", \"mechanism\": " + json_string(mech) +
                    ", \"trust\": " + json_string(trust_name(spec.trust)) +
                    ", \"sensitivity\": " + num(r.sensitivity) +
                    ", \"noise_scale\": " + num(r.noise_scale) + ", \"answers\": [";
    for (size_t i = 0; i < r.answers.size(); ++i) {
      const auto& g = r.answers[i];
      s += std::string(i ? ", " : "") + "{\"group\": " + json_string(g.group) +
           ", \"value\": " + num(g.value) + ", \"ci95\": [" + num(g.ci_low) + ", " +
           num(g.ci_high) + "]}";
    }
    s += "], \"epsilon\": " + num(r.cost.epsilon) + ", \"delta\": " + num(r.cost.delta) +
         ", \"rho\": " + num(r.cost.rho) + ", \"rows_read\": " + std::to_string(r.rows_read) +
         ", \"rows_used\": " + std::to_string(r.rows_used) +
         ", \"budget\": {\"file\": " + json_string(path) +
         ", \"epsilon\": " + num(out.budget_epsilon) + ", \"delta\": " + num(out.budget_delta) +
         ", \"spent_epsilon\": " + num(spent.epsilon) + ", \"spent_delta\": " + num(spent.delta) +
         ", \"left_epsilon\": " + num(out.budget_epsilon - spent.epsilon) + "}}";
    std::printf("%s\n", s.c_str());
    return 0;
  }
  std::printf("%s (%s)\n", r.description.c_str(), mech);
  std::printf(
      "  contribution bounds: <= %d row(s) per client and group, <= %d group(s) per "
      "client; sensitivity %s, noise scale %s\n",
      spec.max_rows, spec.max_groups, g6(r.sensitivity).c_str(), g6(r.noise_scale).c_str());
  size_t width = 5;
  for (const auto& g : r.answers) width = std::max(width, g.group.size());
  std::printf("  %-*s  %14s  %31s\n", int(width), "group", "answer", "95% interval");
  for (const auto& g : r.answers)
    std::printf("  %-*s  %14s  [%14s, %14s]\n", int(width),
                g.group.empty() ? "all" : g.group.c_str(), g6(g.value).c_str(),
                g6(g.ci_low).c_str(), g6(g.ci_high).c_str());
  for (const auto& n : r.notes) std::printf("  note: %s\n", n.c_str());
  std::printf(
      "  spent: epsilon %s, delta %s; budget %s: epsilon %s of %s spent, %s left; delta "
      "%s of %s\n",
      g6(r.cost.epsilon).c_str(), g6(r.cost.delta).c_str(), path.c_str(), g6(spent.epsilon).c_str(),
      g6(out.budget_epsilon).c_str(), g6(std::max(0.0, out.budget_epsilon - spent.epsilon)).c_str(),
      g6(spent.delta).c_str(), g6(out.budget_delta).c_str());
  return 0;
}

}  // namespace fedsim::cli
