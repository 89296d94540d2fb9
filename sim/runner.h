// run_scenario: drives a Simulation from the first round to the last and collects a RunResult.
//
// Front ends (CLI, dashboard, sweeps) pass a RunObserver to watch progress and to ask for a stop.
// The runner never throws for failures during training: it returns what was computed so far with
// status interrupted / diverged / failed and a message, so the caller can still write it.
#pragma once

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
};

RunResult run_scenario(const Scenario& s, const Federation& fed, std::unique_ptr<Backend> backend,
                       RunObserver* observer = nullptr);

// Current time as ISO 8601 UTC ("2026-11-27T09:30:00Z").
std::string utc_now_iso8601();

}  // namespace fedsim
