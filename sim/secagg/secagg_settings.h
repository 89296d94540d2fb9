// The scenario's [secagg] section as the protocol's settings (sim/secagg/secagg.h).
#pragma once

#include "sim/scenario.h"
#include "sim/secagg/secagg.h"

namespace fedsim::secagg {

// `clip`: the L2 bound of each client's update in the integer pipeline (the scenario's
// secagg.clip, or user-level DP's clip S when the updates are clipped to S anyway). `cohort` > 0:
// SecAgg+ with neighbours = 0 gets the smallest even k >= log2(cohort) for which, at the
// scenario's dropout rates and the default threshold floor(k/2) + 1, the chance that any
// client's neighbourhood cannot reconstruct its secrets (the round aborts) is below 1e-6 by a
// union bound over clients (Bell et al. 2020 choose k the same way, Sec. 3.3); when no k below
// the cohort reaches it, the largest even k.
SecAggSettings secagg_settings(const SecAggConfig& c, double clip, int cohort = 0);

// That k, or 0 when no even k < cohort reaches the bound.
int robust_neighbours(int cohort, double drop_probability);

}  // namespace fedsim::secagg
