// SecAgg panel (selected run, else the newest): secure aggregation costs per round from the run's
// /secagg records. Charts of the dropouts per stage and of the mean bytes per client in each
// message round (sent or received, log scale), and tables of the mean bytes per message round and
// of the totals (PRG words, Shamir reconstructions, server and client seconds, aborted rounds,
// verification, dropouts per stage, wraparounds; the quantisation error in its tooltip).
// RunSnapshot carries no /secagg: finished runs only (secagg_view.h), cached.
#include <imgui.h>

#include <cinttypes>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "ui/app.h"
#include "ui/plot.h"
#include "ui/secagg_view.h"

namespace fedsim::ui {
namespace {

const RunSnapshot* secagg_run(const App& app) {
  if (const RunSnapshot* s = app.snap(app.selected)) return s;
  return app.snaps.empty() ? nullptr : &app.snaps.back();
}

// The view of a finished run, computed once per run (App::secagg); nullptr while it runs.
const SecAggView* secagg_of(App& app, const RunSnapshot& s) {
  if (s.state != RunState::Finished) return nullptr;
  return &app.secagg.get(s.id, [&]() -> std::vector<SecAggRecord> {
    for (const auto& l : app.loaded)
      if (l.snap.id == s.id) return l.result.secagg;
    return app.runs.result(s.id).secagg;  // one copy of the whole result, once
  });
}

// 1536 -> "1.5 KiB".
std::string fmt_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.3g %s", b, units[u]);
  return buf;
}

PlotSeries line(std::string label, const std::vector<double>& x, const std::vector<double>& y,
                int colour) {
  PlotSeries s;
  s.label = std::move(label);
  s.x = x;
  s.y = y;
  s.color = palette(colour);
  s.marker = marker(colour);
  s.marker_size = 2.5f;
  return s;
}

// A key/value cell pair in the current table row.
void cell(const char* key, const std::string& value) {
  ImGui::TableNextColumn();
  ImGui::TextDisabled("%s", key);
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(value.c_str());
}

std::string fmt(const char* format, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// 0.251 -> "0.251 s", 75 -> "1:15".
std::string fmt_seconds(double s) {
  return s < 60 ? fmt("%.3g s", s) : fmt_duration(s);
}

void tables(const SecAggView& v) {
  const SecAggTotals& t = v.totals;
  const ImGuiTableFlags flags = ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg;
  if (ImGui::BeginTable("secagg_bytes", 3, flags)) {
    ImGui::TableSetupColumn("bytes/client/round");
    ImGui::TableSetupColumn("sent");
    ImGui::TableSetupColumn("received");
    ImGui::TableHeadersRow();
    double sent = 0, received = 0;
    for (int m = 0; m < kSecAggMessages; ++m) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(secagg_message_name(m));
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(fmt_bytes(t.bytes_sent[m]).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(fmt_bytes(t.bytes_received[m]).c_str());
      sent += t.bytes_sent[m];
      received += t.bytes_received[m];
    }
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextDisabled("all");
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(fmt_bytes(sent).c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(fmt_bytes(received).c_str());
    ImGui::EndTable();
  }
  if (ImGui::BeginTable("secagg_totals", 4, flags)) {
    ImGui::TableNextRow();
    cell("PRG words", fmt("%.3g", t.prg_words));
    cell("Shamir", std::to_string(t.shamir_reconstructions));
    ImGui::TableNextRow();
    cell("server", fmt_seconds(t.server_seconds));
    cell("clients", fmt_seconds(t.client_seconds));
    ImGui::TableNextRow();
    cell("aborted", std::to_string(t.aborted) + " of " + std::to_string(t.rounds));
    cell("verified", t.all_verified ? "all" : std::to_string(t.verified));
    ImGui::TableNextRow();
    cell("dropouts", std::to_string(t.dropouts[0]) + "/" + std::to_string(t.dropouts[1]) + "/" +
                         std::to_string(t.dropouts[2]));
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("clients dropped %s / %s / %s, all rounds", secagg_stage_name(0),
                        secagg_stage_name(1), secagg_stage_name(2));
    cell("wraparounds", std::to_string(t.wraparounds));
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip(
          "coordinates whose integer sum left the b-bit range\n"
          "quantisation MSE per coordinate: at most %.3g",
          t.max_quantisation_mse);
    ImGui::EndTable();
  }
}

}  // namespace

// which: dropouts | sent | received.
void chart_secagg(App& app, const std::string& which, ImVec2 size) {
  const RunSnapshot* s = secagg_run(app);
  const SecAggView* v = s ? secagg_of(app, *s) : nullptr;
  std::vector<PlotSeries> series;
  PlotAxis y;
  if (which == "dropouts") {
    y = axis("clients dropped");
    y.min = 0.0;
    if (v && !v->empty()) {
      for (int k = 0; k < kSecAggStages; ++k)
        series.push_back(line(secagg_stage_name(k), v->series.round, v->series.dropouts[k], k));
      if (!v->series.aborted_rounds.empty()) {
        PlotSeries a;
        a.label = "aborted round";
        a.x = v->series.aborted_rounds;
        a.y.assign(a.x.size(), 0.0);
        a.line = false;
        a.marker = Marker::Cross;
        a.marker_size = 5.0f;
        a.color = palette(5);  // vermillion
        series.push_back(std::move(a));
      }
    }
  } else {
    const bool sent = which == "sent";
    y = axis(sent ? "bytes sent per client" : "bytes received per client", /*log=*/true);
    if (v && !v->empty())
      for (int m = 0; m < kSecAggMessages; ++m)
        series.push_back(line(secagg_message_name(m), v->series.round,
                              sent ? v->series.bytes_sent[m] : v->series.bytes_received[m], m));
  }
  plot(("secagg_" + which).c_str(), size, axis("round"), y, series);
}

void panel_secagg(App& app) {
  const RunSnapshot* s = secagg_run(app);
  if (!s) {
    ImGui::TextDisabled("start or open a run to see its secure aggregation costs");
    return;
  }
  const SecAggView* v = secagg_of(app, *s);
  if (!v) {
    ImGui::TextDisabled("%s: secure aggregation costs are shown when the run has finished",
                        s->name.c_str());
    return;
  }
  if (v->empty()) {
    ImGui::TextDisabled("%s: no secure aggregation in this run ([secagg] mode off)",
                        s->name.c_str());
    return;
  }
  ImGui::Text("%s: %s", s->name.c_str(), v->summary.c_str());
  if (!v->totals.all_verified) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.35f, 1.0f), " | not every round verified");
  }
  ImGui::SameLine();
  ImGui::TextDisabled(" | bytes:");
  ImGui::SameLine();
  int dir = app.secagg_received ? 1 : 0;
  ImGui::RadioButton("sent", &dir, 0);
  ImGui::SameLine();
  ImGui::RadioButton("received", &dir, 1);
  app.secagg_received = dir == 1;

  const ImGuiStyle& st = ImGui::GetStyle();
  const float table_w = 290.0f;
  const float w = (ImGui::GetContentRegionAvail().x - table_w - 2 * st.ItemSpacing.x) / 2;
  ImGui::BeginChild("secagg_tables", ImVec2(table_w, -1));
  tables(*v);
  ImGui::EndChild();
  ImGui::SameLine();
  chart_secagg(app, "dropouts", ImVec2(w, -1));
  ImGui::SameLine();
  chart_secagg(app, app.secagg_received ? "received" : "sent", ImVec2(w, -1));
}

}  // namespace fedsim::ui
