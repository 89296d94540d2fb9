// LocalTrainer: lockstep local SGD of a cohort chunk (see local_trainer.h).
#include "sim/train/local_trainer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/util/rng.h"

namespace fedsim {

int dp_micro_batch_rows(double sample_rate, int64_t largest_client, int batch_size) {
  const double e = sample_rate * double(largest_client);
  const int64_t rows = int64_t(std::ceil(e + 4.0 * std::sqrt(e) + 4.0));
  return int(std::clamp<int64_t>(rows, 1, std::max<int64_t>(4LL * batch_size, 1)));
}

int64_t local_steps_for(const ClientConfig& cfg, int64_t client_samples) {
  if (cfg.local_steps > 0) return cfg.local_steps;
  const int64_t per_epoch = (client_samples + cfg.batch_size - 1) / cfg.batch_size;
  return per_epoch * cfg.local_epochs;
}

LocalTrainer::LocalTrainer(Backend& be, const ModelLayout& layout, const ClientConfig& cfg,
                           int max_clients, uint64_t seed, std::optional<DpSgdSettings> dp)
    : be_(be),
      layout_(layout),
      cfg_(cfg),
      max_clients_(max_clients),
      seed_(seed),
      B_(dp && dp->micro_batch_rows > 0 ? dp->micro_batch_rows : cfg.batch_size),
      dp_(dp) {
  const size_t P = layout.num_params;
  const size_t K = max_clients;
  params_ = DeviceBuffer<float>(be, K * P);
  const bool plain_sgd = cfg.momentum == 0.0 && cfg.weight_decay == 0.0 && cfg.prox_mu == 0.0;
  if (!plain_sgd || dp) grad_ = DeviceBuffer<float>(be, K * P);
  if (dp) {
    dp_buf_ = DpBuffers(be, layout, int64_t(K) * B_);
    clipped_acc_ = DeviceBuffer<float>(be, K);
  }
  if (cfg.momentum > 0.0) velocity_ = DeviceBuffer<float>(be, K * P);
  loss_acc_ = DeviceBuffer<float>(be, K);
  idx_dev_ = DeviceBuffer<int64_t>(be, K * B_);
  w_dev_ = DeviceBuffer<float>(be, K * B_);
  scale_dev_ = DeviceBuffer<float>(be, K);
  y_batch_ = DeviceBuffer<int32_t>(be, K * B_);
  acts_ = ActivationBuffers(be, layout, int64_t(K) * B_);
  idx_.resize(K * B_);
  w_.resize(K * B_);
  scale_.resize(K);
  perm_.resize(K);
  rows_.resize(K);
}

// Clients are independent (each has its own random stream and its own slices of idx_, w_,
// scale_, perm_ and seen), so the loop runs on all cores with the same result for any thread count;
// with a GPU backend this host work is what the device waits for at an epoch's first step.
void LocalTrainer::draw_batches(const Federation& fed, const int* clients, int K_active,
                                int64_t step, int round, std::vector<int64_t>& seen) {
#pragma omp parallel for schedule(static)
  for (int k = 0; k < K_active; ++k) {
    const int c = clients[k];
    const int64_t n = fed.client_size(c), first = fed.offsets[c];
    if (n == 0) {  // a client without data (e.g. an audit's canary client) under local_steps > 0
      for (int i = 0; i < B_; ++i) {
        idx_[int64_t(k) * B_ + i] = -1;
        w_[int64_t(k) * B_ + i] = 0.0f;
      }
      scale_[k] = 0.0f;
      continue;
    }
    const int64_t per_epoch = (n + B_ - 1) / B_;
    const int64_t epoch = step / per_epoch, j = step % per_epoch;
    auto& perm = perm_[k];
    if (j == 0) {  // a new local epoch: a fresh shuffle of the client's rows
      perm.resize(n);
      std::iota(perm.begin(), perm.end(), first);
      Stream rng(seed_, RngPurpose::BatchOrder, uint32_t(round), uint32_t(c), uint32_t(epoch));
      for (int64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
    }
    const int64_t begin = j * B_, len = std::min<int64_t>(B_, n - begin);
    for (int i = 0; i < B_; ++i) {
      const bool real = i < len;
      idx_[int64_t(k) * B_ + i] = real ? perm[begin + i] : -1;
      w_[int64_t(k) * B_ + i] = real ? 1.0f : 0.0f;
    }
    scale_[k] = 1.0f / float(len);
    seen[k] += len;
  }
}

ChunkResult LocalTrainer::train(const Federation& fed, const float* x, const int32_t* y,
                                const float* global, const int* clients, int K, int round) {
  if (K > max_clients_) throw BackendError("LocalTrainer: chunk larger than allocated");
  const int64_t P = layout_.num_params;
  const int d = layout_.inputs(), C = layout_.outputs();
  std::vector<int64_t> steps(K);
  for (int k = 0; k < K; ++k) steps[k] = local_steps_for(cfg_, fed.client_size(clients[k]));

  be_.broadcast_rows(params_.get(), global, K, P);
  if (velocity_.get()) be_.fill(velocity_.get(), 0.0f, size_t(K) * P);
  be_.fill(loss_acc_.get(), 0.0f, K);
  const SgdParams sgd{float(cfg_.lr), float(cfg_.momentum), float(cfg_.weight_decay),
                      float(cfg_.prox_mu)};

  const bool plain_sgd = cfg_.momentum == 0.0 && cfg_.weight_decay == 0.0 && cfg_.prox_mu == 0.0;

  ChunkResult result;
  result.samples_seen.assign(K, 0);
  int K_active = K;
  for (int64_t s = 0; s < steps[0]; ++s) {
    while (K_active > 0 && steps[K_active - 1] <= s) --K_active;  // sorted: finished = suffix
    const int64_t rows = int64_t(K_active) * B_;
    draw_batches(fed, clients, K_active, s, round, result.samples_seen);
    idx_dev_.upload(idx_.data(), rows);
    w_dev_.upload(w_.data(), rows);
    scale_dev_.upload(scale_.data(), K_active);

    const auto [weights, weight_stride] = step_weights(s, global);

    // A client's whole step in one tile (on the CPU: while its data is in cache).
    be_.for_client_tiles(K_active, [&](int k0, int k1) {
      const int n = k1 - k0;
      const int64_t r0 = int64_t(k0) * B_;
      be_.gather_rows(acts_.acts[0].get() + r0 * d, y_batch_.get() + r0, x, y, idx_dev_.get() + r0,
                      int64_t(n) * B_, d);
      forward(be_, layout_, weights, weight_stride, n, B_, acts_, nullptr, k0);
      float* logits = acts_.acts.back().get() + r0 * C;
      be_.softmax_xent_backward(logits, loss_acc_.get() + k0, logits, y_batch_.get() + r0,
                                w_dev_.get() + r0, scale_dev_.get() + k0, n, B_, C);
      if (plain_sgd) {  // fused: W -= lr * G inside the backward GEMMs, no gradient buffer
        backward(be_, layout_, weights, weight_stride, n, B_, acts_,
                 GradientSink{params_.get(), P, -sgd.lr, 1.0f}, k0);
      } else {
        backward(be_, layout_, weights, weight_stride, n, B_, acts_, GradientSink{grad_.get(), P},
                 k0);
        be_.sgd_update(params_.get() + k0 * P, grad_.get() + k0 * P,
                       velocity_.get() ? velocity_.get() + k0 * P : nullptr, global, sgd, n, P);
      }
    });
  }

  std::vector<float> loss(K);
  loss_acc_.download(loss.data(), K);
  result.loss_sum.assign(loss.begin(), loss.end());
  return result;
}

}  // namespace fedsim
