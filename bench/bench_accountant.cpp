// Privacy accounting speed: epsilon after T steps of the Poisson-subsampled Gaussian with the RDP
// and PLD accountants (T = 100, 1000, 10000; q = 0.01, sigma = 1.0 and q = 0.1, sigma = 1.1),
// repeated PldCurve queries, and noise calibration. Targets: RDP < 50 ms and PLD < 2 s at T =
// 10000 on the 2-core CPU machine.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "sim/backend/blas_kernels.h"
#include "sim/privacy/accountant.h"

namespace {

struct Setting {
  double q, sigma;
};
constexpr Setting kSettings[] = {{0.01, 1.0}, {0.1, 1.1}};
constexpr double kDelta = 1e-5;

// Args: steps T, setting index.
void BM_RdpEpsilon(benchmark::State& state) {
  const Setting s = kSettings[state.range(1)];
  double eps = 0;
  for (auto _ : state) {
    eps =
        fedsim::epsilon_for(fedsim::AccountantKind::Rdp, {{s.q, s.sigma, state.range(0)}}, kDelta);
    benchmark::DoNotOptimize(eps);
  }
  state.counters["epsilon"] = eps;
}
BENCHMARK(BM_RdpEpsilon)
    ->ArgsProduct({{100, 1000, 10000}, {0, 1}})
    ->ArgNames({"T", "setting"})
    ->Unit(benchmark::kMillisecond);

void BM_PldEpsilon(benchmark::State& state) {
  const Setting s = kSettings[state.range(1)];
  double eps = 0;
  for (auto _ : state) {
    eps =
        fedsim::epsilon_for(fedsim::AccountantKind::Pld, {{s.q, s.sigma, state.range(0)}}, kDelta);
    benchmark::DoNotOptimize(eps);
  }
  state.counters["epsilon"] = eps;
}
BENCHMARK(BM_PldEpsilon)
    ->ArgsProduct({{100, 1000, 10000}, {0, 1}})
    ->ArgNames({"T", "setting"})
    ->Unit(benchmark::kMillisecond);

// Building a PldCurve for T_max = 10000 (done once per simulation).
void BM_PldCurveBuild(benchmark::State& state) {
  const Setting s = kSettings[state.range(0)];
  for (auto _ : state) {
    fedsim::PldCurve curve(s.q, s.sigma, 10000);
    benchmark::DoNotOptimize(curve);
  }
}
BENCHMARK(BM_PldCurveBuild)->Arg(0)->Arg(1)->ArgName("setting")->Unit(benchmark::kMillisecond);

// One more query on a built curve (the per-round cost in a simulation). Args: T, setting.
void BM_PldCurveQuery(benchmark::State& state) {
  const Setting s = kSettings[state.range(1)];
  const fedsim::PldCurve curve(s.q, s.sigma, 10000);
  double eps = 0;
  for (auto _ : state) {
    eps = curve.epsilon(state.range(0), kDelta);
    benchmark::DoNotOptimize(eps);
  }
  state.counters["epsilon"] = eps;
}
BENCHMARK(BM_PldCurveQuery)
    ->ArgsProduct({{100, 1000, 10000}, {0, 1}})
    ->ArgNames({"T", "setting"})
    ->Unit(benchmark::kMillisecond);

// Calibration for epsilon = 2 at q = 0.01, delta = 1e-5. Args: T, accountant (0 rdp, 1 pld).
void BM_Calibrate(benchmark::State& state) {
  const auto kind = state.range(1) == 0 ? fedsim::AccountantKind::Rdp : fedsim::AccountantKind::Pld;
  double sigma = 0;
  for (auto _ : state) {
    sigma = fedsim::calibrate_noise_multiplier(kind, {{0.01, 0.0, state.range(0)}}, kDelta, 2.0);
    benchmark::DoNotOptimize(sigma);
  }
  state.counters["sigma"] = sigma;
}
BENCHMARK(BM_Calibrate)
    ->ArgsProduct({{1000, 10000}, {0, 1}})
    ->ArgNames({"T", "pld"})
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  fedsim::reexec_with_better_blas_kernels(argv);  // the kernels fedsim itself runs with
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("blas_kernels", fedsim::blas_core_name());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
