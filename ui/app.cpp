// App: shared state, actions (open, save, start, export, open result files), keyboard, the fixed
// layout and the status line. See app.h; the panels are in panel_*.cpp.
#include "ui/app.h"

#include <omp.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sim/results/results_writer.h"
#include "sim/sweep/sweep_spec.h"
#include "ui/plot.h"
#include "ui/test_script.h"

namespace fedsim::ui {

App::App() {
  device = "CPU " + std::to_string(omp_get_max_threads()) + " threads";
  path_field = "scenarios/default.toml";
  save_field = "scenario-edited.toml";
  // Recent files survive restarts in ~/.config/fedsim/recent.txt.
  if (const char* home = std::getenv("HOME")) {
    std::ifstream in(std::string(home) + "/.config/fedsim/recent.txt");
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) recent.push_back(line);
  }
}

void App::info(const std::string& m) {
  message = m;
  message_is_error = false;
}

void App::error(const std::string& m) {
  message = m;
  message_is_error = true;
  std::fprintf(stderr, "fedsim-ui: %s\n", m.c_str());
}

void App::open(const std::string& path) {
  try {
    edit.load_file(path);
    path_field = path;
    save_field = path;
    push_recent(recent, path);
    if (const char* home = std::getenv("HOME")) {
      std::error_code ec;
      const std::string dir = std::string(home) + "/.config/fedsim";
      std::filesystem::create_directories(dir, ec);
      std::ofstream out(dir + "/recent.txt");
      for (const auto& r : recent) out << r << "\n";
    }
    info("opened " + path);
  } catch (const std::exception& e) {
    error(e.what());
  }
}

void App::save(const std::string& path) {
  const std::string p = path.empty() ? save_field : path;
  try {
    edit.save(p);
    push_recent(recent, p);
    info("saved " + p);
  } catch (const std::exception& e) {
    error(e.what());
  }
}

int App::start() {
  if (!edit.valid()) {
    error("cannot start: " + edit.error());
    return -1;
  }
  try {
    const int id = runs.submit(edit.scenario());
    views[id].colour = next_colour++;
    selected = id;
    info("queued run " + std::to_string(id) + " (" + edit.scenario().run.name + ")");
    return id;
  } catch (const std::exception& e) {
    error(e.what());
    return -1;
  }
}

int App::start_sweep(const std::string& file) {
  try {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file + ": cannot read scenario file");
    std::stringstream text;
    text << in.rdbuf();
    const SweepSpec spec = read_sweep_spec(text.str(), file);
    const auto points = expand_sweep(spec);
    const auto scenarios = sweep_scenarios(text.str(), file, {}, points);
    for (size_t i = 0; i < scenarios.size(); ++i) {
      Scenario s = scenarios[i];
      s.run.name += "-" + points[i].id;
      const int id = runs.submit(s);
      views[id].colour = next_colour++;
      selected = id;
    }
    info("queued " + std::to_string(scenarios.size()) + " runs of the sweep in " + file);
    return int(scenarios.size());
  } catch (const std::exception& e) {
    error(e.what());
    return -1;
  }
}

void App::export_selected() {
  std::vector<int> ids;
  if (selected >= 0) ids.push_back(selected);
  for (const auto& s : snaps)
    if (ids.empty() && views[s.id].shown) ids.push_back(s.id);
  int written = 0;
  for (int id : ids) {
    const RunSnapshot* s = snap(id);
    if (!s) continue;
    const std::string path = export_dir + "/" + safe_file_name(s->name) + ".h5";
    try {
      const LoadedRun* l = nullptr;
      for (const auto& x : loaded)
        if (x.snap.id == id) l = &x;
      write_results(path, l ? l->result : runs.result(id), /*force=*/true);
      ++written;
      info("exported " + path);
    } catch (const std::exception& e) {
      error("export of " + s->name + ": " + e.what());
      return;
    }
  }
  if (written == 0) error("export: no run selected");
}

int App::open_results(const std::string& path) {
  for (const auto& l : loaded)
    if (l.snap.output_path == path || l.snap.output_path.rfind(path + "#", 0) == 0) {
      error(path + " is already open");
      return -1;
    }
  try {
    std::vector<LoadedRun> runs_read = load_result_file(path, next_loaded_id);
    next_loaded_id += int(runs_read.size());
    for (auto& l : runs_read) {
      RunView& v = view(l.snap.id);
      v.loaded = true;
      v.announced = true;  // finished before the dashboard saw it: nothing to announce
      loaded.push_back(std::move(l));
    }
    if (!runs_read.empty()) selected = loaded.back().snap.id;
    info("opened " + path + ": " + std::to_string(runs_read.size()) + " run(s)");
    refresh();
    return int(runs_read.size());
  } catch (const std::exception& e) {
    error(e.what());
    return -1;
  }
}

void App::remove_run(int id) {
  const auto n = loaded.size();
  std::erase_if(loaded, [&](const LoadedRun& l) { return l.snap.id == id; });
  if (loaded.size() == n) runs.remove(id);  // not a loaded run: the RunManager's
  secagg.forget(id);
  if (selected == id) selected = -1;
  refresh();
}

const RunSnapshot* App::snap(int id) const {
  for (const auto& s : snaps)
    if (s.id == id) return &s;
  return nullptr;
}

RunView& App::view(int id) {
  auto it = views.find(id);
  if (it == views.end()) {
    it = views.emplace(id, RunView{}).first;
    it->second.colour = next_colour++;
  }
  return it->second;
}

ImU32 App::colour(int id) {
  return palette(view(id).colour);
}

int App::active_run() const {
  if (selected >= 0 && snap(selected)) return selected;
  for (auto it = snaps.rbegin(); it != snaps.rend(); ++it)
    if (it->state == RunState::Running || it->state == RunState::Paused) return it->id;
  return -1;
}

void App::refresh() {
  snaps = runs.snapshot();
  for (const auto& l : loaded) snaps.push_back(l.snap);
  for (const auto& s : snaps) {
    RunView& v = view(s.id);
    if (s.state == RunState::Finished && !v.announced && !s.output_path.empty()) {
      v.announced = true;
      const bool ok = s.status == RunStatus::Complete;
      std::printf("run %s: %s\n", ok ? "finished" : to_string(s.status), s.output_path.c_str());
      std::fflush(stdout);
      if (ok)
        info("run " + s.name + " finished: " + s.output_path);
      else
        error("run " + s.name + " " + to_string(s.status) + ": " + s.message);
    }
    v.last_state = s.state;
  }
}

// Dear ImGui 1.86 indexes io.KeysDown by the backend's key codes: GLFW's letter keys are their
// upper-case ASCII codes.
void App::handle_keys() {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;  // typing in a field
  const int id = active_run();
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false) && id >= 0) {
    const RunSnapshot* s = snap(id);
    if (s && s->state == RunState::Running) runs.pause(id);
    if (s && s->state == RunState::Paused) runs.resume(id);
  }
  if (!io.KeyCtrl && ImGui::IsKeyPressed('N', false) && id >= 0) runs.step(id);
  if (io.KeyCtrl && ImGui::IsKeyPressed('O', false)) focus_path = true;
  if (io.KeyCtrl && ImGui::IsKeyPressed('S', false)) save();
  if (io.KeyCtrl && ImGui::IsKeyPressed('E', false)) export_selected();
}

// A titled child region with a border.
template <class F>
static void region(const char* title, ImVec2 size, F&& body) {
  ImGui::BeginChild(title, size, true);
  ImGui::TextDisabled("%s", title);
  body();
  ImGui::EndChild();
}

void App::frame(ImVec2 display) {
  png_path.clear();
  refresh();
  handle_keys();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(display);
  ImGui::Begin("fedsim", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
  const ImGuiStyle& st = ImGui::GetStyle();
  const float status_h = ImGui::GetFrameHeightWithSpacing();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float body_h = avail.y - status_h;
  const float left_w = std::max(300.0f, std::round(avail.x * 0.30f));
  const float right_w = avail.x - left_w - st.ItemSpacing.x;

  // Left column: Scenario (flexible), Privacy, Run.
  ImGui::BeginGroup();
  const float privacy_h = std::round(body_h * 0.36f), run_h = std::round(body_h * 0.24f);
  const float scen_h = body_h - privacy_h - run_h - 2 * st.ItemSpacing.y;
  region("SCENARIO", ImVec2(left_w, scen_h), [&] { panel_scenario(*this); });
  region("PRIVACY", ImVec2(left_w, privacy_h), [&] { panel_privacy(*this); });
  region("RUN", ImVec2(left_w, run_h), [&] { panel_run(*this); });
  ImGui::EndGroup();
  ImGui::SameLine();

  // Right column: Curves, Trade-off, then Runs / Clients / SecAgg / Export as tabs.
  ImGui::BeginGroup();
  const float curves_h = std::round(body_h * 0.36f), trade_h = std::round(body_h * 0.30f);
  const float tabs_h = body_h - curves_h - trade_h - 2 * st.ItemSpacing.y;
  region("CURVES", ImVec2(right_w, curves_h), [&] { panel_curves(*this); });
  region("TRADE-OFF", ImVec2(right_w, trade_h), [&] { panel_tradeoff(*this); });
  ImGui::BeginChild("TABS", ImVec2(right_w, tabs_h), true);
  if (ImGui::BeginTabBar("tabs")) {
    // select_tab: brought to front once (ImGuiTabItemFlags_SetSelected), e.g. by --tab.
    const auto tab = [&](const char* name) {
      const bool front = select_tab == name;
      const bool open =
          ImGui::BeginTabItem(name, nullptr, front ? ImGuiTabItemFlags_SetSelected : 0);
      ui_test::mark("tab.", name);  // e.g. tab.Export
      return open;
    };
    if (tab("Runs")) {
      panel_runs(*this);
      ImGui::EndTabItem();
    }
    if (tab("Clients")) {
      panel_clients(*this);
      ImGui::EndTabItem();
    }
    if (tab("SecAgg")) {
      panel_secagg(*this);
      ImGui::EndTabItem();
    }
    if (tab("Export")) {
      panel_export(*this);
      ImGui::EndTabItem();
    }
    if (tab("Queries")) {
      panel_queries(*this);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
    select_tab.clear();
  }
  ImGui::EndChild();
  ImGui::EndGroup();

  status_line(*this);
  ImGui::End();

  // PNG export of one chart: drawn alone, on top, at the chosen size (at most the window's), read
  // back by main() after this frame is rendered.
  if (!pending_png.empty()) {
    const ImVec2 size(std::min<float>(png_width, display.x),
                      std::min<float>(png_height, display.y));
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(size);
    ImGui::SetNextWindowBgAlpha(1.0f);  // opaque: the dashboard must not show through the PNG
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8, 8));
    ImGui::Begin("##png", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings);
    draw_chart(*this, pending_png, ImVec2(0, 0));
    ImGui::End();
    ImGui::PopStyleVar();
    png_rect = {ImVec2(0, 0), size};
    png_path =
        pending_png_path.empty() ? export_dir + "/" + pending_png + ".png" : pending_png_path;
    pending_png.clear();
    pending_png_path.clear();
  }
}

// Resident memory from /proc/self/statm (pages), in MiB; NaN when unavailable.
static double resident_mib() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  if (!(in >> pages >> resident)) return std::numeric_limits<double>::quiet_NaN();
  return double(resident) * 4096.0 / (1024.0 * 1024.0);
}

void status_line(App& app) {
  int running = 0, queued = 0;
  for (const auto& s : app.snaps) {
    running += s.state == RunState::Running || s.state == RunState::Paused;
    queued += s.state == RunState::Queued;
  }
  ImGui::Text("%s | %.0f MiB | %d active, %d queued | %.0f fps |", app.device.c_str(),
              resident_mib(), running, queued, ImGui::GetIO().Framerate);
  ImGui::SameLine();
  if (app.message_is_error)
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.35f, 1.0f), "%s", app.message.c_str());
  else
    ImGui::TextUnformatted(app.message.c_str());
}

std::string fmt_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string fmt_eps(double eps) {
  if (std::isnan(eps)) return "-";
  if (std::isinf(eps)) return "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, eps < 10 ? "%.3g" : "%.1f", eps);
  return buf;
}

double final_accuracy(const RunSnapshot& s) {
  return s.evals.empty() ? std::numeric_limits<double>::quiet_NaN() : s.evals.back().accuracy;
}

double final_epsilon(const RunSnapshot& s) {
  return s.rounds.empty() ? std::numeric_limits<double>::quiet_NaN() : s.rounds.back().epsilon;
}

}  // namespace fedsim::ui
