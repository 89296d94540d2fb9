// Canaries for a one-run privacy audit (Steinke, Nasr, Jagielski 2023): m marked inputs, each put
// into the training data independently with probability 1/2; after training, a score ranks them,
// the auditor guesses "in" for the k highest and "out" for the k lowest, and the number of right
// guesses bounds epsilon from below (audit_bounds.h).
//
//   record canaries (sample-level DP, or no DP): records far from the data (features N(0, 5^2) in
//     standardised units) with random labels, each added to a random client; score: the drop of
//     the canary's loss from the initial to the final model.
//   client canaries (user-level DP): clients with no data whose update, whenever sampled, is a
//     fixed random unit direction times the clip S (Andrew et al. 2024, "One-shot empirical
//     privacy estimation for federated learning"); score: the final model change projected on the
//     direction.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/data/dataset.h"
#include "sim/model/model_layout.h"

namespace fedsim::audit {

struct RecordCanaries {
  int m = 0, d = 0;
  std::vector<float> x;          // [m, d], standardised units
  std::vector<int32_t> y;        // [m]
  std::vector<int8_t> included;  // [m]
  std::vector<int> client;       // [m] the client an included canary joined
};

RecordCanaries make_record_canaries(int m, const Federation& fed, uint64_t seed);
// The federation with every included canary appended to its client's rows.
Federation with_record_canaries(const Federation& fed, const RecordCanaries& c);
// Per-record cross-entropy of x [n, d] / y [n] under weights w (a CPU forward pass).
std::vector<double> cpu_losses(const ModelLayout& layout, const std::vector<float>& w,
                               const std::vector<float>& x, const std::vector<int32_t>& y,
                               int64_t n);
// loss under w0 minus loss under wT, per canary (CPU forward pass).
std::vector<double> record_scores(const RecordCanaries& c, const ModelLayout& layout,
                                  const std::vector<float>& w0, const std::vector<float>& wT);

struct ClientCanaries {
  int m = 0;
  int64_t P = 0;
  std::vector<float> directions;  // [m, P], unit rows
  std::vector<int8_t> included;   // [m]
  int first_client = -1;          // the federation's id of the first included canary
};

ClientCanaries make_client_canaries(int m, int64_t P, uint64_t seed);
// The federation with one data-less client per included canary, appended after the others
// (sets c.first_client).
Federation with_client_canaries(const Federation& fed, ClientCanaries& c);
// The included canaries' directions, in client order (for Simulation::set_canary_updates).
std::vector<float> included_directions(const ClientCanaries& c);
// <wT - w0, u_i> per canary.
std::vector<double> client_scores(const ClientCanaries& c, const std::vector<float>& w0,
                                  const std::vector<float>& wT);

// Guesses "in" for the k highest scores and "out" for the k lowest (+1 / -1, 0: no guess).
struct Guesses {
  std::vector<int8_t> guess;
  int in = 0, out = 0, correct = 0;
};
Guesses guess_extremes(const std::vector<double>& scores, const std::vector<int8_t>& included,
                       int k);

}  // namespace fedsim::audit
