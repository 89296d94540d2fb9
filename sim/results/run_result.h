// RunResult: everything a run produced, in memory; written to HDF5 by results_writer.h.
//
// The layout on disk is documented in docs/results-format.md. One RoundRecord per completed round,
// one EvalRecord per evaluation, per-client statistics and the final model.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/model/model_layout.h"

namespace fedsim {

enum class RunStatus { Running, Complete, Interrupted, Diverged, Failed };
const char* to_string(RunStatus s);
// Inverse of to_string; throws std::invalid_argument for an unknown name.
RunStatus run_status_from_string(const std::string& s);

struct RoundRecord {
  int round = 0;            // 1-based
  double train_loss = 0.0;  // mean local training loss over the cohort's samples
  int clients_sampled = 0;
  int clients_dropped = 0;   // secure aggregation dropouts (0 until secagg lands)
  double update_norm = 0.0;  // L2 norm of the aggregated update before the server step
  double mean_client_update_norm = 0.0;
  double epsilon = std::numeric_limits<double>::quiet_NaN();  // headline accountant; NaN: none
  double epsilon_rdp = std::numeric_limits<double>::quiet_NaN();
  double epsilon_pld = std::numeric_limits<double>::quiet_NaN();
  double clip_fraction = std::numeric_limits<double>::quiet_NaN();  // records/clients clipped
  double clip_norm = std::numeric_limits<double>::quiet_NaN();      // clip in force this round
  double wall_time_s = 0.0;                                         // this round's wall time
};

// A one-run privacy audit of the run (/audit, `fedsim audit`; sim/audit/): canaries, the guesses
// and the empirical lower bound on epsilon beside the claimed one.
struct AuditRecord {
  std::string unit;    // "record" (sample-level DP or none) | "client" (user-level DP)
  std::string method;  // e.g. "one-run audit (Steinke, Nasr, Jagielski 2023)"
  std::string score;   // what ranks the canaries
  int canaries = 0, guesses_in = 0, guesses_out = 0, correct = 0;
  double confidence = 0.95, delta = 0.0;
  double epsilon_lower_bound = 0.0;
  double epsilon_claimed = 0.0;   // the run's final epsilon (headline accountant); NaN: no DP
  double test_noise_scale = 1.0;  // 1 except in tests of a deliberately broken mechanism
  std::vector<int8_t> included;   // [canaries] 1: in the training data
  std::vector<double> scores;     // [canaries]
  std::vector<int8_t> guess;      // [canaries] 1 in, -1 out, 0 no guess
  // Membership inference by loss threshold (Yeom et al. 2018): training records against held-out
  // (test) records under the final model; the epsilon bound uses a threshold chosen on one half
  // and counted on the other (Clopper-Pearson, Jagielski et al. 2020).
  double mia_auc = 0.5, mia_tpr_at_fpr_0001 = 0, mia_tpr_at_fpr_001 = 0, mia_advantage = 0;
  double mia_epsilon_lower_bound = 0;
};

// One round of secure aggregation (/secagg): what survived, what it cost, and the check.
struct SecAggRecord {
  int round = 0;
  bool aborted = false;
  int included = 0;                // clients whose update is in the sum
  int dropped_before_masking = 0;  // dropouts per stage
  int dropped_after_masking = 0;
  int dropped_before_unmasking = 0;
  int threshold = 0, neighbours = 0;
  int64_t wraparounds = 0;        // coordinates whose integer sum left the b-bit range
  double quantisation_mse = 0.0;  // per coordinate, against the float sum of clipped updates
  bool verified = false;          // unmasked sum == plain quantised sum modulo 2^b
  // mean bytes per client, sent and received, in the four message rounds
  std::array<double, 4> client_bytes_sent{}, client_bytes_received{};
  double prg_words = 0.0;  // mask words expanded, clients and server
  int64_t shamir_reconstructions = 0;
  double client_seconds = 0.0, server_seconds = 0.0;
  // distributed DP: the noise std of the sum wanted and the one that survived the dropouts
  // (model units), and the noise multiplier the accountant used for the round
  double dp_noise_std_target = 0.0, dp_noise_std_survived = 0.0, dp_noise_multiplier = 0.0;
};

struct EvalRecord {
  int round = 0;
  double accuracy = 0.0;
  double loss = 0.0;
  double auc = std::numeric_limits<double>::quiet_NaN();  // binary tasks only
};

// Per-client statistics: sizes and label histograms, and the final global model's metrics on each
// client's local (training) data.
struct ClientStats {
  int classes = 0;
  std::vector<int64_t> num_samples;   // [clients]
  std::vector<int64_t> label_counts;  // [clients, classes]
  std::vector<float> final_accuracy;  // [clients] (empty if the run stopped before the end)
  std::vector<float> final_loss;      // [clients]
  double accuracy_mean = std::numeric_limits<double>::quiet_NaN();
  double accuracy_p10 = std::numeric_limits<double>::quiet_NaN();
  double accuracy_worst = std::numeric_limits<double>::quiet_NaN();
};

// What the epsilon of a run means: mechanism, unit of privacy, sampling assumption, parameters.
struct PrivacyReport {
  std::string mode = "none";       // none | sample | user
  std::string unit;                // "record" | "client"
  std::string neighbouring;        // e.g. "add/remove one record of one client"
  std::string sampling;            // the sampling the run used, in words
  bool sampling_covered = true;    // false: the accountant's Poisson assumption does not hold
  std::string accountant = "rdp";  // headline accountant (both are recorded)
  double noise_multiplier = 0.0;   // sigma used (chosen by calibration when calibrated)
  bool calibrated = false;
  double target_epsilon = 0.0;
  double delta = 0.0;
  double clip = 0.0;            // initial clip (C or S)
  double sample_rate = 0.0;     // q: record rate per local step (sample) or client rate (user)
  int64_t steps_per_round = 0;  // sample mode: local DP-SGD steps per round
  bool adaptive_clip = false;
  double update_noise_multiplier = 0.0;  // user + adaptive: the share of sigma on the update
  double count_noise = 0.0;              // user + adaptive: std of the clipped-count noise
};

// The state a run resumes from (/checkpoint): everything step_round() reads besides the scenario
// and the data. Random numbers are counter-based (keyed by round, client, step), so the round
// number is the whole RNG state.
struct Checkpoint {
  int round = 0;                            // rounds completed
  std::vector<float> global, opt_m, opt_v;  // [num_params] model and server-optimizer moments
  double user_clip = 0.0;                   // user-level DP: the clip in force (adaptive)
  std::vector<int64_t> steps_run;           // sample-level DP: local steps run per client
  int64_t ledger_events = 0;                // events composed for the worst-case unit
  double noise_multiplier = 0.0;            // the plan in force (a calibrated sigma stays fixed)
  double update_noise_multiplier = 0.0;
  double count_noise = 0.0;
  std::string data_fingerprint;  // SHA-256 of the federation (federation_fingerprint)
};

struct RunResult {
  RunStatus status = RunStatus::Running;
  std::string status_message;
  std::string fedsim_version;
  std::string git_commit;
  std::string backend;  // "cpu" | "cuda"
  std::string device;   // e.g. "CPU 2 threads (OpenBLAS)"
  uint64_t seed = 0;
  std::string start_time;  // ISO 8601 UTC
  std::string end_time;
  double wall_time_s = 0.0;

  std::string command_line;  // how the run was started (empty when not from the CLI)
  std::vector<std::pair<std::string, std::string>> manifest;  // build_manifest(): compiler, libs

  std::string scenario_path;
  std::string scenario_text;      // as given
  std::string scenario_resolved;  // every key with defaults, after overrides

  std::vector<RoundRecord> rounds;
  std::vector<EvalRecord> evals;
  std::vector<SecAggRecord> secagg;  // one per round with secure aggregation on
  ClientStats clients;
  PrivacyReport privacy;

  ModelLayout layout;
  std::vector<float> weights;  // [layout.num_params]

  // Settings changed between rounds (the dashboard): (round after which it took effect, "key old
  // -> new"). Written as /changes.
  std::vector<std::pair<int, std::string>> changes;

  std::optional<AuditRecord> audit;  // `fedsim audit` runs only

  bool has_checkpoint = false;
  Checkpoint checkpoint;  // the latest resumable state (may be older than `rounds` after a failure)
};

}  // namespace fedsim
