// Curves panel: accuracy, loss and epsilon against the round for every shown run, overlaid, one
// colour and marker per run; hovering a point shows its value (plot()'s read-out).
#include <imgui.h>

#include <cmath>

#include "ui/app.h"
#include "ui/plot.h"

namespace fedsim::ui {

void chart_curve(App& app, const std::string& metric, ImVec2 size) {
  std::vector<PlotSeries> series;
  std::vector<int> ids;
  for (const auto& s : app.snaps) {
    const RunView& v = app.view(s.id);
    if (!v.shown) continue;
    PlotSeries p;
    p.label = s.name;
    p.color = palette(v.colour);
    p.marker = marker(v.colour);
    if (s.id == app.selected) p.line_width = 2.5f;
    if (metric == "accuracy") {
      for (const auto& e : s.evals) p.x.push_back(e.round), p.y.push_back(e.accuracy);
    } else if (metric == "loss") {
      for (const auto& e : s.evals) p.x.push_back(e.round), p.y.push_back(e.loss);
    } else {
      for (const auto& r : s.rounds) p.x.push_back(r.round), p.y.push_back(r.epsilon);
      p.marker = Marker::None;
    }
    series.push_back(std::move(p));
    ids.push_back(s.id);
  }
  const PlotAxis y = axis(metric == "accuracy" ? "test accuracy"
                          : metric == "loss"   ? "test loss (cross-entropy)"
                                               : "epsilon (headline accountant, log)",
                          metric == "epsilon");
  const PlotResult r = plot(("curve_" + metric).c_str(), size, axis("round"), y, series);
  if (r.clicked_series >= 0) app.selected = ids[r.clicked_series];
}

void panel_curves(App& app) {
  static int tab = 0;
  const char* names[] = {"accuracy", "loss", "epsilon"};
  for (int i = 0; i < 3; ++i) {
    if (i) ImGui::SameLine();
    ImGui::RadioButton(names[i], &tab, i);
  }
  ImGui::SameLine();
  ImGui::TextDisabled("  vs round, shown runs overlaid");
  chart_curve(app, names[tab], ImVec2(-1, -1));
}

}  // namespace fedsim::ui
