// Federation files: a partitioned data set saved by `fedsim data FILE --output federation.h5`, so a
// federation can be inspected (h5py, h5dump) or reused. Layout in docs/results-format.md,
// section "Federation files". Only dense pseudonymous group ids are stored, never raw IDs.
#pragma once

#include <string>

#include "sim/data/dataset.h"

namespace fedsim {

// Writes atomically with the same rules as write_results: refuses an existing file unless force,
// creates the parent directory, throws ResultsError (sim/results/results_writer.h) on failure.
void write_federation(const std::string& path, const Federation& f,
                      const std::string& scenario_text, bool force);

// Reads a file written by write_federation; throws ResultsError if it is missing or malformed.
Federation read_federation(const std::string& path);

}  // namespace fedsim
