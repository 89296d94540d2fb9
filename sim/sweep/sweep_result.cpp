// Per-run summary and the seed-aggregated frontier of a sweep (see sweep_result.h).
#include "sim/sweep/sweep_result.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace fedsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double final_accuracy(const RunResult& r) {
  return r.evals.empty() ? kNaN : r.evals.back().accuracy;
}

}  // namespace

std::vector<SweepSummaryRow> sweep_summary(const SweepResult& s) {
  std::vector<SweepSummaryRow> rows;
  for (size_t i = 0; i < s.points.size(); ++i) {
    const RunResult& r = s.runs[i];
    SweepSummaryRow row;
    row.run_id = s.points[i].id;
    row.status = s.started[i] ? to_string(r.status) : "pending";
    row.final_accuracy = final_accuracy(r);
    row.final_auc = r.evals.empty() ? kNaN : r.evals.back().auc;
    row.epsilon = r.rounds.empty() ? kNaN : r.rounds.back().epsilon;
    row.wall_time_s = s.started[i] ? r.wall_time_s : kNaN;
    row.rounds_done = int(r.rounds.size());
    rows.push_back(row);
  }
  return rows;
}

std::vector<std::string> frontier_keys(const SweepResult& s) {
  std::vector<std::string> keys;
  for (const std::string& k : s.keys)
    if (k != "run.seed") keys.push_back(k);
  return keys;
}

std::vector<FrontierRow> sweep_frontier(const SweepResult& s) {
  const std::vector<std::string> keys = frontier_keys(s);
  std::vector<FrontierRow> rows;
  std::map<std::vector<std::string>, std::vector<size_t>> members;  // values -> runs
  std::vector<std::vector<std::string>> order;
  for (size_t i = 0; i < s.points.size(); ++i) {
    if (!s.started[i] || s.runs[i].status != RunStatus::Complete) continue;
    std::vector<std::string> values;
    for (const auto& [k, v] : s.points[i].values)
      if (k != "run.seed") values.push_back(v);
    auto& m = members[values];
    if (m.empty()) order.push_back(values);
    m.push_back(i);
  }
  for (const auto& values : order) {
    const auto& m = members[values];
    FrontierRow row;
    row.values = values;
    row.count = int(m.size());
    double eps = 0.0, acc = 0.0;
    row.accuracy_min = std::numeric_limits<double>::infinity();
    row.accuracy_max = -row.accuracy_min;
    for (size_t i : m) {
      const RunResult& r = s.runs[i];
      eps += r.rounds.empty() ? kNaN : r.rounds.back().epsilon;
      const double a = final_accuracy(r);
      acc += a;
      row.accuracy_min = std::min(row.accuracy_min, a);
      row.accuracy_max = std::max(row.accuracy_max, a);
    }
    row.epsilon_mean = eps / row.count;
    row.accuracy_mean = acc / row.count;
    double ss = 0.0;
    for (size_t i : m) ss += std::pow(final_accuracy(s.runs[i]) - row.accuracy_mean, 2);
    row.accuracy_std = row.count > 1 ? std::sqrt(ss / (row.count - 1)) : 0.0;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace fedsim
