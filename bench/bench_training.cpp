// Local-training throughput of the CPU backend against this machine's OpenBLAS SGEMM peak.
//
// BM_SgemmPeak measures the large-GEMM limit (all cores). BM_LocalTraining trains one round of a
// cohort in lockstep (the default scenario's shapes: 100 clients, batch 32, MLP 24-128-128-2) and
// reports GFLOP/s for the GEMM FLOPs a step must do, and that as a fraction of the peak measured in
// this same run (counter frac_of_sgemm_peak). Run: build/bench/bench_training
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <omp.h>

#include <chrono>
#include <random>

#include "sim/backend/blas_kernels.h"
#include "sim/backend/cpu_backend.h"
#include "sim/backend/cpu_noise.h"
#include "sim/train/local_trainer.h"

using namespace fedsim;

namespace {

double g_peak_gflops = 0.0;

double measure_sgemm_gflops(int n, int threads, int reps) {
  openblas_set_num_threads(threads);
  std::vector<float> a(size_t(n) * n, 1.0f), b(size_t(n) * n, 0.5f), c(size_t(n) * n);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a.data(), n, b.data(), n, 0,
              c.data(), n);
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a.data(), n, b.data(), n, 0,
                c.data(), n);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * n * n * double(n) * reps / s / 1e9;
}

void BM_SgemmPeak(benchmark::State& state) {
  const int n = int(state.range(0));
  double best = 0;
  for (auto _ : state) best = std::max(best, measure_sgemm_gflops(n, omp_get_num_procs(), 3));
  state.counters["GFLOPs"] = best;
  g_peak_gflops = std::max(g_peak_gflops, best);
}
BENCHMARK(BM_SgemmPeak)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond)->Iterations(3);

Federation random_federation(int clients, int per_client, int d) {
  std::mt19937 gen(1);
  std::normal_distribution<float> nd;
  Federation f;
  f.train.n = int64_t(clients) * per_client;
  f.train.d = d;
  f.train.classes = 2;
  f.train.x.resize(size_t(f.train.n) * d);
  for (auto& v : f.train.x) v = nd(gen);
  f.train.y.resize(f.train.n);
  for (auto& v : f.train.y) v = gen() & 1;
  for (int c = 0; c <= clients; ++c) f.offsets.push_back(int64_t(c) * per_client);
  return f;
}

void BM_LocalTraining(benchmark::State& state) {
  const int K = int(state.range(0)), B = int(state.range(1)), chunk = int(state.range(2));
  const int per_client = 128, d = 24;
  CpuBackend be;
  const Federation fed = random_federation(K, per_client, d);
  ModelConfig mc;
  mc.hidden = {128, 128};
  const ModelLayout layout = make_layout(mc, d, 2);
  ClientConfig cc;
  cc.batch_size = B;
  LocalTrainer trainer(be, layout, cc, chunk, 1);
  const auto global = init_parameters(layout, 1);
  std::vector<int> clients(K);
  for (int k = 0; k < K; ++k) clients[k] = k;
  const int64_t steps = local_steps_for(cc, per_client);
  const double flops = train_step_flops(layout, int64_t(K) * B) * steps;
  int round = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    ++round;
    for (int k0 = 0; k0 < K; k0 += chunk)  // the cohort in chunks of `chunk` clients
      trainer.train(fed, fed.train.x.data(), fed.train.y.data(), global.data(), clients.data() + k0,
                    std::min(chunk, K - k0), round);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double gflops = flops * double(state.iterations()) / seconds / 1e9;
  state.counters["GFLOPs"] = gflops;
  state.counters["params"] = double(layout.num_params);
  if (g_peak_gflops > 0) state.counters["frac_of_sgemm_peak"] = gflops / g_peak_gflops;
}
BENCHMARK(BM_LocalTraining)
    ->Args({100, 32, 100})
    ->Args({100, 64, 100})
    ->Args({1000, 32, 1000})
    ->Args({1000, 32, 256})
    ->Args({1000, 32, 128})
    ->Args({1000, 32, 64})
    ->Args({1000, 32, 32})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Sample-level DP-SGD on the same cohort and the same expected work: Poisson batches with rate
// q = B / 128 (expected batch B = 32 or 64), 128 / B steps per round, ghost-norm clipping and
// Gaussian noise; the non-private round uses batch B.
// Each iteration times one non-private round and one DP-SGD round back to back (the machine's
// noise hits both alike); ratio_vs_nonprivate = min DP round / min non-private round (target 1.3).
// The batched_* counters are the same rounds with client tiles off (CpuBackend(false): every op
// sweeps the whole chunk, the order a GPU runs them in).
void BM_LocalTrainingDpSgd(benchmark::State& state) {
  const int K = 100, per_client = 128, d = 24;
  const Federation fed = random_federation(K, per_client, d);
  ModelConfig mc;
  mc.hidden = {128, 128};
  const ModelLayout layout = make_layout(mc, d, 2);
  const int B = int(state.range(0));
  ClientConfig cc;
  cc.batch_size = B;
  const double q = double(B) / per_client;
  const DpSgdSettings dp{q, per_client / B, 1.0f, 1.0f, dp_micro_batch_rows(q, per_client, B)};
  // The CPU backend as fedsim runs it (client tiles), and with every op over the whole chunk.
  CpuBackend tiled(true), batched(false);
  LocalTrainer plain(tiled, layout, cc, K, 1), priv(tiled, layout, cc, K, 1, dp);
  LocalTrainer plain_b(batched, layout, cc, K, 1), priv_b(batched, layout, cc, K, 1, dp);
  const auto global = init_parameters(layout, 1);
  std::vector<int> clients(K);
  for (int k = 0; k < K; ++k) clients[k] = k;
  int round = 0;
  double best[4] = {1e30, 1e30, 1e30, 1e30};
  auto time_of = [&](double& best_s, auto&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best_s = std::min(best_s,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
  const float* x = fed.train.x.data();
  const int32_t* y = fed.train.y.data();
  for (auto _ : state) {
    ++round;
    time_of(best[0], [&] { plain.train(fed, x, y, global.data(), clients.data(), K, round); });
    time_of(best[1], [&] { priv.train_dp(fed, x, y, global.data(), clients.data(), K, round); });
    time_of(best[2], [&] { plain_b.train(fed, x, y, global.data(), clients.data(), K, round); });
    time_of(best[3], [&] { priv_b.train_dp(fed, x, y, global.data(), clients.data(), K, round); });
  }
  state.counters["nonprivate_ms"] = best[0] * 1e3;
  state.counters["dp_sgd_ms"] = best[1] * 1e3;
  state.counters["ratio_vs_nonprivate"] = best[1] / best[0];
  state.counters["batched_nonprivate_ms"] = best[2] * 1e3;
  state.counters["batched_dp_sgd_ms"] = best[3] * 1e3;
}
BENCHMARK(BM_LocalTrainingDpSgd)
    ->Arg(32)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(20);

// The DP-SGD noise row alone, per instruction set, on one thread: ns per standard normal
// (Philox4x32-10 + Box-Muller + the axpy) for a row of the default model's size.
void BM_NoiseRow(benchmark::State& state) {
  const auto isa = NoiseIsa(state.range(0));
  if (!noise_isa_supported(isa)) {
    state.SkipWithError("this CPU cannot run this instruction set");
    return;
  }
  const int64_t n = 19970;
  std::vector<float> g(n, 0.5f), out(n);
  uint32_t step = 0;
  for (auto _ : state) {
    noise_axpy_row_on(isa, out.data(), nullptr, g.data(), n, 1.0f, 0.1f, NoiseKey{1, 2}, 0, 0,
                      ++step);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(noise_isa_name(isa));
  state.counters["ns_per_normal"] =
      benchmark::Counter(double(n) * double(state.iterations()) * 1e-9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_NoiseRow)->DenseRange(0, 2);

}  // namespace

int main(int argc, char** argv) {
  fedsim::reexec_with_better_blas_kernels(argv);  // the kernels fedsim itself runs with
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("blas_kernels", fedsim::blas_core_name());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
