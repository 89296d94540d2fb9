// Radix-2 FFT (see fft.h): iterative decimation in time with per-stage contiguous twiddles.
#include "sim/privacy/fft.h"

#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace fedsim::fft {
namespace {

constexpr double kTwoPi = 6.283185307179586476925;

bool is_pow2(size_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

cplx unit(double turns) {
  return {std::cos(kTwoPi * turns), std::sin(kTwoPi * turns)};
}

}  // namespace

size_t fft_size(size_t n) {
  size_t s = 4;
  while (s < n) s <<= 1;
  return s;
}

ComplexFft::ComplexFft(size_t n) : n_(n) {
  if (!is_pow2(n) || n > (size_t(1) << 31))
    throw std::invalid_argument("fft: length must be a power of two <= 2^31");
  int bits = 0;
  while ((size_t(1) << bits) < n) ++bits;
  rev_.assign(n, 0);
  for (size_t i = 1; i < n; ++i) rev_[i] = uint32_t((rev_[i >> 1] >> 1) | ((i & 1) << (bits - 1)));
  // The last stage's twiddles directly from cos/sin; every earlier stage uses a subset of them.
  tw_.resize(n > 1 ? n : 1);
  const size_t half = n / 2;
  for (size_t j = 0; j < half; ++j) tw_[half + j] = unit(-double(j) / double(n));
  for (size_t h = half / 2; h >= 1; h /= 2)
    for (size_t j = 0; j < h; ++j) tw_[h + j] = tw_[half + j * (half / h)];
}

void ComplexFft::transform(cplx* a, bool inverse) const {
  for (size_t i = 0; i < n_; ++i)
    if (i < rev_[i]) std::swap(a[i], a[rev_[i]]);
  // Butterflies on raw doubles: std::complex's operator* checks for NaN on every product.
  double* d = reinterpret_cast<double*>(a);
  const double sign = inverse ? -1.0 : 1.0;
  for (size_t h = 1; h < n_; h <<= 1) {
    const cplx* w = tw_.data() + h;
    for (size_t s = 0; s < n_; s += 2 * h) {
      for (size_t j = 0; j < h; ++j) {
        const double wr = w[j].real(), wi = sign * w[j].imag();
        double* u = d + 2 * (s + j);
        double* v = d + 2 * (s + j + h);
        const double vr = v[0] * wr - v[1] * wi, vi = v[0] * wi + v[1] * wr;
        v[0] = u[0] - vr;
        v[1] = u[1] - vi;
        u[0] += vr;
        u[1] += vi;
      }
    }
  }
}

RealFft::RealFft(size_t n) : n_(n), half_(n >= 4 && is_pow2(n) ? n / 2 : 1) {
  if (n < 4 || !is_pow2(n)) throw std::invalid_argument("fft: real length must be 2^k >= 4");
  w_.resize(n / 2);
  for (size_t k = 0; k < n / 2; ++k) w_[k] = unit(-double(k) / double(n));
}

// x real, z_k = x_2k + i x_2k+1, Z = DFT(z). With E, O the DFTs of the even and odd samples,
// E_k = (Z_k + conj Z_{m-k}) / 2, O_k = (Z_k - conj Z_{m-k}) / 2i and X_k = E_k + w^k O_k.
void RealFft::forward(const double* in, cplx* out) const {
  const size_t m = n_ / 2;
  std::vector<cplx> z(m);
  for (size_t k = 0; k < m; ++k) z[k] = {in[2 * k], in[2 * k + 1]};
  half_.forward(z.data());
  for (size_t k = 0; k <= m; ++k) {
    const cplx zk = z[k % m], zc = std::conj(z[(m - k) % m]);
    const cplx e = 0.5 * (zk + zc);
    const cplx d = zk - zc;
    const cplx o = {0.5 * d.imag(), -0.5 * d.real()};  // d / 2i
    const cplx w = k < m ? w_[k] : cplx(-1.0, 0.0);
    out[k] = e + cplx(w.real() * o.real() - w.imag() * o.imag(),
                      w.real() * o.imag() + w.imag() * o.real());
  }
}

// The inverse of forward(): E_k = (X_k + conj X_{m-k}) / 2, O_k = (X_k - conj X_{m-k}) conj(w^k) /
// 2, Z_k = E_k + i O_k, z = IDFT(Z).
void RealFft::inverse(const cplx* in, double* out) const {
  const size_t m = n_ / 2;
  std::vector<cplx> z(m);
  for (size_t k = 0; k < m; ++k) {
    const cplx xk = in[k], xc = std::conj(in[m - k]);
    const cplx e = 0.5 * (xk + xc);
    const cplx d = 0.5 * (xk - xc);
    const cplx wc = std::conj(w_[k]);
    const cplx o = {d.real() * wc.real() - d.imag() * wc.imag(),
                    d.real() * wc.imag() + d.imag() * wc.real()};
    z[k] = {e.real() - o.imag(), e.imag() + o.real()};  // e + i o
  }
  half_.inverse_unscaled(z.data());
  const double scale = 1.0 / double(m);
  for (size_t k = 0; k < m; ++k) {
    out[2 * k] = z[k].real() * scale;
    out[2 * k + 1] = z[k].imag() * scale;
  }
}

std::shared_ptr<const RealFft> real_fft(size_t n) {
  // Plans up to 2^21 points (about 36 MB) are kept for reuse; larger ones are built each time.
  static std::mutex mu;
  static std::map<size_t, std::shared_ptr<const RealFft>> cache;
  if (n > (size_t(1) << 21)) return std::make_shared<const RealFft>(n);
  std::lock_guard<std::mutex> lock(mu);
  auto& plan = cache[n];
  if (!plan) plan = std::make_shared<const RealFft>(n);
  return plan;
}

std::vector<double> convolve(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return {};
  const size_t len = a.size() + b.size() - 1;
  const size_t n = fft_size(len);
  const RealFft& f = *real_fft(n);
  std::vector<double> pa(n, 0.0), pb(n, 0.0);
  std::copy(a.begin(), a.end(), pa.begin());
  std::copy(b.begin(), b.end(), pb.begin());
  std::vector<cplx> fa(f.bins()), fb(f.bins());
  f.forward(pa.data(), fa.data());
  f.forward(pb.data(), fb.data());
  for (size_t k = 0; k < fa.size(); ++k) {
    const cplx x = fa[k], y = fb[k];
    fa[k] = {x.real() * y.real() - x.imag() * y.imag(), x.real() * y.imag() + x.imag() * y.real()};
  }
  f.inverse(fa.data(), pa.data());
  pa.resize(len);
  return pa;
}

}  // namespace fedsim::fft
