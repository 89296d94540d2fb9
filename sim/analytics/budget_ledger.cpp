// BudgetLedger (see budget_ledger.h): the TOML file, composition, refusal.
#include "sim/analytics/budget_ledger.h"

#include <toml++/toml.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fedsim::analytics {

namespace {

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // a TOML float
  return s;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

[[noreturn]] void ledger_error(const std::string& path, const std::string& what) {
  throw std::invalid_argument("budget ledger " + path + ": " + what);
}

}  // namespace

BudgetLedger BudgetLedger::open(const std::string& path, const std::string& fingerprint,
                                std::optional<double> budget_epsilon,
                                std::optional<double> budget_delta) {
  BudgetLedger l;
  l.path_ = path;
  l.fingerprint_ = fingerprint;
  if (budget_epsilon && !(*budget_epsilon > 0 && std::isfinite(*budget_epsilon)))
    ledger_error(path, "--budget-epsilon must be a positive number");
  if (budget_delta && !(*budget_delta >= 0 && *budget_delta < 1))
    ledger_error(path, "--budget-delta must be in [0, 1)");
  if (!std::filesystem::exists(path)) {
    if (!budget_epsilon)
      ledger_error(path,
                   "no such file; give --budget-epsilon (and --budget-delta for Gaussian "
                   "queries) to start a ledger for this dataset");
    l.budget_epsilon_ = *budget_epsilon;
    l.budget_delta_ = budget_delta.value_or(0.0);
    return l;
  }
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    ledger_error(path, std::string("not a valid ledger: ") + std::string(e.description()));
  }
  const auto* b = t["budget"].as_table();
  if (!b) ledger_error(path, "no [budget] table");
  const auto fp = (*b)["dataset_fingerprint"].value<std::string>();
  const auto eps = (*b)["epsilon"].value<double>();
  const auto del = (*b)["delta"].value<double>();
  if (!fp || !eps || !del) ledger_error(path, "[budget] needs dataset_fingerprint, epsilon, delta");
  if (*fp != fingerprint)
    ledger_error(path, "it is the budget of another dataset (fingerprint " + fp->substr(0, 12) +
                           "..., this data: " + fingerprint.substr(0, 12) + "...)");
  if (budget_epsilon && *budget_epsilon != *eps)
    ledger_error(path,
                 "its budget is epsilon " + num(*eps) + "; a budget, once set, cannot change");
  if (budget_delta && *budget_delta != *del)
    ledger_error(path, "its budget is delta " + num(*del) + "; a budget, once set, cannot change");
  l.budget_epsilon_ = *eps;
  l.budget_delta_ = *del;
  if (const auto* qs = t["query"].as_array()) {
    for (const auto& node : *qs) {
      const auto* q = node.as_table();
      if (!q) ledger_error(path, "[[query]] entries must be tables");
      LedgerEntry e;
      e.when = (*q)["when"].value_or(std::string());
      e.query = (*q)["query"].value_or(std::string());
      e.mechanism = (*q)["mechanism"].value_or(std::string());
      const auto qe = (*q)["epsilon"].value<double>(), qd = (*q)["delta"].value<double>(),
                 qr = (*q)["rho"].value<double>();
      if (!qe || !qd || !qr) ledger_error(path, "a [[query]] without epsilon, delta or rho");
      e.cost = {*qe, *qd, *qr, *qr == 0.0 && *qd == 0.0};
      l.entries_.push_back(e);
    }
  }
  return l;
}

Spent BudgetLedger::compose(const std::vector<LedgerEntry>& entries) const {
  double pure = 0, eps_g = 0, delta_g = 0, rho = 0;
  bool gaussian = false;
  for (const auto& e : entries) {
    if (e.cost.pure) {
      pure += e.cost.epsilon;
      continue;
    }
    gaussian = true;
    eps_g += e.cost.epsilon;
    delta_g += e.cost.delta;
    rho += e.cost.rho;
  }
  Spent s{pure, 0.0};
  if (!gaussian) return s;
  // zCDP's conversion with the budget's delta, when there is one
  const double eps_z = budget_delta_ > 0 ? rho + 2 * std::sqrt(rho * std::log(1 / budget_delta_))
                                         : std::numeric_limits<double>::infinity();
  if (delta_g <= budget_delta_ && eps_g <= eps_z) {
    s.epsilon += eps_g;
    s.delta = delta_g;
  } else {
    s.epsilon += std::min(eps_z, eps_g);
    s.delta = eps_z < eps_g ? budget_delta_ : delta_g;
  }
  return s;
}

Spent BudgetLedger::spent_with(const QueryCost& cost) const {
  std::vector<LedgerEntry> all = entries_;
  all.push_back({"", "", "", cost});
  return compose(all);
}

bool BudgetLedger::fits(const QueryCost& cost, std::string* why) const {
  const Spent now = spent(), next = spent_with(cost);
  const double tol = 1e-12 * budget_epsilon_;
  if (next.epsilon <= budget_epsilon_ + tol && next.delta <= budget_delta_) return true;
  if (why) {
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "refused: this query costs epsilon %.6g (delta %.3g); spent so far epsilon %.6g "
                  "(delta %.3g) of the budget epsilon %.6g (delta %.3g); after it: epsilon %.6g "
                  "(delta %.3g). Nothing was spent.",
                  cost.epsilon, cost.delta, now.epsilon, now.delta, budget_epsilon_, budget_delta_,
                  next.epsilon, next.delta);
    *why = buf;
  }
  return false;
}

void BudgetLedger::record(const LedgerEntry& e) {
  entries_.push_back(e);
  save();
}

void BudgetLedger::save() const {
  std::string s =
      "# fedsim privacy budget ledger: every private query answered on this dataset (privacy unit: "
      "one client),\n# composed by `fedsim query`. Do not edit: a query refused because of the "
      "budget spends nothing.\n\n[budget]\n";
  s += "dataset_fingerprint = " + quoted(fingerprint_) + "\n";
  s += "epsilon = " + num(budget_epsilon_) + "\n";
  s += "delta = " + num(budget_delta_) + "\n";
  for (const auto& e : entries_) {
    s += "\n[[query]]\n";
    s += "when = " + quoted(e.when) + "\n";
    s += "query = " + quoted(e.query) + "\n";
    s += "mechanism = " + quoted(e.mechanism) + "\n";
    s += "epsilon = " + num(e.cost.epsilon) + "\n";
    s += "delta = " + num(e.cost.delta) + "\n";
    s += "rho = " + num(e.cost.rho) + "\n";
  }
  const std::filesystem::path p(path_);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << s;
    out.flush();
    if (!out) ledger_error(path_, "cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path_);
}

}  // namespace fedsim::analytics
