// run_scenario: drives a Simulation from the first round to the last and collects a RunResult.
//
// Front ends (CLI, dashboard, sweeps) pass a RunObserver to watch progress and to ask for a stop.
// The runner never throws for failures during training: it returns what was computed so far with
// status interrupted / diverged / failed and a message, so the caller can still write it.
#pragma once

#include <functional>
#include <memory>

#include "sim/backend/backend.h"
#include "sim/data/dataset.h"
#include "sim/results/run_result.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace fedsim {

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void on_start(const Simulation& sim) {}
  // Called after every round; eval is non-null on evaluation rounds.
  virtual void on_round(const RoundRecord& round, const EvalRecord* eval) {}
  // Polled between rounds: true finishes the run with status "interrupted".
  virtual bool stop_requested() { return false; }
  // Called before every round (after stop_requested); may block (a paused run) and may change
  // settings through sim.apply_changes (the dashboard).
  virtual void before_round(Simulation& sim) {}
};

// Checkpoints and resumption. Every `checkpoint_every` rounds (0: never) the runner hands the
// result so far, with status running and a checkpoint, to `save` (the CLI writes it atomically);
// the returned result always carries the latest checkpoint. With `resume` (a result read back
// from a file, with a checkpoint), the run continues from that checkpoint: its rounds and
// evaluations up to the checkpoint are kept, later ones (after a failure) dropped.
struct RunOptions {
  int checkpoint_every = 0;
  std::function<void(const RunResult&)> save;
  const RunResult* resume = nullptr;
  std::string command_line;  // recorded in the result's manifest
};

RunResult run_scenario(const Scenario& s, const Federation& fed, std::unique_ptr<Backend> backend,
                       RunObserver* observer = nullptr, const RunOptions& options = {});

// Current time as ISO 8601 UTC ("2026-11-27T09:30:00Z").
std::string utc_now_iso8601();

}  // namespace fedsim
