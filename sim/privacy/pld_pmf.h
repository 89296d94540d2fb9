// Discrete privacy loss distributions (PLDs) for the PLD accountant: a pessimistic discretisation
// of the Poisson-subsampled Gaussian on a uniform grid of losses, composition by FFT (two different
// PLDs by convolution, `count` copies of one by a pointwise power of its spectrum), and the
// hockey-stick divergence delta(eps) and its inverse eps(delta). docs/privacy-accounting.md derives
// each step and says why every one of them can only over-estimate delta.
//
// A PLD of a pair (P, Q) is the law of the loss L = log(dP/dQ)(X) under X ~ P; then
// delta(eps) = E[(1 - exp(eps - L))_+] + P(L = +inf) (Meiser & Mohammadi 2018; Koskela et al. 2020;
// Sommer, Meiser, Mohammadi 2019, Lemma 5).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/privacy/fft.h"

namespace fedsim::pld {

// Add/remove neighbours with Poisson rate q and N = N(0, sigma^2), N1 = N(1, sigma^2):
//   Remove: P = (1-q) N + q N1 (the unit is in D), Q = N (D' = D without it);
//   Add:    P = N, Q = (1-q) N + q N1.
// A guarantee for add/remove neighbours must hold for both; delta is the max of the two.
enum class Direction { Remove, Add };

// ConnectDots: Doroshenko, Ghazi, Kamath, Kumar, Manurangsi 2022, "Connect the Dots: Tighter
//   Discrete Approximations of Privacy Loss Distributions", Alg. 1: the discrete PLD whose
//   delta(eps), as a function of exp(eps), interpolates the exact one at the grid points; it
//   dominates the exact pair and is far tighter than rounding up under many compositions.
// RoundUp: every loss rounded up to the next grid point (Meiser & Mohammadi 2018; Koskela et al.
//   2020); simple, pessimistic, but its error grows like count * step / 2.
enum class Discretization { ConnectDots, RoundUp };

// Thrown when a grid or FFT would exceed its size limit (the caller may coarsen the step).
struct GridTooLarge : std::invalid_argument {
  GridTooLarge(const std::string& what, double over) : std::invalid_argument(what), factor(over) {}
  double factor;  // needed size / limit (> 1)
};
inline constexpr size_t kMaxGrid = size_t(1) << 25;
inline constexpr size_t kMaxFft = size_t(1) << 26;

// Mass that a truncation may move (to +infinity, or up to the lowest kept loss) per composition.
inline constexpr double kTailMass = 1e-15;

// Finite losses (lo + i) * step with probabilities p[i], plus an atom at +infinity.
struct Pmf {
  double step = 1e-4;
  int64_t lo = 0;
  std::vector<double> p;
  double inf_mass = 0.0;

  double loss(size_t i) const { return double(lo + int64_t(i)) * step; }
  // Hockey-stick divergence: inf_mass + sum_{l > eps} p(l) (1 - exp(eps - l)).
  double delta(double epsilon) const;
  // The smallest eps >= 0 with delta(eps) <= delta (+infinity if inf_mass > delta).
  double epsilon(double delta) const;
};

// The PLD of no mechanism: all mass at loss 0.
Pmf identity_pmf(double step);

// One Poisson-subsampled Gaussian (rate q in (0, 1], noise multiplier sigma > 0), discretised
// pessimistically on the grid of the given step. Throws GridTooLarge if the grid would exceed
// max_grid points (sigma too small for the step).
Pmf subsampled_gaussian(double q, double sigma, double step, Direction dir, Discretization method,
                        size_t max_grid = kMaxGrid);

// The PLD of the composition of two mechanisms (same step): linear convolution, then tails of
// mass <= tail_mass / 2 on each side moved pessimistically (low tail up to the first kept loss,
// high tail to +infinity).
Pmf compose(const Pmf& a, const Pmf& b, double tail_mass = kTailMass);

// Self-composition of one PLD for any count <= max_count: keeps the spectrum of the base PMF on an
// FFT grid large enough for max_count, so that each compose(count) is a pointwise power and one
// inverse FFT. The output window is chosen by a Chernoff bound so that at most tail_mass / 2 lies
// beyond each end; the mass beyond the top (which the circular convolution wraps around) is
// charged to +infinity.
class SelfComposer {
 public:
  // Throws GridTooLarge if max_count compositions need an FFT longer than max_fft.
  SelfComposer(Pmf base, int64_t max_count, double tail_mass = kTailMass, size_t max_fft = kMaxFft);
  Pmf compose(int64_t count) const;  // 0 <= count <= max_count
  int64_t max_count() const { return max_count_; }
  size_t fft_length() const { return fft_ ? fft_->size() : 0; }

 private:
  Pmf base_;
  int64_t max_count_;
  double tail_mass_;
  double mean_index_ = 0.0;                // mean of the finite part, in grid steps from base_.lo
  std::vector<double> lambdas_, log_mgf_;  // centred log-MGF of the index at each lambda
  std::shared_ptr<const fft::RealFft> fft_;
  std::vector<double> log_abs_, arg_;  // polar form of the base spectrum
  void window(int64_t count, int64_t& lo, int64_t& hi) const;
};

inline Pmf self_compose(const Pmf& base, int64_t count, double tail_mass = kTailMass) {
  return SelfComposer(base, count, tail_mass).compose(count);
}

}  // namespace fedsim::pld
