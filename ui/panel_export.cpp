// Export panel: the selected runs to HDF5 (write_results), any chart to PNG at a chosen size
// (drawn alone on the next frame and read back, png_export.h), the runs table and the selected
// run's rounds and evaluations to CSV; and the way in: "Open results" reads a run or sweep file
// as finished runs (App::open_results).
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "ui/app.h"
#include "ui/test_script.h"

namespace fedsim::ui {
namespace {

void write_csv(App& app) {
  std::error_code ec;
  std::filesystem::create_directories(app.export_dir, ec);
  const std::string runs_path = app.export_dir + "/runs.csv";
  std::ofstream out(runs_path);
  out << "id,name,state,status,rounds_done,rounds_total,final_accuracy,final_epsilon,elapsed_s,"
         "differs,output\n";
  const std::string base = app.snaps.empty() ? "" : app.snaps.front().scenario_resolved;
  for (const auto& s : app.snaps)
    out << s.id << "," << csv_field(s.name) << "," << to_string(s.state) << ","
        << to_string(s.status) << "," << s.rounds_done << "," << s.rounds_total << ","
        << final_accuracy(s) << "," << final_epsilon(s) << "," << s.elapsed_s << ","
        << csv_field(describe_diff(diff_settings(base, s.scenario_resolved))) << ","
        << csv_field(s.output_path) << "\n";
  if (!out) {
    app.error("cannot write " + runs_path);
    return;
  }
  if (const RunSnapshot* s = app.snap(app.selected)) {
    const std::string stem = app.export_dir + "/" + safe_file_name(s->name);
    std::ofstream r(stem + "-rounds.csv");
    r << "round,train_loss,clients_sampled,update_norm,epsilon,epsilon_rdp,epsilon_pld,wall_time_"
         "s\n";
    for (const auto& x : s->rounds)
      r << x.round << "," << x.train_loss << "," << x.clients_sampled << "," << x.update_norm << ","
        << x.epsilon << "," << x.epsilon_rdp << "," << x.epsilon_pld << "," << x.wall_time_s
        << "\n";
    std::ofstream e(stem + "-evals.csv");
    e << "round,accuracy,loss,auc\n";
    for (const auto& x : s->evals)
      e << x.round << "," << x.accuracy << "," << x.loss << "," << x.auc << "\n";
  }
  app.info("CSV tables written to " + app.export_dir);
}

}  // namespace

const std::vector<std::string>& chart_names() {
  static const std::vector<std::string> n = {
      "accuracy",        "loss",         "epsilon",        "tradeoff",
      "privacy",         "client_sizes", "label_skew",     "client_accuracy",
      "secagg_dropouts", "secagg_sent",  "secagg_received"};
  return n;
}

bool draw_chart(App& app, const std::string& name, ImVec2 size) {
  if (name == "accuracy" || name == "loss" || name == "epsilon")
    chart_curve(app, name, size);
  else if (name == "tradeoff")
    chart_tradeoff(app, size);
  else if (name == "privacy")
    chart_privacy(app, size);
  else if (name == "client_sizes")
    chart_clients(app, "sizes", size);
  else if (name == "label_skew")
    chart_clients(app, "skew", size);
  else if (name == "client_accuracy")
    chart_clients(app, "accuracy", size);
  else if (name == "secagg_dropouts" || name == "secagg_sent" || name == "secagg_received")
    chart_secagg(app, name.substr(7), size);  // without "secagg_"
  else
    return false;
  return true;
}

void panel_export(App& app) {
  // Open results: a run file or a sweep file (every started run), shown as finished runs.
  ImGui::SetNextItemWidth(300);
  const bool enter =
      ImGui::InputText("##results", &app.results_field, ImGuiInputTextFlags_EnterReturnsTrue);
  ui_test::mark("export.results");
  ImGui::SameLine();
  if (ImGui::Button("Open results (.h5)") || enter) app.open_results(app.results_field);
  ui_test::mark("export.open-results");
  ImGui::SameLine();
  ImGui::TextDisabled("run or sweep file; listed as \"NAME (file)\"");
  ImGui::Separator();

  ImGui::SetNextItemWidth(300);
  ImGui::InputText("directory", &app.export_dir);
  ui_test::mark("export.dir");
  const RunSnapshot* s = app.snap(app.selected);
  ImGui::Text("selected run: %s", s ? s->name.c_str() : "(none: the shown runs)");
  if (ImGui::Button("HDF5 of the selected runs (Ctrl+E)")) app.export_selected();
  ui_test::mark("export.hdf5");
  ImGui::SameLine();
  if (ImGui::Button("CSV tables")) write_csv(app);
  ui_test::mark("export.csv");

  // The chart to export (each choice marked "export.chart=NAME" for scripts).
  const auto& names = chart_names();
  ImGui::SetNextItemWidth(160);
  if (ImGui::BeginCombo("chart", names[app.png_chart].c_str())) {
    for (int i = 0; i < int(names.size()); ++i) {
      if (ImGui::Selectable(names[i].c_str(), i == app.png_chart)) app.png_chart = i;
      ui_test::mark("export.chart=", names[i]);
    }
    ImGui::EndCombo();
  }
  ui_test::mark("export.chart");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(140);
  int wh[2] = {app.png_width, app.png_height};
  if (ImGui::InputInt2("size (px)", wh)) {
    app.png_width = std::clamp(wh[0], 64, 8192);
    app.png_height = std::clamp(wh[1], 64, 8192);
  }
  ui_test::mark("export.size");
  ImGui::SameLine();
  if (ImGui::Button("PNG")) {
    std::error_code ec;
    std::filesystem::create_directories(app.export_dir, ec);
    app.pending_png = chart_names()[app.png_chart];
  }
  ui_test::mark("export.png");
  ImGui::TextDisabled("PNG sizes above the window's are clipped to it.");
}

}  // namespace fedsim::ui
