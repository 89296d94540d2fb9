// A small radix-2 FFT for the PLD accountant: complex transforms of power-of-two length, real
// transforms (n reals <-> n/2 + 1 complex bins) built on a complex transform of half the length,
// and linear convolution of real sequences. Written here rather than taken from a library to keep
// fedsim's dependencies to Debian packages with permissive licences (FFTW is GPL); tested against
// a direct DFT in tests/test_accountant.cpp. Twiddles are computed directly (not by recurrence),
// so the rounding error grows like log2(n) * 1e-16.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fedsim::fft {

using cplx = std::complex<double>;

class ComplexFft {
 public:
  explicit ComplexFft(size_t n);  // n: a power of two >= 1
  size_t size() const { return n_; }
  // In place, X_k = sum_j x_j exp(-2 pi i jk/n).
  void forward(cplx* a) const { transform(a, false); }
  // In place, x_j = sum_k X_k exp(+2 pi i jk/n), unscaled (divide by n for the inverse).
  void inverse_unscaled(cplx* a) const { transform(a, true); }

 private:
  size_t n_;
  std::vector<uint32_t> rev_;  // bit-reversal permutation
  std::vector<cplx> tw_;       // tw_[h + j] = exp(-2 pi i j / (2h)), h = 1, 2, 4, ..., n/2
  void transform(cplx* a, bool inverse) const;
};

class RealFft {
 public:
  explicit RealFft(size_t n);  // n: a power of two >= 4
  size_t size() const { return n_; }
  size_t bins() const { return n_ / 2 + 1; }
  // in: n reals; out: bins() values X_0 .. X_{n/2} of the DFT.
  void forward(const double* in, cplx* out) const;
  // in: bins() values of a Hermitian spectrum; out: n reals, scaled by 1/n (the true inverse).
  void inverse(const cplx* in, double* out) const;

 private:
  size_t n_;
  ComplexFft half_;
  std::vector<cplx> w_;  // exp(-2 pi i k / n), k < n/2
};

// A shared, immutable plan for length n (cached for reuse; thread-safe).
std::shared_ptr<const RealFft> real_fft(size_t n);

// The smallest power of two >= max(n, 4).
size_t fft_size(size_t n);

// Linear convolution (length a.size() + b.size() - 1) by FFT.
std::vector<double> convolve(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace fedsim::fft
