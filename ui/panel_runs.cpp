// Runs panel: one row per run: colour and marker, name, status, settings that differ from the first
// run (diff of the resolved TOMLs), final metrics, time; show/hide, select, re-run with changes
// (loads its scenario into the editor), delete. Runs opened from result files ("NAME (file)") are
// listed after the RunManager's; deleting one forgets it (the file stays).
#include <imgui.h>

#include <cmath>

#include "ui/app.h"
#include "ui/plot.h"
#include "ui/test_script.h"

namespace fedsim::ui {

void panel_runs(App& app) {
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders |
                                ImGuiTableFlags_Resizable | ImGuiTableFlags_ScrollY;
  if (!ImGui::BeginTable("runs", 9, flags)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (const char* h :
       {"", "name", "status", "differs from base", "acc", "eps", "time", "show", ""})
    ImGui::TableSetupColumn(h, std::string(h) == "differs from base"
                                   ? ImGuiTableColumnFlags_WidthStretch
                                   : ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableHeadersRow();
  const std::string base = app.snaps.empty() ? "" : app.snaps.front().scenario_resolved;
  int remove = -1;
  for (const auto& s : app.snaps) {
    RunView& v = app.view(s.id);
    ImGui::PushID(s.id);
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    draw_marker(ImGui::GetWindowDrawList(), ImVec2(p.x + h * 0.6f, p.y + h * 0.5f), h * 0.35f,
                marker(v.colour), palette(v.colour));
    ImGui::Dummy(ImVec2(h * 1.2f, h));
    ImGui::TableNextColumn();
    if (ImGui::Selectable(s.name.c_str(), app.selected == s.id)) app.selected = s.id;
    ui_test::mark("runs.", s.name);  // e.g. runs.tiny-2: select that run
    ImGui::TableNextColumn();
    const bool bad = s.state == RunState::Finished && s.status != RunStatus::Complete;
    if (bad)
      ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.35f, 1.0f), "%s", to_string(s.status));
    else
      ImGui::TextUnformatted(s.state == RunState::Finished ? to_string(s.status)
                                                           : to_string(s.state));
    if (!s.message.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", s.message.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(describe_diff(diff_settings(base, s.scenario_resolved)).c_str());
    ImGui::TableNextColumn();
    const double acc = final_accuracy(s);
    ImGui::Text(std::isnan(acc) ? "-" : "%.4f", acc);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(fmt_eps(final_epsilon(s)).c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(fmt_duration(s.elapsed_s).c_str());
    ImGui::TableNextColumn();
    ImGui::Checkbox("##show", &v.shown);
    ImGui::TableNextColumn();
    if (ImGui::SmallButton("re-run")) {
      try {
        app.edit.load_text(s.scenario_resolved, s.name + ".toml");
        app.info("scenario of " + s.name + " loaded: edit it, then Start");
      } catch (const std::exception& e) {
        app.error(e.what());
      }
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("delete")) remove = s.id;
    ImGui::PopID();
  }
  ImGui::EndTable();
  if (remove >= 0) {
    app.remove_run(remove);
    app.info("run deleted (its file stays)");
  }
}

}  // namespace fedsim::ui
