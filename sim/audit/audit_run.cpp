// run_audit (see audit_run.h).
#include "sim/audit/audit_run.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/audit/audit_bounds.h"
#include "sim/audit/canaries.h"
#include "sim/model/model_layout.h"
#include "sim/util/rng.h"

namespace fedsim::audit {

namespace {

// Forwards to the caller's observer; before the first round, arms the canaries and the test-only
// noise scale on the Simulation.
class AuditObserver final : public RunObserver {
 public:
  AuditObserver(RunObserver* inner, const ClientCanaries* clients, double noise_scale)
      : inner_(inner), clients_(clients), noise_scale_(noise_scale) {}
  void on_start(const Simulation& sim) override {
    if (inner_) inner_->on_start(sim);
  }
  void on_round(const RoundRecord& r, const EvalRecord* e) override {
    if (inner_) inner_->on_round(r, e);
  }
  bool stop_requested() override { return inner_ && inner_->stop_requested(); }
  void before_round(Simulation& sim) override {
    if (!armed_) {
      armed_ = true;
      if (clients_) sim.set_canary_updates(clients_->first_client, included_directions(*clients_));
      if (noise_scale_ != 1.0) sim.set_test_noise_scale(noise_scale_);
    }
    if (inner_) inner_->before_round(sim);
  }

 private:
  RunObserver* inner_;
  const ClientCanaries* clients_;
  double noise_scale_;
  bool armed_ = false;
};

// The loss-threshold attack: scores -loss; its summary on all records, and an epsilon bound from a
// threshold chosen on a random half (largest TPR - FPR) and counted on the other half.
void membership_inference(const ModelLayout& layout, const std::vector<float>& w,
                          const Federation& fed, double delta, double confidence, uint64_t seed,
                          AuditRecord& a) {
  std::vector<double> in = cpu_losses(layout, w, fed.train.x, fed.train.y, fed.train.n),
                      out = cpu_losses(layout, w, fed.test.x, fed.test.y, fed.test.n);
  for (double& v : in) v = -v;
  for (double& v : out) v = -v;
  const MiaSummary all = summarize_attack(in, out);
  a.mia_auc = all.auc;
  a.mia_tpr_at_fpr_0001 = all.tpr_at_fpr_0001;
  a.mia_tpr_at_fpr_001 = all.tpr_at_fpr_001;
  a.mia_advantage = all.advantage;
  Stream rng(seed, RngPurpose::Analytics, 0x313A);
  std::vector<double> in_a, in_b, out_a, out_b;
  for (double v : in) (rng.below(2) ? in_a : in_b).push_back(v);
  for (double v : out) (rng.below(2) ? out_a : out_b).push_back(v);
  if (in_b.empty() || out_b.empty()) return;
  std::vector<double> cuts = in_a;
  cuts.insert(cuts.end(), out_a.begin(), out_a.end());
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  double best = -1, threshold = 0;
  const size_t stride = std::max<size_t>(1, cuts.size() / 2000);  // at most ~2000 candidates
  for (size_t i = 0; i < cuts.size(); i += stride) {
    const double t = cuts[i];
    const double tpr =
        double(std::count_if(in_a.begin(), in_a.end(), [&](double v) { return v >= t; })) /
        double(std::max<size_t>(in_a.size(), 1));
    const double fpr =
        double(std::count_if(out_a.begin(), out_a.end(), [&](double v) { return v >= t; })) /
        double(std::max<size_t>(out_a.size(), 1));
    if (tpr - fpr > best) {
      best = tpr - fpr;
      threshold = t;
    }
  }
  const int64_t tp =
      std::count_if(in_b.begin(), in_b.end(), [&](double v) { return v >= threshold; });
  const int64_t fp =
      std::count_if(out_b.begin(), out_b.end(), [&](double v) { return v >= threshold; });
  a.mia_epsilon_lower_bound = epsilon_from_rates(tp, int64_t(in_b.size()), fp,
                                                 int64_t(out_b.size()), delta, 1 - confidence);
}

}  // namespace

RunResult run_audit(const Scenario& s, const Federation& fed, std::unique_ptr<Backend> backend,
                    const AuditOptions& o, RunObserver* progress, const RunOptions& run_options) {
  if (o.canaries < 2) throw std::invalid_argument("--canaries: expected at least 2");
  if (!(o.confidence > 0 && o.confidence < 1))
    throw std::invalid_argument("--confidence: expected a value in (0, 1)");
  const int k = o.guesses > 0 ? o.guesses : std::max(1, o.canaries / 10);
  if (2 * k > o.canaries)
    throw std::invalid_argument("--guesses: at most half the canaries per side");
  const bool user = s.privacy.mode == PrivacyMode::User;
  const ModelLayout layout = make_layout(s.model, fed.train.d, fed.train.classes);
  RecordCanaries records;
  ClientCanaries clients;
  Federation augmented;
  if (user) {
    clients = make_client_canaries(o.canaries, layout.num_params, s.run.seed);
    augmented = with_client_canaries(fed, clients);
  } else {
    records = make_record_canaries(o.canaries, fed, s.run.seed);
    augmented = with_record_canaries(fed, records);
  }
  AuditObserver obs(progress, user ? &clients : nullptr, o.test_noise_scale);
  RunResult r = run_scenario(s, augmented, std::move(backend), &obs, run_options);
  if (r.status != RunStatus::Complete || r.weights.empty()) return r;

  const std::vector<float> w0 = init_parameters(r.layout, s.run.seed);
  AuditRecord a;
  a.unit = user ? "client" : "record";
  a.method = "one-run audit (Steinke, Nasr, Jagielski 2023)";
  a.score = user ? "final model change projected on the canary's direction"
                 : "canary loss under the initial model minus under the final model";
  a.canaries = o.canaries;
  a.included = user ? clients.included : records.included;
  a.scores = user ? client_scores(clients, w0, r.weights)
                  : record_scores(records, r.layout, w0, r.weights);
  const Guesses g = guess_extremes(a.scores, a.included, k);
  a.guess = g.guess;
  a.guesses_in = g.in;
  a.guesses_out = g.out;
  a.correct = g.correct;
  a.confidence = o.confidence;
  a.delta = s.privacy.delta;
  a.epsilon_lower_bound =
      one_run_epsilon_lower_bound(o.canaries, g.in + g.out, g.correct, a.delta, 1 - o.confidence);
  a.epsilon_claimed = r.rounds.empty() ? std::nan("") : r.rounds.back().epsilon;
  a.test_noise_scale = o.test_noise_scale;
  membership_inference(r.layout, r.weights, fed, a.delta, o.confidence, s.run.seed, a);
  r.audit = a;
  return r;
}

}  // namespace fedsim::audit
