// `fedsim sweep FILE`: every run of the scenario's [sweep] table into one HDF5 file, several runs
// in flight, with overall progress; and the continuation of such a file by `fedsim resume`.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace fedsim::cli {

struct SweepArgs {
  std::string file;
  std::vector<std::string> overrides;  // --set, applied to every run before its sweep values
  std::string backend;                 // empty: the scenario's
  std::string output;                  // empty: results/<run.name>-sweep.h5
  int parallel = 0;                    // 0: [sweep] parallel, else automatic
  bool force = false;
  bool quiet = false;
  int audit_canaries = 0;  // > 0: audit every run with this many canaries (docs/audit.md)
};

CLI::App* add_sweep_command(CLI::App& app, SweepArgs& args);
// Exit code: 0 every run ended (complete or diverged), 1 some run failed or the file could not
// be written, 2 bad input (nothing ran), 130 interrupted (resumable).
int cmd_sweep(const SweepArgs& args);
// Continues a sweep file (called by `fedsim resume` for files of kind "sweep").
int cmd_resume_sweep(const std::string& file, bool allow_mismatch, bool quiet);

}  // namespace fedsim::cli
