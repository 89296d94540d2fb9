// SweepResult: every run of a sweep, in memory, with the per-run summary and the
// accuracy-against-epsilon frontier aggregated over seeds. Written to HDF5 by sweep_writer.h.
#pragma once

#include <string>
#include <vector>

#include "sim/results/run_result.h"
#include "sim/sweep/sweep_spec.h"

namespace fedsim {

struct SweepResult {
  RunStatus status = RunStatus::Running;
  std::string status_message;
  std::string fedsim_version, git_commit;
  std::string start_time, end_time;
  double wall_time_s = 0.0;

  std::string scenario_path, scenario_text;  // the sweep scenario as given
  std::vector<std::string> overrides;        // --set given to `fedsim sweep`
  std::vector<std::string> keys;             // swept keys, in axis order
  std::vector<char> numeric;                 // [keys] every value a number
  std::vector<SweepPoint> points;            // [runs]
  std::vector<RunResult> runs;               // [runs]
  std::vector<char> started;                 // [runs] 0: not started (runs[i] is empty)
};

// One row of /summary.
struct SweepSummaryRow {
  std::string run_id, status;
  double final_accuracy, final_auc, epsilon, wall_time_s;
  int rounds_done;
};
std::vector<SweepSummaryRow> sweep_summary(const SweepResult& s);

// One row of /frontier: the complete runs that share every swept value but run.seed.
struct FrontierRow {
  std::vector<std::string> values;  // [frontier_keys] TOML values
  double epsilon_mean, accuracy_mean, accuracy_std, accuracy_min, accuracy_max;
  int count;
};
// Swept keys other than run.seed (the frontier's grouping keys).
std::vector<std::string> frontier_keys(const SweepResult& s);
// Groups in order of first appearance; accuracy_std is the sample standard deviation (0 for one
// run); runs that did not complete are left out (a group without any is left out).
std::vector<FrontierRow> sweep_frontier(const SweepResult& s);

}  // namespace fedsim
