// Data-layer throughput: synthetic generation (samples/s at the default 125k and at 1M samples)
// and the whole build_federation pipeline for the default scenario.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>

#include "sim/backend/blas_kernels.h"
#include "sim/data/federation_builder.h"
#include "sim/data/synthetic.h"

namespace {

// Arg: total samples; shops scale with samples (the default is 125 samples per shop).
void BM_GenerateSynthetic(benchmark::State& state) {
  fedsim::DataConfig cfg;
  cfg.samples = state.range(0);
  cfg.shops = int(std::max<int64_t>(1, cfg.samples / 125));
  uint64_t seed = 1;
  for (auto _ : state) {
    fedsim::Dataset ds = fedsim::generate_synthetic(cfg, seed++);
    benchmark::DoNotOptimize(ds.x.data());
  }
  state.SetItemsProcessed(state.iterations() * cfg.samples);
  state.counters["shops"] = cfg.shops;
}
BENCHMARK(BM_GenerateSynthetic)
    ->Arg(125000)
    ->Arg(1000000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The default scenario end to end: generate, split, standardise, natural partition, reorder.
void BM_BuildFederationDefault(benchmark::State& state) {
  fedsim::Scenario s;
  for (auto _ : state) {
    fedsim::Federation fed = fedsim::build_federation(s);
    benchmark::DoNotOptimize(fed.train.x.data());
  }
  state.SetItemsProcessed(state.iterations() * s.data.samples);
}
BENCHMARK(BM_BuildFederationDefault)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  fedsim::reexec_with_better_blas_kernels(argv);  // the kernels fedsim itself runs with
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("blas_kernels", fedsim::blas_core_name());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
