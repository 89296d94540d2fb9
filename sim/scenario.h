// Scenario: the validated, immutable description of one experiment.
//
// A scenario is read from TOML (see docs/scenario.md for every key), validated completely before
// any work starts, and then only read. Every field has a default, so an empty file is a valid
// scenario. Errors are reported as ScenarioError, whose message names the file, line, key and what
// was expected.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fedsim {

// One clear error about a scenario: "FILE:LINE: key 'a.b': expected ..., got ...".
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class BackendKind { Auto, Cpu, Cuda };
enum class DataSource { Synthetic, Csv, FashionMnist };
enum class SyntheticTask { Purchase, Fraud };
enum class PartitionScheme { Iid, Dirichlet, Quantity, Natural };
enum class ModelKind { LogReg, Mlp };
enum class Activation { Relu };
enum class ServerOptimizer { FedAvg, FedAvgM, FedAdam, FedYogi, FedAdagrad };
enum class Weighting { Samples, Uniform };
enum class PrivacyMode { None, Sample, User };
enum class SecAggModeKind { Off, SecAgg, SecAggPlus };
enum class AccountantKind { Rdp, Pld };

struct RunConfig {
  std::string name = "default";
  uint64_t seed = 1;
  int rounds = 50;
  int eval_every = 5;         // evaluate every k rounds (and always after the last round)
  int checkpoint_every = 10;  // save results + /checkpoint every k rounds (0: only at the end)
  BackendKind backend = BackendKind::Auto;
  std::string output = "results/{name}-{seed}.h5";  // {name} and {seed} are substituted
};

struct DataConfig {
  DataSource source = DataSource::Synthetic;
  // synthetic
  SyntheticTask task = SyntheticTask::Purchase;
  int64_t samples = 125000;      // total, before the test split (fashion_mnist: training samples,
                                 // a seeded subsample when fewer than 60,000)
  int shops = 1000;              // natural clients of the synthetic generator
  double shop_size_sigma = 1.0;  // lognormal sigma of shop sizes
  double category_alpha = 0.5;   // Dirichlet concentration of each shop's category mix
  double fraud_rate = 0.01;      // fraud task: fraction of fraudulent sessions
  // csv: the CSV file; fashion_mnist: the directory of the IDX files (empty: the Debian package's
  // /usr/share/datasets/fashion-mnist). Resolved relative to the scenario file.
  std::string path;
  std::string label_column;                  // integer class labels 0..C-1
  std::string client_column;                 // optional: natural client id (pseudonymised)
  std::vector<std::string> feature_columns;  // empty: every numeric column but label/client/ids
  std::vector<std::string> id_columns;       // pseudonymised with HMAC-SHA256, never stored raw
  std::string key_file;                      // HMAC key for id/client columns (required if any)
  // csv preprocessing (sim/data/preprocess.h), every statistic from the training split only
  std::vector<std::string> categorical_columns;  // string feature columns, one-hot encoded
  std::vector<double> winsorize;                 // [] off, or [lower, upper] quantiles to clip at
  std::vector<std::string> winsorize_columns;    // empty: every numeric feature column
  // all sources
  double test_fraction = 0.2;  // fashion_mnist: ignored (the official t10k split is the test set)
  bool standardize = true;     // statistics from the training split only
};

struct PartitionConfig {
  PartitionScheme scheme = PartitionScheme::Natural;
  int clients = 1000;           // iid | dirichlet | quantity (natural: given by the data)
  double alpha = 0.3;           // dirichlet: label concentration
  double quantity_sigma = 1.0;  // quantity: lognormal sigma of client sizes
  int min_samples = 1;          // clients with fewer training samples are dropped
};

struct ModelConfig {
  ModelKind kind = ModelKind::Mlp;
  std::vector<int> hidden = {128, 128};  // mlp only
  Activation activation = Activation::Relu;
};

struct ClientConfig {
  int local_epochs = 1;  // used when local_steps == 0
  int local_steps = 0;   // > 0: this many steps for every client, overrides local_epochs
  int batch_size = 32;
  double lr = 0.05;
  double momentum = 0.0;
  double weight_decay = 0.0;
  double prox_mu = 0.0;  // FedProx proximal term (0 = off)
};

struct ServerConfig {
  ServerOptimizer optimizer = ServerOptimizer::FedAvg;
  double lr = 1.0;
  double momentum = 0.9;  // fedavgm
  double beta1 = 0.9;     // fedadam | fedyogi
  double beta2 = 0.99;    // fedadam | fedyogi
  double tau = 1e-3;      // fedadam | fedyogi | fedadagrad: adaptivity
  int clients_per_round =
      100;  // fixed-size sampling without replacement (used if sampling_rate == 0)
  double sampling_rate = 0.0;  // > 0: Poisson sampling, each client independently with this rate
  Weighting weighting = Weighting::Samples;
};

struct PrivacyConfig {
  // none | sample (DP-SGD inside each client: the protected unit is one record) |
  // user (DP-FedAvg: the protected unit is one client, McMahan et al. 2018)
  PrivacyMode mode = PrivacyMode::None;
  double noise_multiplier = 0.0;  // sigma; ignored when target_epsilon > 0
  double target_epsilon = 0.0;    // > 0: calibrate sigma for the planned rounds
  double clip = 1.0;              // sample: per-record clip C; user: initial client-delta clip S
  double delta = 1e-6;
  AccountantKind accountant = AccountantKind::Rdp;  // headline + calibration; both are recorded
  // sample mode: Poisson sampling rate of each client's records per local step
  // (0 = auto: client.batch_size / mean client size, at most 1)
  double sample_rate = 0.0;
  // user mode, adaptive clipping (Andrew et al. 2021)
  bool adaptive_clip = false;
  double target_quantile = 0.5;  // gamma: fraction of client updates left unclipped
  double clip_lr = 0.2;          // eta_C: geometric update rate of the clip
  double count_noise = 0.0;      // sigma_b: std of the noise on the clipped count (0 = auto:
                                 // expected clients per round / 20)
};

// Secure aggregation of the cohort's updates (docs/secagg.md): the server learns only the sum.
struct SecAggConfig {
  SecAggModeKind mode = SecAggModeKind::Off;  // off | secagg | secagg+
  int bits = 32;                              // sums modulo 2^bits, 8..32
  int threshold = 0;                          // t; 0: automatic (a majority)
  int neighbours = 0;                         // SecAgg+ k (even); 0: the smallest even >= log2 n
  double clip = 10.0;  // L2 bound of each client's (weighted) update in the integer pipeline
  double dropout_before_masking = 0.0;  // probability of a client dropping at each stage
  double dropout_after_masking = 0.0;
  double dropout_before_unmasking = 0.0;
  bool fast = true;  // masks from Philox (fast mode) instead of ChaCha20 (faithful)
  // User-level DP's noise added by the clients (discrete Gaussian, Kairouz et al. 2021) instead
  // of the server; the accountant uses the noise that survived the dropouts.
  bool distributed_dp = false;
};

struct Scenario {
  RunConfig run;
  DataConfig data;
  PartitionConfig partition;
  ModelConfig model;
  ClientConfig client;
  ServerConfig server;
  PrivacyConfig privacy;
  SecAggConfig secagg;

  std::string source_path;  // "<default>" for the embedded scenario
  std::string source_text;  // the text as given (before --set overrides)
  bool has_sweep = false;   // the file has a [sweep] table (fedsim sweep; ignored here)
};

// The embedded default scenario (scenarios/default.toml, compiled in).
const std::string& default_scenario_text();

// Parse and validate. `path` is used in messages and to resolve relative data paths.
// `overrides` are "key=value" strings (value in TOML syntax; bare words are taken as strings),
// applied before validation. Throws ScenarioError.
Scenario parse_scenario(const std::string& text, const std::string& path,
                        const std::vector<std::string>& overrides = {});
Scenario load_scenario_file(const std::string& path,
                            const std::vector<std::string>& overrides = {});

// The fully resolved scenario (every key, defaults filled in) as TOML text.
std::string resolved_toml(const Scenario& s);

// Output path with {name} and {seed} substituted.
std::string output_path(const Scenario& s);

// Names of enum values, as written in scenario files.
const char* to_string(BackendKind v);
const char* to_string(DataSource v);
const char* to_string(SyntheticTask v);
const char* to_string(PartitionScheme v);
const char* to_string(ModelKind v);
const char* to_string(Activation v);
const char* to_string(ServerOptimizer v);
const char* to_string(Weighting v);
const char* to_string(PrivacyMode v);
const char* to_string(SecAggModeKind v);
const char* to_string(AccountantKind v);

}  // namespace fedsim
