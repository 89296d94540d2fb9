// Writing and reading result files (HDF5, layout in docs/results-format.md).
#pragma once

#include <hdf5.h>

#include <string>

#include "sim/results/run_result.h"

namespace fedsim {

// Thrown when a result file cannot be written (or read); the message names the path and the cause.
class ResultsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ResultsError if `path` exists and force is false. Call before any work starts.
void check_output_writable(const std::string& path, bool force);

// Writes atomically: to a temporary file beside `path`, then renamed over it. Creates the parent
// directory if needed. Refuses to replace an existing file unless force is true.
void write_results(const std::string& path, const RunResult& result, bool force);

// Reads a result file written by write_results (used by tests, resume and tools).
RunResult read_results(const std::string& path);

// "run" or "sweep" (root attribute `kind`; files without it are runs).
std::string result_file_kind(const std::string& path);

// The single-run layout at `loc` (the root of a run file, or /runs/<id> of a sweep file).
// Callers hold h5::lock_library(); `where` names the location in error messages.
void write_run_to(hid_t loc, const RunResult& r);
RunResult read_run_from(hid_t loc, const std::string& where);

}  // namespace fedsim
