// Gradient inversion against an unprotected client update: a client that trained one SGD step on
// one record sends an update from which the server recovers the record exactly, since for a first
// dense layer with bias the weight gradient's row j is delta_j x and the bias gradient's entry j is
// delta_j (Phong et al. 2018; Zhu et al. 2019 for the general attack): x = dW[j, :] / db[j].
// The same attack on the update with user-level DP noise, and on the sum that secure aggregation
// shows the server, recovers nothing useful.
#pragma once

#include <vector>

#include "sim/data/dataset.h"
#include "sim/scenario.h"

namespace fedsim::audit {

struct InversionDemo {
  std::vector<float> record;     // the client's record (standardised features)
  std::vector<float> recovered;  // from its plain update
  double error_plain = 0;        // relative L2 error of each reconstruction
  double error_noisy = 0;        // the update + N(0, (sigma S)^2) (user-level DP on one update)
  double error_sum = 0;  // from the sum of `clients` such updates (all secure aggregation shows)
  double noise_multiplier = 0, clip = 0;
  int clients = 0;
};

// Takes the first record of each of `clients` clients of `fed`, the scenario's model (its first
// layer must be dense with bias: every fedsim model), one local SGD step each from the initial
// model, on the CPU backend.
InversionDemo gradient_inversion_demo(const Scenario& s, const Federation& fed, double sigma,
                                      double clip, int clients);

}  // namespace fedsim::audit
