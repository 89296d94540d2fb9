// Trade-off panel: final test accuracy against epsilon (log axis) of finished private runs, the
// RunManager's and those opened from files. Runs that differ only in run.seed are one point at
// their mean, with min-max error bars over the seeds (tradeoff_model.h); the Pareto frontier over
// these points is highlighted; the tooltip lists the settings that differ from the first run and
// the seeds; a click selects the point's run (a group's first run, or its next one when a run of
// the group is already selected). Runs opened from `fedsim audit` files also show their empirical
// lower bound on epsilon as a cross at the same accuracy, joined to the claimed epsilon.
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "ui/app.h"
#include "ui/plot.h"
#include "ui/tradeoff_model.h"

namespace fedsim::ui {

void chart_tradeoff(App& app, ImVec2 size) {
  std::vector<TradeoffRun> runs;
  std::vector<const RunSnapshot*> of_run;  // [runs]
  for (const auto& s : app.snaps) {
    if (!app.view(s.id).shown) continue;
    if (auto r = tradeoff_run(s)) {
      runs.push_back(std::move(*r));
      of_run.push_back(&s);
    }
  }
  const TradeoffModel m = tradeoff_model(runs);
  const std::string base = app.snaps.empty() ? "" : app.snaps.front().scenario_resolved;
  std::vector<PlotSeries> series;
  for (const TradeoffGroup& g : m.groups) {
    const RunSnapshot& first = *of_run[g.members.front()];
    const RunView& v = app.view(first.id);
    const bool selected = std::find(g.ids.begin(), g.ids.end(), app.selected) != g.ids.end();
    PlotSeries p;
    p.label = first.name;
    p.x = {g.epsilon};
    p.y = {g.accuracy};
    std::string note = describe_diff(diff_settings(base, first.scenario_resolved));
    if (g.count() > 1) {
      p.label += " (" + std::to_string(g.count()) + " seeds)";
      p.err_lo = {g.accuracy_min};
      p.err_hi = {g.accuracy_max};
      note += "\nmean of " + std::to_string(g.count()) + " seeds:";
      for (const auto& seed : g.seeds) note += " " + seed;
      if (g.epsilon_max > g.epsilon_min)
        note += "\nepsilon " + fmt_eps(g.epsilon_min) + " to " + fmt_eps(g.epsilon_max);
    }
    p.notes = {note};
    p.color = palette(v.colour);
    p.marker = marker(v.colour);
    p.line = false;
    p.marker_size = selected ? 6.0f : 4.5f;
    series.push_back(std::move(p));
  }
  // Audited runs (`fedsim audit` files): the empirical lower bound as a cross at the same
  // accuracy, joined to the claimed epsilon by a thin line (added after the groups, so a click's
  // series index still names a group).
  for (const TradeoffGroup& g : m.groups) {
    const RunSnapshot& first = *of_run[g.members.front()];
    if (!(first.audit_epsilon > 0) || !std::isfinite(first.audit_epsilon)) continue;
    const RunView& v = app.view(first.id);
    PlotSeries link;
    link.x = {first.audit_epsilon, g.epsilon};
    link.y = {g.accuracy, g.accuracy};
    link.color = palette(v.colour);
    link.marker = Marker::None;
    link.line_width = 1.0f;
    series.push_back(std::move(link));
    PlotSeries e;
    e.label = first.name + ": empirical (audit)";
    e.x = {first.audit_epsilon};
    e.y = {g.accuracy};
    e.notes = {"one-run audit: epsilon >= " + fmt_eps(first.audit_epsilon) + " (claimed " +
               fmt_eps(g.epsilon) + ")"};
    e.color = palette(v.colour);
    e.marker = Marker::Cross;
    e.line = false;
    e.marker_size = 5.0f;
    series.push_back(std::move(e));
  }
  std::vector<std::pair<double, double>> front;
  for (std::size_t i : m.frontier) front.emplace_back(m.groups[i].epsilon, m.groups[i].accuracy);
  const PlotResult r =
      plot("tradeoff", size, axis("epsilon (log)", true), axis("final test accuracy"), series,
           front.size() > 1 ? &front : nullptr);
  if (r.clicked_series >= 0 && std::size_t(r.clicked_series) < m.groups.size()) {
    // A click selects the group's first run; clicking again walks through its seeds.
    const std::vector<int>& ids = m.groups[std::size_t(r.clicked_series)].ids;
    const auto at = std::find(ids.begin(), ids.end(), app.selected);
    app.selected = at == ids.end() || at + 1 == ids.end() ? ids.front() : *(at + 1);
  }
}

void panel_tradeoff(App& app) {
  int without = 0;
  for (const auto& s : app.snaps)
    without += s.state == RunState::Finished && !std::isfinite(final_epsilon(s));
  ImGui::SameLine();
  ImGui::TextDisabled(
      " accuracy vs epsilon; over seeds: mean, min-max bar; line: Pareto frontier%s",
      without ? "; runs without a finite epsilon not shown" : "");
  chart_tradeoff(app, ImVec2(-1, -1));
}

}  // namespace fedsim::ui
