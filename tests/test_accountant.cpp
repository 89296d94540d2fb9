// Privacy accountants against independent reference values: the published tests of TF Privacy,
// Opacus and Google's dp_accounting (each value cites its source), exact formulas (the Gaussian
// mechanism, Balle & Wang 2018) and multi-precision quadrature. Also the FFT, the PLD's pessimism,
// monotonicity, calibration and the error paths. docs/privacy-accounting.md has the table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <random>
#include <stdexcept>
#include <vector>

#include "sim/privacy/accountant.h"
#include "sim/privacy/fft.h"
#include "sim/privacy/pld_pmf.h"

using namespace fedsim;

namespace {

constexpr double kPi = 3.14159265358979323846;

double Phi(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

// Exact delta(eps) of the Gaussian mechanism with sensitivity 1 and noise multiplier s (Balle &
// Wang 2018, "Improving the Gaussian Mechanism for Differential Privacy", Thm. 8).
double gaussian_delta(double s, double eps) {
  return Phi(-eps * s + 1 / (2 * s)) - std::exp(eps) * Phi(-eps * s - 1 / (2 * s));
}
// Its inverse by bisection (delta is decreasing in eps).
double gaussian_epsilon(double s, double delta) {
  double lo = 0, hi = 100;
  if (gaussian_delta(s, 0) <= delta) return 0;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (gaussian_delta(s, mid) > delta ? lo : hi) = mid;
  }
  return hi;
}

std::vector<double> opacus_orders() {  // Opacus DEFAULT_ALPHAS
  std::vector<double> o;
  for (int x = 1; x < 100; ++x) o.push_back(1 + x / 10.0);
  for (int a = 12; a < 64; ++a) o.push_back(a);
  return o;
}

std::vector<double> tf_orders() {  // TF Privacy compute_dp_sgd_privacy_lib.py
  std::vector<double> o = {1.25, 1.5, 1.75, 2., 2.25, 2.5, 3., 3.5, 4., 4.5};
  for (int a = 5; a < 64; ++a) o.push_back(a);
  for (double a : {128, 256, 512}) o.push_back(a);
  return o;
}

double rdp_eps(double q, double s, int64_t T, double delta) {
  return epsilon_for(AccountantKind::Rdp, {{q, s, T}}, delta);
}
double pld_eps(double q, double s, int64_t T, double delta) {
  return epsilon_for(AccountantKind::Pld, {{q, s, T}}, delta);
}

}  // namespace

// ---------------------------------------------------------------- FFT

TEST(Fft, ComplexMatchesDirectDft) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-1, 1);
  for (size_t n : {1u, 2u, 4u, 8u, 64u, 512u}) {
    std::vector<fft::cplx> x(n), y;
    for (auto& v : x) v = {u(rng), u(rng)};
    y = x;
    fft::ComplexFft(n).forward(y.data());
    for (size_t k = 0; k < n; ++k) {
      fft::cplx s = 0;
      for (size_t j = 0; j < n; ++j) s += x[j] * std::polar(1.0, -2 * kPi * double(j * k % n) / n);
      EXPECT_LT(std::abs(s - y[k]), 1e-12) << n << " " << k;
    }
    fft::ComplexFft(n).inverse_unscaled(y.data());
    for (size_t j = 0; j < n; ++j) EXPECT_LT(std::abs(y[j] / double(n) - x[j]), 1e-13);
  }
}

TEST(Fft, RealForwardAndInverse) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0, 1);
  for (size_t n : {4u, 8u, 16u, 1024u}) {
    std::vector<double> x(n), back(n);
    for (auto& v : x) v = u(rng);
    fft::RealFft f(n);
    std::vector<fft::cplx> X(f.bins());
    f.forward(x.data(), X.data());
    for (size_t k = 0; k < f.bins(); ++k) {
      fft::cplx s = 0;
      for (size_t j = 0; j < n; ++j) s += x[j] * std::polar(1.0, -2 * kPi * double(j * k % n) / n);
      EXPECT_LT(std::abs(s - X[k]), 1e-11) << n << " " << k;
    }
    f.inverse(X.data(), back.data());
    for (size_t j = 0; j < n; ++j) EXPECT_NEAR(back[j], x[j], 1e-14);
  }
}

TEST(Fft, ConvolutionMatchesDirectSum) {
  const std::vector<double> a = {0.5, 0.25, 0.125, 0.125}, b = {0.1, 0.2, 0.3, 0.2, 0.1, 0.1};
  const std::vector<double> c = fft::convolve(a, b);
  ASSERT_EQ(c.size(), a.size() + b.size() - 1);
  for (size_t k = 0; k < c.size(); ++k) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i)
      if (k >= i && k - i < b.size()) s += a[i] * b[k - i];
    EXPECT_NEAR(c[k], s, 1e-16);
  }
}

// ---------------------------------------------------------------- RDP

// q = 0.01, sigma = 2.5, 50 steps. Integer orders: dp_accounting rdp_privacy_accountant_test.py
// test_compute_rdp_poisson_sampled_gaussian (2.18075656e-3, 2.38460375e-2, 167.416308, printed to 9
// digits). Fractional orders: the exact values by quadrature (mpmath, 50 digits, as TF Privacy's
// _compute_a_mp): 6.50070897188e-4 and 1.08541805692e-3, which TF Privacy's rdp_accountant_test.py
// test_compute_rdp_sequence also gives (0.00065, 0.001085, to 1e-5). dp_accounting's printed
// 6.70579741e-4 and 1.08548710e-3 are higher: dp_accounting 0.6.0's _compute_log_a_frac drops
// the signs of the binomial coefficients C(alpha, i) for i > alpha + 1 (an over-estimate).
TEST(Rdp, SubsampledGaussianReferenceValues) {
  const double orders[] = {1.5, 2.5, 5, 50, 100};
  const double ref[] = {6.50070897188e-4, 1.08541805692e-3, 2.18075656e-3, 2.38460375e-2,
                        167.416308};
  const double rtol[] = {1e-9, 1e-9, 5e-9, 5e-9, 5e-9};  // to the printed digits
  for (int i = 0; i < 5; ++i) {
    const double r = 50 * rdp_subsampled_gaussian(0.01, 2.5, orders[i]);
    EXPECT_NEAR(r / ref[i], 1.0, rtol[i]) << "order " << orders[i] << ": " << r;
  }
  EXPECT_LT(50 * rdp_subsampled_gaussian(0.01, 2.5, 1.5), 6.70579741e-4 * (1 - 1e-2));
  EXPECT_NEAR(50 * rdp_subsampled_gaussian(0.01, 2.5, 1.5), 0.00065, 1e-5);   // TF Privacy
  EXPECT_NEAR(50 * rdp_subsampled_gaussian(0.01, 2.5, 2.5), 0.001085, 1e-5);  // TF Privacy
  // TF Privacy rdp_accountant_test.py test_compute_rdp_scalar: compute_rdp(0.1, 2, 10, 5).
  EXPECT_NEAR(10 * rdp_subsampled_gaussian(0.1, 2, 5), 0.07737, 5e-6);
}

// log(A_alpha) against multi-precision quadrature at the parameters of TF Privacy's and
// dp_accounting's test_compute_log_a_equals_mp (reference logs computed with mpmath, 50 digits,
// integer orders also by the exact binomial sum; their test asks rtol 1e-4, we ask 1e-7).
TEST(Rdp, LogAMatchesMultiPrecision) {
  struct Case {
    double q, sigma, alpha, log_a;
  };
  const Case cases[] = {
      {1e-7, .1, 1.01, 4.0034123225263986e-8}, {1e-6, .1, 256, 3260463.2292971608},
      {1e-5, .1, 256.1, 3263607.0397884213},   {1e-6, 1, 27, 8.7695113048484979e-10},
      {1e-4, 1., 1.5, 6.4426869538366497e-9},  {1e-3, 1., 2, 1.7182803522145154e-6},
      {.01, 10, 20, 0.00019129699912842963},   {.1, 100, 20.5, 0.00019991818458068296},
      {.99, .1, 256, 3263997.4271140211},      {.999, 100, 256.1, 3.2601080379731127}};
  for (const Case& c : cases) {
    const double log_a = rdp_subsampled_gaussian(c.q, c.sigma, c.alpha) * (c.alpha - 1);
    EXPECT_NEAR(log_a / c.log_a, 1.0, 1e-7) << c.q << " " << c.sigma << " " << c.alpha;
  }
}

TEST(Rdp, GaussianIsAlphaOverTwoSigmaSquared) {
  // dp_accounting test_compute_rdp_gaussian: alpha = 3.14159, sigma = 2.71828.
  EXPECT_DOUBLE_EQ(rdp_subsampled_gaussian(1.0, 2.71828, 3.14159),
                   3.14159 / (2 * 2.71828 * 2.71828));
  EXPECT_EQ(rdp_subsampled_gaussian(0.0, 1.0, 2.0), 0.0);       // TF test_compute_rdp_no_data
  EXPECT_DOUBLE_EQ(rdp_subsampled_gaussian(1.0, 10, 20), 0.1);  // TF test_compute_rdp_no_sampling
}

// TF Privacy rdp_accountant_test.py test_get_privacy_spent (classic conversion, orders 2..32):
// q = 0.01, sigma = 4, 10000 steps, delta = 1e-5 -> eps 1.258575 (to 5 places).
TEST(Rdp, ClassicConversionTfPrivacy) {
  std::vector<double> orders;
  for (int a = 2; a <= 32; ++a) orders.push_back(a);
  RdpAccountant acc(orders);
  acc.compose({0.01, 4, 10000});
  EXPECT_NEAR(acc.epsilon_classic(1e-5), 1.258575, 1e-6);
  // Same file, test_compute_privacy_loss: (0.01, 4, 10000) then (0.1, 2, 100) on TF's 21 orders,
  // delta 1e-5 -> 3.276237 (5 places).
  RdpAccountant two({1.25, 1.5, 1.75, 2.,  2.5, 3.,  4.,  5.,  6.,  7.,  8.,
                     10.,  12., 14.,  16., 20., 24., 28., 32., 64., 256.});
  two.compose({0.01, 4, 10000});
  two.compose({0.1, 2, 100});
  EXPECT_NEAR(two.epsilon_classic(1e-5), 3.276237, 5e-6);
}

// TF Privacy compute_dp_sgd_privacy_lib_test.py: (n, batch, sigma, epochs, delta) with q = batch/n,
// steps = ceil(epochs n / batch), TF's orders. Improved conversion (current file, assertAlmostEqual
// to 7 places, with the optimal order) and the classic one (the 2019 file).
TEST(Rdp, TfPrivacyComputeDpSgdPrivacy) {
  struct Case {
    double n, batch, sigma, epochs, delta, eps, order, eps_classic;
  };
  const Case cases[] = {{60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19, 0.941870567},
                        {100000, 100, 1.0, 30, 1e-7, 1.4154988495444845, 13, 1.70928734},
                        {100000000, 1024, 0.1, 10, 1e-7, 5907982.31138195, 1.25, 5907984.81339406}};
  for (const Case& c : cases) {
    RdpAccountant acc(tf_orders());
    acc.compose({c.batch / c.n, c.sigma, int64_t(std::ceil(c.epochs * c.n / c.batch))});
    EXPECT_NEAR(acc.epsilon(c.delta), c.eps, 5e-8 * std::max(1.0, c.eps)) << c.n;
    EXPECT_EQ(acc.optimal_order(c.delta), c.order);
    EXPECT_NEAR(acc.epsilon_classic(c.delta), c.eps_classic, 5e-9 * std::max(100.0, c.eps)) << c.n;
  }
}

// Opacus tests/accountants_test.py test_rdp_accountant: sigma 1.5, q 0.04, int(90 / 0.04) = 2250
// steps, delta 1e-5, DEFAULT_ALPHAS -> 7.32911117143 (assertAlmostEqual, 7 places).
TEST(Rdp, OpacusAccountantTest) {
  RdpAccountant acc(opacus_orders());
  acc.compose({0.04, 1.5, 2250});
  EXPECT_NEAR(acc.epsilon(1e-5), 7.32911117143, 5e-8);
  RdpAccountant def;  // the default grid contains Opacus' and can only do better
  def.compose({0.04, 1.5, 2250});
  EXPECT_LE(def.epsilon(1e-5), acc.epsilon(1e-5));
}

// TF Privacy test_get_privacy_spent_check_target_delta / dp_accounting
// test_compute_epsilon_delta_gaussian: the Gaussian with sigma 4.530877117 is exactly
// (1, 1e-6)-DP; on the orders 1.001 .. 99.999 the improved conversion gives eps = 1 (7 places)
// and delta(1) = 1e-6.
TEST(Rdp, GaussianExactlyOneEpsilon) {
  std::vector<double> orders;
  for (int i = 1001; i < 100000; ++i) orders.push_back(0.001 * i);
  RdpAccountant acc(orders);
  acc.compose({1.0, 4.530877117, 1});
  EXPECT_NEAR(acc.epsilon(1e-6), 1.0, 5e-8);
  EXPECT_NEAR(acc.delta(1.0), 1e-6, 5e-14);
  EXPECT_GE(acc.epsilon(1e-6), gaussian_epsilon(4.530877117, 1e-6));  // an upper bound
}

TEST(Rdp, ConversionsAreConsistentAndOrdered) {
  RdpAccountant acc;
  acc.compose({0.01, 1.1, 5000});
  for (double delta : {1e-3, 1e-5, 1e-7, 1e-10}) {
    const double eps = acc.epsilon(delta);
    EXPECT_LT(eps, acc.epsilon_classic(delta));  // the improved conversion is tighter
    EXPECT_NEAR(acc.delta(eps), delta, 1e-6 * delta);
  }
  RdpAccountant none;
  EXPECT_EQ(none.epsilon(1e-5), 0.0);
  EXPECT_TRUE(std::isnan(none.optimal_order(1e-5)));
}

TEST(Rdp, DefaultGridContainsOpacusAndTfGrids) {
  const std::vector<double>& grid = default_rdp_orders();
  for (const auto& other : {opacus_orders(), tf_orders()})
    for (double a : other) EXPECT_TRUE(std::find(grid.begin(), grid.end(), a) != grid.end()) << a;
  EXPECT_TRUE(std::is_sorted(grid.begin(), grid.end()));
  EXPECT_EQ(grid.back(), 1024);
}

// ---------------------------------------------------------------- PLD

// dp_accounting pld_privacy_accountant_test.py test_gaussian_basic: sigma sqrt(3) composed 1 + 2
// times = one Gaussian with sigma 1; exact delta(1) = 0.126936 (its printed digits). Pessimistic:
// never below the exact value, and within 1e-4 relative of it.
TEST(Pld, GaussianBasic) {
  PldAccountant acc;
  acc.compose({1.0, std::sqrt(3.0), 1});
  acc.compose({1.0, std::sqrt(3.0), 2});
  const double exact = gaussian_delta(1.0, 1.0);
  EXPECT_NEAR(exact, 0.126936, 1e-6);  // printed truncated: 0.1269367375...
  EXPECT_GE(acc.delta(1.0), exact * (1 - 1e-12));
  EXPECT_LE(acc.delta(1.0), exact * (1 + 1e-4));
  EXPECT_NEAR(acc.epsilon(0.126936), 1.0, 1e-3);
  EXPECT_GE(acc.epsilon(exact), 1.0 - 1e-9);
}

// dp_accounting pld_privacy_accountant_test.py test_poisson_subsampled_gaussian and
// test_self_composed_subsampled_gaussian: q 0.2, sigma 0.5, three compositions, delta(1) = 0.15594
// and epsilon(0.15594) = 1, both to 1e-3.
TEST(Pld, PoissonSubsampledGaussianDpAccounting) {
  PldAccountant split, self;
  split.compose({0.2, 0.5, 1});
  split.compose({0.2, 0.5, 2});
  self.compose({0.2, 0.5, 3});
  for (const PldAccountant* acc : {&split, &self}) {
    EXPECT_NEAR(acc->delta(1.0), 0.15594, 1e-3);
    EXPECT_NEAR(acc->epsilon(0.15594), 1.0, 1e-3);
  }
  EXPECT_NEAR(split.delta(1.0), self.delta(1.0), 1e-12);
}

// q = 1: the PLD of T Gaussians with multiplier sigma is exactly that of one Gaussian with
// sigma / sqrt(T) (Dong, Roth, Su 2019, Cor. 3.3); compare with the analytic delta (Balle & Wang
// 2018, Thm. 8) at several sigma, T and epsilon.
TEST(Pld, GaussianMatchesAnalyticFormula) {
  struct Case {
    double sigma;
    int64_t T;
  };
  for (const Case c : {Case{0.8, 1}, Case{1, 1}, Case{2, 4}, Case{5, 25}, Case{10, 100},
                       Case{30, 1000}, Case{100, 10000}}) {
    PldAccountant acc;
    acc.compose({1.0, c.sigma, c.T});
    const double s = c.sigma / std::sqrt(double(c.T));
    for (double eps : {0.0, 0.5, 1.0, 2.0, 4.0}) {
      const double exact = gaussian_delta(s, eps), d = acc.delta(eps);
      EXPECT_GE(d, exact * (1 - 1e-12) - 1e-15) << c.sigma << " " << c.T << " " << eps;
      EXPECT_LE(d, exact * (1 + 5e-4) + 1e-13) << c.sigma << " " << c.T << " " << eps;
    }
    for (double delta : {1e-3, 1e-5, 1e-7}) {
      const double exact = gaussian_epsilon(s, delta), e = acc.epsilon(delta);
      EXPECT_GE(e, exact - 1e-9) << c.sigma << " " << c.T << " " << delta;
      EXPECT_LE(e, exact + 1e-3) << c.sigma << " " << c.T << " " << delta;
    }
  }
}

// Two different Gaussians compose to one with sigma^-2 = sigma1^-2 + sigma2^-2: checks the FFT
// convolution of different PLDs.
TEST(Pld, HeterogeneousGaussiansCompose) {
  PldAccountant acc;
  acc.compose({1.0, 2.0, 1});
  acc.compose({1.0, 3.0, 2});
  const double s = 1 / std::sqrt(1 / 4.0 + 2 / 9.0);
  for (double eps : {0.5, 1.0, 2.0}) {
    EXPECT_GE(acc.delta(eps), gaussian_delta(s, eps) * (1 - 1e-12));
    EXPECT_LE(acc.delta(eps), gaussian_delta(s, eps) * (1 + 1e-4));
  }
}

// The default (connect the dots) against dp_accounting 0.6.0's PLDAccountant, which uses the same
// discretisation (connect the dots, value_discretization_interval 1e-4): epsilon at delta 1e-5 of
// SelfComposedDpEvent(PoissonSampledDpEvent(q, GaussianDpEvent(sigma)), T), computed with
// dp_accounting 0.6.0 (not a published test value; an independent implementation).
TEST(Pld, AgreesWithDpAccountingImplementation) {
  EXPECT_NEAR(pld_eps(0.01, 1.0, 100, 1e-5), 0.7180367094172235, 1e-6);
  EXPECT_NEAR(pld_eps(0.1, 1.1, 100, 1e-5), 5.912652063265949, 1e-6);
  EXPECT_NEAR(pld_eps(0.01, 1.0, 1000, 1e-5), 1.8282436455855091, 1e-6);
}

TEST(Pld, NotAboveRdpInTypicalSettings) {
  struct Case {
    double q, sigma;
    int64_t T;
  };
  for (const Case c : {Case{0.01, 1.0, 100}, Case{0.01, 1.0, 1000}, Case{0.001, 0.8, 10000},
                       Case{0.1, 2.0, 500}, Case{0.004, 1.1, 2000}, Case{1.0, 10.0, 100}}) {
    for (double delta : {1e-5, 1e-8}) {
      const double pld = pld_eps(c.q, c.sigma, c.T, delta), rdp = rdp_eps(c.q, c.sigma, c.T, delta);
      EXPECT_LE(pld, rdp) << c.q << " " << c.sigma << " " << c.T << " " << delta;
      EXPECT_GT(pld, 0.5 * rdp) << c.q << " " << c.sigma << " " << c.T;  // and in the same range
    }
  }
}

// Pessimism: a coarser grid whose points are a subset of a finer one interpolates the same convex
// delta curve over a coarser partition, so it dominates it; rounding up dominates both.
TEST(Pld, CoarserAndRoundUpAreMorePessimistic) {
  PldAccountant fine(2e-5), coarse(1e-4), up(1e-4, pld::Discretization::RoundUp);
  for (PldAccountant* a : {&fine, &coarse, &up}) a->compose({0.01, 1.0, 1000});
  const double e_fine = fine.epsilon(1e-5), e_coarse = coarse.epsilon(1e-5),
               e_up = up.epsilon(1e-5);
  EXPECT_GE(e_coarse, e_fine - 1e-9);
  EXPECT_LT(e_coarse - e_fine, 1e-4);  // connect the dots at 1e-4 is already tight
  EXPECT_GT(e_up, e_coarse);
}

TEST(Pld, DiscretisationConservesMass) {
  for (auto dir : {pld::Direction::Remove, pld::Direction::Add})
    for (auto m : {pld::Discretization::ConnectDots, pld::Discretization::RoundUp})
      for (double q : {0.01, 0.3, 1.0}) {
        const pld::Pmf p = pld::subsampled_gaussian(q, 0.9, 1e-4, dir, m);
        double total = p.inf_mass, q_mass = 0;  // sum p, and sum p e^-l = Q-mass (<= 1)
        for (size_t i = 0; i < p.p.size(); ++i) {
          EXPECT_GE(p.p[i], 0.0);
          total += p.p[i];
          q_mass += p.p[i] * std::exp(-p.loss(i));
        }
        EXPECT_NEAR(total, 1.0, 1e-12) << int(dir) << int(m) << q;
        EXPECT_LE(q_mass, 1.0 + 1e-12);
        if (m == pld::Discretization::ConnectDots) {
          EXPECT_NEAR(q_mass, 1.0, 1e-9);
        }
      }
}

// add/remove DP is the max over the two directions, composed separately.
TEST(Pld, MaxOverAddAndRemoveDirections) {
  const double q = 0.05, sigma = 0.9;
  const int64_t T = 300;
  double eps[2], del[2];
  int i = 0;
  for (auto dir : {pld::Direction::Remove, pld::Direction::Add}) {
    const pld::Pmf p = pld::self_compose(
        pld::subsampled_gaussian(q, sigma, 1e-4, dir, pld::Discretization::ConnectDots), T);
    eps[i] = p.epsilon(1e-6);
    del[i++] = p.delta(1.0);
  }
  EXPECT_NE(eps[0], eps[1]);
  PldAccountant acc;
  acc.compose({q, sigma, T});
  EXPECT_DOUBLE_EQ(acc.epsilon(1e-6), std::max(eps[0], eps[1]));
  EXPECT_DOUBLE_EQ(acc.delta(1.0), std::max(del[0], del[1]));
}

TEST(Pld, DeltaAndEpsilonAreInverse) {
  PldAccountant acc;
  acc.compose({0.02, 1.0, 2000});
  for (double delta : {1e-3, 1e-5, 1e-9}) {
    const double eps = acc.epsilon(delta);
    EXPECT_NEAR(acc.delta(eps), delta, 1e-9 * delta);
  }
  PldAccountant none;
  EXPECT_EQ(none.epsilon(1e-5), 0.0);
  EXPECT_EQ(none.delta(0.0), 0.0);
}

TEST(Pld, CurveMatchesAccountant) {
  const PldCurve curve(0.01, 1.0, 3000);
  EXPECT_EQ(curve.epsilon(0, 1e-5), 0.0);
  for (int64_t T : {1, 7, 100, 1234, 3000}) {
    PldAccountant acc;
    acc.compose({0.01, 1.0, T});
    EXPECT_NEAR(curve.epsilon(T, 1e-5), acc.epsilon(1e-5), 1e-9) << T;
    EXPECT_NEAR(curve.delta(T, 1.0), acc.delta(1.0), 1e-12) << T;
  }
  EXPECT_THROW(curve.epsilon(3001, 1e-5), std::invalid_argument);
  EXPECT_THROW(curve.epsilon(-1, 1e-5), std::invalid_argument);
  const PldCurve gauss(1.0, 10.0, 100);
  EXPECT_GE(gauss.delta(100, 1.0), gaussian_delta(1.0, 1.0) * (1 - 1e-12));
  EXPECT_LE(gauss.delta(100, 1.0), gaussian_delta(1.0, 1.0) * (1 + 1e-4));
}

// ---------------------------------------------------------------- both accountants

TEST(Accountants, Monotone) {
  for (AccountantKind k : {AccountantKind::Rdp, AccountantKind::Pld}) {
    auto eps = [&](double q, double s, int64_t T) { return epsilon_for(k, {{q, s, T}}, 1e-5); };
    EXPECT_LT(eps(0.005, 1.0, 1000), eps(0.01, 1.0, 1000));  // q
    EXPECT_LT(eps(0.01, 1.0, 1000), eps(0.02, 1.0, 1000));
    EXPECT_LT(eps(0.01, 1.0, 500), eps(0.01, 1.0, 1000));  // steps
    EXPECT_LT(eps(0.01, 1.0, 1000), eps(0.01, 1.0, 2000));
    EXPECT_GT(eps(0.01, 0.8, 1000), eps(0.01, 1.0, 1000));  // sigma
    EXPECT_GT(eps(0.01, 1.0, 1000), eps(0.01, 1.5, 1000));
    EXPECT_GT(epsilon_for(k, {{0.01, 1.0, 1000}}, 1e-7), eps(0.01, 1.0, 1000));  // delta
  }
}

TEST(Accountants, ZeroRateOrCountCostsNothing) {
  for (AccountantKind k : {AccountantKind::Rdp, AccountantKind::Pld}) {
    EXPECT_EQ(epsilon_for(k, {{0.0, 1.0, 100}}, 1e-5), 0.0);
    EXPECT_EQ(epsilon_for(k, {{0.5, 1.0, 0}}, 1e-5), 0.0);
    EXPECT_EQ(epsilon_for(k, {}, 1e-5), 0.0);
  }
}

TEST(Accountants, RejectBadArguments) {
  for (AccountantKind k : {AccountantKind::Rdp, AccountantKind::Pld}) {
    EXPECT_THROW(epsilon_for(k, {{1.5, 1.0, 10}}, 1e-5), std::invalid_argument);
    EXPECT_THROW(epsilon_for(k, {{-0.1, 1.0, 10}}, 1e-5), std::invalid_argument);
    EXPECT_THROW(epsilon_for(k, {{0.1, 0.0, 10}}, 1e-5), std::invalid_argument);
    EXPECT_THROW(epsilon_for(k, {{0.1, NAN, 10}}, 1e-5), std::invalid_argument);
    EXPECT_THROW(epsilon_for(k, {{0.1, 1.0, -1}}, 1e-5), std::invalid_argument);
    EXPECT_THROW(epsilon_for(k, {{0.1, 1.0, 10}}, 0.0), std::invalid_argument);
    EXPECT_THROW(epsilon_for(k, {{0.1, 1.0, 10}}, 1.0), std::invalid_argument);
  }
  EXPECT_THROW(RdpAccountant({1.0, 2.0}), std::invalid_argument);
  EXPECT_THROW(rdp_subsampled_gaussian(0.1, 1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(PldAccountant(0.0), std::invalid_argument);
  EXPECT_THROW(PldCurve(0.1, 1.0, -1), std::invalid_argument);
}

// Losses far wider than the grid allows (tiny sigma) coarsen the step, which stays pessimistic;
// losses far narrower than the step (tiny q / sigma^2) refine it.
TEST(Pld, StepAdaptsToTheLossScale) {
  PldAccountant tiny;
  tiny.compose({0.1, 0.02, 10});
  EXPECT_GT(tiny.used_discretization(), 1e-4);
  EXPECT_TRUE(std::isfinite(tiny.epsilon(1e-5)));
  EXPECT_LE(tiny.epsilon(1e-5), rdp_eps(0.1, 0.02, 10, 1e-5));
  PldAccountant small;
  small.compose({0.001, 30.0, 10000});
  EXPECT_LT(small.used_discretization(), 1e-6);
  EXPECT_LE(small.epsilon(1e-6), rdp_eps(0.001, 30.0, 10000, 1e-6));
  EXPECT_GT(small.epsilon(1e-6), 0.8 * rdp_eps(0.001, 30.0, 10000, 1e-6));
}

// ---------------------------------------------------------------- calibration

TEST(Calibration, RoundTrip) {
  for (AccountantKind k : {AccountantKind::Rdp, AccountantKind::Pld}) {
    for (double target : {0.5, 1.0, 3.0, 8.0}) {
      const std::vector<DpEvent> ev = {{0.01, 0.0, 1000}};
      const double sigma = calibrate_noise_multiplier(k, ev, 1e-5, target);
      const double mant = sigma / std::pow(10.0, std::floor(std::log10(sigma)) - 2);
      EXPECT_NEAR(mant, std::round(mant), 1e-9) << sigma;  // 3 significant digits
      EXPECT_LE(epsilon_for(k, {{0.01, sigma, 1000}}, 1e-5), target) << sigma;
      EXPECT_GT(epsilon_for(k, {{0.01, sigma * 0.99, 1000}}, 1e-5), target) << sigma;
      // the next lower 3-digit value misses the target: sigma is the exact answer rounded up
      const double step = std::pow(10.0, std::floor(std::log10(sigma)) - 2);
      EXPECT_GT(epsilon_for(k, {{0.01, sigma - step, 1000}}, 1e-5), target) << sigma;
    }
  }
}

TEST(Calibration, PldNeedsLessNoiseThanRdp) {
  const std::vector<DpEvent> ev = {{0.04, 0.0, 2250}};
  const double rdp = calibrate_noise_multiplier(AccountantKind::Rdp, ev, 1e-5, 8.0);
  const double pld = calibrate_noise_multiplier(AccountantKind::Pld, ev, 1e-5, 8.0);
  EXPECT_LE(pld, rdp);
  EXPECT_DOUBLE_EQ(rdp, 1.42);  // regression value (default grid)
}

TEST(Calibration, MultipleEventsShareTheMultiplier) {
  const std::vector<DpEvent> ev = {{0.01, 0.0, 500}, {0.05, 0.0, 100}};
  const double sigma = calibrate_noise_multiplier(AccountantKind::Rdp, ev, 1e-6, 2.0);
  EXPECT_LE(epsilon_for(AccountantKind::Rdp, {{0.01, sigma, 500}, {0.05, sigma, 100}}, 1e-6), 2.0);
  EXPECT_GT(epsilon_for(AccountantKind::Rdp, {{0.01, sigma * 0.99, 500}, {0.05, sigma * 0.99, 100}},
                        1e-6),
            2.0);
}

TEST(Calibration, UnreachableAndInvalidTargetsThrow) {
  const std::vector<DpEvent> ev = {{1.0, 0.0, 10000}};
  for (AccountantKind k : {AccountantKind::Rdp, AccountantKind::Pld}) {
    try {
      calibrate_noise_multiplier(k, ev, 1e-5, 1e-4);
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("1000"), std::string::npos) << e.what();
    }
    EXPECT_THROW(calibrate_noise_multiplier(k, ev, 1e-5, 0.0), std::invalid_argument);
    EXPECT_THROW(calibrate_noise_multiplier(k, ev, 1e-5, -1.0), std::invalid_argument);
    EXPECT_THROW(calibrate_noise_multiplier(k, ev, 1e-5, INFINITY), std::invalid_argument);
    EXPECT_THROW(calibrate_noise_multiplier(k, ev, 0.0, 1.0), std::invalid_argument);
    EXPECT_THROW(calibrate_noise_multiplier(k, {{2.0, 0.0, 10}}, 1e-5, 1.0), std::invalid_argument);
  }
}

TEST(Calibration, HugeTargetGivesTheLowerBound) {
  EXPECT_EQ(calibrate_noise_multiplier(AccountantKind::Rdp, {{0.001, 0.0, 10}}, 1e-5, 1e6),
            kMinCalibratedNoise);
}
