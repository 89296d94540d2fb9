// Partitioners: which client trains on which training sample.
//
// iid       shuffle, then equal sizes (the first n % K clients get one more)
// dirichlet label skew (Hsu et al. 2019): for each class, its samples are split across the K
//           clients by proportions drawn from Dirichlet(alpha)
// quantity  client sizes proportional to lognormal(0, quantity_sigma) weights, labels IID
// natural   one client per group id (shop, user) present in the data
// Clients with fewer than min_samples samples are dropped with their samples. All randomness comes
// from streams with purpose Partition, so a partition is reproducible and thread-count independent.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/data/dataset.h"
#include "sim/scenario.h"

namespace fedsim {

struct Partition {
  std::vector<std::vector<int64_t>> clients;  // kept clients: sorted row indices of the dataset
  std::vector<int32_t> client_group;          // natural: the group id of each kept client; else -1
  int dropped_clients = 0;                    // clients below min_samples (empty ones included)
  int64_t dropped_samples = 0;                // samples they held (not trained on)
};

// Assign every row of `train` to at most one client (exactly one unless its client is dropped).
// Throws std::invalid_argument for a bad configuration (clients < 1, alpha <= 0, natural
// without group ids, ...).
Partition partition(const Dataset& train, const PartitionConfig& cfg, uint64_t seed);

// Per-client label histograms [clients][classes] of `labels` (the rows of each client).
std::vector<std::vector<int64_t>> label_histograms(
    const std::vector<int32_t>& labels, int classes,
    const std::vector<std::vector<int64_t>>& clients);

// Label skew: the unweighted mean over clients (with at least one sample) of the total-variation
// distance between the client's label distribution and the pooled one. 0 for identical
// distributions; close to 1 - max_k p_k when every client holds a single class.
double label_skew_tv(const std::vector<std::vector<int64_t>>& histograms);
double label_skew_tv(const Dataset& train, const Partition& p);

}  // namespace fedsim
