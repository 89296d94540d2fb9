// Run panel: start the edited scenario (queued when a run is in flight; "x seeds" queues several),
// pause / resume / step / stop the selected run, progress and ETA per run, and changes to a paused
// run (noise, clip, learning rates, rounds) through RunManager::change.
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "ui/app.h"
#include "ui/test_script.h"

namespace fedsim::ui {

void panel_run(App& app) {
  static int seeds = 1;
  ImGui::BeginDisabled(!app.edit.valid());
  if (ImGui::Button("Start")) {
    const std::string seed = app.edit.value("run.seed");
    for (int i = 0; i < seeds; ++i) {
      if (seeds > 1) app.edit.set("run.seed", std::to_string(std::stoll(seed) + i));
      app.start();
    }
    if (seeds > 1) app.edit.set("run.seed", seed);
  }
  ui_test::mark("run.start");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::SetNextItemWidth(70);
  ImGui::InputInt("seeds", &seeds);
  ui_test::mark("run.seeds");
  seeds = std::clamp(seeds, 1, 50);

  const int id = app.active_run();
  const RunSnapshot* s = app.snap(id);
  const bool running = s && s->state == RunState::Running,
             paused = s && s->state == RunState::Paused;
  ImGui::SameLine();
  ImGui::BeginDisabled(!running);
  if (ImGui::Button("Pause")) app.runs.pause(id);
  ui_test::mark("run.pause");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!paused);
  if (ImGui::Button("Resume")) app.runs.resume(id);
  ui_test::mark("run.resume");
  ImGui::SameLine();
  if (ImGui::Button("Step")) app.runs.step(id);
  ui_test::mark("run.step");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!(running || paused || (s && s->state == RunState::Queued)));
  if (ImGui::Button("Stop")) app.runs.stop(id);
  ui_test::mark("run.stop");
  ImGui::EndDisabled();

  // Progress and ETA of every run not yet finished, plus the selected one.
  ImGui::BeginChild("progress", ImVec2(0, paused ? -4.2f * ImGui::GetFrameHeightWithSpacing() : 0));
  for (const auto& r : app.snaps) {
    if (r.state == RunState::Finished && r.id != app.selected) continue;
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImGui::ColorConvertU32ToFloat4(app.colour(r.id)));
    char overlay[128];
    std::snprintf(overlay, sizeof overlay, "%s  round %d/%d  ETA %s  [%s]", r.name.c_str(),
                  r.rounds_done, r.rounds_total, fmt_duration(r.eta_s).c_str(),
                  r.state == RunState::Finished ? to_string(r.status) : to_string(r.state));
    ImGui::ProgressBar(r.rounds_total > 0 ? float(r.rounds_done) / r.rounds_total : 0.0f,
                       ImVec2(-1, 0), overlay);
    ImGui::PopStyleColor();
    if (ImGui::IsItemClicked()) app.selected = r.id;
  }
  ImGui::EndChild();

  // Changes while paused.
  if (paused) {
    static RunChanges c;
    static int for_id = -1;
    static double z = 1, clip = 1, clr = 0.05, slr = 1;
    static int rounds = 0;
    if (for_id != id) {  // start from the run's current settings
      for_id = id;
      z = s->privacy.noise_multiplier;
      clip = s->privacy.clip;
      const SettingMap m = parse_settings(s->scenario_resolved);
      clr = std::strtod(m.count("client.lr") ? m.at("client.lr").c_str() : "0.05", nullptr);
      slr = std::strtod(m.count("server.lr") ? m.at("server.lr").c_str() : "1", nullptr);
      rounds = s->rounds_total;
    }
    ImGui::PushItemWidth(90);
    ImGui::InputDouble("noise", &z, 0, 0, "%.4g");
    ImGui::SameLine();
    ImGui::InputDouble("clip", &clip, 0, 0, "%.4g");
    ImGui::SameLine();
    ImGui::InputInt("rounds", &rounds);
    ImGui::InputDouble("client lr", &clr, 0, 0, "%.4g");
    ImGui::SameLine();
    ImGui::InputDouble("server lr", &slr, 0, 0, "%.4g");
    ImGui::PopItemWidth();
    ImGui::SameLine();
    if (ImGui::Button("Apply changes")) {
      c = RunChanges{};
      if (s->privacy.mode != "none") {
        c.noise_multiplier = z;
        c.clip = clip;
      }
      c.client_lr = clr;
      c.server_lr = slr;
      c.rounds = rounds;
      std::string err;
      if (app.runs.change(id, c, &err))
        app.info("changed " + s->name + " from round " + std::to_string(s->rounds_done + 1));
      else
        app.error(s->name + ": " + err);
    }
  }
}

}  // namespace fedsim::ui
