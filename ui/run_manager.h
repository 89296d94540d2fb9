// RunManager: the dashboard's runs, each a Simulation driven by its own worker thread (the same
// engine as `fedsim run`; no UI code here, so it is unit-tested without a window).
//
// A run is queued, then running (at most `max_parallel` at once), can be paused, stepped one
// round while paused, resumed and stopped. While paused, its noise multiplier, clip norm, client
// and server learning rates and total rounds can be changed; the change takes effect from the
// next round, the privacy accountant composes the schedule that actually ran, and the result
// records every change with its round. The interface thread reads copies (snapshot()), never the
// engine's state. Destroying the manager (closing the window) stops every run cleanly: each keeps
// its results with status `interrupted`, saved to its output path.
#pragma once

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/results/run_result.h"
#include "sim/scenario.h"

namespace fedsim::ui {

enum class RunState { Queued, Running, Paused, Finished };
const char* to_string(RunState s);

// Settings that may change while a run is paused (unset: unchanged).
struct RunChanges {
  std::optional<double> noise_multiplier;  // privacy runs only
  std::optional<double> clip;              // C (sample) or S (user)
  std::optional<double> client_lr, server_lr;
  std::optional<int> rounds;  // new total, >= rounds done
};

// What the interface draws: a copy taken under the run's lock.
struct RunSnapshot {
  int id = 0;
  std::string name;  // run.name, made unique ("fraud", "fraud-2", ...)
  RunState state = RunState::Queued;
  RunStatus status = RunStatus::Running;  // the engine status once finished
  std::string message;                    // error, divergence or interruption message
  std::string scenario_resolved;          // the scenario as it started (resolved TOML)
  std::string output_path;                // where the results were saved ("" until saved)
  int rounds_done = 0, rounds_total = 0;
  double elapsed_s = 0.0, eta_s = 0.0;
  std::vector<RoundRecord> rounds;
  std::vector<EvalRecord> evals;
  PrivacyReport privacy;
  ClientStats clients;  // sizes and label counts from the start; final accuracy at the end
  std::vector<std::string> changes;  // "round 57: noise_multiplier 1.1 -> 1.5", in order
  // `fedsim audit` files: the empirical lower bound on epsilon beside the claimed one (NaN: none).
  double audit_epsilon = std::numeric_limits<double>::quiet_NaN();
};

class RunManager {
 public:
  explicit RunManager(int max_parallel = 1);
  ~RunManager();  // stops all runs, saves them (status interrupted), joins the threads

  // Queues a run of `s` (validated by the caller); it starts when a slot is free. Returns its id.
  // Results are written to output_path(s) (made unique if it exists) when the run ends.
  int submit(const Scenario& s);

  void pause(int id);
  void resume(int id);
  void step(int id);  // while paused: run exactly one more round, then pause again
  void stop(int id);  // ends the run (status interrupted), keeps and saves its results
  // Applies `c` to a paused run; false with a message in *error if the run is not paused or a
  // value is invalid (e.g. rounds below the rounds done, a non-positive clip).
  bool change(int id, const RunChanges& c, std::string* error);
  void remove(int id);  // stops it if needed and forgets it (its file stays)

  std::vector<RunSnapshot> snapshot() const;  // every run, in submission order
  std::optional<RunSnapshot> snapshot(int id) const;
  RunResult result(int id) const;  // the full result so far (weights included), for export
  // Blocks until no run is queued, running or stepping (paused runs count as idle); for tests.
  void wait_idle() const;

  struct Impl;  // in run_manager.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace fedsim::ui
