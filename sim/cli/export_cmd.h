// `fedsim export FILE --csv DIR`: every table of an HDF5 file (a run, a sweep, a federation) as
// CSV.
//
// Generic over the layout, so it keeps working as the result format grows: the file is walked
// recursively; the 1-D datasets of a group form a table (one CSV, one column per dataset), a 2-D
// dataset becomes its own CSV (columns c0..c{k-1}), and scalar datasets and attributes go to one
// DIR/attributes.csv (path,name,value). File names and rules: docs/results-format.md, "Export".
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace fedsim::cli {

struct ExportArgs {
  std::string file;     // the HDF5 file to read
  std::string csv_dir;  // output directory (created)
  bool force = false;   // replace existing CSV files
};

// Registers the subcommand on `app`; run cmd_export(args) when it was given.
CLI::App* add_export_command(CLI::App& app, ExportArgs& args);
// Exit code: 0 done, 1 I/O failure (cannot create or write a CSV), 2 bad input (unreadable or
// non-HDF5 file, existing CSV without --force). Messages on stderr name the file and the problem.
int cmd_export(const ExportArgs& args);

}  // namespace fedsim::cli
