// PrivacyPlan and PrivacyLedger (see privacy_plan.h).
#include "sim/privacy/privacy_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace fedsim {
namespace {

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// Andrew et al. 2021, "Differentially Private Learning with Adaptive Clipping", Sec. 3.1 / Thm. 1:
// the update query (multiplier z_delta, sensitivity S) and the clipped-count query (noise std
// sigma_b on a sum of b - 1/2, sensitivity 1/2) compose to one Gaussian with multiplier z where
// z^-2 = z_delta^-2 + (2 sigma_b)^-2.
double update_share_impl(double z, double sigma_b) {
  const double inv = 1.0 / (z * z) - 1.0 / (4.0 * sigma_b * sigma_b);
  if (!(inv > 0.0))
    throw std::invalid_argument(
        "privacy.count_noise: expected a clipped-count noise std > noise_multiplier / 2 = " +
        fmt(z / 2) +
        " (Andrew et al. 2021 split the noise between the count and the update), got " +
        fmt(sigma_b));
  return 1.0 / std::sqrt(inv);
}

}  // namespace

double adaptive_update_noise(double z, double sigma_b) {
  return update_share_impl(z, sigma_b);
}

PrivacyPlan make_privacy_plan(const Scenario& s, const Federation& fed) {
  const PrivacyConfig& pc = s.privacy;
  PrivacyPlan p;
  p.mode = pc.mode;
  if (pc.mode == PrivacyMode::None) return p;
  p.clip = pc.clip;
  std::vector<DpEvent> planned;
  int64_t units = 0;
  if (pc.mode == PrivacyMode::Sample) {
    const double mean_size = double(fed.train.n) / std::max(1, fed.num_clients());
    p.sample_rate =
        pc.sample_rate > 0 ? pc.sample_rate : std::min(1.0, s.client.batch_size / mean_size);
    p.steps_per_round = s.client.local_steps > 0 ? s.client.local_steps
                                                 : int64_t(s.client.local_epochs) *
                                                       int64_t(std::ceil(1.0 / p.sample_rate));
    // Worst case: a client that is sampled in every round.
    planned.push_back({p.sample_rate, 1.0, int64_t(s.run.rounds) * p.steps_per_round});
    units = fed.train.n;
  } else {
    p.sample_rate = s.server.sampling_rate;
    p.expected_clients = p.sample_rate * fed.num_clients();
    planned.push_back({p.sample_rate, 1.0, int64_t(s.run.rounds)});
    units = fed.num_clients();
  }
  p.planned_events = planned.front().count;
  if (pc.target_epsilon > 0) {
    p.noise_multiplier =
        calibrate_noise_multiplier(pc.accountant, planned, pc.delta, pc.target_epsilon);
    p.calibrated = true;
  } else {
    p.noise_multiplier = pc.noise_multiplier;
  }
  p.update_noise_multiplier = p.noise_multiplier;
  if (pc.mode == PrivacyMode::User && pc.adaptive_clip) {
    p.count_noise = pc.count_noise > 0 ? pc.count_noise : p.expected_clients / 20.0;
    if (p.noise_multiplier > 0)
      p.update_noise_multiplier = update_share_impl(p.noise_multiplier, p.count_noise);
  }
  if (units > 0 && pc.delta >= 1.0 / double(units))
    p.warnings.push_back("privacy.delta = " + fmt(pc.delta) + " is not small against the " +
                         std::to_string(units) +
                         (pc.mode == PrivacyMode::Sample ? " records" : " clients") +
                         " it protects (1/" + std::to_string(units) + " = " + fmt(1.0 / units) +
                         "): a mechanism that publishes one unit at random meets it");
  return p;
}

PrivacyReport PrivacyPlan::report(const Scenario& s) const {
  PrivacyReport r;
  r.mode = to_string(mode);
  if (mode == PrivacyMode::None) return r;
  const bool sample = mode == PrivacyMode::Sample;
  r.unit = sample ? "record" : "client";
  r.neighbouring = sample ? "add/remove one record (of one client's data)"
                          : "add/remove one client with all of its data";
  r.sampling = sample ? "Poisson sampling of each client's records at rate q per local step; "
                        "epsilon for the client that ran the most steps; no amplification by "
                        "client sampling claimed"
                      : "Poisson sampling of clients at rate q per round; fixed denominator q * "
                        "clients";
  r.sampling_covered = true;
  r.accountant = to_string(s.privacy.accountant);
  r.noise_multiplier = noise_multiplier;
  r.calibrated = calibrated;
  r.target_epsilon = s.privacy.target_epsilon;
  r.delta = s.privacy.delta;
  r.clip = clip;
  r.sample_rate = sample_rate;
  r.steps_per_round = steps_per_round;
  r.adaptive_clip = mode == PrivacyMode::User && s.privacy.adaptive_clip;
  r.update_noise_multiplier = update_noise_multiplier;
  r.count_noise = count_noise;
  return r;
}

PrivacyLedger::PrivacyLedger(const PrivacyPlan& plan, double delta, int num_clients)
    : plan_(plan), delta_(delta) {
  if (plan.mode == PrivacyMode::Sample) steps_run_.assign(num_clients, 0);
}

void PrivacyLedger::record_round(const std::vector<int>& cohort) {
  if (plan_.mode == PrivacyMode::Sample) {
    for (int c : cohort) max_steps_ = std::max(max_steps_, steps_run_[c] += plan_.steps_per_round);
  } else if (plan_.mode == PrivacyMode::User) {
    ++max_steps_;  // one subsampled Gaussian per round, whoever was sampled
  }
}

void PrivacyLedger::restore(std::vector<int64_t> steps_run, int64_t worst_case_steps) {
  if (steps_run.size() != steps_run_.size())
    throw std::invalid_argument("checkpoint: privacy ledger for " +
                                std::to_string(steps_run.size()) + " clients, the run has " +
                                std::to_string(steps_run_.size()));
  steps_run_ = std::move(steps_run);
  max_steps_ = worst_case_steps;
}

void PrivacyLedger::change_noise_multiplier(double sigma) {
  if (max_steps_ > 0) {
    done_.push_back({plan_.noise_multiplier, max_steps_});
    std::fill(steps_run_.begin(), steps_run_.end(), 0);
    max_steps_ = 0;
  }
  plan_.noise_multiplier = sigma;
  pld_curve_.reset();
  cached_steps_ = -1;
}

void PrivacyLedger::lower_noise_multiplier(double sigma) {
  bool changed = sigma < plan_.noise_multiplier;
  plan_.noise_multiplier = std::min(plan_.noise_multiplier, sigma);
  for (Segment& g : done_) {
    changed = changed || sigma < g.sigma;
    g.sigma = std::min(g.sigma, sigma);
  }
  if (!changed) return;
  pld_curve_.reset();
  cached_steps_ = -1;
}

void PrivacyLedger::update_cache() const {
  if (cached_steps_ == max_steps_ && cached_segments_ == done_.size()) return;
  cached_steps_ = max_steps_;
  cached_segments_ = done_.size();
  if (!done_.empty() && plan_.mode != PrivacyMode::None) {  // a schedule with changes
    std::vector<DpEvent> events;
    bool clipping_only = false;
    for (const Segment& g : done_) {
      events.push_back({plan_.sample_rate, g.sigma, g.events});
      clipping_only = clipping_only || g.sigma <= 0.0;
    }
    if (max_steps_ > 0) {
      events.push_back({plan_.sample_rate, plan_.noise_multiplier, max_steps_});
      clipping_only = clipping_only || plan_.noise_multiplier <= 0.0;
    }
    if (clipping_only) {
      cached_rdp_ = cached_pld_ = std::numeric_limits<double>::infinity();
      return;
    }
    cached_rdp_ = epsilon_for(AccountantKind::Rdp, events, delta_);
    cached_pld_ = epsilon_for(AccountantKind::Pld, events, delta_);
    return;
  }
  if (plan_.mode == PrivacyMode::None) {
    cached_rdp_ = cached_pld_ = std::numeric_limits<double>::quiet_NaN();
  } else if (max_steps_ == 0) {
    cached_rdp_ = cached_pld_ = 0.0;
  } else if (plan_.noise_multiplier <= 0.0) {
    cached_rdp_ = cached_pld_ = std::numeric_limits<double>::infinity();  // clipping only
  } else {
    RdpAccountant rdp;
    rdp.compose({plan_.sample_rate, plan_.noise_multiplier, max_steps_});
    cached_rdp_ = rdp.epsilon(delta_);
    // PLD: one discretised single-step PLD for the whole run, raised to each round's step count.
    // Rebuilt, for twice the steps, when a unit ran more steps than planned (more rounds than the
    // scenario's, e.g. a run extended after it started): never an error, and still pessimistic.
    if (!pld_curve_ || pld_curve_->max_steps() < max_steps_)
      pld_curve_ = std::make_unique<PldCurve>(
          plan_.sample_rate, plan_.noise_multiplier,
          pld_curve_ ? 2 * max_steps_ : std::max(plan_.planned_events, max_steps_));
    cached_pld_ = pld_curve_->epsilon(max_steps_, delta_);
  }
}

double PrivacyLedger::epsilon_rdp() const {
  update_cache();
  return cached_rdp_;
}
double PrivacyLedger::epsilon_pld() const {
  update_cache();
  return cached_pld_;
}

}  // namespace fedsim
