// Noise mechanisms for private analytics (one noisy answer per query): calibration of the noise to
// a privacy cost and a sensitivity, exact draws, and the noise's 95% interval and variance.
//
//   Laplace            b = Delta_1 / epsilon                    (Dwork et al. 2006), pure epsilon
//   Gaussian           the smallest sigma of the analytic Gaussian mechanism for (epsilon, delta)
//                      (Balle & Wang 2018, Theorem 8), Delta_2
//   DiscreteLaplace    P[x] ~ exp(-|x| / b) on a grid, b = Delta_1 / epsilon rounded up to a
//                      rational, exact sampler (Canonne, Kamath, Steinke 2020, Algorithm 2)
//   DiscreteGaussian   N_Z(0, sigma^2) on a grid, the smallest sigma whose exact delta for
//                      epsilon (CKS 2020, Theorem 7) is at most the target; exact sampler (Alg. 3)
//
// The discrete mechanisms add `granularity` times an integer, drawn in integer arithmetic from
// uniform random words: no floating-point sampling, so the attack of Mironov 2012 on textbook
// floating-point Laplace does not apply. Their sensitivity is taken in grid units, rounded up. The
// continuous ones sample in double precision (inverse CDF / Box-Muller from 53-bit uniforms) and
// are offered for comparison with the literature; prefer the discrete ones for published answers.
#pragma once

#include <cstdint>
#include <string>

#include "sim/secagg/discrete_gaussian.h"

namespace fedsim::analytics {

enum class Mechanism { Laplace, Gaussian, DiscreteLaplace, DiscreteGaussian };
const char* mechanism_name(Mechanism m);  // "laplace", "gaussian", "discrete_laplace", ...
bool is_gaussian(Mechanism m);            // Gaussian or DiscreteGaussian (needs delta, L2)

// What one answer may spend and how much one privacy unit can change it.
struct NoiseRequest {
  Mechanism mechanism = Mechanism::DiscreteLaplace;
  double epsilon = 1.0;      // > 0
  double delta = 0.0;        // Gaussian mechanisms: in (0, 1); Laplace ones: 0
  double sensitivity = 1.0;  // L1 (Laplace) or L2 (Gaussian) sensitivity, in answer units, > 0
  double granularity = 1.0;  // discrete mechanisms: the answer's grid (counts: 1), > 0
};

struct CalibratedNoise {
  Mechanism mechanism = Mechanism::DiscreteLaplace;
  double epsilon = 0.0, delta = 0.0;  // what the answer spends (delta 0 for Laplace)
  double scale = 0.0;                 // Laplace b or Gaussian sigma, in answer units
  double variance = 0.0;              // of the noise, in answer units^2 (exact, also on a grid)
  double ci95 = 0.0;  // half-width c with P(|noise| <= c) >= 0.95 (exact, smallest on a grid)
  double granularity = 1.0;
  // Discrete: the integer noise's parameters (Laplace scale lap_t / lap_s; Gaussian sigma^2).
  uint64_t lap_t = 0, lap_s = 1;
  secagg::RationalSigma2 sigma2;
};

// Throws std::invalid_argument with the reason for an impossible request (epsilon <= 0, delta out
// of range for the mechanism, sensitivity <= 0, ...).
CalibratedNoise calibrate(const NoiseRequest& r);

// One draw of the noise, in answer units (a multiple of the granularity for discrete mechanisms).
double draw_noise(const CalibratedNoise& n, secagg::PhiloxBits& bits);

// The analytic Gaussian mechanism's delta at sigma (Balle & Wang 2018, Theorem 8):
// Phi(D / (2 s) - e s / D) - e^e Phi(-D / (2 s) - e s / D).
double gaussian_delta(double sigma, double epsilon, double l2);
// The discrete Gaussian's exact delta (CKS 2020, Theorem 7) for an integer sensitivity:
// P[Y > e s^2 / D - D / 2] - e^e P[Y > e s^2 / D + D / 2], Y ~ N_Z(0, s^2).
double discrete_gaussian_delta(double sigma2, double epsilon, int64_t l2);

}  // namespace fedsim::analytics
