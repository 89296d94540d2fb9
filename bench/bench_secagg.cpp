// Secure aggregation, one round of SecAgg+ (and SecAgg for a smaller cohort): fast mode (Philox
// masks) against the faithful mode (ChaCha20 masks), both with real X25519 key agreement and
// Shamir sharing. The target (issue 8): SecAgg+ masking and unmasking for 1,000 clients x 100k
// parameters in under 2 s on the 2-core development machine in fast mode.
//
// Counters: client_s and server_s (wall seconds of the clients' masking and the server's
// unmasking, all cores), GB/s of mask words expanded (client + server). Run:
//   build/bench/bench_secagg --benchmark_filter=SecAggPlus
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "sim/backend/blas_kernels.h"
#include "sim/secagg/secagg.h"

using namespace fedsim;
using namespace fedsim::secagg;

namespace {

// [K, P] updates of norm about 0.5 (below clip 1), from a cheap deterministic pattern.
const std::vector<float>& updates(int K, int64_t P) {
  static std::vector<float> x;
  static int64_t size = 0;
  if (size != int64_t(K) * P) {
    x.resize(size_t(K) * size_t(P));
    uint32_t h = 12345;
    const float amp = 0.5f * std::sqrt(3.0f / float(P));
    for (auto& v : x) {
      h = h * 1664525u + 1013904223u;
      v = (float(h >> 8) * 0x1.0p-24f * 2.0f - 1.0f) * amp;
    }
    size = int64_t(K) * P;
  }
  return x;
}

// Args: clients, parameters, SecAgg+ (1) or SecAgg (0), Philox (1) or ChaCha20 (0).
void BM_SecAggRound(benchmark::State& state) {
  const int K = int(state.range(0));
  const int64_t P = state.range(1);
  SecAggSettings s;
  s.mode = state.range(2) ? SecAggMode::SecAggPlus : SecAggMode::SecAgg;
  s.prg = state.range(3) ? MaskPrg::Philox : MaskPrg::ChaCha20;
  s.bits = 32;
  s.dropout = {0.01, 0.01, 0.01};
  const auto& x = updates(K, P);
  SecAggRoundInput in;
  in.updates = x.data();
  in.clients = K;
  in.params = P;
  in.seed = 1;
  uint32_t round = 0;
  double client_s = 0, server_s = 0, words = 0;
  int aborted = 0;
  for (auto _ : state) {
    in.round = round++;
    const SecAggRoundResult r = run_secagg_round(s, in);
    aborted += r.aborted;
    client_s += r.costs.client_seconds;
    server_s += r.costs.server_seconds;
    for (uint64_t w : r.costs.prg_words) words += double(w);
    words += double(r.costs.server_prg_words);
    state.counters["neighbours"] = r.plan.neighbours;
    state.counters["threshold"] = r.plan.threshold;
  }
  const double it = double(state.iterations());
  state.counters["client_s"] = client_s / it;
  state.counters["server_s"] = server_s / it;
  state.counters["mask_GBps"] = words * 4 / (client_s + server_s) / 1e9;
  state.counters["aborted"] = aborted;
  state.SetLabel(std::string(s.mode == SecAggMode::SecAggPlus ? "secagg+" : "secagg") +
                 (s.prg == MaskPrg::Philox
                      ? " fast (philox, " + std::string(philox_mask_isa()) + ")"
                      : " faithful (chacha20)"));
}
BENCHMARK(BM_SecAggRound)
    ->ArgNames({"clients", "params", "plus", "fast"})
    ->Args({1000, 100000, 1, 1})
    ->Args({1000, 100000, 1, 0})
    ->Args({100, 100000, 0, 1})
    ->Args({100, 100000, 0, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  fedsim::reexec_with_better_blas_kernels(argv);  // the kernels fedsim itself runs with
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("omp_threads", std::to_string(omp_get_max_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
