// Building the Federation a simulation trains on, from a Scenario: load (synthetic or csv), split,
// preprocess csv features (winsorise, one-hot encode), standardise (all statistics from the
// training split), partition the training split and lay each client's rows out contiguously. A pure
// function of the scenario: same scenario, same bytes.
#pragma once

#include <cstdint>

#include "sim/data/dataset.h"
#include "sim/data/partition.h"
#include "sim/scenario.h"

namespace fedsim {

// Facts about a build that the Federation itself does not hold.
struct BuildInfo {
  int64_t loaded_samples = 0;  // rows before the split
  int64_t test_samples = 0;
  int dropped_clients = 0;      // clients under partition.min_samples
  int64_t dropped_samples = 0;  // training samples they held (not in Federation::train)
};

// Train rows of `p` (indices into `train`) gathered client by client: the result's train holds
// client c at rows offsets[c] .. offsets[c+1]-1 (in the order of p.clients[c]); group ids kept.
// feature_mean / feature_std are set to 0 / 1 (callers that standardised overwrite them).
Federation assemble_federation(const Dataset& train, Dataset test, const Partition& p);

// The whole pipeline. Seeds: generator, split and partition all use s.run.seed (different stream
// purposes, so they are independent). Throws std::runtime_error / std::invalid_argument on errors.
Federation build_federation(const Scenario& s, BuildInfo* info = nullptr);

}  // namespace fedsim
