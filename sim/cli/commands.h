// The `fedsim` subcommands. Each returns the process exit code:
//   0 complete, 1 run failed or I/O error, 2 bad input (scenario, arguments, existing output),
//   3 diverged, 130 interrupted (Ctrl-C).
#pragma once

#include <string>
#include <vector>

namespace fedsim::cli {

struct RunArgs {
  std::string scenario_file;  // empty: the embedded default scenario
  std::vector<std::string> overrides;
  std::string backend;  // empty: from the scenario
  std::string output;   // empty: from the scenario
  bool force = false;
  bool quiet = false;
};

struct ResumeArgs {
  std::string file;     // a result file with a /checkpoint
  int rounds = 0;       // new total number of rounds (0: the scenario's)
  std::string backend;  // empty: the one recorded in the scenario
  bool allow_mismatch = false;
  bool quiet = false;
};

// A TOML basic string for `value` (turns --backend/--output/FILE into --set overrides).
std::string toml_quote(const std::string& value);
// "" when a file written by fedsim `version` at `commit` is this build's, else the difference in
// words (resume refuses such files unless --allow-mismatch).
std::string version_difference(const std::string& version, const std::string& commit);

// The process's command line, shell-quoted, recorded in every result file's manifest.
void set_command_line(int argc, char** argv);
const std::string& command_line();

int cmd_run(const RunArgs& a);
// Continues a run from its file's /checkpoint and rewrites that file (atomically).
int cmd_resume(const ResumeArgs& a);
int cmd_validate(const std::string& file, const std::vector<std::string>& overrides);
int cmd_describe(const std::string& file, const std::vector<std::string>& overrides);
int cmd_data(const std::string& file, const std::vector<std::string>& overrides,
             const std::string& output, bool force);

}  // namespace fedsim::cli
