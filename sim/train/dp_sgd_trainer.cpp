// LocalTrainer::train_dp: sample-level DP-SGD of a cohort chunk in lockstep (see local_trainer.h).
//
// Per local step, for every client: a Poisson batch (each record independently with rate q, the
// sampling the accountant assumes), per-sample gradients clipped to C by ghost norms, the clipped
// sum plus N(0, (sigma C)^2 I), divided by the expected batch size q n_k (Abadi et al. 2016, Alg.
// 1; normalisation as in Opacus' "expected batch size"). Batches larger than the buffers are
// processed in micro-batches whose clipped sums add up before the noise, so no record is dropped.
#include <algorithm>
#include <cmath>

#include "sim/train/local_trainer.h"
#include "sim/util/gaussian_noise.h"
#include "sim/util/rng.h"

namespace fedsim {

int64_t LocalTrainer::draw_poisson_batches(const Federation& fed, const int* clients, int K,
                                           int64_t step, int round) {
  const double q = dp_->sample_rate;
  const double log1mq = std::log1p(-q);
  int64_t largest = 0;
  // Clients are independent (own stream, own batch vector): all cores, the same result.
#pragma omp parallel for schedule(static) reduction(max : largest)
  for (int k = 0; k < K; ++k) {
    const int c = clients[k];
    const int64_t n = fed.client_size(c), first = fed.offsets[c];
    auto& batch = perm_[k];
    batch.clear();
    if (q >= 1.0) {
      for (int64_t i = 0; i < n; ++i) batch.push_back(first + i);
    } else {
      // Bernoulli(q) for every record, by geometric skips between the selected ones.
      Stream rng(seed_, RngPurpose::BatchOrder, uint32_t(round), uint32_t(c), uint32_t(step));
      for (int64_t i = -1;;) {
        i += 1 + int64_t(std::floor(std::log(rng.uniform_pos()) / log1mq));
        if (i >= n || i < 0) break;
        batch.push_back(first + i);
      }
    }
    largest = std::max<int64_t>(largest, int64_t(batch.size()));
  }
  return largest;
}

ChunkResult LocalTrainer::train_dp(const Federation& fed, const float* x, const int32_t* y,
                                   const float* global, const int* clients, int K, int round) {
  if (K > max_clients_) throw BackendError("LocalTrainer: chunk larger than allocated");
  const int64_t P = layout_.num_params;
  const int d = layout_.inputs(), C = layout_.outputs();
  const SgdParams sgd{float(cfg_.lr), float(cfg_.momentum), float(cfg_.weight_decay),
                      float(cfg_.prox_mu)};
  const float noise_std = dp_->noise_multiplier * dp_->clip;

  be_.broadcast_rows(params_.get(), global, K, P);
  if (velocity_.get()) be_.fill(velocity_.get(), 0.0f, size_t(K) * P);
  be_.fill(loss_acc_.get(), 0.0f, K);
  be_.fill(clipped_acc_.get(), 0.0f, K);
  std::fill(scale_.begin(), scale_.begin() + K, 1.0f);  // per-sample gradients: no 1/batch
  scale_dev_.upload(scale_.data(), K);
  const bool plain_sgd = cfg_.momentum == 0.0 && cfg_.weight_decay == 0.0 && cfg_.prox_mu == 0.0;
  std::vector<float> noise_scale(K), lr_scale(K);
  std::vector<uint32_t> ids(K);
  for (int k = 0; k < K; ++k) {
    noise_scale[k] = float(1.0 / (dp_->sample_rate * double(fed.client_size(clients[k]))));
    lr_scale[k] = float(cfg_.lr) * noise_scale[k];
    ids[k] = uint32_t(clients[k]);
  }

  // (sum of clipped gradients + N(0, (sigma C)^2 I)) / (q n_k), then the SGD step, for clients
  // [k0, k1)
  auto noisy_step = [&](int k0, int k1, int64_t s) {
    const int n = k1 - k0;
    float* params = params_.get() + k0 * P;
    float* grad = grad_.get() + k0 * P;
    if (plain_sgd) {
      be_.noisy_sgd_step(params, grad, n, P, noise_std, lr_scale.data() + k0, seed_, kNoiseDpSgd,
                         uint32_t(round), ids.data() + k0, uint32_t(s));
    } else {
      be_.add_noise_and_scale(grad, n, P, noise_std, noise_scale.data() + k0, seed_, kNoiseDpSgd,
                              uint32_t(round), ids.data() + k0, uint32_t(s));
      be_.sgd_update(params, grad, velocity_.get() ? velocity_.get() + k0 * P : nullptr, global,
                     sgd, n, P);
    }
  };

  ChunkResult result;
  result.samples_seen.assign(K, 0);
  for (int64_t s = 0; s < dp_->steps; ++s) {
    const int64_t largest = draw_poisson_batches(fed, clients, K, s, round);
    // Nearly always the step's batches fit the buffers: then a client's whole step (gradient,
    // clipping, noise, update) is one tile, computed while its data is in cache on the CPU.
    const bool one_pass = largest <= B_;
    // The noise and the update inside the clipped sum, layer by layer, where the backend prefers
    // it (plain SGD, one micro-batch; clients without rows this step still get noisy_step).
    const bool fused = plain_sgd && one_pass && be_.prefers_noisy_layer_step();
    const FusedNoisyStep fused_step{params_.get(), noise_std,       lr_scale.data(), seed_,
                                    kNoiseDpSgd,   uint32_t(round), uint32_t(s),     ids.data()};
    // (At the first step the weights are updated only after all micro-batches: each may read the
    // global model.)
    const auto [weights, weight_stride] = step_weights(s, global);
    for (int64_t begin = 0; begin == 0 || begin < largest; begin += B_) {  // micro-batches
      // Clients are sorted by size, so those with rows past `begin` are (nearly) a prefix: the
      // micro-batch covers clients [0, Kj) only; later ones have no rows in it.
      int Kj = K;
      while (Kj > 0 && int64_t(perm_[Kj - 1].size()) <= begin) --Kj;
      if (Kj == 0 && begin > 0) break;
      const int Bj = int(std::min<int64_t>(B_, largest - begin));
#pragma omp parallel for schedule(static)
      for (int k = 0; k < Kj; ++k) {
        const auto& batch = perm_[k];
        rows_[k] = int(std::clamp<int64_t>(int64_t(batch.size()) - begin, 0, Bj));
        for (int i = 0; i < Bj; ++i) {
          const int64_t pos = begin + i;
          const bool real = pos < int64_t(batch.size());
          idx_[int64_t(k) * Bj + i] = real ? batch[pos] : -1;
          w_[int64_t(k) * Bj + i] = real ? 1.0f : 0.0f;
          result.samples_seen[k] += real;
        }
      }
      const int64_t rows = int64_t(Kj) * Bj;
      if (rows > 0) {
        idx_dev_.upload(idx_.data(), rows);
        w_dev_.upload(w_.data(), rows);
      }
      be_.for_client_tiles(K, [&](int k0, int k1) {
        const int kj1 = std::min(k1, Kj);  // clients [k0, kj1) have rows in this micro-batch
        if (begin == 0 && k1 > Kj) {       // an empty batch: a zero sum (noise comes next)
          const int e0 = std::max(k0, Kj);
          be_.fill(grad_.get() + int64_t(e0) * P, 0.0f, size_t(k1 - e0) * P);
        }
        if (kj1 > k0) {
          const int n = kj1 - k0;
          const int Br = rows_to_touch(n, Bj, rows_.data() + k0);
          const int64_t r0 = int64_t(k0) * Bj;
          be_.gather_rows(acts_.acts[0].get() + r0 * d, y_batch_.get() + r0, x, y,
                          idx_dev_.get() + r0, int64_t(n) * Br, d);
          forward(be_, layout_, weights, weight_stride, n, Bj, acts_, rows_.data(), k0);
          float* logits = acts_.acts.back().get() + r0 * C;
          be_.softmax_xent_backward(logits, loss_acc_.get() + k0, logits, y_batch_.get() + r0,
                                    w_dev_.get() + r0, scale_dev_.get() + k0, n, Br, C);
          clipped_gradient_sum(be_, layout_, weights, weight_stride, n, Bj, acts_, dp_buf_,
                               w_dev_.get(), dp_->clip, clipped_acc_.get(), grad_.get(),
                               begin == 0 ? 0.0f : 1.0f, rows_.data(), k0,
                               fused ? &fused_step : nullptr);
        }
        if (one_pass && fused && k1 > std::max(k0, kj1))  // clients without rows: noise alone
          noisy_step(std::max(k0, kj1), k1, s);
        if (one_pass && !fused) noisy_step(k0, k1, s);
      });
    }
    if (!one_pass) be_.for_client_tiles(K, [&](int k0, int k1) { noisy_step(k0, k1, s); });
  }

  std::vector<float> loss(K), clipped(K);
  loss_acc_.download(loss.data(), K);
  clipped_acc_.download(clipped.data(), K);
  result.loss_sum.assign(loss.begin(), loss.end());
  result.clipped.assign(clipped.begin(), clipped.end());
  return result;
}

}  // namespace fedsim
