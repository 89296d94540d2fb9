// Secure aggregation of one round's client updates: the integer pipeline (clip, scale, stochastic
// rounding, optional distributed discrete Gaussian noise, reduction modulo 2^b) and the SecAgg
// protocol (Bonawitz et al. 2017, "Practical Secure Aggregation for Privacy-Preserving Machine
// Learning", Section 4, honest-but-curious variant) or SecAgg+ (Bell et al. 2020, "Secure
// Single-Server Aggregation with (Poly)Logarithmic Overhead": the same over a random k-regular
// neighbour graph), with dropouts injected at three points, run message by message in one process.
//
// The Simulation calls run_secagg_round once per round with the cohort's updates [K, P]; it gets
// the server's aggregate (the exact modular sum of the surviving clients' quantised updates,
// dequantised), which clients it contains, dropouts per stage, per-client and server costs,
// wrap-arounds, the quantisation error and the DP noise that survived. Every round checks that the
// unmasked sum equals the plain sum of the quantised updates modulo 2^b (a mismatch throws
// std::logic_error: it is a bug, not an outcome). See docs/secagg.md.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/backend/backend.h"
#include "sim/secagg/mask_prg.h"

namespace fedsim::secagg {

enum class SecAggMode { Off, SecAgg, SecAggPlus };

// Where a client drops out (Bonawitz et al. 2017, Figure 4's rounds):
//   BeforeMasking: after AdvertiseKeys, before sending its shares (ShareKeys): not in U2, no one
//                  masks with it, nothing to reconstruct.
//   AfterMasking: computed its masked input but it never reached the server: in U2, not U3; the
//                 server reconstructs its key-agreement secret to remove its pairwise masks.
//   BeforeUnmasking: its masked input arrived (U3) but it sends no shares in Unmasking: its input
//                    is in the sum; its self-mask seed is reconstructed from the others' shares.
enum DropStage : int { kBeforeMasking = 0, kAfterMasking = 1, kBeforeUnmasking = 2 };
inline constexpr int kDropStages = 3;
const char* drop_stage_name(int stage);

// The protocol's message rounds, for costs (ConsistencyCheck is not needed against an
// honest-but-curious server and is not run).
enum ProtocolRound : int { kAdvertiseKeys = 0, kShareKeys = 1, kMaskedInput = 2, kUnmasking = 3 };
inline constexpr int kProtocolRounds = 4;
const char* protocol_round_name(int round);

struct SecAggSettings {
  SecAggMode mode = SecAggMode::Off;
  MaskPrg prg = MaskPrg::ChaCha20;  // ChaCha20: faithful; Philox: fast mode (GPU-friendly)
  int bits = 32;                    // b: sums modulo 2^b, 8..32
  int threshold = 0;   // t; 0: floor(n/2) + 1 of the cohort (SecAgg), floor(k/2) + 1 (SecAgg+)
  int neighbours = 0;  // k (SecAgg+, even, 2..n-1); 0: the smallest even k >= log2(n)
  double clip = 1.0;   // L2 norm bound of each client's update (model units)
  double scale = 0.0;  // quantisation: integer = round(x * scale); 0: the largest scale for which
                       // the cohort's largest possible sum fits in b bits
  std::array<double, kDropStages> dropout{};  // probability of dropping at each DropStage
  double dp_stddev = 0.0;         // distributed DP: target noise std of the sum (model units)
  bool deterministic = true;      // keys, seeds and Shamir coefficients from the run seed
  bool allow_wraparound = false;  // accept an explicit scale whose largest sum exceeds 2^(b-1)
};

// What the settings resolve to for a cohort of n clients.
struct SecAggPlan {
  int cohort = 0;
  int threshold = 0;
  int neighbours = 0;  // n - 1 for SecAgg
  double scale = 0.0;
  double client_noise_sigma2 = 0.0;  // per client, per coordinate, in integer units (0: no DP)
};

// "" when the settings are valid for a cohort of n clients, else the reason (one sentence naming
// the setting, its value and the bound).
std::string validate_secagg(const SecAggSettings& s, int cohort);
// The resolved plan; throws std::invalid_argument with validate_secagg's message.
SecAggPlan plan_secagg(const SecAggSettings& s, int cohort);

struct SecAggRoundInput {
  const float* updates = nullptr;  // [K, P] row-major
  int clients = 0;                 // K
  int64_t params = 0;              // P
  uint64_t seed = 0;               // the run seed
  uint32_t round = 0;
  std::span<const uint32_t> client_ids;  // [K] global ids (keys, draws); empty: 0..K-1
  // [K] optional: -1 stays, 0..2 drops at that DropStage; replaces the random dropout draws.
  std::span<const int8_t> forced_dropout;
  // Fast mode (Philox masks) only, optional: the backend on which the server expands and sums the
  // masks it removes (Backend::add_philox_masks, e.g. on the GPU); null: the host's loop. The
  // result is the same bits either way.
  Backend* mask_backend = nullptr;
};

struct SecAggCosts {
  // Per client ([K]) and message round: bytes sent and received (the cost model of
  // docs/secagg.md; share encryption counted as its overhead, not computed).
  std::vector<std::array<uint64_t, kProtocolRounds>> bytes_sent, bytes_received;
  std::vector<uint64_t> prg_words;       // [K] mask words expanded
  std::vector<uint32_t> key_agreements;  // [K] X25519 agreements
  std::vector<uint32_t> shares_created;  // [K] Shamir shares made (two secrets per holder)
  std::array<uint64_t, kProtocolRounds> server_bytes_sent{}, server_bytes_received{};
  uint64_t server_prg_words = 0;
  uint64_t server_key_agreements = 0;
  uint64_t shamir_reconstructions = 0;
  double client_seconds = 0;  // wall time of all clients' computation (this process, all cores)
  double server_seconds = 0;  // wall time of the server's unmasking
};

struct SecAggRoundResult {
  bool aborted = false;
  std::string abort_reason;
  SecAggPlan plan;
  std::vector<float> aggregate;  // [P] sum of the included clients' updates; empty when aborted
  std::vector<uint32_t> modular_sum;  // [P] the server's sum modulo 2^b
  std::vector<int> included;          // cohort positions whose update is in the sum (U3)
  std::array<int, kDropStages> dropouts{};
  int64_t wraparounds = 0;      // coordinates whose true integer sum left [-2^(b-1), 2^(b-1))
  double quantisation_mse = 0;  // mean (aggregate - dp noise - float sum of clipped updates)^2
  double total_mse = 0;         // mean (aggregate - float sum of clipped updates)^2
  double dp_noise_variance_target = 0;    // per coordinate, model units^2
  double dp_noise_variance_survived = 0;  // the noise in the sum: |included| x client variance
  bool verified = false;  // the unmasked sum equalled the plain quantised sum modulo 2^b
  SecAggCosts costs;
};

// One round of secure aggregation. Throws std::invalid_argument for invalid settings or input.
SecAggRoundResult run_secagg_round(const SecAggSettings& s, const SecAggRoundInput& in);

// --- building blocks (exposed for tests and the benchmark) ---------------------------------------

// The SecAgg+ graph: neighbours[u], sorted, of a k-regular graph on n nodes (the Harary graph
// H_{k,n}, each node joined to the k/2 nearest on each side of a ring, with the clients placed on
// the ring in a random order drawn from (seed, round)). k = n - 1 gives the complete graph.
std::vector<std::vector<int>> neighbour_graph(int n, int k, uint64_t seed, uint32_t round);

}  // namespace fedsim::secagg
