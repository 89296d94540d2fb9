// PrivacyPlan: what the scenario's [privacy] section means for this federation, fixed before the
// run (sampling rates, steps, the noise multiplier, calibrated if a target epsilon is given), and
// PrivacyLedger: the epsilon after each round, from both accountants.
//
// Sample-level DP-SGD (unit: one record, add/remove neighbouring): every client runs the same
// number of local steps, each on a Poisson batch with rate q. A record's privacy loss composes the
// steps its own client actually ran (client selection is data-independent public randomness); the
// reported epsilon is the worst case over clients, i.e. for the client that ran the most steps.
// No amplification by client sampling is claimed.
// User-level DP-FedAvg (unit: one client, McMahan et al. 2018): one Poisson-subsampled Gaussian per
// round with client rate q; with adaptive clipping (Andrew et al. 2021) the clipped-count query
// shares the noise budget so that the pair composes to one Gaussian with multiplier sigma.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/data/dataset.h"
#include "sim/privacy/accountant.h"
#include "sim/results/run_result.h"
#include "sim/scenario.h"

namespace fedsim {

struct PrivacyPlan {
  PrivacyMode mode = PrivacyMode::None;
  double sample_rate = 0.0;       // sample: record rate per local step; user: client rate per round
  int64_t steps_per_round = 0;    // sample mode
  double noise_multiplier = 0.0;  // sigma of the accounted mechanism
  bool calibrated = false;
  double clip = 0.0;                     // C or the initial S
  double update_noise_multiplier = 0.0;  // user: sigma on the clipped sum of deltas
  double count_noise = 0.0;              // user + adaptive: std of the clipped-count noise
  double expected_clients = 0.0;         // user: q * clients, the fixed denominator
  int64_t planned_events = 0;            // events for the worst-case unit if all rounds run
  std::vector<std::string> warnings;     // e.g. a delta that is not small against the units

  PrivacyReport report(const Scenario& s) const;
};

// Throws std::invalid_argument with a clear message for impossible settings (unreachable target
// epsilon, count noise too small for the noise multiplier, ...).
PrivacyPlan make_privacy_plan(const Scenario& s, const Federation& fed);

// User-level DP with adaptive clipping: the update's share z_delta of the noise multiplier z when
// the clipped-count query has noise std sigma_b (Andrew et al. 2021, Thm. 1); throws
// std::invalid_argument unless sigma_b > z / 2.
double adaptive_update_noise(double z, double sigma_b);

class PrivacyLedger {
 public:
  PrivacyLedger(const PrivacyPlan& plan, double delta, int num_clients);
  // Accounts one round in which `cohort` trained.
  void record_round(const std::vector<int>& cohort);
  double epsilon_rdp() const;
  double epsilon_pld() const;
  int64_t worst_case_steps() const { return max_steps_; }
  const std::vector<int64_t>& steps_run() const { return steps_run_; }
  // Resumes from a checkpoint's ledger (steps_run: per client in sample mode, else empty).
  void restore(std::vector<int64_t> steps_run, int64_t worst_case_steps);
  // The noise multiplier changes from the next round on (the dashboard's paused runs): the rounds
  // so far stay accounted at their noise; later ones form a new segment. Epsilon then composes
  // every segment, each with the most events any unit ran in it (an upper bound for every unit).
  void change_noise_multiplier(double sigma);
  int segments() const { return int(done_.size()) + 1; }
  // Distributed DP: a round's noise that survived the dropouts was only `sigma`; every event is
  // then accounted at min(its sigma, sigma) (conservative: the smallest noise of any round).
  void lower_noise_multiplier(double sigma);

 private:
  PrivacyPlan plan_;
  double delta_;
  std::vector<int64_t> steps_run_;               // sample mode: per client
  int64_t max_steps_ = 0;                        // events composed for the worst-case unit
  mutable std::unique_ptr<PldCurve> pld_curve_;  // built on first use, reused every round
  struct Segment {  // a finished stretch of rounds at one noise multiplier
    double sigma;
    int64_t events;  // most events any unit ran in it
  };
  std::vector<Segment> done_;
  mutable int64_t cached_steps_ = -1;
  mutable size_t cached_segments_ = 0;
  mutable double cached_rdp_ = 0, cached_pld_ = 0;
  void update_cache() const;
};

}  // namespace fedsim
