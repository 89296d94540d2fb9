// The PLD accountant and PldCurve over the discrete PLDs of pld_pmf.h (see accountant.h).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/privacy/accountant.h"

namespace fedsim {
namespace {

constexpr pld::Direction kDirections[2] = {pld::Direction::Remove, pld::Direction::Add};

void check_step(double step) {
  if (!(step > 0 && step < 1))
    throw std::invalid_argument("PLD value discretization must be in (0, 1), got " +
                                std::to_string(step));
}

// Grid limits when the accountant picks its own step: beyond them the step is doubled.
constexpr size_t kAutoMaxGrid = size_t(1) << 22;
constexpr size_t kAutoMaxFft = size_t(1) << 22;

// The finest step worth using: the configured one, refined to a 50th of the smallest per-step loss
// standard deviation (connect the dots is tight only when the grid resolves the losses; for
// q = 0.01, sigma = 1 that is 2.6e-4, so 1e-4 stays). Estimate: sd(L) ~ min(1 / sigma,
// q sqrt(exp(1 / sigma^2) - 1)), exact for q = 1 and as q -> 0. Never below step / 1e4.
double refined_step(const std::vector<DpEvent>& events, double step) {
  double s = step;
  for (const DpEvent& e : events) {
    const double z = e.noise_multiplier;
    const double sd =
        std::min(1.0 / z, e.sampling_rate * std::sqrt(std::expm1(std::min(1.0 / (z * z), 700.0))));
    s = std::min(s, std::max(sd / 50, step / 1e4));
  }
  return s;
}

// Runs build(step) from refined_step, coarsening the step by the reported power of two while a
// grid or FFT would exceed the limits (very wide PLDs, epsilon in the hundreds): a coarser grid is
// only more pessimistic.
template <class Build>
void with_auto_step(const std::vector<DpEvent>& events, double step, Build build) {
  for (double s = refined_step(events, step);;) {
    try {
      build(s);
      return;
    } catch (const pld::GridTooLarge& e) {
      if (s > 1.0 || !(e.factor < 1e12)) throw;
      s *= std::exp2(std::ceil(std::log2(e.factor)));
    }
  }
}

}  // namespace

PldAccountant::PldAccountant(double value_discretization)
    : PldAccountant(value_discretization, pld::Discretization::ConnectDots) {}

PldAccountant::PldAccountant(double value_discretization, pld::Discretization method)
    : step_(value_discretization), method_(method) {
  check_step(step_);
}

void PldAccountant::compose(const DpEvent& e) {
  validate(e);
  if (e.count == 0 || e.sampling_rate == 0) return;
  built_ = false;
  for (DpEvent& x : events_) {
    if (x.sampling_rate == e.sampling_rate && x.noise_multiplier == e.noise_multiplier) {
      x.count += e.count;
      return;
    }
  }
  events_.push_back(e);
}

// Each direction composes its own PLDs: a fixed pair of neighbouring datasets differs in the same
// direction at every step, and add/remove DP is the max over the two (as in dp_accounting's
// PLDAccountant with ADD_OR_REMOVE_ONE). With q = 1 everywhere both directions give the same PLD.
void PldAccountant::build() const {
  if (built_) return;
  const bool symmetric = std::all_of(events_.begin(), events_.end(),
                                     [](const DpEvent& e) { return e.sampling_rate == 1; });
  with_auto_step(events_, step_, [&](double step) {
    for (int d = 0; d < 2; ++d) {
      if (d == 1 && symmetric) {
        composed_[1] = composed_[0];
        break;
      }
      pld::Pmf acc = pld::identity_pmf(step);
      bool first = true;
      for (const DpEvent& e : events_) {
        const pld::Pmf one = pld::subsampled_gaussian(e.sampling_rate, e.noise_multiplier, step,
                                                      kDirections[d], method_, kAutoMaxGrid);
        pld::Pmf all =
            pld::SelfComposer(one, e.count, pld::kTailMass, kAutoMaxFft).compose(e.count);
        acc = first ? std::move(all) : pld::compose(acc, all);
        first = false;
      }
      composed_[d] = std::move(acc);
    }
    used_step_ = step;
  });
  built_ = true;
}

double PldAccountant::epsilon(double delta) const {
  if (!(delta > 0 && delta < 1))
    throw std::invalid_argument("delta must be in (0, 1), got " + std::to_string(delta));
  build();
  return std::max(composed_[0].epsilon(delta), composed_[1].epsilon(delta));
}

double PldAccountant::delta(double epsilon) const {
  if (!(epsilon >= 0)) throw std::invalid_argument("epsilon must be >= 0");
  build();
  return std::max(composed_[0].delta(epsilon), composed_[1].delta(epsilon));
}

PldCurve::PldCurve(double q, double sigma, int64_t max_steps, double value_discretization,
                   pld::Discretization method)
    : max_steps_(max_steps), symmetric_(q == 1) {
  validate({q, sigma, max_steps});
  check_step(value_discretization);
  if (q == 0) return;  // no privacy loss at all
  with_auto_step({{q, sigma, max_steps}}, value_discretization, [&](double step) {
    for (int d = 0; d < (symmetric_ ? 1 : 2); ++d)
      composers_[d] = std::make_shared<const pld::SelfComposer>(
          pld::subsampled_gaussian(q, sigma, step, kDirections[d], method, kAutoMaxGrid), max_steps,
          pld::kTailMass, kAutoMaxFft);
    step_ = step;
  });
}

void PldCurve::check(int64_t steps) const {
  if (steps < 0 || steps > max_steps_)
    throw std::invalid_argument("PldCurve: steps " + std::to_string(steps) + " outside [0, " +
                                std::to_string(max_steps_) + "]");
}

double PldCurve::epsilon(int64_t steps, double delta) const {
  check(steps);
  if (!(delta > 0 && delta < 1))
    throw std::invalid_argument("delta must be in (0, 1), got " + std::to_string(delta));
  if (!composers_[0] || steps == 0) return 0.0;
  double eps = composers_[0]->compose(steps).epsilon(delta);
  if (!symmetric_) eps = std::max(eps, composers_[1]->compose(steps).epsilon(delta));
  return eps;
}

double PldCurve::delta(int64_t steps, double epsilon) const {
  check(steps);
  if (!(epsilon >= 0)) throw std::invalid_argument("epsilon must be >= 0");
  if (!composers_[0] || steps == 0) return 0.0;
  double d = composers_[0]->compose(steps).delta(epsilon);
  if (!symmetric_) d = std::max(d, composers_[1]->compose(steps).delta(epsilon));
  return d;
}

}  // namespace fedsim
