// Privacy prediction for the Privacy panel: the epsilon the scenario will have spent after its
// planned rounds, without building the data.
//
// The mechanism is the one make_privacy_plan() sets up (sim/privacy/privacy_plan.h): sample mode
// composes rounds * steps_per_round DP-SGD steps at record rate q for the worst-case client; user
// mode one subsampled Gaussian per round at client rate q. When privacy.sample_rate is 0 (auto),
// q = batch_size / mean client size is estimated from the scenario's sizes (training samples /
// clients, before clients below min_samples are dropped); the run's own plan uses the real sizes.
//
// RDP costs ~1-3 ms and is computed within the frame; PLD (up to ~0.4 s), calibration for a target
// epsilon and the epsilon-vs-rounds curve run on PrivacyWorker's thread with the latest settings.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sim/scenario.h"

namespace fedsim::ui {

struct PrivacyInputs {
  PrivacyMode mode = PrivacyMode::None;
  AccountantKind accountant = AccountantKind::Rdp;
  double noise_multiplier = 0.0;
  double target_epsilon = 0.0;  // > 0: calibrate sigma
  double delta = 1e-6;
  int rounds = 0;
  double q = 0.0;               // per step (sample) or per round (user)
  int64_t steps_per_round = 1;  // 1 in user mode
  bool q_estimated = false;     // q from estimated sizes (sample_rate = 0)
  std::string note;             // why no prediction is possible, or "" when one is
  bool operator==(const PrivacyInputs&) const = default;
};

PrivacyInputs privacy_inputs(const Scenario& s);

// Epsilon by RDP after `rounds` rounds with multiplier `sigma` (NaN on invalid inputs, +inf for
// sigma = 0).
double predict_rdp(const PrivacyInputs& in, double sigma, int rounds);

struct PrivacyPrediction {
  PrivacyInputs inputs;  // what it was computed for
  double sigma = 0.0;    // the multiplier (calibrated when target_epsilon > 0)
  double eps_rdp = 0.0, eps_pld = 0.0;
  std::vector<int> curve_rounds;  // sample points 1..rounds
  std::vector<double> curve_rdp, curve_pld;
  std::string error;  // e.g. an unreachable target epsilon
  double seconds = 0.0;
};

// The whole prediction (calibration, RDP, PLD, curves); what the worker runs.
PrivacyPrediction predict_full(const PrivacyInputs& in, int curve_points = 24);

// One background thread computing predict_full for the latest request; older requests still
// waiting are dropped. Never blocks the caller beyond a mutex.
class PrivacyWorker {
 public:
  PrivacyWorker();
  ~PrivacyWorker();
  void request(const PrivacyInputs& in);  // no-op when equal to the latest request
  // The latest finished prediction (maybe for older inputs than the latest request).
  std::optional<PrivacyPrediction> latest() const;
  bool busy() const;  // a request is waiting or being computed

 private:
  void loop();
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::optional<PrivacyInputs> pending_, last_request_;
  std::optional<PrivacyPrediction> result_;
  bool computing_ = false, quit_ = false;
  std::thread thread_;
};

}  // namespace fedsim::ui
