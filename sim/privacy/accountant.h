// Privacy accounting for Poisson-subsampled Gaussian mechanisms: events, RDP and PLD accountants,
// and calibration of the noise multiplier for a target epsilon. docs/privacy-accounting.md gives
// every formula with its source, the grid of orders, the PLD discretisation and reference values.
//
// Neighbouring relation: add/remove one protected unit (a record for sample-level DP-SGD, a client
// for user-level DP-FedAvg). Sampling: each unit is included independently with probability q
// (Poisson sampling); q = 1 means no subsampling (the plain Gaussian mechanism).
//
// Thread safety: the accountants are values; const calls on one PldAccountant fill a cache, so
// share one between threads only behind a lock. PldCurve is safe to query from several threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/privacy/pld_pmf.h"
#include "sim/scenario.h"

namespace fedsim {

// `count` compositions of the Poisson-subsampled Gaussian mechanism with sampling rate q in [0, 1]
// and noise multiplier sigma > 0 (noise std / L2 sensitivity). q = 0 or count = 0 costs nothing.
struct DpEvent {
  double sampling_rate = 1.0;
  double noise_multiplier = 1.0;
  int64_t count = 1;
};

// Throws std::invalid_argument unless q in [0, 1], sigma > 0 (not NaN) and count >= 0.
void validate(const DpEvent& e);

// Renyi DP accountant (Mironov 2017; Mironov, Talwar, Zhang 2019 for the subsampled Gaussian).
class RdpAccountant {
 public:
  RdpAccountant();  // the standard grid of orders, default_rdp_orders()
  explicit RdpAccountant(std::vector<double> orders);  // every order > 1 (may be +infinity)
  void compose(const DpEvent& e);
  // Improved conversion (Canonne, Kamath, Steinke 2020, Prop. 12 / Balle et al. 2020, Thm. 21),
  // minimised over orders; 0 when the KL bound already gives (0, delta)-DP; never negative.
  double epsilon(double delta) const;
  // Classic conversion eps = rdp + log(1/delta) / (alpha - 1) (Mironov 2017, Prop. 3).
  double epsilon_classic(double delta) const;
  // The order that attains epsilon(delta) (NaN when epsilon is 0 or infinite).
  double optimal_order(double delta) const;
  // delta for a given epsilon >= 0 by the same improved conversion (CKS20 Prop. 12), minimised.
  double delta(double epsilon) const;
  const std::vector<double>& orders() const { return orders_; }
  const std::vector<double>& rdp() const { return rdp_; }

 private:
  std::vector<double> orders_, rdp_;
};

// The default grid: Opacus' DEFAULT_ALPHAS (1.1, 1.2, ..., 10.9, 12, ..., 63), TF Privacy's
// compute_dp_sgd_privacy grid (adds 1.25, 1.75, 2.25, 11, 128, 256, 512) and large orders (64 to
// 1024) that matter for small epsilon. Ascending.
const std::vector<double>& default_rdp_orders();

// RDP of one application of the Poisson-subsampled Gaussian at order alpha > 1 (exact: integer
// orders by the binomial expansion, fractional ones by the two-sided series of MTZ19 Sec. 3.3).
// Returns +infinity where the series does not converge (the order is then useless, not wrong).
double rdp_subsampled_gaussian(double q, double sigma, double alpha);

// Privacy loss distribution accountant: pessimistic discretisation on a grid of losses (default
// "connect the dots", Doroshenko et al. 2022), FFT composition, both add and remove directions.
// compose() only records the event (events with equal q and sigma are merged); the composed PLD is
// built on the first query and cached until the next compose().
// The grid step is value_discretization, refined to a 50th of the per-step loss's standard
// deviation when that is smaller (tiny q / sigma^2, where a coarse grid is loose), and doubled
// while a grid or FFT would exceed 2^22 points (epsilon in the hundreds). Both keep the result
// pessimistic; used_discretization() tells the step of the last query.
class PldAccountant {
 public:
  // value_discretization: the grid step of the privacy loss.
  explicit PldAccountant(double value_discretization = 1e-4);
  PldAccountant(double value_discretization, pld::Discretization method);
  void compose(const DpEvent& e);
  double epsilon(double delta) const;  // smallest eps >= 0 with delta(eps) <= delta
  double delta(double epsilon) const;  // max over the add and remove directions
  double value_discretization() const { return step_; }
  double used_discretization() const { return build(), used_step_; }

 private:
  double step_;
  pld::Discretization method_;
  std::vector<DpEvent> events_;  // merged by (q, sigma)
  mutable bool built_ = false;
  mutable double used_step_ = 0.0;
  mutable std::array<pld::Pmf, 2> composed_;  // [remove, add]
  void build() const;
};

// epsilon(T) for many T <= max_steps of one (q, sigma) mechanism, e.g. once per round of a
// simulation. The single-step PLDs and their Fourier transforms are built once (about the cost of
// one PldAccountant query for max_steps); each epsilon(T) then costs one pointwise power and one
// inverse FFT per direction (about 10 ms for q = 0.01, sigma = 1, T <= 10000; see the docs).
// The grid step is chosen as by PldAccountant for {q, sigma, max_steps}; results equal those of a
// PldAccountant with one event {q, sigma, T} when both use the same step.
class PldCurve {
 public:
  PldCurve(double q, double sigma, int64_t max_steps, double value_discretization = 1e-4,
           pld::Discretization method = pld::Discretization::ConnectDots);
  // 0 <= steps <= max_steps, else std::invalid_argument.
  double epsilon(int64_t steps, double delta) const;
  double delta(int64_t steps, double epsilon) const;
  int64_t max_steps() const { return max_steps_; }
  double used_discretization() const { return step_; }

 private:
  int64_t max_steps_;
  double step_ = 0.0;
  bool symmetric_;  // q == 1: the add direction equals the remove direction
  std::array<std::shared_ptr<const pld::SelfComposer>, 2> composers_;  // [remove, add]
  void check(int64_t steps) const;
};

// epsilon after `events` with the given accountant (PLD with value_discretization 1e-4).
double epsilon_for(AccountantKind kind, const std::vector<DpEvent>& events, double delta);

// The smallest noise multiplier (to 3 significant digits, rounded up) whose epsilon after `events`
// with that multiplier is <= target. `events` give rates and counts; their multipliers are ignored.
// Searches [0.1, 1000]: returns 0.1 if even that meets the target. Throws std::invalid_argument
// with a clear message if the target cannot be reached (target_epsilon <= 0, or epsilon at 1000
// still above it) or the arguments are invalid.
double calibrate_noise_multiplier(AccountantKind kind, const std::vector<DpEvent>& events,
                                  double delta, double target_epsilon);

inline constexpr double kMinCalibratedNoise = 0.1;
inline constexpr double kMaxCalibratedNoise = 1000.0;

}  // namespace fedsim
