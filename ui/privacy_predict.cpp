// Privacy prediction and its worker thread (see privacy_predict.h).
#include "ui/privacy_predict.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sim/privacy/accountant.h"

namespace fedsim::ui {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

PrivacyInputs privacy_inputs(const Scenario& s) {
  PrivacyInputs in;
  const PrivacyConfig& p = s.privacy;
  in.mode = p.mode;
  in.accountant = p.accountant;
  in.noise_multiplier = p.noise_multiplier;
  in.target_epsilon = p.target_epsilon;
  in.delta = p.delta;
  in.rounds = s.run.rounds;
  if (p.mode == PrivacyMode::None) {
    in.note = "no privacy (privacy.mode = \"none\")";
    return in;
  }
  if (p.mode == PrivacyMode::User) {
    in.q = s.server.sampling_rate;
    in.steps_per_round = 1;
    if (!(in.q > 0)) in.note = "user mode needs server.sampling_rate > 0 (Poisson sampling)";
    return in;
  }
  // Sample mode: q per local step, auto from the mean client size.
  if (p.sample_rate > 0) {
    in.q = p.sample_rate;
  } else {
    double train = 0;
    if (s.data.source == DataSource::Synthetic)
      train = double(s.data.samples) * (1.0 - s.data.test_fraction);
    else if (s.data.source == DataSource::FashionMnist)
      train = double(std::min<int64_t>(s.data.samples, 60000));
    const bool natural = s.partition.scheme == PartitionScheme::Natural;
    const double clients = natural && s.data.source == DataSource::Synthetic
                               ? s.data.shops
                               : (natural ? 0.0 : s.partition.clients);
    if (!(train > 0) || !(clients > 0)) {
      in.note = "q is set from the data's client sizes: set privacy.sample_rate to predict";
      return in;
    }
    in.q = std::min(1.0, s.client.batch_size / (train / clients));
    in.q_estimated = true;
  }
  in.steps_per_round = s.client.local_steps > 0
                           ? s.client.local_steps
                           : int64_t(s.client.local_epochs) * int64_t(std::ceil(1.0 / in.q));
  return in;
}

double predict_rdp(const PrivacyInputs& in, double sigma, int rounds) {
  if (!in.note.empty() || in.mode == PrivacyMode::None) return kNaN;
  if (rounds <= 0) return 0.0;
  if (!(sigma > 0)) return std::numeric_limits<double>::infinity();
  try {
    RdpAccountant rdp;
    rdp.compose({in.q, sigma, int64_t(rounds) * in.steps_per_round});
    return rdp.epsilon(in.delta);
  } catch (const std::invalid_argument&) {
    return kNaN;
  }
}

PrivacyPrediction predict_full(const PrivacyInputs& in, int curve_points) {
  const auto t0 = std::chrono::steady_clock::now();
  PrivacyPrediction out;
  out.inputs = in;
  out.eps_rdp = out.eps_pld = kNaN;
  if (!in.note.empty() || in.mode == PrivacyMode::None) {
    out.error = in.note;
    return out;
  }
  try {
    const int64_t steps = int64_t(in.rounds) * in.steps_per_round;
    out.sigma = in.noise_multiplier;
    if (in.target_epsilon > 0)
      out.sigma = calibrate_noise_multiplier(in.accountant, {{in.q, 1.0, steps}}, in.delta,
                                             in.target_epsilon);
    if (!(out.sigma > 0)) {
      out.eps_rdp = out.eps_pld = std::numeric_limits<double>::infinity();
      out.error = "noise_multiplier = 0: clipping only, no guarantee";
      return out;
    }
    const PldCurve pld(in.q, out.sigma, std::max<int64_t>(steps, 1));
    out.eps_rdp = predict_rdp(in, out.sigma, in.rounds);
    out.eps_pld = pld.epsilon(steps, in.delta);
    const int n = std::max(1, std::min(curve_points, in.rounds));
    for (int k = 1; k <= n; ++k) {
      const int r = std::max(1, int(std::lround(double(in.rounds) * k / n)));
      if (!out.curve_rounds.empty() && out.curve_rounds.back() == r) continue;
      out.curve_rounds.push_back(r);
      out.curve_rdp.push_back(predict_rdp(in, out.sigma, r));
      out.curve_pld.push_back(pld.epsilon(int64_t(r) * in.steps_per_round, in.delta));
    }
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

PrivacyWorker::PrivacyWorker() : thread_([this] { loop(); }) {}

PrivacyWorker::~PrivacyWorker() {
  {
    std::lock_guard lock(m_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void PrivacyWorker::request(const PrivacyInputs& in) {
  {
    std::lock_guard lock(m_);
    if (last_request_ && *last_request_ == in) return;
    last_request_ = in;
    pending_ = in;
  }
  cv_.notify_all();
}

std::optional<PrivacyPrediction> PrivacyWorker::latest() const {
  std::lock_guard lock(m_);
  return result_;
}

bool PrivacyWorker::busy() const {
  std::lock_guard lock(m_);
  return computing_ || pending_.has_value();
}

void PrivacyWorker::loop() {
  std::unique_lock lock(m_);
  for (;;) {
    cv_.wait(lock, [&] { return quit_ || pending_.has_value(); });
    if (quit_) return;
    const PrivacyInputs in = *pending_;
    pending_.reset();
    computing_ = true;
    lock.unlock();
    PrivacyPrediction p = predict_full(in);
    lock.lock();
    computing_ = false;
    result_ = std::move(p);
  }
}

}  // namespace fedsim::ui
