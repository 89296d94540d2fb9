// Backend conformance: every Backend op on every other available backend (today: CUDA) against the
// CPU twin, the reference. Random inputs with edge cases (K = 1, padding rows idx = -1, w = 0 rows,
// NaN/Inf where the op must propagate or drop them, P not a multiple of 4 for the noise, ragged
// rows including 0); then whole simulations on both backends, compared round by round.
//
// Comparison: per element |x - ref| <= abs + rel * |ref|, NaN exactly where the reference has NaN,
// the same infinity where it is infinite (STYLE.md: one suite, abs + rel, NaN/Inf parity).
// Tolerances, by what the two implementations compute:
//   exact (0, 0): ops that copy, select or do one rounding per element in the same order (memory,
//     gather, bias+ReLU, ReLU', scale_rows, clip_factors, broadcast/subtract, argmax);
//   tight (abs 1e-7, rel 1e-6 ~ 8 ulp): elementwise a*b+c chains that are bit-identical by
//     construction (same expression, no FMA on either side: sgd_update, weighted_row_sum,
//     server_update, bias_grad); the tolerance only allows for a host compiler that contracts;
//   reductions in another order: ghost_sqnorm (abs 1e-6, rel 1e-5), row_sqnorms (double,
//     rel 1e-12), softmax/cross-entropy (exp/log in double on both; abs 1e-6, rel 1e-5);
//   GEMMs (cuBLAS vs OpenBLAS sum in different orders): abs 2e-6 * k, rel 1e-5 with inputs in
//     [-1, 1] (the error bound grows with k * sum|a||b|, here <= k);
//   noise: z must equal gaussian_at bit for bit; the noisy axpy must equal the unfused C++
//     expression bit for bit on the device. The CPU's noise loop is built with target_clones and
//     GCC contracts its axpy into FMAs on x86-64-v3/v4 (-ffp-contract=fast is GCC's C++ default),
//     so against the CPU backend the result is bitwise when the CPU does not contract (checked at
//     run time) and otherwise within abs 4e-6, rel 1e-6 (two roundings of O(1) values differ).
//   whole simulations: every global weight within 1e-4 + 1e-3 |w| every round (see below).
// When no CUDA device exists (compiled out, or make_backend("cuda") throws), every case skips with
// "no CUDA device: <reason>", and only for that reason. FEDSIM_CONFORMANCE_BACKEND=cpu runs the
// suite against a second CPU backend instead, to check the suite itself where there is no GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "sim/backend/backend.h"
#include "sim/backend/cpu_backend.h"
#include "sim/secagg/secagg.h"
#include "sim/simulation.h"
#include "sim/util/gaussian_noise.h"
#include "small_federation.h"

using namespace fedsim;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Tol {
  double abs = 0.0;
  double rel = 0.0;
};
constexpr Tol kExact{0.0, 0.0};
constexpr Tol kTight{1e-7, 1e-6};
constexpr Tol kReduce{1e-6, 1e-5};
Tol gemm_tol(int k) {
  return {2e-6 * std::max(k, 1), 1e-5};
}

std::vector<float> uniform(size_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(gen);
  return v;
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}
bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Per element: NaN parity, infinity parity, else |got - ref| <= abs + rel |ref|. Reports the first
// mismatches, and how many elements are bit-identical.
template <typename T>
::testing::AssertionResult close_enough(const std::vector<T>& got, const std::vector<T>& ref,
                                        Tol tol) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << ref.size();
  size_t bad = 0, identical = 0;
  double worst = 0.0;
  std::ostringstream first;
  first.precision(9);
  for (size_t i = 0; i < ref.size(); ++i) {
    const double g = double(got[i]), r = double(ref[i]);
    identical += same_bits(got[i], ref[i]);
    bool ok;
    if (std::isnan(r)) {
      ok = std::isnan(g);
    } else if (std::isinf(r)) {
      ok = g == r;
    } else {
      const double err = std::abs(g - r);
      ok = std::isfinite(g) && err <= tol.abs + tol.rel * std::abs(r);
      if (std::isfinite(err)) worst = std::max(worst, err);
    }
    if (!ok && bad++ < 5) first << "\n  [" << i << "] got " << g << " ref " << r;
  }
  if (bad)
    return ::testing::AssertionFailure()
           << bad << " of " << ref.size() << " elements outside abs " << tol.abs << " + rel "
           << tol.rel << " (" << identical << " bit-identical, max |err| " << worst << ")"
           << first.str();
  return ::testing::AssertionSuccess() << identical << " of " << ref.size() << " bit-identical";
}

template <typename T>
DeviceBuffer<T> put(Backend& be, const std::vector<T>& host) {
  DeviceBuffer<T> d(be, host.size());
  if (!host.empty()) d.upload(host.data(), host.size());
  return d;
}
template <typename T>
std::vector<T> get(const DeviceBuffer<T>& d) {
  std::vector<T> host(d.size());
  if (!host.empty()) d.download(host.data(), host.size());
  return host;
}

// Rounds to float (through memory), so host references never contract a*b+c into an FMA.
float rounded(float x) {
  volatile float v = x;
  return v;
}

// The fixture: the CPU reference and the device under test, or a skip with the reason.
class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    // FEDSIM_CONFORMANCE_BACKEND=cpu tests a second CPU backend instead: checks the suite itself
    // on machines without a GPU (device-only assertions are then skipped).
    const char* env = std::getenv("FEDSIM_CONFORMANCE_BACKEND");
    const std::string kind = env && *env ? env : "cuda";
    try {
      dut_ = make_backend(kind);
    } catch (const BackendError& e) {
      GTEST_SKIP() << "no CUDA device: " << e.what();
    }
  }
  bool dut_is_cuda() const { return dut_->name() == "cuda"; }
  // Runs `op` on the CPU and on the device under test with the same inputs; returns {ref, got}.
  template <typename F>
  auto on_both(F&& op) {
    auto ref = op(static_cast<Backend&>(cpu_));
    auto got = op(*dut_);
    return std::make_pair(std::move(ref), std::move(got));
  }
  CpuBackend cpu_;
  std::unique_ptr<Backend> dut_;
};

}  // namespace

// ---- identity and memory ------------------------------------------------------------------------

TEST_F(Conformance, DescribesItself) {
  EXPECT_FALSE(dut_->device().empty());
  EXPECT_GT(dut_->chunk_bytes(), size_t(1) << 20);
  if (dut_is_cuda()) {
    EXPECT_NE(dut_->device().find(" GiB, CUDA "), std::string::npos) << dut_->device();
    // auto picks the device when there is one, once the CUDA backend is verified on a GPU
    EXPECT_EQ(make_backend("auto")->name(), cuda_auto_enabled() ? "cuda" : "cpu");
  }
  std::cout << "device under test: " << dut_->device() << ", chunk " << (dut_->chunk_bytes() >> 20)
            << " MiB\n";
}

// FEDSIM_CUDA_OP_TIMING=1 (bench_cuda --profile): a device backend records every op and prints the
// per-op table when it is destroyed, naming the ops it saw.
TEST_F(Conformance, OpTimingTableNamesTheOps) {
  if (!dut_is_cuda()) GTEST_SKIP() << "the op timing is the CUDA backend's";
  setenv("FEDSIM_CUDA_OP_TIMING", "1", 1);
  testing::internal::CaptureStderr();
  {
    std::unique_ptr<Backend> be = make_backend("cuda");
    auto x = put(*be, uniform(1000, 1));
    be->fill(x.get(), 1.0f, 1000);
    auto y = put(*be, uniform(1000, 2));
    be->gemm_batched(false, true, 10, 10, 10, 1.0f, x.get(), 10, 100, y.get(), 10, 100, 0.0f,
                     x.get() + 500, 10, 100, 2);
    be->synchronize();
  }
  const std::string table = testing::internal::GetCapturedStderr();
  unsetenv("FEDSIM_CUDA_OP_TIMING");
  EXPECT_NE(table.find("fedsim cuda op timing"), std::string::npos) << table;
  EXPECT_NE(table.find("fill"), std::string::npos) << table;
  EXPECT_NE(table.find("gemm_batched NT"), std::string::npos) << table;
}

TEST_F(Conformance, MemoryIsZeroedAndRoundTrips) {
  auto [ref, got] = on_both([&](Backend& be) {
    std::vector<float> out;
    DeviceBuffer<float> a(be, 1000003), b(be, 1000003);
    const auto zeros = get(a);
    out.insert(out.end(), zeros.begin(), zeros.end());  // fresh memory is zero
    a.upload(uniform(1000003, 1).data(), 1000003);
    be.copy(b.get(), a.get(), sizeof(float) * 1000003);
    be.fill(b.get() + 5, 2.5f, 1);  // n = 1, inside
    be.fill(b.get() + 100, -7.0f, 999900);
    be.fill(b.get(), 1.0f, 0);  // n = 0: nothing
    const auto bb = get(b);
    out.insert(out.end(), bb.begin(), bb.end());
    be.synchronize();
    return out;
  });
  EXPECT_TRUE(close_enough(got, ref, kExact));
}

// ---- dense algebra ------------------------------------------------------------------------------

namespace {

struct GemmCase {
  int m, n, k, batch;
  int pad;        // extra leading-dimension columns (never read or written)
  bool shared_b;  // stride_b = 0: one B for the whole batch
};

// Stored shapes: A [m, k] or [k, m] (trans_a), B [k, n] or [n, k] (trans_b), C [m, n]; row-major.
std::vector<float> run_gemm(Backend& be, const GemmCase& g, bool ta, bool tb, float alpha,
                            float beta, unsigned seed) {
  const int lda = (ta ? g.m : g.k) + g.pad, ldb = (tb ? g.k : g.n) + g.pad, ldc = g.n + g.pad;
  const int64_t sa = int64_t(ta ? g.k : g.m) * lda + 3,
                sb = g.shared_b ? 0 : int64_t(tb ? g.n : g.k) * ldb + 1;
  const int64_t sc = int64_t(g.m) * ldc + 2;
  auto a = put(be, uniform(size_t(sa) * g.batch, seed));
  const int64_t one_b = int64_t(tb ? g.n : g.k) * ldb;
  auto b = put(be, uniform(size_t(g.shared_b ? one_b : sb * g.batch), seed + 1));
  auto c = put(be, uniform(size_t(sc) * g.batch, seed + 2));
  be.gemm_batched(ta, tb, g.m, g.n, g.k, alpha, a.get(), lda, sa, b.get(), ldb, sb, beta, c.get(),
                  ldc, sc, g.batch);
  return get(c);  // the whole buffer: entries outside the matrices must be untouched
}

}  // namespace

TEST_F(Conformance, GemmBatchedAllTransposesAndShapes) {
  const GemmCase cases[] = {{1, 1, 1, 1, 0, false},    {7, 5, 3, 4, 3, false},
                            {33, 17, 65, 3, 1, false}, {32, 256, 64, 5, 0, false},
                            {64, 2, 256, 2, 2, false}, {9, 4, 6, 3, 0, true},
                            {300, 20, 24, 1, 0, false}};
  unsigned seed = 10;
  for (const GemmCase& g : cases)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (float beta : {0.0f, 0.5f}) {
          ++seed;
          auto [ref, got] =
              on_both([&](Backend& be) { return run_gemm(be, g, ta, tb, 0.7f, beta, seed); });
          EXPECT_TRUE(close_enough(got, ref, gemm_tol(g.k)))
              << "m " << g.m << " n " << g.n << " k " << g.k << " batch " << g.batch << " ta " << ta
              << " tb " << tb << " beta " << beta << " shared_b " << g.shared_b;
        }
}

TEST_F(Conformance, GemmWithEmptyInnerDimensionScalesC) {
  for (bool ta : {false, true})  // ta: the weight-gradient shape (A stored [k, m])
    for (float beta : {0.0f, 0.5f}) {
      auto [ref, got] = on_both([&](Backend& be) {
        auto a = put(be, uniform(8, 1)), b = put(be, uniform(8, 2));
        std::vector<float> c0 = uniform(3 * 4 * 5, 3);
        c0[0] = beta == 0.0f ? kNaN : c0[0];  // beta = 0 must not read C
        auto c = put(be, c0);
        be.gemm_batched(ta, false, 4, 5, 0, 1.0f, a.get(), ta ? 4 : 1, 0, b.get(), 5, 0, beta,
                        c.get(), 5, 20, 3);
        return get(c);
      });
      EXPECT_TRUE(close_enough(got, ref, kExact)) << "ta " << ta << " beta " << beta;
    }
}

// The weight-gradient GEMM at a training step's shapes, C_k = beta C_k + alpha dZ_k^T A_k, with
// tiles cut at the edges (70 x 33) and whole (256 x 128), inner dimensions of one and several
// chunks, batched and ragged (clients with no rows: C_k = beta C_k), beta = 0 over a NaN in C.
TEST_F(Conformance, GemmWeightGradientShapes) {
  const int K = 23;
  for (const auto& [m, n, kk] :
       {std::tuple{70, 33, 32}, {256, 128, 32}, {2, 256, 40}, {65, 64, 97}})
    for (bool ragged : {false, true})
      for (float beta : {0.0f, 1.0f}) {
        std::vector<int> rows(K);
        for (int k = 0; k < K; ++k) rows[k] = (k * 11) % (kk + 1);  // 0 .. kk, client 0 empty
        auto [ref, got] = on_both([&](Backend& be) {
          auto a = put(be, uniform(size_t(K) * kk * m, 1));  // dZ_k [kk, m]
          auto b = put(be, uniform(size_t(K) * kk * n, 2));  // A_k [kk, n]
          std::vector<float> c0 = uniform(size_t(K) * m * n, 3);
          if (beta == 0.0f) c0[5] = kNaN;
          auto c = put(be, c0);
          if (ragged) {
            std::vector<float> az = get(a);  // the ragged K operands: padding rows zero
            for (int k = 0; k < K; ++k)
              for (int r = rows[k]; r < kk; ++r)
                for (int i = 0; i < m; ++i) az[(size_t(k) * kk + r) * m + i] = 0.0f;
            a = put(be, az);
            be.gemm_ragged(Backend::Ragged::K, rows.data(), true, false, m, n, kk, -0.5f, a.get(),
                           m, int64_t(kk) * m, b.get(), n, int64_t(kk) * n, beta, c.get(), n,
                           int64_t(m) * n, K);
          } else {
            be.gemm_batched(true, false, m, n, kk, -0.5f, a.get(), m, int64_t(kk) * m, b.get(), n,
                            int64_t(kk) * n, beta, c.get(), n, int64_t(m) * n, K);
          }
          return get(c);
        });
        EXPECT_TRUE(close_enough(got, ref, gemm_tol(kk)))
            << m << "x" << n << " k " << kk << " ragged " << ragged << " beta " << beta;
      }
}

// A round's first local step reads one weight matrix for all clients (stride 0) over stacked
// activation rows: the forward (NT) and the input gradient (NN), batched and ragged over M (the
// CUDA backend may run these as one large GEMM; rows past m_b stay unspecified).
TEST_F(Conformance, GemmOverSharedWeightsAndStackedRows) {
  const int K = 37, B = 12, in = 40, out = 24;
  std::vector<int> rows(K);
  for (int k = 0; k < K; ++k) rows[k] = (k * 7) % (B + 1);
  for (bool ragged : {false, true})
    for (bool tb : {true, false}) {  // NT: A [B, in] W^T; NN: dZ [B, out] W, W [out, in]
      const int kk = tb ? in : out, n = tb ? out : in;
      auto [ref, got] = on_both([&](Backend& be) {
        auto a = put(be, uniform(size_t(K) * B * kk, 1));
        auto w = put(be, uniform(size_t(out) * in, 2));
        auto c = put(be, uniform(size_t(K) * B * n, 3));
        if (ragged)
          be.gemm_ragged(Backend::Ragged::M, rows.data(), false, tb, B, n, kk, 1.0f, a.get(), kk,
                         int64_t(B) * kk, w.get(), in, 0, 0.0f, c.get(), n, int64_t(B) * n, K);
        else
          be.gemm_batched(false, tb, B, n, kk, 0.5f, a.get(), kk, int64_t(B) * kk, w.get(), in, 0,
                          0.25f, c.get(), n, int64_t(B) * n, K);
        auto all = get(c);
        if (!ragged) return all;
        std::vector<float> real;
        for (int k = 0; k < K; ++k)
          for (int i = 0; i < rows[k]; ++i)
            for (int j = 0; j < n; ++j) real.push_back(all[(size_t(k) * B + i) * n + j]);
        return real;
      });
      EXPECT_TRUE(close_enough(got, ref, gemm_tol(kk))) << "ragged " << ragged << " tb " << tb;
    }
}

// The two ragged uses of the engine: forward (rows of A and C ragged) and the clipped-gradient
// GEMM dW = dZ^T A (the inner dimension ragged, padding rows of dZ zero, of A finite).
TEST_F(Conformance, GemmRaggedMComputesTheRealRows) {
  const int K = 5, B = 12, in = 24, out = 33;
  const std::vector<int> rows = {12, 0, 5, 1, 12};
  auto [ref, got] = on_both([&](Backend& be) {
    auto a = put(be, uniform(size_t(K) * B * in, 1));
    auto w = put(be, uniform(size_t(K) * out * in, 2));
    auto z = put(be, std::vector<float>(size_t(K) * B * out, 0.0f));
    be.gemm_ragged(Backend::Ragged::M, rows.data(), false, true, B, out, in, 1.0f, a.get(), in,
                   int64_t(B) * in, w.get(), in, int64_t(out) * in, 0.0f, z.get(), out,
                   int64_t(B) * out, K);
    auto all = get(z);
    std::vector<float> real;  // rows past m_b are unspecified: compare only the real ones
    for (int k = 0; k < K; ++k)
      for (int i = 0; i < rows[k]; ++i)
        for (int j = 0; j < out; ++j) real.push_back(all[(size_t(k) * B + i) * out + j]);
    return real;
  });
  EXPECT_TRUE(close_enough(got, ref, gemm_tol(in)));
}

TEST_F(Conformance, GemmRaggedKSkipsZeroPadding) {
  const int K = 4, B = 10, in = 17, out = 6;
  const std::vector<int> rows = {10, 0, 3, 1};
  std::vector<float> dz = uniform(size_t(K) * B * out, 1);
  for (int k = 0; k < K; ++k)  // padding rows of the K-ragged operand: zero (scale_rows with c = 0)
    for (int i = rows[k]; i < B; ++i)
      for (int j = 0; j < out; ++j) dz[(size_t(k) * B + i) * out + j] = 0.0f;
  for (float beta : {0.0f, 1.0f}) {
    auto [ref, got] = on_both([&](Backend& be) {
      auto d = put(be, dz);
      auto a = put(be, uniform(size_t(K) * B * in, 2));  // padding rows finite
      auto g = put(be, uniform(size_t(K) * out * in, 3));
      be.gemm_ragged(Backend::Ragged::K, rows.data(), true, false, out, in, B, 1.0f, d.get(), out,
                     int64_t(B) * out, a.get(), in, int64_t(B) * in, beta, g.get(), in,
                     int64_t(out) * in, K);
      return get(g);
    });
    EXPECT_TRUE(close_enough(got, ref, gemm_tol(B))) << "beta " << beta;
  }
  // Not transposed: op(A) = A [m, k] with columns past k_b zero; B [k, n] rows past k_b finite.
  const int m = 7, n = 9, k = 8;
  const std::vector<int> kr = {8, 2, 0};
  std::vector<float> a0 = uniform(size_t(3) * m * k, 4);
  for (int q = 0; q < 3; ++q)
    for (int i = 0; i < m; ++i)
      for (int t = kr[q]; t < k; ++t) a0[(size_t(q) * m + i) * k + t] = 0.0f;
  auto [ref, got] = on_both([&](Backend& be) {
    auto a = put(be, a0);
    auto b = put(be, uniform(size_t(3) * k * n, 5));
    auto c = put(be, uniform(size_t(3) * m * n, 6));
    be.gemm_ragged(Backend::Ragged::K, kr.data(), false, false, m, n, k, 0.5f, a.get(), k,
                   int64_t(m) * k, b.get(), n, int64_t(k) * n, 0.25f, c.get(), n, int64_t(m) * n,
                   3);
    return get(c);
  });
  EXPECT_TRUE(close_enough(got, ref, gemm_tol(k)));
}

// Many clients with Poisson-like row counts: the CUDA backend groups them into several buckets of
// pointer-array GEMMs (sim/backend/ragged_buckets.h); forward (ragged M) and weight gradient
// (ragged K, beta 0 and 1), as DP-SGD calls them.
TEST_F(Conformance, GemmRaggedManyClientsInBuckets) {
  const int K = 300, B = 40, in = 64, out = 48;
  std::vector<int> rows(K);
  std::mt19937 gen(3);
  std::binomial_distribution<int> draw(80, 0.25);
  for (int& r : rows) r = std::min(draw(gen), B);
  rows[7] = 0;
  auto [ref, got] = on_both([&](Backend& be) {
    auto a = put(be, uniform(size_t(K) * B * in, 1));
    auto w = put(be, uniform(size_t(K) * out * in, 2));
    auto z = put(be, std::vector<float>(size_t(K) * B * out, 0.0f));
    be.gemm_ragged(Backend::Ragged::M, rows.data(), false, true, B, out, in, 1.0f, a.get(), in,
                   int64_t(B) * in, w.get(), in, int64_t(out) * in, 0.0f, z.get(), out,
                   int64_t(B) * out, K);
    auto all = get(z);
    std::vector<float> real;
    for (int k = 0; k < K; ++k)
      for (int i = 0; i < rows[k]; ++i)
        for (int j = 0; j < out; ++j) real.push_back(all[(size_t(k) * B + i) * out + j]);
    return real;
  });
  EXPECT_TRUE(close_enough(got, ref, gemm_tol(in)));
  std::vector<float> dz = uniform(size_t(K) * B * out, 4);
  for (int k = 0; k < K; ++k)
    for (int i = rows[k]; i < B; ++i)
      for (int j = 0; j < out; ++j) dz[(size_t(k) * B + i) * out + j] = 0.0f;
  for (float beta : {0.0f, 1.0f}) {
    auto [gref, ggot] = on_both([&](Backend& be) {
      auto d = put(be, dz);
      auto a = put(be, uniform(size_t(K) * B * in, 5));
      auto g = put(be, uniform(size_t(K) * out * in, 6));
      be.gemm_ragged(Backend::Ragged::K, rows.data(), true, false, out, in, B, -0.5f, d.get(), out,
                     int64_t(B) * out, a.get(), in, int64_t(B) * in, beta, g.get(), in,
                     int64_t(out) * in, K);
      return get(g);
    });
    EXPECT_TRUE(close_enough(ggot, gref, gemm_tol(B))) << "beta " << beta;
  }
}

// ---- layers
// ---------------------------------------------------------------------------------------

TEST_F(Conformance, GatherRowsWithPaddingAndRepeats) {
  const int N = 50;
  for (int d : {1, 37}) {
    const std::vector<int64_t> idx = {3, -1, 49, 0, 3, -1, 17, 17, 48, -1, 0, 25};
    auto [ref, got] = on_both([&](Backend& be) {
      auto x = put(be, uniform(size_t(N) * d, 1));
      std::vector<int32_t> y0(N);
      for (int i = 0; i < N; ++i) y0[i] = 1 + i % 7;
      auto y = put(be, y0);
      auto ix = put(be, idx);
      auto xo = put(be, std::vector<float>(idx.size() * d + 3, 9.0f));
      auto yo = put(be, std::vector<int32_t>(idx.size() + 1, 9));
      be.gather_rows(xo.get(), yo.get(), x.get(), y.get(), ix.get(), int64_t(idx.size()), d);
      be.gather_rows(xo.get(), yo.get(), x.get(), y.get(), ix.get(), 0, d);  // rows = 0: nothing
      auto out = get(xo);
      for (int32_t v : get(yo)) out.push_back(float(v));
      return out;
    });
    EXPECT_TRUE(close_enough(got, ref, kExact)) << "d " << d;
  }
}

TEST_F(Conformance, BiasActForwardWithNaNAndSignedZero) {
  struct Case {
    int K, B, n;
    int64_t stride, offset;
    bool relu;
  };
  const Case cases[] = {{3, 4, 5, 50, 7, true},
                        {3, 4, 5, 50, 7, false},
                        {1, 9, 300, 0, 0, true},
                        {4, 1, 1, 3, 2, true}};
  for (const Case& c : cases) {
    std::vector<float> z0 = uniform(size_t(c.K) * c.B * c.n, 1);
    z0[0] = kNaN;
    if (z0.size() > 2) z0[2] = -0.0f;
    if (z0.size() > 3) z0[3] = kInf;
    const size_t params_n = size_t(c.stride) * c.K + c.offset + c.n;
    std::vector<float> p0 = uniform(params_n, 2);
    if (z0.size() > 2) p0[c.offset + 2 % c.n] = 0.0f;
    auto [ref, got] = on_both([&](Backend& be) {
      auto z = put(be, z0);
      auto p = put(be, p0);
      be.bias_act_forward(z.get(), p.get(), c.stride, c.offset, c.K, c.B, c.n, c.relu, nullptr);
      return get(z);
    });
    EXPECT_TRUE(close_enough(got, ref, kExact))
        << "K " << c.K << " n " << c.n << " relu " << c.relu;
  }
}

TEST_F(Conformance, ReluBackward) {
  std::vector<float> a0 = uniform(10007, 1), da0 = uniform(10007, 2);
  a0[0] = 0.0f;
  a0[1] = -0.0f;
  a0[2] = kNaN;
  da0[3] = kNaN;
  a0[3] = 1.0f;  // NaN gradient passes where a > 0
  auto [ref, got] = on_both([&](Backend& be) {
    auto a = put(be, a0);
    auto da = put(be, da0);
    be.relu_backward(da.get(), a.get(), 1, 1, int(a0.size()), nullptr);
    return get(da);
  });
  EXPECT_TRUE(close_enough(got, ref, kExact));
}

TEST_F(Conformance, SoftmaxXentBackwardInPlaceAndApart) {
  struct Case {
    int K, B, C;
    bool in_place;
  };
  const Case cases[] = {{4, 6, 2, true}, {4, 6, 10, false}, {1, 200, 3, true}, {3, 5, 1, false}};
  for (const Case& c : cases) {
    const size_t rows = size_t(c.K) * c.B;
    std::vector<float> logits0 = uniform(rows * c.C, 1, -30.0f, 30.0f);
    logits0[0] = 80.0f;  // large logits: the max-shift keeps exp finite
    if (logits0.size() > 1) logits0[1] = -80.0f;
    std::vector<int32_t> labels0(rows);
    std::vector<float> w0(rows), scale0 = uniform(c.K, 3, 0.1f, 1.0f);
    for (size_t r = 0; r < rows; ++r) {
      labels0[r] = int32_t((r * 7) % c.C);
      w0[r] = r % 4 == 3 ? 0.0f : 1.0f;  // padding rows
    }
    w0[1] = 0.5f;
    auto [ref, got] = on_both([&](Backend& be) {
      auto logits = put(be, logits0);
      auto labels = put(be, labels0);
      auto w = put(be, w0);
      auto scale = put(be, scale0);
      auto loss = put(be, uniform(c.K, 4, 0.0f, 5.0f));  // a running sum: starts non-zero
      auto out = put(be, std::vector<float>(rows * c.C, kNaN));
      float* d = c.in_place ? logits.get() : out.get();
      be.softmax_xent_backward(d, loss.get(), logits.get(), labels.get(), w.get(), scale.get(), c.K,
                               c.B, c.C);
      auto res = get(c.in_place ? logits : out);
      const auto l = get(loss);
      res.insert(res.end(), l.begin(), l.end());
      return res;
    });
    EXPECT_TRUE(close_enough(got, ref, kReduce)) << "K " << c.K << " B " << c.B << " C " << c.C;
  }
}

TEST_F(Conformance, BiasGradOverwritesOrAccumulates) {
  struct Case {
    int K, B, n;
    float alpha, beta;
  };
  const Case cases[] = {{3, 5, 7, 1.0f, 0.0f},
                        {3, 5, 7, -0.1f, 1.0f},
                        {2, 33, 600, 1.0f, 0.0f},
                        {1, 1, 1, 0.5f, 0.25f}};
  for (const Case& c : cases) {
    const int64_t stride = 1000, offset = 11;
    std::vector<float> g0 = uniform(size_t(stride) * c.K + offset + c.n, 1);
    if (c.beta == 0.0f) g0[offset] = kNaN;  // beta = 0 overwrites without reading
    auto [ref, got] = on_both([&](Backend& be) {
      auto g = put(be, g0);
      auto dz = put(be, uniform(size_t(c.K) * c.B * c.n, 2));
      be.bias_grad(g.get(), stride, offset, dz.get(), c.K, c.B, c.n, c.alpha, c.beta);
      return get(g);
    });
    EXPECT_TRUE(close_enough(got, ref, kTight)) << "n " << c.n << " beta " << c.beta;
  }
}

// ---- sample-level DP-SGD
// --------------------------------------------------------------------------

TEST_F(Conformance, GhostSqnormSetsAndAccumulates) {
  const int64_t rows = 20;
  for (int out : {1, 33, 256})
    for (int in : {1, 64, 300}) {
      auto [ref, got] = on_both([&](Backend& be) {
        auto n2 = put(be, uniform(rows, 1, 0.0f, 3.0f));
        auto delta = put(be, uniform(size_t(rows) * out, 2));
        auto a = put(be, uniform(size_t(rows) * in, 3));
        be.ghost_sqnorm(n2.get(), delta.get(), a.get(), 1, int(rows), out, in, false, nullptr);
        auto first = get(n2);
        be.ghost_sqnorm(n2.get(), delta.get(), a.get(), 1, int(rows), out, in, true, nullptr);
        auto second = get(n2);
        first.insert(first.end(), second.begin(), second.end());
        return first;
      });
      EXPECT_TRUE(close_enough(got, ref, kReduce)) << "out " << out << " in " << in;
    }
}

// The row-wise ops with row bounds (ragged Poisson batches): the real rows as without bounds;
// the padding rows are unspecified and not compared.
TEST_F(Conformance, RowWiseOpsWithRowBounds) {
  const int K = 4, B = 9, n = 37, in = 20;
  const std::vector<int> rows = {9, 0, 4, 1};
  auto real_rows = [&](const std::vector<float>& all, int width) {
    std::vector<float> out;
    for (int k = 0; k < K; ++k)
      for (int i = 0; i < rows[k]; ++i)
        for (int j = 0; j < width; ++j) out.push_back(all[(size_t(k) * B + i) * width + j]);
    return out;
  };
  for (const int* bounds : {static_cast<const int*>(nullptr), rows.data()}) {
    auto [ref, got] = on_both([&](Backend& be) {
      auto z = put(be, uniform(size_t(K) * B * n, 1));
      auto p = put(be, uniform(size_t(K) * 100 + n, 2));
      be.bias_act_forward(z.get(), p.get(), 100, 3, K, B, n, true, bounds);
      auto da = put(be, uniform(size_t(K) * B * n, 3));
      auto a = put(be, uniform(size_t(K) * B * n, 4));
      be.relu_backward(da.get(), a.get(), K, B, n, bounds);
      auto n2 = put(be, uniform(size_t(K) * B, 5, 0.0f, 1.0f));
      auto x = put(be, uniform(size_t(K) * B * in, 6));
      be.ghost_sqnorm(n2.get(), da.get(), x.get(), K, B, n, in, true, bounds);
      std::vector<float> out = real_rows(get(z), n);
      for (float v : real_rows(get(da), n)) out.push_back(v);
      for (float v : real_rows(get(n2), 1)) out.push_back(v);
      return out;
    });
    EXPECT_TRUE(close_enough(got, ref, kReduce)) << "bounds " << (bounds != nullptr);
  }
}

TEST_F(Conformance, ClipFactorsAtTheBoundary) {
  const int K = 3, B = 7;
  const float clip = 1.5f;
  std::vector<float> n2 = uniform(size_t(K) * B, 1, 0.0f, 6.0f), w(size_t(K) * B, 1.0f);
  n2[0] = clip * clip;  // exactly at the bound: not clipped
  n2[1] = 0.0f;
  n2[2] = 1e30f;
  w[2] = 0.0f;  // a padding row over the bound: factor 0, not counted
  w[5] = 0.0f;
  auto [ref, got] = on_both([&](Backend& be) {
    auto c = put(be, std::vector<float>(size_t(K) * B, kNaN));
    auto acc = put(be, std::vector<float>{1.0f, 0.0f, 4.0f});
    auto n = put(be, n2);
    auto ww = put(be, w);
    be.clip_factors(c.get(), acc.get(), n.get(), ww.get(), clip, K, B);
    auto out = get(c);
    for (float v : get(acc)) out.push_back(v);
    return out;
  });
  EXPECT_TRUE(close_enough(got, ref, kExact));
}

TEST_F(Conformance, ScaleRowsZeroesPaddingExactly) {
  const int64_t rows = 9;
  const int n = 13;
  std::vector<float> x0 = uniform(size_t(rows) * n, 1), c0 = uniform(rows, 2);
  c0[2] = 0.0f;
  x0[2 * n] = kNaN;  // stale padding: must become exactly 0
  x0[2 * n + 1] = kInf;
  c0[4] = -0.0f;
  auto [ref, got] = on_both([&](Backend& be) {
    auto x = put(be, x0);
    auto c = put(be, c0);
    be.scale_rows(x.get(), c.get(), rows, n);
    return get(x);
  });
  EXPECT_TRUE(close_enough(got, ref, kExact));
}

namespace {

constexpr uint64_t kSeed = 0x1234567890ABCDEFull;
constexpr uint32_t kRound = 7, kStep = 3;
const std::vector<uint32_t> kIds = {0u, 42u, 0xFFFFFFFFu, 123456u};

// Host reference of the noisy axpy with every operation rounded (no FMA):
// out = (base ? base + scale * t : scale * t), t = g + stddev * z.
float unfused_axpy(float base, bool has_base, float g, float stddev, float z, float scale) {
  const float t = rounded(g + rounded(stddev * z));
  const float st = rounded(scale * t);
  return has_base ? rounded(base + st) : st;
}

}  // namespace

// The device draws the very numbers of gaussian_at: with g = 0, scale = 1, stddev = 1 the op
// returns z itself (every multiply by 1 and add of 0 is exact, fused or not).
TEST_F(Conformance, NoiseIsBitIdenticalToGaussianAt) {
  const NoiseKey key = noise_key(kSeed, kNoiseDpSgd);
  for (int64_t P : {1, 3, 4, 5, 1001}) {
    const int K = int(kIds.size());
    const std::vector<float> ones(K, 1.0f);
    auto [ref, got] = on_both([&](Backend& be) {
      auto g = put(be, std::vector<float>(size_t(K) * P, 0.0f));
      be.add_noise_and_scale(g.get(), K, P, 1.0f, ones.data(), kSeed, kNoiseDpSgd, kRound,
                             kIds.data(), kStep);
      return get(g);
    });
    std::vector<float> z(size_t(K) * P);
    for (int k = 0; k < K; ++k)
      for (int64_t i = 0; i < P; ++i)
        z[size_t(k) * P + i] = gaussian_at(key, kRound, kIds[k], kStep, uint64_t(i));
    EXPECT_TRUE(close_enough(got, z, kExact)) << "device vs gaussian_at, P " << P;
    EXPECT_TRUE(close_enough(ref, z, kExact)) << "cpu vs gaussian_at, P " << P;
  }
}

// DP-SGD's fused layer step (the CUDA backend's experimental fused_noise path; the CPU twin is the
// reference): a layer in the middle of the parameter row, noise aligned and not, ragged batches
// with an empty client.
TEST_F(Conformance, NoisyLayerStep) {
  const int K = 6, B = 16;
  const std::vector<int> rows = {16, 0, 3, 9, 1, 16};
  const std::vector<float> lr_scale = {0.1f, 0.2f, 0.05f, 1.0f, 0.3f, 0.02f};
  const std::vector<uint32_t> ids = {0u, 42u, 0xFFFFFFFFu, 123456u, 7u, 99u};
  for (const auto& [out, in, w_offset] :
       {std::tuple{70, 33, int64_t(7)}, {256, 128, int64_t(33024)}, {2, 256, int64_t(12)}}) {
    const int64_t b_offset = w_offset + int64_t(out) * in, stride = b_offset + out + 5;
    std::vector<float> dz = uniform(size_t(K) * B * out, 1);
    for (int k = 0; k < K; ++k)
      for (int r = rows[k]; r < B; ++r)
        for (int i = 0; i < out; ++i) dz[(size_t(k) * B + r) * out + i] = 0.0f;
    std::vector<float> clip = uniform(size_t(K) * B, 4, 0.01f, 1.0f);
    clip[2 * B + 1] = 0.0f;  // with a NaN in its row: scaled to exactly 0
    dz[(2 * size_t(B) + 1) * out] = kNaN;
    for (bool scaled : {true, false}) {
      auto [ref, got] = on_both([&](Backend& be) {
        auto d = put(be, dz);
        auto c = put(be, clip);
        auto a = put(be, uniform(size_t(K) * B * in, 2));
        auto w = put(be, uniform(size_t(K) * stride, 3));
        be.noisy_layer_step(rows.data(), K, B, out, in, d.get(), scaled ? c.get() : nullptr,
                            a.get(), w.get(), stride, w_offset, b_offset, 0.9f, lr_scale.data(),
                            kSeed, kNoiseDpSgd, kRound, ids.data(), kStep);
        return get(w);
      });
      EXPECT_TRUE(close_enough(got, ref, gemm_tol(B)))
          << out << "x" << in << " at " << w_offset << " scaled " << scaled;
    }
  }
}

TEST_F(Conformance, AddNoiseAndScaleAndNoisySgdStep) {
  const NoiseKey key = noise_key(kSeed, kNoiseServer);
  for (int K : {1, 4})
    for (int64_t P : {1, 3, 5, 1001, 100003})
      for (float stddev : {0.0f, 0.7f}) {
        const std::vector<float> g0 = uniform(size_t(K) * P, 1), w0 = uniform(size_t(K) * P, 2);
        const std::vector<float> scale = uniform(K, 3, 0.5f, 2.0f);
        auto [ref, got] = on_both([&](Backend& be) {
          auto g = put(be, g0);
          be.add_noise_and_scale(g.get(), K, P, stddev, scale.data(), kSeed, kNoiseServer, kRound,
                                 kIds.data(), kStep);
          auto out = get(g);
          auto w = put(be, w0);
          auto grad = put(be, g0);
          be.noisy_sgd_step(w.get(), grad.get(), K, P, stddev, scale.data(), kSeed, kNoiseServer,
                            kRound + 1, kIds.data(), kStep);
          const auto ww = get(w);
          out.insert(out.end(), ww.begin(), ww.end());
          return out;
        });
        // The unfused C++ expression, which the device (-fmad=false) must match bit for bit.
        std::vector<float> plain(ref.size());
        for (int k = 0; k < K; ++k)
          for (int64_t i = 0; i < P; ++i) {
            const size_t e = size_t(k) * P + i;
            plain[e] = stddev == 0.0f
                           ? rounded(g0[e] * scale[k])
                           : unfused_axpy(0.0f, false, g0[e], stddev,
                                          gaussian_at(key, kRound, kIds[k], kStep, i), scale[k]);
            plain[size_t(K) * P + e] =
                unfused_axpy(w0[e], true, g0[e], stddev,
                             gaussian_at(key, kRound + 1, kIds[k], kStep, i), -scale[k]);
          }
        const std::string where = "K " + std::to_string(K) + " P " + std::to_string(P) +
                                  " stddev " + std::to_string(stddev);
        if (dut_is_cuda()) {
          EXPECT_TRUE(close_enough(got, plain, kExact))
              << "device vs the unfused expression, " << where;
        }
        const bool cpu_fuses = !static_cast<bool>(close_enough(ref, plain, kExact));
        EXPECT_TRUE(close_enough(got, ref, cpu_fuses ? Tol{4e-6, 1e-6} : kExact))
            << "device vs CPU (CPU noise loop " << (cpu_fuses ? "FMA-contracted" : "unfused")
            << "), " << where;
        if (cpu_fuses && K == 1 && P == 1001 && stddev != 0.0f)
          std::cout << "note: this CPU's noise loop contracts the axpy into FMAs (GCC's default "
                       "-ffp-contract=fast on an FMA clone); CUDA matches the unfused expression "
                       "bitwise and the CPU within tolerance\n";
      }
}

// ---- client updates and reductions --------------------------------------------------------------

TEST_F(Conformance, SgdUpdateEveryVariant) {
  const SgdParams variants[] = {{0.1f, 0.0f, 0.0f, 0.0f},
                                {0.1f, 0.9f, 0.0f, 0.0f},
                                {0.05f, 0.0f, 1e-3f, 0.0f},
                                {0.05f, 0.5f, 1e-2f, 0.1f}};
  const int K = 3;
  const int64_t P = 1001;
  for (const SgdParams& p : variants) {
    auto [ref, got] = on_both([&](Backend& be) {
      auto w = put(be, uniform(size_t(K) * P, 1));
      auto g = put(be, uniform(size_t(K) * P, 2));
      auto v = put(be, uniform(size_t(K) * P, 3));
      auto global = put(be, uniform(P, 4));
      for (int step = 0; step < 3; ++step)
        be.sgd_update(w.get(), g.get(), p.momentum > 0.0f ? v.get() : nullptr, global.get(), p, K,
                      P);
      auto out = get(w);
      const auto vv = get(v);
      out.insert(out.end(), vv.begin(), vv.end());
      return out;
    });
    EXPECT_TRUE(close_enough(got, ref, kTight))
        << "momentum " << p.momentum << " wd " << p.weight_decay << " mu " << p.prox_mu;
  }
}

TEST_F(Conformance, BroadcastAndSubtractRows) {
  for (int K : {1, 5})
    for (int64_t P : {1, 1001}) {
      auto [ref, got] = on_both([&](Backend& be) {
        auto src = put(be, uniform(P, 1));
        auto other = put(be, uniform(P, 2));
        auto rows = put(be, uniform(size_t(K) * P + 1, 3));
        be.broadcast_rows(rows.get(), src.get(), K, P);
        auto out = get(rows);
        be.subtract_row(rows.get(), other.get(), K, P);
        const auto r2 = get(rows);
        out.insert(out.end(), r2.begin(), r2.end());
        return out;
      });
      EXPECT_TRUE(close_enough(got, ref, kExact)) << "K " << K << " P " << P;
    }
}

// With `sub` (client deltas read from the weights and the global model) and without.
TEST_F(Conformance, RowSqnormsInDouble) {
  for (int K : {1, 5})
    for (int64_t P : {0, 1, 1001, 100003})
      for (bool with_sub : {false, true}) {
        auto [ref, got] = on_both([&](Backend& be) {
          auto rows = put(be, uniform(size_t(K) * P + 1, 1, -3.0f, 3.0f));
          auto sub = put(be, uniform(size_t(P) + 1, 4));
          std::vector<double> out(K, -1.0);
          be.row_sqnorms(out.data(), rows.get(), with_sub ? sub.get() : nullptr, K, P);
          return out;
        });
        EXPECT_TRUE(close_enough(got, ref, Tol{1e-12, 1e-12}))
            << "K " << K << " P " << P << " sub " << with_sub;
      }
}

TEST_F(Conformance, WeightedRowSumIncludingManyRows) {
  // K = 70000 is more than the device's preallocated per-op scratch (65536 entries): it grows.
  for (int K : {1, 7, 70000})
    for (int64_t P : {1, 1001})
      for (float beta : {0.0f, 1.0f}) {
        if (K == 70000 && P > 1) continue;
        for (bool with_sub : {false, true}) {
          auto [ref, got] = on_both([&](Backend& be) {
            auto rows = put(be, uniform(size_t(K) * P, 1));
            auto sub = put(be, uniform(P, 4));
            auto out = put(be, uniform(P, 2));
            const std::vector<float> w = uniform(K, 3, 0.0f, 1.0f);
            be.weighted_row_sum(out.get(), rows.get(), with_sub ? sub.get() : nullptr, w.data(), K,
                                P, beta);
            return get(out);
          });
          EXPECT_TRUE(close_enough(got, ref, K > 1000 ? kReduce : kTight))
              << "K " << K << " P " << P << " beta " << beta << " sub " << with_sub;
        }
      }
}

TEST_F(Conformance, ServerUpdateEveryRule) {
  const int64_t P = 1001;
  for (ServerRule rule : {ServerRule::FedAvg, ServerRule::FedAvgM, ServerRule::FedAdam,
                          ServerRule::FedYogi, ServerRule::FedAdagrad}) {
    ServerParams p;
    p.rule = rule;
    p.lr = 0.3f;
    auto [ref, got] = on_both([&](Backend& be) {
      auto x = put(be, uniform(P, 1));
      auto m = put(be, std::vector<float>(P, 0.0f));
      auto v = put(be, std::vector<float>(P, p.tau * p.tau));
      for (int step = 0; step < 3; ++step) {
        auto delta = put(be, uniform(P, 10 + step, -0.1f, 0.1f));
        be.server_update(x.get(), delta.get(), m.get(), v.get(), p, P);
      }
      auto out = get(x);
      for (const auto& buf : {&m, &v}) {
        const auto b = get(*buf);
        out.insert(out.end(), b.begin(), b.end());
      }
      return out;
    });
    EXPECT_TRUE(close_enough(got, ref, kTight)) << "rule " << int(rule);
  }
}

// ---- evaluation
// -----------------------------------------------------------------------------------

TEST_F(Conformance, SoftmaxEvalWithTies) {
  const int64_t n = 50;
  for (int C : {1, 2, 5}) {
    std::vector<float> logits0 = uniform(size_t(n) * C, 1, -20.0f, 20.0f);
    for (int j = 0; j < C; ++j) logits0[j] = 1.5f;  // row 0: all tied (argmax is the first)
    std::vector<int32_t> labels0(n);
    for (int64_t i = 0; i < n; ++i) labels0[i] = int32_t(i % C);
    std::vector<int32_t> pred_ref, pred_got;
    auto [ref, got] = on_both([&](Backend& be) {
      auto logits = put(be, logits0);
      auto labels = put(be, labels0);
      DeviceBuffer<float> loss(be, n), p1(be, n);
      DeviceBuffer<int32_t> pred(be, n);
      be.softmax_eval(loss.get(), pred.get(), p1.get(), logits.get(), labels.get(), n, C);
      (&be == static_cast<Backend*>(&cpu_) ? pred_ref : pred_got) = get(pred);
      auto out = get(loss);
      const auto pp = get(p1);
      out.insert(out.end(), pp.begin(), pp.end());
      return out;
    });
    EXPECT_TRUE(close_enough(got, ref, kReduce)) << "C " << C;
    EXPECT_EQ(pred_got, pred_ref) << "C " << C;
  }
}

// ---- secure aggregation (fast mode) ------------------------------------------------------------

// The sum of many fast-mode masks: integer arithmetic, so bit for bit the CPU's, for a length that
// is not a multiple of 64 and masks added and subtracted; masks that are added and subtracted
// again cancel exactly.
TEST_F(Conformance, AddPhiloxMasksBitForBit) {
  const size_t n = 64 * 1000 + 29;
  std::vector<PhiloxMaskKey> keys;
  std::vector<uint8_t> subtract;
  std::mt19937 gen(9);
  for (int t = 0; t < 41; ++t) {
    keys.push_back(
        {uint32_t(gen()), uint32_t(gen()), uint32_t(gen()), uint32_t(gen()), uint32_t(gen())});
    subtract.push_back(gen() % 2);
  }
  std::vector<uint32_t> start(n);
  for (auto& v : start) v = uint32_t(gen());
  auto [ref, got] = on_both([&](Backend& be) {
    DeviceBuffer<uint32_t> acc(be, n);
    acc.upload(start.data(), n);
    be.add_philox_masks(acc.get(), n, keys.data(), subtract.data(), int(keys.size()));
    std::vector<uint32_t> out(n);
    acc.download(out.data(), n);
    return out;
  });
  ASSERT_EQ(ref.size(), got.size());
  size_t differ = 0;
  for (size_t i = 0; i < n; ++i) differ += ref[i] != got[i];
  EXPECT_EQ(differ, 0u) << "of " << n << " words";
  EXPECT_NE(ref, start);
  // Every mask added, then subtracted: back to the start.
  std::vector<uint8_t> flipped(subtract.size());
  for (size_t t = 0; t < subtract.size(); ++t) flipped[t] = !subtract[t];
  DeviceBuffer<uint32_t> acc(*dut_, n);
  acc.upload(start.data(), n);
  dut_->add_philox_masks(acc.get(), n, keys.data(), subtract.data(), int(keys.size()));
  dut_->add_philox_masks(acc.get(), n, keys.data(), flipped.data(), int(keys.size()));
  std::vector<uint32_t> back(n);
  acc.download(back.data(), n);
  EXPECT_EQ(back, start);
}

// A SecAgg+ round in fast mode with the server's unmasking on the device: the same round as on
// the host (the engine checks every round's unmasked sum against the plain quantised sum).
TEST_F(Conformance, SecAggRoundWithUnmaskingOnTheDevice) {
  const int K = 40;
  const int64_t P = 3001;
  std::vector<float> x(size_t(K) * P);
  std::mt19937 gen(4);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  for (auto& v : x) v = nd(gen);
  std::vector<int8_t> drop(K, -1);
  drop[2] = 0, drop[5] = 1, drop[6] = 1, drop[11] = 2;
  secagg::SecAggSettings s;
  s.mode = secagg::SecAggMode::SecAggPlus;
  s.bits = 24;
  s.neighbours = 12;
  s.threshold = 6;
  s.prg = secagg::MaskPrg::Philox;
  auto [ref, got] = on_both([&](Backend& be) {
    secagg::SecAggRoundInput in;
    in.updates = x.data();
    in.clients = K;
    in.params = P;
    in.seed = 7;
    in.round = 2;
    in.forced_dropout = drop;
    in.mask_backend = &be;
    const secagg::SecAggRoundResult r = secagg::run_secagg_round(s, in);
    EXPECT_TRUE(r.verified);
    EXPECT_GT(r.costs.server_key_agreements, 0u);
    return r.modular_sum;
  });
  EXPECT_EQ(ref, got);
}

// ---- whole simulations
// ----------------------------------------------------------------------------

namespace {

Scenario base_scenario() {
  Scenario s;
  s.run.seed = 7;
  s.run.rounds = 20;
  s.model.kind = ModelKind::Mlp;
  s.model.hidden = {32, 16};
  s.client.batch_size = 16;
  s.client.lr = 0.1;
  s.server.clients_per_round = 10;
  return s;
}

}  // namespace

// 20 rounds on the CPU and on the device. The weights may drift apart only by rounding: GEMMs sum
// in different orders (and the CPU's noise axpy may be FMA-contracted), about 1 ulp per op.
// Measured on the CPU with every GEMM output perturbed by 1 ulp (relative 2^-23): the global
// weights of these scenarios drift by at most 1e-6 over 20 rounds (4e-6 with 8 ulp). Tolerance
// per weight and round: 1e-4 + 1e-3 |w|, a 100x margin that still catches any wrong op (those
// move weights by 1e-2 and more). Cohorts, sample counts and epsilon are host-side: identical.
class ConformanceRun : public Conformance, public ::testing::WithParamInterface<int> {};

TEST_P(ConformanceRun, TwentyRoundsMatchTheCpu) {
  const Federation fed = small_federation(2000, 10, 40, 3);
  Scenario s = base_scenario();
  switch (GetParam()) {
    case 0:  // plain FedAvg
      break;
    case 1:  // sample-level DP-SGD with noise (Poisson batches, ghost clipping, noisy step)
      s.privacy.mode = PrivacyMode::Sample;
      s.privacy.noise_multiplier = 1.0;
      s.privacy.clip = 1.0;
      break;
    case 2:  // user-level DP-FedAvg, adaptive clip, momentum + weight decay, FedAdam
      s.client.momentum = 0.5;
      s.client.weight_decay = 1e-3;
      s.server.optimizer = ServerOptimizer::FedAdam;
      s.server.lr = 0.02;
      s.server.clients_per_round = 0;
      s.server.sampling_rate = 0.25;
      s.privacy.mode = PrivacyMode::User;
      s.privacy.noise_multiplier = 0.5;
      s.privacy.clip = 0.5;
      s.privacy.adaptive_clip = true;
      break;
  }
  Simulation cpu(s, fed, std::make_unique<CpuBackend>()), dev(s, fed, std::move(dut_));
  double worst = 0.0;
  for (int r = 1; r <= s.run.rounds; ++r) {
    const RoundRecord a = cpu.step_round(), b = dev.step_round();
    ASSERT_FALSE(cpu.diverged());
    ASSERT_FALSE(dev.diverged());
    EXPECT_EQ(b.clients_sampled, a.clients_sampled) << "round " << r;
    if (std::isnan(a.epsilon)) {
      EXPECT_TRUE(std::isnan(b.epsilon)) << "round " << r;
    } else {
      EXPECT_EQ(b.epsilon, a.epsilon) << "round " << r;
    }
    EXPECT_NEAR(b.train_loss, a.train_loss, 1e-4 * std::abs(a.train_loss)) << "round " << r;
    if (!std::isnan(a.clip_fraction)) {
      EXPECT_NEAR(b.clip_fraction, a.clip_fraction, 0.01) << "round " << r;
    }
    const std::vector<float> wa = cpu.global_weights(), wb = dev.global_weights();
    ASSERT_TRUE(close_enough(wb, wa, Tol{1e-4, 1e-3})) << "round " << r;
    for (size_t j = 0; j < wa.size(); ++j) worst = std::max(worst, double(std::abs(wb[j] - wa[j])));
  }
  const EvalRecord ea = cpu.evaluate(), eb = dev.evaluate();
  EXPECT_NEAR(eb.loss, ea.loss, 1e-4 * ea.loss);
  EXPECT_NEAR(eb.accuracy, ea.accuracy, 0.01);
  EXPECT_NEAR(eb.auc, ea.auc, 0.01);
  std::cout << "scenario " << GetParam() << ": max |w_device - w_cpu| over 20 rounds " << worst
            << "\n";
}

std::string scenario_name(const ::testing::TestParamInfo<int>& info) {
  static const char* const kNames[] = {"FedAvg", "SampleDpSgd", "UserDpFedAdam"};
  return kNames[info.param];
}
INSTANTIATE_TEST_SUITE_P(Scenarios, ConformanceRun, ::testing::Values(0, 1, 2), scenario_name);
