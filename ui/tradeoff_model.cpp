// Trade-off model: seed groups, their means and ranges, the frontier (see tradeoff_model.h).
#include "ui/tradeoff_model.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ui/scenario_edit.h"

namespace fedsim::ui {

std::string seed_group_key(const std::string& resolved) {
  std::string key;
  for (const auto& [k, v] : parse_settings(resolved))
    if (k != "run.seed" && k != "run.name" && k != "run.output") key += k + " = " + v + "\n";
  return key;
}

TradeoffModel tradeoff_model(const std::vector<TradeoffRun>& runs) {
  TradeoffModel m;
  std::map<std::string, std::size_t> group_of;  // seed_group_key -> index into m.groups
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const TradeoffRun& r = runs[i];
    if (!std::isfinite(r.epsilon) || std::isnan(r.accuracy)) continue;
    std::size_t g = m.groups.size();
    if (r.complete) {
      // Complete runs join the group of their settings; others stay alone.
      const auto [it, fresh] = group_of.emplace(seed_group_key(r.scenario_resolved), g);
      if (!fresh) g = it->second;
    }
    if (g == m.groups.size()) m.groups.emplace_back();
    TradeoffGroup& grp = m.groups[g];
    grp.members.push_back(i);
    grp.ids.push_back(r.id);
    const SettingMap s = parse_settings(r.scenario_resolved);
    grp.seeds.push_back(s.count("run.seed") ? s.at("run.seed") : "");
  }
  for (TradeoffGroup& grp : m.groups) {
    double eps = 0.0, acc = 0.0;
    grp.epsilon_min = grp.accuracy_min = INFINITY;
    grp.epsilon_max = grp.accuracy_max = -INFINITY;
    for (std::size_t i : grp.members) {
      eps += runs[i].epsilon;
      acc += runs[i].accuracy;
      grp.epsilon_min = std::min(grp.epsilon_min, runs[i].epsilon);
      grp.epsilon_max = std::max(grp.epsilon_max, runs[i].epsilon);
      grp.accuracy_min = std::min(grp.accuracy_min, runs[i].accuracy);
      grp.accuracy_max = std::max(grp.accuracy_max, runs[i].accuracy);
    }
    grp.epsilon = eps / double(grp.count());
    grp.accuracy = acc / double(grp.count());
  }
  std::vector<TradeoffPoint> pts;
  for (const TradeoffGroup& grp : m.groups) pts.push_back({grp.epsilon, grp.accuracy});
  m.frontier = pareto_frontier(pts);
  return m;
}

std::optional<TradeoffRun> tradeoff_run(const RunSnapshot& s) {
  if (s.state != RunState::Finished || s.rounds.empty() || s.evals.empty()) return std::nullopt;
  TradeoffRun r;
  r.id = s.id;
  r.scenario_resolved = s.scenario_resolved;
  r.epsilon = s.rounds.back().epsilon;
  r.accuracy = s.evals.back().accuracy;
  r.complete = s.status == RunStatus::Complete;
  if (!std::isfinite(r.epsilon) || std::isnan(r.accuracy)) return std::nullopt;
  return r;
}

}  // namespace fedsim::ui
