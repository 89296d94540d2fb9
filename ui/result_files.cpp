// Run and sweep files as finished runs of the dashboard (see result_files.h).
#include "ui/result_files.h"

#include <cstdlib>
#include <filesystem>

#include "sim/results/results_writer.h"
#include "sim/sweep/sweep_file.h"
#include "ui/scenario_edit.h"

namespace fedsim::ui {

RunSnapshot snapshot_from_result(const RunResult& r, const std::string& name) {
  RunSnapshot s;
  s.name = name;
  s.state = RunState::Finished;
  s.status = r.status;
  s.message = r.status_message;
  if (r.status == RunStatus::Running) {  // saved mid-run (a checkpoint of a killed process)
    s.status = RunStatus::Interrupted;
    if (s.message.empty()) s.message = "the file was saved while the run was in progress";
  }
  s.scenario_resolved = r.scenario_resolved;
  s.rounds_done = int(r.rounds.size());
  const SettingMap settings = parse_settings(r.scenario_resolved);
  const auto planned = settings.find("run.rounds");
  s.rounds_total = planned == settings.end()
                       ? s.rounds_done
                       : int(std::strtol(planned->second.c_str(), nullptr, 10));
  if (s.rounds_total < s.rounds_done) s.rounds_total = s.rounds_done;
  s.elapsed_s = r.wall_time_s;
  s.eta_s = 0.0;
  s.rounds = r.rounds;
  s.evals = r.evals;
  s.privacy = r.privacy;
  if (r.audit) s.audit_epsilon = r.audit->epsilon_lower_bound;
  s.clients = r.clients;
  for (const auto& [round, what] : r.changes)
    s.changes.push_back("round " + std::to_string(round) + ": " + what);
  return s;
}

std::vector<LoadedRun> load_result_file(const std::string& path, int first_id) {
  const std::string stem = std::filesystem::path(path).stem().string();
  std::vector<LoadedRun> out;
  auto add = [&](RunResult&& r, const std::string& name, const std::string& where) {
    LoadedRun l;
    l.snap = snapshot_from_result(r, name + " (file)");
    l.snap.id = first_id + int(out.size());
    l.snap.output_path = where;
    l.result = std::move(r);
    out.push_back(std::move(l));
  };
  if (result_file_kind(path) == "sweep") {
    SweepResult sw = read_sweep(path);
    for (std::size_t i = 0; i < sw.runs.size(); ++i)
      if (i < sw.started.size() && sw.started[i])
        add(std::move(sw.runs[i]), stem + "/" + sw.points[i].id,
            path + "#/runs/" + sw.points[i].id);
  } else {
    add(read_results(path), stem, path);
  }
  return out;
}

std::string safe_file_name(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return s;
}

}  // namespace fedsim::ui
