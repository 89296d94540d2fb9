// LocalTrainer: local SGD of a chunk of the cohort, in lockstep, as batched Backend ops.
//
// The chunk's clients are sorted by their number of local steps (descending), so at step s the
// active clients are a prefix of the chunk and finished clients simply drop out of the batched ops.
// Each step's batch is padded to [K, batch_size] with per-sample weight 0 on the padding.
// Batches: for each local epoch, a fresh permutation of the client's samples drawn from the
// counter-based stream (seed, BatchOrder, round, client, epoch): independent of chunking and
// threads. Within a step the ops run over client tiles (Backend::for_client_tiles): the whole chunk
// at once on a GPU, one client per thread on the CPU.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/backend/backend.h"
#include "sim/data/dataset.h"
#include "sim/model/model_layout.h"
#include "sim/scenario.h"
#include "sim/train/dp_backward.h"
#include "sim/train/model_ops.h"

namespace fedsim {

// Number of local steps client c takes in a round.
int64_t local_steps_for(const ClientConfig& cfg, int64_t client_samples);

// Sample-level DP-SGD inside every client (Abadi et al. 2016, Alg. 1): each local step draws a
// Poisson batch (every record independently with rate q), clips each record's gradient to C, adds
// N(0, (sigma C)^2 I) to the clipped sum and divides by the expected batch size q * n_k.
struct DpSgdSettings {
  double sample_rate = 0.0;       // q
  int64_t steps = 0;              // local steps per round, the same for every client
  float clip = 1.0f;              // C
  float noise_multiplier = 0.0f;  // sigma
  int micro_batch_rows = 0;       // rows per client per micro-batch (0: the client batch size)
};

// Rows per client for DP-SGD micro-batches: room for the largest client's Poisson batch (mean +
// 4 sd) so a step is nearly always one micro-batch, capped at 4x the batch size for memory.
int dp_micro_batch_rows(double sample_rate, int64_t largest_client, int batch_size);

struct ChunkResult {
  std::vector<double> loss_sum;       // [K] sum of per-sample training losses over all local steps
  std::vector<int64_t> samples_seen;  // [K] samples processed over all local steps
  std::vector<double> clipped;        // [K] DP-SGD: samples whose gradient was clipped
};

class LocalTrainer {
 public:
  // max_clients: the largest chunk this trainer will be asked to train.
  // dp: sample-level DP-SGD settings, or nullopt for non-private training.
  LocalTrainer(Backend& be, const ModelLayout& layout, const ClientConfig& cfg, int max_clients,
               uint64_t seed, std::optional<DpSgdSettings> dp = std::nullopt);

  // Trains clients[0..K) (sorted by local steps, descending) from `global` [P] on the resident
  // training data (x [N, d], y [N]). Their final weights are left in params() [K, P].
  ChunkResult train(const Federation& fed, const float* x, const int32_t* y, const float* global,
                    const int* clients, int K, int round);

  // DP-SGD (dp_sgd_trainer.cpp): every client runs dp->steps steps with Poisson batches.
  ChunkResult train_dp(const Federation& fed, const float* x, const int32_t* y, const float* global,
                       const int* clients, int K, int round);

  float* params() { return params_.get(); }
  int64_t num_params() const { return layout_.num_params; }

  // Between rounds (the dashboard's paused runs): a new client learning rate, and for DP-SGD a
  // new clip C and noise multiplier.
  void set_lr(double lr) { cfg_.lr = lr; }
  void set_dp_noise(float clip, float noise_multiplier) {
    if (dp_) {
      dp_->clip = clip;
      dp_->noise_multiplier = noise_multiplier;
    }
  }

 private:
  // Fills idx_/w_/scale_ for step s of the first K_active clients; returns rows seen per client.
  void draw_batches(const Federation& fed, const int* clients, int K_active, int64_t step,
                    int round, std::vector<int64_t>& seen);

  // DP-SGD: draws each client's Poisson batch of this step into perm_[k]; returns the largest.
  // The weights a step's gradients read: the clients' own (stride P), or at the first local step,
  // where every client's still equal the global model, the global model itself (stride 0) when
  // the backend prefers one shared matrix (Backend::prefers_shared_weights).
  struct StepWeights {
    const float* params;
    int64_t stride;
  };
  StepWeights step_weights(int64_t step, const float* global) {
    if (step == 0 && be_.prefers_shared_weights()) return {global, 0};
    return {params_.get(), layout_.num_params};
  }
  int64_t draw_poisson_batches(const Federation& fed, const int* clients, int K, int64_t step,
                               int round);

  Backend& be_;
  ModelLayout layout_;
  ClientConfig cfg_;
  int max_clients_;
  uint64_t seed_;
  int B_;  // rows per client in the batch buffers: the batch size, or DP-SGD's micro-batch rows

  DeviceBuffer<float> params_, grad_, velocity_, loss_acc_;
  DeviceBuffer<int64_t> idx_dev_;
  DeviceBuffer<float> w_dev_, scale_dev_;
  DeviceBuffer<int32_t> y_batch_;
  ActivationBuffers acts_;
  std::optional<DpSgdSettings> dp_;
  DpBuffers dp_buf_;
  DeviceBuffer<float> clipped_acc_;

  // host staging, reused every step
  std::vector<int64_t> idx_;
  std::vector<float> w_, scale_;
  std::vector<int> rows_;  // DP-SGD: real rows per client in the current micro-batch
  std::vector<std::vector<int64_t>> perm_;  // per chunk slot: the current epoch's permutation
};

}  // namespace fedsim
