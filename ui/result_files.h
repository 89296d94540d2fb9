// Result files opened in the dashboard, without a window: a run file (read_results) or a sweep
// file (read_sweep, every started run) becomes finished runs drawn with the RunManager's own, in
// the runs table, the curves and the trade-off chart. A loaded run is not in the RunManager: it
// cannot be paused or resumed, only re-submitted (its scenario loaded into the editor) or exported.
#pragma once

#include <string>
#include <vector>

#include "sim/results/run_result.h"
#include "ui/run_manager.h"

namespace fedsim::ui {

// Ids of loaded runs start here, far above the RunManager's (1, 2, ...), so the two never meet.
constexpr int kFirstLoadedId = 1 << 20;

// A finished run as the panels see it: state Finished, the file's rounds, evaluations, privacy
// report, client statistics and changes ("round N: ..."), rounds_total from run.rounds of its
// resolved scenario. A file saved while its run was in progress (status running) reads as
// interrupted. id and output_path are left to the caller.
RunSnapshot snapshot_from_result(const RunResult& r, const std::string& name);

struct LoadedRun {
  RunSnapshot snap;  // snap.name ends in " (file)"; snap.output_path is the file (and run id)
  RunResult result;  // for HDF5 export of the loaded run
};

// Reads a run or sweep file (throws ResultsError). Runs get ids first_id, first_id + 1, ... and
// the names "STEM (file)" (run file) or "STEM/RUN_ID (file)" (sweep file), STEM the file name
// without its extension; a sweep's runs that never started are skipped.
std::vector<LoadedRun> load_result_file(const std::string& path, int first_id);

// `name` with every character outside [A-Za-z0-9._-] replaced by '_' ("a/b (file)" ->
// "a_b__file_"), for export file names.
std::string safe_file_name(const std::string& name);

}  // namespace fedsim::ui
