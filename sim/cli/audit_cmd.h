// `fedsim audit`: the scenario trained with canaries, then the claimed epsilon beside the
// empirical lower bound of a one-run audit (sim/audit/), both written to the result (/audit).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace fedsim::cli {

struct AuditArgs {
  std::string scenario_file;  // empty: the embedded default scenario
  std::vector<std::string> overrides;
  std::string backend, output;  // empty: from the scenario; results/<name>-audit.h5
  int canaries = 1000;
  int guesses = 0;
  double confidence = 0.95;
  bool force = false, quiet = false;
  bool inversion_demo = false;  // the gradient-inversion demonstration only (no training run)
};

CLI::App* add_audit_command(CLI::App& app, AuditArgs& args);
// Exit codes as `fedsim run` (0 complete, 2 bad input, ...).
int cmd_audit(const AuditArgs& args);

}  // namespace fedsim::cli
