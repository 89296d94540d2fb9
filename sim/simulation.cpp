// Simulation: the federated-training loop (see simulation.h).
#include "sim/simulation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>

#include "sim/secagg/secagg_settings.h"
#include "sim/train/metrics.h"
#include "sim/util/format.h"
#include "sim/util/gaussian_noise.h"
#include "sim/util/rng.h"

namespace fedsim {
namespace {

ServerParams server_params(const ServerConfig& c) {
  ServerParams p;
  p.rule = static_cast<ServerRule>(static_cast<int>(c.optimizer));
  p.lr = float(c.lr);
  p.momentum = float(c.momentum);
  p.beta1 = float(c.beta1);
  p.beta2 = float(c.beta2);
  p.tau = float(c.tau);
  return p;
}

}  // namespace

std::vector<int> sample_cohort(const Scenario& s, const Federation& fed, int round) {
  const int n = fed.num_clients();
  std::vector<int> cohort;
  if (s.server.sampling_rate > 0.0) {
    // Poisson sampling: client c is in when uniform number c of the round's stream (its words 2c
    // and 2c + 1) is below q. Blocks of clients are drawn on all cores, each from its own place in
    // the stream: the cohort of the sequential loop, in O(population / cores).
    constexpr int kBlock = 1 << 16;
    const int blocks = int((int64_t(n) + kBlock - 1) / kBlock);
    std::vector<std::vector<int>> parts(blocks);
#pragma omp parallel for schedule(static)
    for (int b = 0; b < blocks; ++b) {
      Stream rng(s.run.seed, RngPurpose::ClientSampling, uint32_t(round));
      rng.seek(uint64_t(b) * kBlock * 2);
      const int end = int(std::min<int64_t>(n, int64_t(b + 1) * kBlock));
      for (int c = b * kBlock; c < end; ++c)
        if (rng.uniform() < s.server.sampling_rate) parts[b].push_back(c);
    }
    for (const auto& part : parts) cohort.insert(cohort.end(), part.begin(), part.end());
  } else {
    // Fixed size without replacement: partial Fisher-Yates over the identity permutation of all
    // clients, kept sparse (only the positions a swap moved), so O(K) rather than O(population).
    const int K = std::min(s.server.clients_per_round, n);
    Stream rng(s.run.seed, RngPurpose::ClientSampling, uint32_t(round));
    std::unordered_map<int, int> moved;
    moved.reserve(size_t(2) * K);
    auto at = [&](int i) {
      const auto it = moved.find(i);
      return it == moved.end() ? i : it->second;
    };
    cohort.reserve(K);
    for (int i = 0; i < K; ++i) {  // swap(perm[i], perm[j]); perm[i] is final from here on
      const int j = i + int(rng.below(uint64_t(n - i)));
      const int pj = at(j);
      moved[j] = at(i);
      cohort.push_back(pj);
    }
  }
  // Most local steps first, then most records, then client id (keys computed once).
  std::vector<std::tuple<int64_t, int64_t, int>> keys(cohort.size());
  for (size_t i = 0; i < cohort.size(); ++i) {
    const int c = cohort[i];
    keys[i] = {-local_steps_for(s.client, fed.client_size(c)), -fed.client_size(c), c};
  }
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < keys.size(); ++i) cohort[i] = std::get<2>(keys[i]);
  return cohort;
}

Simulation::Simulation(const Scenario& scenario, const Federation& federation,
                       std::unique_ptr<Backend> backend, const Checkpoint* resume)
    : s_(scenario), fed_(federation), be_(std::move(backend)) {
  Backend& be = *be_;
  layout_ = make_layout(s_.model, fed_.train.d, fed_.train.classes);
  const int64_t P = layout_.num_params;

  // Data: uploaded once, resident for the whole run.
  train_x_ = DeviceBuffer<float>(be, fed_.train.x.size());
  train_x_.upload(fed_.train.x.data(), fed_.train.x.size());
  train_y_ = DeviceBuffer<int32_t>(be, fed_.train.y.size());
  train_y_.upload(fed_.train.y.data(), fed_.train.y.size());
  test_x_ = DeviceBuffer<float>(be, fed_.test.x.size());
  test_x_.upload(fed_.test.x.data(), fed_.test.x.size());
  test_y_ = DeviceBuffer<int32_t>(be, fed_.test.y.size());
  test_y_.upload(fed_.test.y.data(), fed_.test.y.size());

  const std::vector<float> init = init_parameters(layout_, s_.run.seed);
  global_ = DeviceBuffer<float>(be, P);
  global_.upload(init.data(), P);
  previous_global_ = DeviceBuffer<float>(be, P);
  aggregate_ = DeviceBuffer<float>(be, P);
  opt_m_ = DeviceBuffer<float>(be, P);
  opt_v_ = DeviceBuffer<float>(be, P);
  be.fill(opt_m_.get(), 0.0f, P);
  be.fill(opt_v_.get(), float(s_.server.tau * s_.server.tau), P);

  plan_ = make_privacy_plan(s_, fed_);
  if (resume) {  // the noise that ran so far, not a new calibration for a changed number of rounds
    plan_.noise_multiplier = resume->noise_multiplier;
    plan_.update_noise_multiplier = resume->update_noise_multiplier;
    plan_.count_noise = resume->count_noise;
  }
  ledger_ = std::make_unique<PrivacyLedger>(plan_, s_.privacy.delta, fed_.num_clients());
  user_clip_ = plan_.clip;
  if (resume) restore(*resume);
  std::optional<DpSgdSettings> dp;
  int rows_per_client = s_.client.batch_size;
  if (plan_.mode == PrivacyMode::Sample) {
    int64_t largest = 0;
    for (int c = 0; c < fed_.num_clients(); ++c) largest = std::max(largest, fed_.client_size(c));
    rows_per_client = dp_micro_batch_rows(plan_.sample_rate, largest, s_.client.batch_size);
    dp = DpSgdSettings{plan_.sample_rate, plan_.steps_per_round, float(plan_.clip),
                       float(plan_.noise_multiplier), rows_per_client};
  }

  // Chunk size: the expected cohort, capped by the backend's memory budget per client (weights,
  // gradients, momentum; activations and DP-SGD's per-layer deltas for its rows).
  const int expected = s_.server.sampling_rate > 0.0
                           ? int(std::ceil(s_.server.sampling_rate * fed_.num_clients() * 1.2 + 16))
                           : s_.server.clients_per_round;
  const double per_client =
      4.0 * (3.0 * P + 2.0 * rows_per_client * (layout_.inputs() + 4 * layout_.max_width()));
  chunk_ = std::clamp(int(double(be.chunk_bytes()) / per_client), 1,
                      std::max(1, std::min(expected, fed_.num_clients())));
  trainer_ = std::make_unique<LocalTrainer>(be, layout_, s_.client, chunk_, s_.run.seed, dp);
  current_client_lr_ = s_.client.lr;
  evaluator_ = std::make_unique<Evaluator>(be, layout_);
}

void Simulation::restore(const Checkpoint& c) {
  const size_t P = size_t(layout_.num_params);
  if (c.global.size() != P || c.opt_m.size() != P || c.opt_v.size() != P)
    throw std::invalid_argument("checkpoint: model of " + std::to_string(c.global.size()) +
                                " parameters, the scenario's model has " + std::to_string(P));
  if (c.round < 0 || c.round > s_.run.rounds)
    throw std::invalid_argument("checkpoint: round " + std::to_string(c.round) +
                                " is outside the scenario's " + std::to_string(s_.run.rounds) +
                                " rounds");
  global_.upload(c.global.data(), P);
  opt_m_.upload(c.opt_m.data(), P);
  opt_v_.upload(c.opt_v.data(), P);
  user_clip_ = c.user_clip;
  ledger_->restore(c.steps_run, c.ledger_events);
  round_ = c.round;
}

std::vector<std::string> Simulation::apply_changes(double noise_multiplier, double clip,
                                                   double client_lr) {
  const auto fmt = format_g;
  const bool dp = plan_.mode != PrivacyMode::None;
  if (!std::isnan(noise_multiplier) && (!dp || !(noise_multiplier >= 0.0)))
    throw std::invalid_argument(dp ? "noise_multiplier: expected a number >= 0"
                                   : "noise_multiplier: this run has no differential privacy");
  if (!std::isnan(clip) && (!dp || !(clip > 0.0)))
    throw std::invalid_argument(dp ? "clip: expected a number > 0"
                                   : "clip: this run has no differential privacy");
  if (!std::isnan(client_lr) && !(client_lr > 0.0))
    throw std::invalid_argument("client_lr: expected a number > 0");
  double update_noise = plan_.update_noise_multiplier;
  if (!std::isnan(noise_multiplier) && plan_.mode == PrivacyMode::User)
    update_noise = s_.privacy.adaptive_clip
                       ? adaptive_update_noise(noise_multiplier, plan_.count_noise)
                       : noise_multiplier;
  std::vector<std::string> out;
  if (!std::isnan(noise_multiplier) && noise_multiplier != plan_.noise_multiplier) {
    out.push_back("noise_multiplier " + fmt(plan_.noise_multiplier) + " -> " +
                  fmt(noise_multiplier));
    ledger_->change_noise_multiplier(noise_multiplier);
    plan_.noise_multiplier = noise_multiplier;
    plan_.update_noise_multiplier = update_noise;
  }
  if (!std::isnan(clip)) {
    const double old = plan_.mode == PrivacyMode::User ? user_clip_ : plan_.clip;
    if (clip != old) out.push_back("clip " + fmt(old) + " -> " + fmt(clip));
    if (plan_.mode == PrivacyMode::User)
      user_clip_ = clip;
    else
      plan_.clip = clip;
  }
  trainer_->set_dp_noise(float(plan_.clip), float(plan_.noise_multiplier * test_noise_scale_));
  if (!std::isnan(client_lr) && client_lr != current_client_lr_) {
    out.push_back("client_lr " + fmt(current_client_lr_) + " -> " + fmt(client_lr));
    current_client_lr_ = client_lr;
    trainer_->set_lr(client_lr);
  }
  return out;
}

bool Simulation::secure_aggregate(int round, const std::vector<int>& cohort,
                                  const std::vector<float>& updates,
                                  const std::vector<double>& factor, bool user_dp,
                                  RoundRecord& rec) {
  const int K = int(cohort.size());
  const int64_t P = layout_.num_params;
  SecAggRecord sr;
  sr.round = round;
  secagg::SecAggSettings settings =
      secagg::secagg_settings(s_.secagg, user_dp ? user_clip_ : s_.secagg.clip, K);
  const bool distributed = user_dp && s_.secagg.distributed_dp;
  // Distributed DP (Kairouz, Liu, Steinke 2021): the clients' discrete Gaussians add up to the
  // noise DP-FedAvg's server would add, N(0, (z S)^2), if the expected clients survive.
  if (distributed) settings.dp_stddev = plan_.update_noise_multiplier * user_clip_;
  if (const std::string why = secagg::validate_secagg(settings, K); !why.empty()) {
    sr.aborted = true;  // e.g. a Poisson cohort too small for the threshold
    secagg_log_.push_back(sr);
    rec.clients_dropped = K;
    return false;
  }
  std::vector<uint32_t> ids(cohort.begin(), cohort.end());
  secagg::SecAggRoundInput in;
  in.updates = updates.data();
  in.clients = K;
  in.params = P;
  in.seed = s_.run.seed;
  in.round = uint32_t(round);
  in.client_ids = ids;
  in.mask_backend = be_.get();  // fast mode: the server's unmasking on the run's backend
  const secagg::SecAggRoundResult res = secagg::run_secagg_round(settings, in);
  sr.aborted = res.aborted;
  sr.included = int(res.included.size());
  sr.dropped_before_masking = res.dropouts[secagg::kBeforeMasking];
  sr.dropped_after_masking = res.dropouts[secagg::kAfterMasking];
  sr.dropped_before_unmasking = res.dropouts[secagg::kBeforeUnmasking];
  sr.threshold = res.plan.threshold;
  sr.neighbours = res.plan.neighbours;
  sr.wraparounds = res.wraparounds;
  sr.quantisation_mse = res.quantisation_mse;
  sr.verified = res.verified;
  const auto& c = res.costs;
  for (int st = 0; st < secagg::kProtocolRounds; ++st) {
    double sent = 0, received = 0;
    for (int k = 0; k < K; ++k) {
      sent += double(c.bytes_sent[k][st]);
      received += double(c.bytes_received[k][st]);
    }
    sr.client_bytes_sent[st] = K ? sent / K : 0.0;
    sr.client_bytes_received[st] = K ? received / K : 0.0;
  }
  double words = double(c.server_prg_words);
  for (uint64_t w : c.prg_words) words += double(w);
  sr.prg_words = words;
  sr.shamir_reconstructions = int64_t(c.shamir_reconstructions);
  sr.client_seconds = c.client_seconds;
  sr.server_seconds = c.server_seconds;
  if (distributed) {
    // The sum's sensitivity in integer units: the clip S times the scale, plus the stochastic
    // rounding (at most 1 per coordinate, so sqrt(P) in L2; Kairouz et al. 2021, Sec. 4). The
    // noise multiplier that survived is its std over that sensitivity; the ledger accounts every
    // round at the smallest one so far. The sum of discrete Gaussians differs from a Gaussian by
    // tau <= 10 (n - 1) exp(-pi^2 sigma^2) (their Thm. 4, with k / (k + 1) >= 1/2): required to
    // be below 1e-12, so the continuous Gaussian's accounting stands.
    const double tau =
        10.0 * std::max(0, K - 1) * std::exp(-M_PI * M_PI * res.plan.client_noise_sigma2);
    if (tau > 1e-12) {
      char msg[320];
      std::snprintf(msg, sizeof msg,
                    "distributed DP: the clients' integer noise variance %.4g is too small for the "
                    "discrete Gaussian sum to be accounted as a Gaussian (tau = %.3g > 1e-12, "
                    "Kairouz et al. 2021 Thm. 4); raise secagg.bits",
                    res.plan.client_noise_sigma2, tau);
      throw std::runtime_error(msg);
    }
    const double scale = res.plan.scale;
    const double survived = std::sqrt(res.dp_noise_variance_survived);  // model units
    const double z = survived * scale / (user_clip_ * scale + std::sqrt(double(P)));
    sr.dp_noise_std_target = settings.dp_stddev;
    sr.dp_noise_std_survived = survived;
    sr.dp_noise_multiplier = z;
    ledger_->lower_noise_multiplier(z);
  }
  secagg_log_.push_back(sr);
  rec.clients_dropped =  // at any stage (those dropping before unmasking are still in the sum)
      sr.dropped_before_masking + sr.dropped_after_masking + sr.dropped_before_unmasking;
  if (res.aborted) return false;
  // The server's sum; FedAvg divides by the surviving clients' weight (public metadata), user DP
  // keeps the sum (its fixed denominator comes with the noise).
  std::vector<float> agg = res.aggregate;
  if (!user_dp) {
    double total = 0.0;
    for (int k : res.included) total += factor[k];
    const float inv = total > 0 ? float(1.0 / total) : 0.0f;
    for (float& v : agg) v *= inv;
  }
  aggregate_.upload(agg.data(), size_t(P));
  return true;
}

Checkpoint Simulation::checkpoint() const {
  Checkpoint c;
  const size_t P = size_t(layout_.num_params);
  c.round = round_;
  c.global.resize(P);
  c.opt_m.resize(P);
  c.opt_v.resize(P);
  global_.download(c.global.data(), P);
  opt_m_.download(c.opt_m.data(), P);
  opt_v_.download(c.opt_v.data(), P);
  c.user_clip = user_clip_;
  c.steps_run = ledger_->steps_run();
  c.ledger_events = ledger_->worst_case_steps();
  c.noise_multiplier = plan_.noise_multiplier;
  c.update_noise_multiplier = plan_.update_noise_multiplier;
  c.count_noise = plan_.count_noise;
  return c;
}

RoundRecord Simulation::step_round() {
  const auto t0 = std::chrono::steady_clock::now();
  Backend& be = *be_;
  const int64_t P = layout_.num_params;
  const int round = ++round_;
  const bool user_dp = plan_.mode == PrivacyMode::User;
  RoundRecord rec;
  rec.round = round;

  const std::vector<int> cohort = sample_cohort(s_, fed_, round);
  const int K = int(cohort.size());
  rec.clients_sampled = K;

  // FedAvg weights over the whole cohort (user-level DP: uniform, applied after clipping).
  std::vector<float> weight(K, 1.0f);
  if (!user_dp) {
    const bool by_samples = s_.server.weighting == Weighting::Samples;
    double total = 0.0;
    for (int k = 0; k < K; ++k) total += by_samples ? double(fed_.client_size(cohort[k])) : 1.0;
    for (int k = 0; k < K; ++k)
      weight[k] = float((by_samples ? double(fed_.client_size(cohort[k])) : 1.0) / total);
  }

  double loss_sum = 0.0, client_norm_sum = 0.0, clipped = 0.0;
  int64_t seen = 0;
  std::vector<double> sqnorms(chunk_);
  be.fill(aggregate_.get(), 0.0f, P);
  // Secure aggregation: every client's (weighted) update goes through the protocol on the host;
  // the server sees only the sum of those that survive.
  const bool secure = s_.secagg.mode != SecAggModeKind::Off;
  std::vector<float> updates;  // [K, P] when secure
  std::vector<double> factor;  // [K] each update's multiplier before the protocol
  if (secure) {
    updates.resize(size_t(K) * P);
    factor.resize(K);
  }
  for (int k0 = 0; k0 < K; k0 += chunk_) {
    const int Kc = std::min(chunk_, K - k0);
    ChunkResult r = plan_.mode == PrivacyMode::Sample
                        ? trainer_->train_dp(fed_, train_x_.get(), train_y_.get(), global_.get(),
                                             cohort.data() + k0, Kc, round)
                        : trainer_->train(fed_, train_x_.get(), train_y_.get(), global_.get(),
                                          cohort.data() + k0, Kc, round);
    for (int k = 0; k < Kc; ++k) {
      loss_sum += r.loss_sum[k];
      seen += r.samples_seen[k];
      if (!r.clipped.empty()) clipped += r.clipped[k];
    }
    // Client deltas (weights - global): written into the buffer where the protocol or an audit
    // needs them there; otherwise the norms and the weighted sum read them from both (`sub`),
    // the same values without a write and a read of every client's parameters.
    const bool deltas_in_buffer = secure || canary_first_ >= 0;
    if (deltas_in_buffer) be.subtract_row(trainer_->params(), global_.get(), Kc, P);
    const float* sub = deltas_in_buffer ? nullptr : global_.get();
    if (canary_first_ >= 0) {  // auditing: a sampled canary's update is its direction times S
      const int m = int(canary_directions_.size() / size_t(P));
      std::vector<float> row(static_cast<size_t>(P));
      for (int k = 0; k < Kc; ++k) {
        const int c = cohort[size_t(k0 + k)] - canary_first_;
        if (c < 0 || c >= m) continue;
        for (int64_t i = 0; i < P; ++i)
          row[size_t(i)] =
              float(user_clip_) * canary_directions_[size_t(c) * size_t(P) + size_t(i)];
        be.to_device(trainer_->params() + int64_t(k) * P, row.data(), sizeof(float) * size_t(P));
      }
    }
    be.row_sqnorms(sqnorms.data(), trainer_->params(), sub, Kc, P);
    for (int k = 0; k < Kc; ++k) {
      const double norm = std::sqrt(sqnorms[k]);
      client_norm_sum += norm;
      if (user_dp && norm > user_clip_) {  // clip the delta to S (McMahan et al. 2018, Alg. 1)
        weight[k0 + k] = float(user_clip_ / norm);
        clipped += 1.0;
      }
    }
    if (secure) {  // FedAvg weights scaled to mean 1 (user DP: the clip factor), then to the host
      be.to_host(updates.data() + size_t(k0) * P, trainer_->params(), sizeof(float) * Kc * P);
      for (int k = 0; k < Kc; ++k) {
        factor[k0 + k] = user_dp ? double(weight[k0 + k]) : double(weight[k0 + k]) * K;
        float* u = updates.data() + size_t(k0 + k) * P;
        const float f = float(factor[k0 + k]);
        for (int64_t i = 0; i < P; ++i) u[i] *= f;
      }
    } else {
      be.weighted_row_sum(aggregate_.get(), trainer_->params(), sub, weight.data() + k0, Kc, P,
                          1.0f);
    }
  }
  bool aborted = false;
  if (secure) aborted = !secure_aggregate(round, cohort, updates, factor, user_dp, rec);
  rec.train_loss = seen ? loss_sum / double(seen) : std::nan("");
  rec.mean_client_update_norm = K ? client_norm_sum / K : 0.0;
  if (plan_.mode == PrivacyMode::Sample) {
    rec.clip_fraction = seen ? clipped / double(seen) : 0.0;
    rec.clip_norm = plan_.clip;
  }
  if (user_dp) {
    // DP-FedAvg (McMahan et al. 2018, Alg. 1): (sum of clipped deltas + N(0, (z S)^2 I)) / (q N),
    // a fixed denominator, so one client changes the sum by at most S.
    rec.clip_fraction = K ? clipped / K : 0.0;
    rec.clip_norm = user_clip_;
    const float inv_expected = float(1.0 / plan_.expected_clients);
    const uint32_t server_id = 0xFFFFFFFFu;
    // with distributed DP the noise came with the clients' inputs: only the fixed denominator
    const bool server_noise = !(secure && s_.secagg.distributed_dp);
    be.add_noise_and_scale(
        aggregate_.get(), 1, P,
        server_noise ? float(plan_.update_noise_multiplier * user_clip_ * test_noise_scale_) : 0.0f,
        &inv_expected, s_.run.seed, kNoiseServer, uint32_t(round), &server_id, 0);
    if (s_.privacy.adaptive_clip) {
      // Andrew et al. 2021, Alg. 1: noisy fraction of unclipped updates from the sum of
      // (b_k - 1/2) (sensitivity 1/2) plus N(0, sigma_b^2), over the expected cohort; then the
      // geometric update S <- S exp(-eta (b~ - gamma)).
      Stream rng(s_.run.seed, RngPurpose::Noise, uint32_t(round), server_id);
      const double unclipped = double(K) - clipped;
      const double b =
          (unclipped - 0.5 * K + plan_.count_noise * rng.normal()) / plan_.expected_clients + 0.5;
      user_clip_ *= std::exp(-s_.privacy.clip_lr * (b - s_.privacy.target_quantile));
    }
  }
  double agg_sq = 0.0;
  be.row_sqnorms(&agg_sq, aggregate_.get(), nullptr, 1, P);
  rec.update_norm = std::sqrt(agg_sq);

  if ((K > 0 || user_dp) && !aborted) {  // user DP: a noisy update even for an empty cohort
    be.copy(previous_global_.get(), global_.get(), sizeof(float) * P);
    be.server_update(global_.get(), aggregate_.get(), opt_m_.get(), opt_v_.get(),
                     server_params(s_.server), P);
    double model_sq = 0.0;
    be.row_sqnorms(&model_sq, global_.get(), nullptr, 1, P);
    if (!std::isfinite(model_sq) || !(K == 0 || std::isfinite(rec.train_loss))) {
      diverged_ = true;
      be.copy(global_.get(), previous_global_.get(), sizeof(float) * P);  // keep the last finite
    }
  }
  ledger_->record_round(cohort);
  if (plan_.mode != PrivacyMode::None) {
    rec.epsilon_rdp = ledger_->epsilon_rdp();
    rec.epsilon_pld = ledger_->epsilon_pld();
    rec.epsilon = s_.privacy.accountant == AccountantKind::Pld ? rec.epsilon_pld : rec.epsilon_rdp;
  }
  be.synchronize();
  rec.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rec;
}

EvalRecord Simulation::evaluate() {
  EvalRecord rec;
  rec.round = round_;
  const PerSampleEval e = evaluator_->run(global_.get(), test_x_.get(), test_y_.get(), fed_.test.n);
  double loss = 0.0;
  int64_t correct = 0;
  for (int64_t i = 0; i < fed_.test.n; ++i) {
    loss += e.loss[i];
    correct += e.pred[i] == fed_.test.y[i];
  }
  rec.loss = loss / double(fed_.test.n);
  rec.accuracy = double(correct) / double(fed_.test.n);
  if (fed_.test.classes == 2) rec.auc = roc_auc(e.p1, fed_.test.y);
  return rec;
}

ClientStats Simulation::client_stats(bool with_final_metrics) {
  ClientStats cs;
  const int C = fed_.num_clients(), L = fed_.train.classes;
  cs.classes = L;
  cs.num_samples.resize(C);
  cs.label_counts.assign(size_t(C) * L, 0);
  for (int c = 0; c < C; ++c) {
    cs.num_samples[c] = fed_.client_size(c);
    for (int64_t i = fed_.offsets[c]; i < fed_.offsets[c + 1]; ++i)
      cs.label_counts[size_t(c) * L + fed_.train.y[i]]++;
  }
  if (!with_final_metrics) return cs;
  const PerSampleEval e =
      evaluator_->run(global_.get(), train_x_.get(), train_y_.get(), fed_.train.n);
  cs.final_accuracy.resize(C);
  cs.final_loss.resize(C);
  for (int c = 0; c < C; ++c) {
    double loss = 0.0;
    int64_t correct = 0;
    for (int64_t i = fed_.offsets[c]; i < fed_.offsets[c + 1]; ++i) {
      loss += e.loss[i];
      correct += e.pred[i] == fed_.train.y[i];
    }
    const double n = double(std::max<int64_t>(1, fed_.client_size(c)));
    cs.final_accuracy[c] = float(correct / n);
    cs.final_loss[c] = float(loss / n);
  }
  double sum = 0.0;
  for (float a : cs.final_accuracy) sum += a;
  cs.accuracy_mean = C ? sum / C : std::nan("");
  cs.accuracy_p10 = quantile(cs.final_accuracy, 0.10);
  cs.accuracy_worst =
      C ? *std::min_element(cs.final_accuracy.begin(), cs.final_accuracy.end()) : std::nan("");
  return cs;
}

std::vector<float> Simulation::global_weights() const {
  std::vector<float> w(layout_.num_params);
  global_.download(w.data(), w.size());
  return w;
}

void Simulation::set_canary_updates(int first_client, std::vector<float> directions) {
  const size_t P = size_t(layout_.num_params);
  if (plan_.mode != PrivacyMode::User)
    throw std::invalid_argument("canary clients need user-level DP (privacy.mode = \"user\")");
  if (first_client < 0 || directions.size() % P != 0 ||
      first_client + int(directions.size() / P) > fed_.num_clients())
    throw std::invalid_argument("canary clients: out of the federation's clients");
  canary_first_ = first_client;
  canary_directions_ = std::move(directions);
}

void Simulation::set_test_noise_scale(double scale) {
  test_noise_scale_ = scale;
  trainer_->set_dp_noise(float(plan_.clip), float(plan_.noise_multiplier * test_noise_scale_));
}

}  // namespace fedsim
