// The dashboard application: its state, shared by the panels, and one function per panel.
//
// Layout (UI.md): a fixed set of child regions that follows the window size. Left column:
// Scenario, Privacy, Run; right column: Curves, Trade-off and a tab bar with Runs, Clients, SecAgg,
// Export and Queries; a status line at the bottom. Each panel lives in its own panel_*.cpp and
// draws from App (the scenario being edited, the RunManager's snapshots of this frame plus the runs
// opened from result files, per-run view settings). No panel blocks: runs go on RunManager's worker
// threads, PLD on PrivacyWorker's.
#pragma once

#include <imgui.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ui/plot.h"
#include "ui/privacy_predict.h"
#include "ui/query_view.h"
#include "ui/result_files.h"
#include "ui/run_manager.h"
#include "ui/scenario_edit.h"
#include "ui/secagg_view.h"

namespace fedsim::ui {

// How the interface shows one run (the run itself lives in the RunManager).
struct RunView {
  int colour = 0;          // index into palette()/marker(), fixed at submission
  bool shown = true;       // drawn in the charts
  bool announced = false;  // "run finished: PATH" printed
  bool loaded = false;     // opened from a result file (App::loaded), not in the RunManager
  RunState last_state = RunState::Queued;
};

// A chart drawn this frame, by name, and where it is on screen (for PNG export).
struct ChartRect {
  ImVec2 min, max;
};

struct App {
  App();

  RunManager runs{1};
  ScenarioEdit edit;
  PrivacyWorker privacy;
  // This frame's copies: the RunManager's runs in submission order, then the loaded runs.
  std::vector<RunSnapshot> snaps;
  std::vector<LoadedRun> loaded;  // runs opened from result files (ids from kFirstLoadedId)
  int next_loaded_id = kFirstLoadedId;
  std::map<int, RunView> views;  // by run id
  int next_colour = 0;
  int selected = -1;  // the selected run id (-1: none)

  // Scenario panel
  std::vector<std::string> recent;
  std::string browse_dir = "scenarios", path_field, save_field;
  bool focus_path = false;  // Ctrl+O: focus the path field

  // Export panel
  std::string export_dir = "results/export";
  int png_width = 1600, png_height = 1000;
  int png_chart = 0;             // index into chart_names()
  std::string pending_png;       // chart to export: drawn alone at png size on the next frame
  std::string pending_png_path;  // its file ("": export_dir/NAME.png)
  std::string png_path;          // set with png_rect when the chart was drawn this frame
  ChartRect png_rect;

  // SecAgg panel: views of finished runs' /secagg by run id; the bytes chart's direction
  SecAggCache secagg;
  bool secagg_received = false;

  // Queries panel: the form, the edited scenario's data, the last answer (query_view.h)
  QueryView queries;

  // The tab to bring to front on the next frame (Runs, Clients, SecAgg, Export, Queries; --tab),
  // then "".
  std::string select_tab;

  // Open results (Export panel)
  std::string results_field = "results/";

  // Status line
  std::string message;
  bool message_is_error = false;
  std::string device;  // "CPU 2 threads"

  bool quit = false;

  void info(const std::string& m);
  void error(const std::string& m);
  // Opens a scenario file into the editor (errors go to the status line).
  void open(const std::string& path);
  // Saves the edited scenario to `path` (save_field when empty).
  void save(const std::string& path = "");
  // Submits the edited scenario (invalid: an error, nothing submitted); returns the id or -1.
  int start();
  // Submits every point of FILE's [sweep] table (errors: a message, nothing submitted); returns
  // the number of runs queued or -1.
  int start_sweep(const std::string& file);
  void export_selected();  // Ctrl+E: HDF5 of the selected runs (shown runs when none selected)
  // Opens a run or sweep file as finished runs (errors: a message, nothing loaded); returns the
  // number of runs loaded or -1.
  int open_results(const std::string& path);
  // Forgets a run: removed from the RunManager (stopped if needed) or from the loaded runs.
  void remove_run(int id);

  const RunSnapshot* snap(int id) const;
  RunView& view(int id);
  ImU32 colour(int id);
  // The run the keyboard acts on: the selected one, else the newest running or paused one.
  int active_run() const;

  void refresh();              // takes this frame's snapshots; prints newly finished runs
  void frame(ImVec2 display);  // the whole window
  void handle_keys();
};

void panel_scenario(App& app);
void panel_privacy(App& app);
void panel_run(App& app);
void panel_curves(App& app);
void panel_tradeoff(App& app);
void panel_runs(App& app);
void panel_clients(App& app);
void panel_secagg(App& app);
void panel_export(App& app);
void panel_queries(App& app);
void status_line(App& app);

// Scenario-key editing widget shared by the Scenario and Privacy panels: one row for
// "section.key" with the right input for its kind and range, the error at the key below it.
void key_editor(App& app, const std::string& key);

// Every chart, drawable by name at any size (for PNG export); returns false for an unknown name.
const std::vector<std::string>& chart_names();
bool draw_chart(App& app, const std::string& name, ImVec2 size);
void chart_curve(App& app, const std::string& metric, ImVec2 size);  // accuracy | loss | epsilon
void chart_tradeoff(App& app, ImVec2 size);
void chart_privacy(App& app, ImVec2 size);
void chart_clients(App& app, const std::string& which, ImVec2 size);  // sizes | skew | accuracy
void chart_secagg(App& app, const std::string& which, ImVec2 size);   // dropouts | sent | received

// Small shared widgets and formats.
// An axis with its label (and unit); `log` for epsilon axes.
inline PlotAxis axis(const std::string& label, bool log = false) {
  PlotAxis a;
  a.label = label;
  a.log = log;
  return a;
}
std::string fmt_duration(double seconds);     // "0:41", "1:02:03"
std::string fmt_eps(double eps);              // "3.02", "inf", "-"
double final_accuracy(const RunSnapshot& s);  // last evaluation's accuracy (NaN: none)
double final_epsilon(const RunSnapshot& s);   // last round's headline epsilon (NaN: none)

}  // namespace fedsim::ui
