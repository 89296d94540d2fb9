// A run with canaries and its one-run audit (`fedsim audit`): the scenario trained on its data plus
// canaries (canaries.h), then the canaries scored and guessed, and the empirical lower bound on
// epsilon (audit_bounds.h) recorded in the result (/audit) beside the claimed epsilon.
#pragma once

#include <memory>

#include "sim/runner.h"

namespace fedsim::audit {

struct AuditOptions {
  int canaries = 1000;
  int guesses = 0;                // per side ("in" and "out"); 0: canaries / 10
  double confidence = 0.95;       // of the lower bound
  double test_noise_scale = 1.0;  // TEST ONLY (Simulation::set_test_noise_scale)
};

// Never throws for failures during training (as run_scenario); throws std::invalid_argument for
// impossible options. result.audit is set when the run completed.
RunResult run_audit(const Scenario& s, const Federation& fed, std::unique_ptr<Backend> backend,
                    const AuditOptions& options, RunObserver* progress = nullptr,
                    const RunOptions& run_options = {});

}  // namespace fedsim::audit
