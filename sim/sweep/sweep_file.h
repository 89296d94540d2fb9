// Sweep files (HDF5): /runs/<id> (each the single-run layout), /summary and /frontier; layout in
// docs/results-format.md, section "Sweep files". Written atomically like run files.
#pragma once

#include <string>

#include "sim/sweep/sweep_result.h"

namespace fedsim {

// Refuses to replace an existing file unless force (ResultsError, as write_results).
void write_sweep(const std::string& path, const SweepResult& s, bool force);

// Reads a sweep file. runs/started/points are indexed like /summary; a resumed sweep re-expands
// its points from the stored scenario text and checks they match.
SweepResult read_sweep(const std::string& path);

}  // namespace fedsim
