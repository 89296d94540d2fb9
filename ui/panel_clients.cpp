// Clients panel (selected run, else the newest): the distribution of client sizes (log2 bins),
// the label skew (each client's share of its majority label) and, at the end of the run, the
// histogram of per-client accuracy of the final model.
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "ui/app.h"
#include "ui/plot.h"

namespace fedsim::ui {
namespace {

const RunSnapshot* clients_run(const App& app) {
  if (const RunSnapshot* s = app.snap(app.selected)) return s;
  return app.snaps.empty() ? nullptr : &app.snaps.back();
}

// A histogram of `v` over [lo, hi] in `bins` as a step line (x: bin edges).
PlotSeries histogram(const std::vector<double>& v, double lo, double hi, int bins, ImU32 colour) {
  std::vector<double> count(bins, 0.0);
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    const int b = std::clamp(int((x - lo) / (hi - lo) * bins), 0, bins - 1);
    count[b] += 1;
  }
  PlotSeries s;
  s.color = colour;
  s.marker = Marker::None;
  for (int b = 0; b < bins; ++b) {
    const double x0 = lo + (hi - lo) * b / bins, x1 = lo + (hi - lo) * (b + 1) / bins;
    s.x.insert(s.x.end(), {x0, x0, x1, x1});
    s.y.insert(s.y.end(), {0.0, count[b], count[b], 0.0});
  }
  return s;
}

}  // namespace

void chart_clients(App& app, const std::string& which, ImVec2 size) {
  const RunSnapshot* s = clients_run(app);
  std::vector<PlotSeries> series;
  PlotAxis x;
  if (s) {
    const ClientStats& c = s->clients;
    const ImU32 col = app.colour(s->id);
    std::vector<double> v;
    if (which == "sizes") {
      double hi = 1;
      for (int64_t n : c.num_samples) v.push_back(std::log2(double(std::max<int64_t>(n, 1))));
      for (double t : v) hi = std::max(hi, std::ceil(t));
      series.push_back(histogram(v, 0, hi, int(hi) * 2, col));
      x.label = "log2(training samples per client)";
    } else if (which == "skew") {
      const int k = std::max(1, c.classes);
      for (std::size_t i = 0; i < c.num_samples.size() && (i + 1) * k <= c.label_counts.size();
           ++i) {
        int64_t top = 0;
        for (int j = 0; j < k; ++j) top = std::max(top, c.label_counts[i * k + j]);
        if (c.num_samples[i] > 0) v.push_back(double(top) / double(c.num_samples[i]));
      }
      series.push_back(histogram(v, 0, 1, 20, col));
      x.label = "share of the majority label per client";
    } else {
      for (float a : c.final_accuracy) v.push_back(a);
      series.push_back(histogram(v, 0, 1, 20, col));
      x.label = "final accuracy on the client's own data";
    }
    x.min = series.front().x.empty() ? 0.0 : series.front().x.front();
  }
  PlotAxis y_axis = axis("clients");
  y_axis.min = 0.0;
  plot(("clients_" + which).c_str(), size, x, y_axis, series);
}

void panel_clients(App& app) {
  const RunSnapshot* s = clients_run(app);
  if (!s) {
    ImGui::TextDisabled("start a run to see its clients");
    return;
  }
  const ClientStats& c = s->clients;
  ImGui::Text("%s: %zu clients, %d classes", s->name.c_str(), c.num_samples.size(), c.classes);
  if (!std::isnan(c.accuracy_mean)) {
    ImGui::SameLine();
    ImGui::Text(" | per-client accuracy mean %.4f, p10 %.4f, worst %.4f", c.accuracy_mean,
                c.accuracy_p10, c.accuracy_worst);
  }
  const float w = (ImGui::GetContentRegionAvail().x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3;
  chart_clients(app, "sizes", ImVec2(w, -1));
  ImGui::SameLine();
  chart_clients(app, "skew", ImVec2(w, -1));
  ImGui::SameLine();
  if (c.final_accuracy.empty()) {
    ImGui::BeginChild("acc_pending", ImVec2(w, -1));
    ImGui::TextDisabled("per-client accuracy: at the end of the run");
    ImGui::EndChild();
  } else {
    chart_clients(app, "accuracy", ImVec2(w, -1));
  }
}

}  // namespace fedsim::ui
