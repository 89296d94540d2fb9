// Trade-off panel: final test accuracy against epsilon (log axis) of finished private runs, the
// Pareto frontier highlighted, the run's differing settings in the tooltip; a click selects a run.
#include <imgui.h>

#include <cmath>

#include "ui/app.h"
#include "ui/plot.h"

namespace fedsim::ui {

void chart_tradeoff(App& app, ImVec2 size) {
  std::vector<PlotSeries> series;
  std::vector<int> ids;
  std::vector<TradeoffPoint> pts;
  const std::string base = app.snaps.empty() ? "" : app.snaps.front().scenario_resolved;
  for (const auto& s : app.snaps) {
    const RunView& v = app.view(s.id);
    const double eps = final_epsilon(s), acc = final_accuracy(s);
    if (s.state != RunState::Finished || !v.shown || !std::isfinite(eps) || std::isnan(acc))
      continue;
    PlotSeries p;
    p.label = s.name;
    p.x = {eps};
    p.y = {acc};
    p.notes = {describe_diff(diff_settings(base, s.scenario_resolved))};
    p.color = palette(v.colour);
    p.marker = marker(v.colour);
    p.line = false;
    p.marker_size = s.id == app.selected ? 6.0f : 4.5f;
    series.push_back(std::move(p));
    ids.push_back(s.id);
    pts.push_back({eps, acc});
  }
  std::vector<std::pair<double, double>> front;
  for (std::size_t i : pareto_frontier(pts)) front.emplace_back(pts[i].epsilon, pts[i].accuracy);
  const PlotResult r =
      plot("tradeoff", size, axis("epsilon (log)", true), axis("final test accuracy"), series,
           front.size() > 1 ? &front : nullptr);
  if (r.clicked_series >= 0) app.selected = ids[r.clicked_series];
}

void panel_tradeoff(App& app) {
  int without = 0;
  for (const auto& s : app.snaps)
    without += s.state == RunState::Finished && !std::isfinite(final_epsilon(s));
  ImGui::SameLine();
  ImGui::TextDisabled(" accuracy vs epsilon; line = Pareto frontier; click a point to select%s",
                      without ? "; runs without a finite epsilon are not shown" : "");
  chart_tradeoff(app, ImVec2(-1, -1));
}

}  // namespace fedsim::ui
