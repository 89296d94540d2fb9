// Micro-benchmarks of every op of the Backend interface (sim/backend/backend.h), one benchmark per
// op (a few with variants), at the shapes of one cohort's training step: K = 256 clients, B = 32
// rows per client, the dense layer 128 -> 256 (layer 0 of the MLP 128-256-256-2, whose P = 99,330
// parameters per client set the sizes of the row ops), softmax over its C = 2 classes.
//
// Buffers are allocated once per benchmark run (outside the timed loop) and filled with non-zero
// values; each timed iteration is one op followed by be.synchronize(), in wall-clock time. In-place
// ops run on their own output again every iteration, with values chosen so nothing over- or
// underflows (scale_rows alternates c and 1 / c).
// Counters: bytes_per_second counts each input read once and each output written once (an in-place
// buffer both; host-side inputs such as scale_host are counted too; to_device/to_host/copy count
// the read and the write, so they show twice the link's rate); bytes_per_op is that per call;
// GEMMs add FLOP/s (2 m n k per client, only the rows a ragged GEMM needs); the noise ops add
// normals/s and add_philox_masks mask_words/s.
// Usage: bench_ops [--backend=cpu|cuda] [benchmark flags], e.g. --benchmark_min_time=0.1
// (about a minute on 2 cores). Without that backend (no CUDA compiled in, no device) it prints
// "bench_ops: no <kind> backend (<reason>)" and exits 0.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/backend/backend.h"
#include "sim/backend/blas_kernels.h"

using namespace fedsim;

namespace {

constexpr int kK = 256;        // clients in the cohort
constexpr int kB = 32;         // rows (samples) per client
constexpr int kIn = 128;       // layer inputs
constexpr int kOut = 256;      // layer outputs
constexpr int kC = 2;          // classes
constexpr int64_t kP = 99330;  // parameters per client (MLP 128-256-256-2)
constexpr int64_t kRows = int64_t(kK) * kB;
constexpr int64_t kWOffset = 0;                    // W [256, 128] of layer 0
constexpr int64_t kBOffset = int64_t(kIn) * kOut;  // b [256] of layer 0
constexpr int64_t kN = int64_t(kK) * 50;           // gather source: 50 samples per client
constexpr int64_t kKP = int64_t(kK) * kP;

Backend* g_be = nullptr;
Backend& be() {
  return *g_be;
}

// Uniform (0, 1) from a counter (splitmix64).
float hash_unit(uint64_t i) {
  uint64_t z = i + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (float(z >> 40) + 0.5f) * 0x1.0p-24f;
}

// A pool of 2^20 uniform values, made once; buffers are filled from it at a seed's offset.
const std::vector<float>& unit_pool() {
  static const std::vector<float> pool = [] {
    std::vector<float> p(size_t(1) << 20);
    for (size_t i = 0; i < p.size(); ++i) p[i] = hash_unit(i);
    return p;
  }();
  return pool;
}

// n values uniform in [lo, hi), none exactly zero.
std::vector<float> host_uniform(size_t n, float lo, float hi, uint64_t seed) {
  const auto& pool = unit_pool();
  std::vector<float> h(n);
  size_t j = size_t(seed * 104729u) % pool.size();
  for (size_t i = 0; i < n; ++i) {
    const float v = lo + (hi - lo) * pool[j];
    h[i] = v != 0.0f ? v : 0.25f;
    if (++j == pool.size()) j = 0;
  }
  return h;
}

template <typename T>
DeviceBuffer<T> on_device(const std::vector<T>& h) {
  DeviceBuffer<T> d(be(), h.size());
  d.upload(h.data(), h.size());
  return d;
}

DeviceBuffer<float> uniform(size_t n, float lo, float hi, uint64_t seed) {
  return on_device(host_uniform(n, lo, hi, seed));
}

// Per-client rows of a ragged GEMM: 16..32 of the B = 32.
std::vector<int> ragged_rows() {
  std::vector<int> r(kK);
  for (int k = 0; k < kK; ++k) r[k] = kB / 2 + (k * 7) % (kB / 2 + 1);
  return r;
}

// Times op() + synchronize() and sets the counters: bytes (and flops, extra items) per call.
template <typename F>
void time_op(benchmark::State& st, double bytes, double flops, F&& op,
             const char* items_name = nullptr, double items = 0) {
  op();  // warm-up: first touch, lazy allocations, kernel loads
  be().synchronize();
  for (auto _ : st) {
    op();
    be().synchronize();
  }
  const double it = double(st.iterations());
  st.SetBytesProcessed(int64_t(bytes * it));
  st.counters["bytes_per_op"] = bytes;
  if (flops > 0)
    st.counters["FLOP/s"] = benchmark::Counter(flops * it, benchmark::Counter::kIsRate);
  if (items_name)
    st.counters[items_name] = benchmark::Counter(items * it, benchmark::Counter::kIsRate);
}

void timing(benchmark::internal::Benchmark* b) {
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

constexpr double kF = sizeof(float);

// ---- memory (a cohort's parameter rows: K x P floats, 101.7 MB) --------------------------------
void BM_Fill(benchmark::State& st) {
  DeviceBuffer<float> x(be(), kKP);
  time_op(st, kKP * kF, 0, [&] { be().fill(x.get(), 0.5f, kKP); });
}
BENCHMARK(BM_Fill)->Apply(timing);

void BM_Copy(benchmark::State& st) {
  DeviceBuffer<float> src = uniform(kKP, -1, 1, 1), dst(be(), kKP);
  time_op(st, 2 * kKP * kF, 0, [&] { be().copy(dst.get(), src.get(), kKP * sizeof(float)); });
}
BENCHMARK(BM_Copy)->Apply(timing);

void BM_ToDevice(benchmark::State& st) {
  const std::vector<float> host = host_uniform(kKP, -1, 1, 2);
  DeviceBuffer<float> dst(be(), kKP);
  time_op(st, 2 * kKP * kF, 0,
          [&] { be().to_device(dst.get(), host.data(), kKP * sizeof(float)); });
}
BENCHMARK(BM_ToDevice)->Apply(timing);

void BM_ToHost(benchmark::State& st) {
  DeviceBuffer<float> src = uniform(kKP, -1, 1, 3);
  std::vector<float> host(kKP, 1.0f);
  time_op(st, 2 * kKP * kF, 0, [&] { be().to_host(host.data(), src.get(), kKP * sizeof(float)); });
}
BENCHMARK(BM_ToHost)->Apply(timing);

// ---- dense algebra: the three GEMMs of the layer, as sim/train/model_ops.cpp calls them
// ---------- 0 fwd:        Z[k] = A[k] (B x 128) W[k]^T (128 x 256) 1 bwd_data:   dA[k] = dZ[k] (B
// x 256) W[k] (256 x 128) 2 bwd_weight: dW[k] = dZ[k]^T (256 x B) A[k] (B x 128)
void BM_GemmBatched(benchmark::State& st) {
  const int kind = int(st.range(0));
  DeviceBuffer<float> acts = uniform(kRows * kIn, -1, 1, 4);
  DeviceBuffer<float> dz = uniform(kRows * kOut, -1, 1, 5);
  DeviceBuffer<float> params = uniform(kKP, -0.1f, 0.1f, 6);
  DeviceBuffer<float> out(be(), kind == 2 ? size_t(kKP) : size_t(kRows) * kOut);
  const int64_t sa = int64_t(kB) * kIn, sz = int64_t(kB) * kOut;
  int m = 0, n = 0, k = 0;
  std::function<void()> op;
  if (kind == 0) {
    m = kB, n = kOut, k = kIn;
    st.SetLabel("fwd  Z = A W^T");
    op = [&] {
      be().gemm_batched(false, true, m, n, k, 1.0f, acts.get(), kIn, sa, params.get() + kWOffset,
                        kIn, kP, 0.0f, out.get(), kOut, sz, kK);
    };
  } else if (kind == 1) {
    m = kB, n = kIn, k = kOut;
    st.SetLabel("bwd_data  dA = dZ W");
    op = [&] {
      be().gemm_batched(false, false, m, n, k, 1.0f, dz.get(), kOut, sz, params.get() + kWOffset,
                        kIn, kP, 0.0f, out.get(), kIn, sa, kK);
    };
  } else {
    m = kOut, n = kIn, k = kB;
    st.SetLabel("bwd_weight  dW = dZ^T A");
    op = [&] {
      be().gemm_batched(true, false, m, n, k, 1.0f, dz.get(), kOut, sz, acts.get(), kIn, sa, 0.0f,
                        out.get() + kWOffset, kIn, kP, kK);
    };
  }
  const double bytes = double(kK) * (double(m) * k + double(k) * n + double(m) * n) * kF;
  time_op(st, bytes, 2.0 * kK * m * n * k, op);
}
BENCHMARK(BM_GemmBatched)->DenseRange(0, 2)->Apply(timing);

// Ragged, 16..32 rows per client (mean 24): 0 = M-ragged fwd, 1 = K-ragged bwd_weight (the clipped
// gradient sum of DP-SGD); padding rows of the K-ragged operands are zero, as callers keep them.
void BM_GemmRagged(benchmark::State& st) {
  const int kind = int(st.range(0));
  const std::vector<int> rows = ragged_rows();
  double sum_rows = 0;
  for (int r : rows) sum_rows += r;
  std::vector<float> a_h = host_uniform(kRows * kIn, -1, 1, 7);
  std::vector<float> dz_h = host_uniform(kRows * kOut, -1, 1, 8);
  if (kind == 1)
    for (int k = 0; k < kK; ++k)
      for (int i = rows[k]; i < kB; ++i) {
        std::fill_n(a_h.begin() + (int64_t(k) * kB + i) * kIn, kIn, 0.0f);
        std::fill_n(dz_h.begin() + (int64_t(k) * kB + i) * kOut, kOut, 0.0f);
      }
  DeviceBuffer<float> acts = on_device(a_h), dz = on_device(dz_h);
  DeviceBuffer<float> params = uniform(kKP, -0.1f, 0.1f, 9);
  DeviceBuffer<float> out(be(), kind == 1 ? size_t(kKP) : size_t(kRows) * kOut);
  const int64_t sa = int64_t(kB) * kIn, sz = int64_t(kB) * kOut;
  if (kind == 0) {
    st.SetLabel("M: fwd, rows 16..32");
    // A: rows x 128, W: 128 x 256 per client, Z: rows x 256.
    const double bytes = (sum_rows * kIn + double(kK) * kIn * kOut + sum_rows * kOut) * kF;
    time_op(st, bytes, 2.0 * sum_rows * kOut * kIn, [&] {
      be().gemm_ragged(Backend::Ragged::M, rows.data(), false, true, kB, kOut, kIn, 1.0f,
                       acts.get(), kIn, sa, params.get() + kWOffset, kIn, kP, 0.0f, out.get(), kOut,
                       sz, kK);
    });
  } else {
    st.SetLabel("K: bwd_weight, rows 16..32");
    const double bytes = (sum_rows * kOut + sum_rows * kIn + double(kK) * kOut * kIn) * kF;
    time_op(st, bytes, 2.0 * kOut * kIn * sum_rows, [&] {
      be().gemm_ragged(Backend::Ragged::K, rows.data(), true, false, kOut, kIn, kB, 1.0f, dz.get(),
                       kOut, sz, acts.get(), kIn, sa, 0.0f, out.get() + kWOffset, kIn, kP, kK);
    });
  }
}
BENCHMARK(BM_GemmRagged)->DenseRange(0, 1)->Apply(timing);

// ---- layers
// --------------------------------------------------------------------------------------
void BM_GatherRows(benchmark::State& st) {
  DeviceBuffer<float> x = uniform(kN * kIn, -1, 1, 10);
  std::vector<int32_t> y_h(kN);
  for (int64_t i = 0; i < kN; ++i) y_h[i] = int32_t(i % kC);
  std::vector<int64_t> idx_h(kRows);
  for (int64_t r = 0; r < kRows; ++r) idx_h[r] = int64_t(hash_unit(uint64_t(r) + 99) * kN) % kN;
  DeviceBuffer<int32_t> y = on_device(y_h);
  DeviceBuffer<int64_t> idx = on_device(idx_h);
  DeviceBuffer<float> x_out(be(), kRows * kIn);
  DeviceBuffer<int32_t> y_out(be(), kRows);
  const double bytes = kRows * (8.0 + 2 * (kIn * kF + 4.0));
  time_op(st, bytes, 0, [&] {
    be().gather_rows(x_out.get(), y_out.get(), x.get(), y.get(), idx.get(), kRows, kIn);
  });
}
BENCHMARK(BM_GatherRows)->Apply(timing);

void BM_BiasActForward(benchmark::State& st) {
  DeviceBuffer<float> z = uniform(kRows * kOut, -1, 1, 11);
  DeviceBuffer<float> params = uniform(kKP, -0.01f, 0.01f, 12);
  const double bytes = (2.0 * kRows * kOut + double(kK) * kOut) * kF;
  time_op(st, bytes, 0, [&] {
    be().bias_act_forward(z.get(), params.get(), kP, kBOffset, kK, kB, kOut, true, nullptr);
  });
}
BENCHMARK(BM_BiasActForward)->Apply(timing);

void BM_ReluBackward(benchmark::State& st) {
  const int64_t count = kRows * kOut;
  DeviceBuffer<float> da = uniform(count, -1, 1, 13), a = uniform(count, -1, 1, 14);
  time_op(st, 3.0 * count * kF, 0,
          [&] { be().relu_backward(da.get(), a.get(), int(kK), int(kB), int(kOut), nullptr); });
}
BENCHMARK(BM_ReluBackward)->Apply(timing);

void BM_SoftmaxXentBackward(benchmark::State& st) {
  DeviceBuffer<float> logits = uniform(kRows * kC, -2, 2, 15), dlogits(be(), kRows * kC);
  std::vector<int32_t> labels_h(kRows);
  for (int64_t i = 0; i < kRows; ++i) labels_h[i] = int32_t((i * 7) % kC);
  DeviceBuffer<int32_t> labels = on_device(labels_h);
  DeviceBuffer<float> w = uniform(kRows, 0.5f, 1, 16), scale = uniform(kK, 0.01f, 0.05f, 17);
  DeviceBuffer<float> loss = uniform(kK, 0.5f, 1, 18);
  // reads logits, labels, w, scale, loss_acc; writes dlogits, loss_acc
  const double bytes = (2.0 * kRows * kC + 2.0 * kRows + 3.0 * kK) * kF;
  time_op(st, bytes, 0, [&] {
    be().softmax_xent_backward(dlogits.get(), loss.get(), logits.get(), labels.get(), w.get(),
                               scale.get(), kK, kB, kC);
  });
}
BENCHMARK(BM_SoftmaxXentBackward)->Apply(timing);

void BM_BiasGrad(benchmark::State& st) {
  DeviceBuffer<float> grad = uniform(kKP, -1, 1, 19), dz = uniform(kRows * kOut, -1, 1, 20);
  const double bytes = (double(kRows) * kOut + double(kK) * kOut) * kF;
  time_op(st, bytes, 0,
          [&] { be().bias_grad(grad.get(), kP, kBOffset, dz.get(), kK, kB, kOut, 1.0f, 0.0f); });
}
BENCHMARK(BM_BiasGrad)->Apply(timing);

// ---- sample-level DP-SGD
// -------------------------------------------------------------------------
void BM_GhostSqnorm(benchmark::State& st) {
  DeviceBuffer<float> delta = uniform(kRows * kOut, -1, 1, 21), a = uniform(kRows * kIn, -1, 1, 22);
  DeviceBuffer<float> n2(be(), kRows);
  const double bytes = (double(kRows) * (kOut + kIn) + kRows) * kF;
  time_op(st, bytes, 0, [&] {
    be().ghost_sqnorm(n2.get(), delta.get(), a.get(), int(kK), int(kB), kOut, kIn, false, nullptr);
  });
}
BENCHMARK(BM_GhostSqnorm)->Apply(timing);

void BM_ClipFactors(benchmark::State& st) {
  DeviceBuffer<float> n2 = uniform(kRows, 0.5f, 2, 23), w = uniform(kRows, 0.5f, 1, 24);
  DeviceBuffer<float> c(be(), kRows), clipped = uniform(kK, 1, 2, 25);
  // reads n2, w, clipped_acc; writes c, clipped_acc
  const double bytes = (3.0 * kRows + 2.0 * kK) * kF;
  time_op(st, bytes, 0,
          [&] { be().clip_factors(c.get(), clipped.get(), n2.get(), w.get(), 1.0f, kK, kB); });
}
BENCHMARK(BM_ClipFactors)->Apply(timing);

void BM_ScaleRows(benchmark::State& st) {
  DeviceBuffer<float> x = uniform(kRows * kOut, -1, 1, 26);
  std::vector<float> c_h = host_uniform(kRows, 0.5f, 2, 27), inv_h(kRows);
  for (int64_t r = 0; r < kRows; ++r) inv_h[r] = 1.0f / c_h[r];
  DeviceBuffer<float> c = on_device(c_h), inv = on_device(inv_h);
  bool flip = false;
  const double bytes = (2.0 * kRows * kOut + kRows) * kF;
  time_op(st, bytes, 0,
          [&] { be().scale_rows(x.get(), (flip = !flip) ? c.get() : inv.get(), kRows, kOut); });
}
BENCHMARK(BM_ScaleRows)->Apply(timing);

void BM_AddNoiseAndScale(benchmark::State& st) {
  DeviceBuffer<float> g = uniform(kKP, -1, 1, 28);
  const std::vector<float> scale(kK, 1.0f);
  std::vector<uint32_t> ids(kK);
  for (int k = 0; k < kK; ++k) ids[k] = uint32_t(k * 3 + 1);
  uint32_t step = 0;
  const double bytes = 2.0 * kKP * kF + kK * (kF + 4.0);
  time_op(
      st, bytes, 0,
      [&] {
        be().add_noise_and_scale(g.get(), kK, kP, 0.01f, scale.data(), 1, 2, 3, ids.data(), ++step);
      },
      "normals/s", double(kKP));
}
BENCHMARK(BM_AddNoiseAndScale)->Apply(timing);

void BM_NoisySgdStep(benchmark::State& st) {
  DeviceBuffer<float> params = uniform(kKP, -1, 1, 29), grad = uniform(kKP, -1, 1, 30);
  const std::vector<float> lr(kK, 1e-3f);
  std::vector<uint32_t> ids(kK);
  for (int k = 0; k < kK; ++k) ids[k] = uint32_t(k * 3 + 1);
  uint32_t step = 0;
  const double bytes = 3.0 * kKP * kF + kK * (kF + 4.0);
  time_op(
      st, bytes, 0,
      [&] {
        be().noisy_sgd_step(params.get(), grad.get(), kK, kP, 1.0f, lr.data(), 1, 2, 3, ids.data(),
                            ++step);
      },
      "normals/s", double(kKP));
}
BENCHMARK(BM_NoisySgdStep)->Apply(timing);

// ---- client updates
// ------------------------------------------------------------------------------ 0: plain SGD (w -=
// lr g); 1: momentum, weight decay and a FedProx term.
void BM_SgdUpdate(benchmark::State& st) {
  const bool full = st.range(0) == 1;
  DeviceBuffer<float> params = uniform(kKP, -1, 1, 31), grad = uniform(kKP, -1, 1, 32);
  DeviceBuffer<float> velocity = full ? uniform(kKP, -0.1f, 0.1f, 33) : DeviceBuffer<float>();
  DeviceBuffer<float> global = uniform(kP, -1, 1, 34);
  SgdParams p;
  p.lr = 1e-3f;
  if (full) {
    p.momentum = 0.9f;
    p.weight_decay = 1e-4f;
    p.prox_mu = 0.01f;
  }
  st.SetLabel(full ? "momentum+wd+prox" : "plain");
  const double bytes = full ? (5.0 * kKP + kP) * kF : 3.0 * kKP * kF;
  time_op(st, bytes, 0, [&] {
    be().sgd_update(params.get(), grad.get(), velocity.get(), global.get(), p, kK, kP);
  });
}
BENCHMARK(BM_SgdUpdate)->DenseRange(0, 1)->Apply(timing);

void BM_BroadcastRows(benchmark::State& st) {
  DeviceBuffer<float> rows(be(), kKP), src = uniform(kP, -1, 1, 35);
  time_op(st, double(kKP + kP) * kF, 0,
          [&] { be().broadcast_rows(rows.get(), src.get(), kK, kP); });
}
BENCHMARK(BM_BroadcastRows)->Apply(timing);

void BM_SubtractRow(benchmark::State& st) {
  DeviceBuffer<float> rows = uniform(kKP, -1, 1, 36), src = uniform(kP, -1e-3f, 1e-3f, 37);
  time_op(st, double(2 * kKP + kP) * kF, 0,
          [&] { be().subtract_row(rows.get(), src.get(), kK, kP); });
}
BENCHMARK(BM_SubtractRow)->Apply(timing);

void BM_RowSqnorms(benchmark::State& st) {
  DeviceBuffer<float> rows = uniform(kKP, -1, 1, 38);
  std::vector<double> out(kK);
  time_op(st, double(kKP) * kF + kK * 8.0, 0,
          [&] { be().row_sqnorms(out.data(), rows.get(), nullptr, kK, kP); });
}
BENCHMARK(BM_RowSqnorms)->Apply(timing);

void BM_WeightedRowSum(benchmark::State& st) {
  DeviceBuffer<float> out = uniform(kP, -1, 1, 39), rows = uniform(kKP, -1, 1, 40);
  const std::vector<float> w = host_uniform(kK, 0.5f / kK, 1.5f / kK, 41);
  // reads rows, w, out (beta = 1); writes out
  time_op(st, double(kKP + kK + 2 * kP) * kF, 0,
          [&] { be().weighted_row_sum(out.get(), rows.get(), nullptr, w.data(), kK, kP, 1.0f); });
}
BENCHMARK(BM_WeightedRowSum)->Apply(timing);

// ---- server: 0 FedAvg, 1 FedAvgM, 2 FedAdam
// ------------------------------------------------------
void BM_ServerUpdate(benchmark::State& st) {
  const int rule = int(st.range(0));
  DeviceBuffer<float> x = uniform(kP, -1, 1, 42), delta = uniform(kP, -1e-3f, 1e-3f, 43);
  DeviceBuffer<float> m = uniform(kP, -1e-3f, 1e-3f, 44), v = uniform(kP, 1e-6f, 1e-5f, 45);
  ServerParams p;
  p.rule = ServerRule(rule);
  p.lr = rule == 2 ? 1e-3f : 1.0f;
  static const char* const kNames[] = {"FedAvg", "FedAvgM", "FedAdam"};
  st.SetLabel(kNames[rule]);
  const double floats = rule == 0 ? 3.0 : rule == 1 ? 5.0 : 7.0;  // x, delta (+ m) (+ v); r + w
  time_op(st, floats * kP * kF, 0,
          [&] { be().server_update(x.get(), delta.get(), m.get(), v.get(), p, kP); });
}
BENCHMARK(BM_ServerUpdate)->DenseRange(0, 2)->Apply(timing);

// ---- evaluation
// ----------------------------------------------------------------------------------
void BM_SoftmaxEval(benchmark::State& st) {
  DeviceBuffer<float> logits = uniform(kRows * kC, -2, 2, 46);
  std::vector<int32_t> labels_h(kRows);
  for (int64_t i = 0; i < kRows; ++i) labels_h[i] = int32_t((i * 5) % kC);
  DeviceBuffer<int32_t> labels = on_device(labels_h), pred(be(), kRows);
  DeviceBuffer<float> loss(be(), kRows), p1(be(), kRows);
  const double bytes = (double(kRows) * kC + 4.0 * kRows) * kF;
  time_op(st, bytes, 0, [&] {
    be().softmax_eval(loss.get(), pred.get(), p1.get(), logits.get(), labels.get(), kRows, kC);
  });
}
BENCHMARK(BM_SoftmaxEval)->Apply(timing);

// ---- secure aggregation: remove K = 256 masks of P words from the sum
// -----------------------------
void BM_AddPhiloxMasks(benchmark::State& st) {
  std::vector<uint32_t> acc_h(kP);
  for (int64_t i = 0; i < kP; ++i) acc_h[i] = uint32_t(i * 2654435761u) | 1u;
  DeviceBuffer<uint32_t> acc = on_device(acc_h);
  std::vector<PhiloxMaskKey> keys(kK);
  std::vector<uint8_t> sub(kK);
  for (int t = 0; t < kK; ++t) {
    keys[t] = PhiloxMaskKey{uint32_t(t + 1), uint32_t(7 * t + 3), uint32_t(t), 11u, 13u};
    sub[t] = uint8_t(t & 1);
  }
  const double bytes = 2.0 * kP * 4 + kK * (sizeof(PhiloxMaskKey) + 1.0);
  time_op(
      st, bytes, 0,
      [&] { be().add_philox_masks(acc.get(), size_t(kP), keys.data(), sub.data(), kK); },
      "mask_words/s", double(kKP));
}
BENCHMARK(BM_AddPhiloxMasks)->Apply(timing);

}  // namespace

int main(int argc, char** argv) {
  reexec_with_better_blas_kernels(argv);  // the kernels fedsim itself runs with
  std::string kind = "cpu";
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strncmp(argv[i], "--backend=", 10))
      kind = argv[i] + 10;
    else if (!std::strcmp(argv[i], "--backend") && i + 1 < argc)
      kind = argv[++i];
    else
      argv[out++] = argv[i];
  }
  argc = out;
  argv[argc] = nullptr;
  if (kind != "cpu" && kind != "cuda") {
    std::fprintf(stderr, "bench_ops: --backend must be cpu or cuda, not '%s'\n", kind.c_str());
    return 2;
  }
  std::unique_ptr<Backend> backend;
  try {
    backend = make_backend(kind);
  } catch (const std::exception& e) {
    std::printf("bench_ops: no %s backend (%s)\n", kind.c_str(), e.what());
    return 0;
  }
  g_be = backend.get();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("backend", backend->name());
  benchmark::AddCustomContext("device", backend->device());
  if (kind == "cpu") benchmark::AddCustomContext("blas_kernels", blas_core_name());
  benchmark::AddCustomContext("shapes", "K=256 B=32 layer 128->256 C=2 P=99330");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_be = nullptr;
}
