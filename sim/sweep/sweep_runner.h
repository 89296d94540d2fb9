// run_sweep: every run of a sweep, several in flight at once (threads; each run's CPU backend gets
// an equal share of the cores through OpenMP, so results equal the runs done one by one: the CPU
// backend gives the same bits whatever its thread count). A run that fails is recorded as failed
// and the sweep goes on; the sweep state is handed to `save` after every finished run and every
// run checkpoint, so a killed sweep loses little and can be resumed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sim/scenario.h"
#include "sim/sweep/sweep_result.h"

namespace fedsim {

class SweepObserver {
 public:
  virtual ~SweepObserver() = default;
  // A run ended (any status); `done` runs of `total` have ended so far in this process.
  virtual void on_run_end(const SweepPoint& point, const RunResult& run, int done, int total) {}
  // Polled between rounds by every run: true interrupts them all (status interrupted).
  virtual bool stop_requested() { return false; }
};

struct SweepOptions {
  int parallel = 0;  // runs in flight; 0: the spec's, else the number of cores (CPU) or 4 (CUDA)
  std::function<void(const SweepResult&)> save;  // called under a lock, never concurrently
  const SweepResult* resume = nullptr;  // keep its complete/diverged runs, resume checkpoints
  SweepObserver* observer = nullptr;
  std::string command_line;  // recorded in every run's manifest
  // > 0: every run is a one-run privacy audit with this many canaries (`fedsim audit`, /audit in
  // each run); audited runs keep no checkpoints (a resumed sweep reruns them from the start).
  int audit_canaries = 0;
};

// `scenarios[i]` is the validated scenario of `points[i]` (sweep_scenarios()). Runs already
// complete or diverged in `resume` are kept; runs with a checkpoint continue from it.
SweepResult run_sweep(const std::string& text, const std::string& path,
                      const std::vector<std::string>& overrides, const SweepSpec& spec,
                      const std::vector<SweepPoint>& points, const std::vector<Scenario>& scenarios,
                      const SweepOptions& options);

}  // namespace fedsim
