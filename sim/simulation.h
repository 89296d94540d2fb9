// Simulation: the one federated-training loop. The CLI, sweeps and the dashboard all drive it.
//
// Built from an immutable Scenario and its Federation; uploads the data to the backend once and
// allocates every buffer once. step_round() runs one round:
//   1 sample the cohort (fixed K without replacement, or Poisson with rate q)
//   2 local training of the cohort in lockstep, chunk by chunk (LocalTrainer)
//   3 client deltas -> weighted sum (FedAvg weights: samples or uniform)
//   4 server optimizer step (FedAvg, FedAvgM, FedAdam, FedYogi, FedAdagrad)
// with sample-level DP-SGD inside step 2 or user-level DP-FedAvg in step 3 when the scenario asks,
// and the privacy ledger updated after every round.
// evaluate() measures the global model on the test split; checkpoint() captures the state a later
// process resumes from bit for bit.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "sim/backend/backend.h"
#include "sim/data/dataset.h"
#include "sim/model/model_layout.h"
#include "sim/privacy/privacy_plan.h"
#include "sim/results/run_result.h"
#include "sim/scenario.h"
#include "sim/train/evaluator.h"
#include "sim/train/local_trainer.h"

namespace fedsim {

// The cohort of one round: client ids, sorted by local steps (descending), then by size
// (descending), then by id.
std::vector<int> sample_cohort(const Scenario& s, const Federation& fed, int round);

class Simulation {
 public:
  // With `resume`, the run continues from that checkpoint (the scenario and data it was taken
  // with; its noise multipliers replace any new calibration, so the noise stays what it was).
  Simulation(const Scenario& scenario, const Federation& federation,
             std::unique_ptr<Backend> backend, const Checkpoint* resume = nullptr);

  // Runs the next round. If the model became non-finite, the global model is rolled back to the
  // last finite one and diverged() turns true.
  RoundRecord step_round();
  EvalRecord evaluate();
  // Per-client sizes and label counts; with final metrics: the global model on each client's data.
  ClientStats client_stats(bool with_final_metrics);

  int rounds_done() const { return round_; }
  bool diverged() const { return diverged_; }
  const ModelLayout& layout() const { return layout_; }
  Backend& backend() { return *be_; }
  std::vector<float> global_weights() const;
  // The state after the last completed round (data_fingerprint left empty: the caller's).
  Checkpoint checkpoint() const;

  // Between rounds: settings that change from the next round on (NaN: unchanged). The privacy
  // ledger accounts the rounds so far at the old noise and later ones at the new. Throws
  // std::invalid_argument for a value out of range; returns "key old -> new" per change. The
  // scenario the Simulation was built from must outlive it; server.lr is read from it each round,
  // so the caller changes that field itself.
  std::vector<std::string> apply_changes(double noise_multiplier, double clip, double client_lr);
  // Secure aggregation: the records of the rounds since the last call (the runner collects them).
  std::vector<SecAggRecord> take_secagg_records() { return std::exchange(secagg_log_, {}); }
  // More than one noise multiplier was used: the checkpoint cannot describe the ledger.
  bool schedule_changed() const { return ledger_->segments() > 1; }
  int chunk_size() const { return chunk_; }
  const PrivacyPlan& privacy_plan() const { return plan_; }

  // Privacy auditing (sim/audit/): clients first_client .. first_client + m - 1 are canaries whose
  // update, whenever sampled, is the fixed unit direction directions[i] (host, [m, P]) times the
  // current clip S instead of what they trained (Andrew et al. 2024, one-shot empirical privacy
  // estimation). User-level DP only (elsewhere weights make a data-less client's update vanish).
  void set_canary_updates(int first_client, std::vector<float> directions);
  // TEST ONLY: multiplies the noise actually added (DP-SGD and the server's) by `scale` while the
  // accountant keeps the nominal noise: a deliberately broken mechanism that an audit must catch.
  void set_test_noise_scale(double scale);

 private:
  const Scenario& s_;
  const Federation& fed_;
  std::unique_ptr<Backend> be_;
  ModelLayout layout_;
  int chunk_ = 0;
  int round_ = 0;
  int canary_first_ = -1;                 // set_canary_updates
  std::vector<float> canary_directions_;  // [m, P]
  double test_noise_scale_ = 1.0;
  bool diverged_ = false;

  DeviceBuffer<float> train_x_, test_x_;
  DeviceBuffer<int32_t> train_y_, test_y_;
  DeviceBuffer<float> global_, previous_global_, aggregate_, opt_m_, opt_v_;
  PrivacyPlan plan_;
  std::unique_ptr<PrivacyLedger> ledger_;
  double user_clip_ = 0.0;  // user-level DP: the clip S in force (adaptive clipping moves it)
  double current_client_lr_ = 0.0;
  std::unique_ptr<LocalTrainer> trainer_;
  std::unique_ptr<Evaluator> evaluator_;

  void restore(const Checkpoint& c);
  // Runs the round's secure aggregation over updates [K, P] (already multiplied by factor[k]) and
  // puts the server's aggregate in aggregate_; false when the round aborted (no update).
  bool secure_aggregate(int round, const std::vector<int>& cohort,
                        const std::vector<float>& updates, const std::vector<double>& factor,
                        bool user_dp, RoundRecord& rec);
  std::vector<SecAggRecord> secagg_log_;
};

}  // namespace fedsim
