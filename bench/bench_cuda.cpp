// GPU benchmark of the CUDA backend (a plain program: each figure is one timed loop).
//
//   (a) cuBLAS SGEMM throughput: large square (4096, 8192) and strided-batched at the cohort's
//       shapes (per-client GEMMs of a 128-256-256-2 MLP, batch 32, 1,000 clients), also with one
//       weight matrix shared by all clients (a round's first local step);
//   (b) local-training GFLOP/s of LocalTrainer for 1,000 and 10,000 clients (batch 32, MLP
//       128-256-256-2: 99,330 parameters), and its ratio to the 8192 SGEMM of (a);
//   (c) DP-SGD vs non-private round time (Poisson batches with q = 32/128, 4 steps; the same
//       expected work), for 1,000 and 10,000 clients;
//   (d) one full round of the target scenario through Simulation::step_round: 10,000 clients per
//       round out of a population of --population (default 1,000,000), 50 samples per client,
//       the same MLP, sample-level DP-SGD (sigma 1, C 1): seconds per round; then the same
//       round on the CPU backend of the same machine (all its cores), and the speed-up.
// --profile instead runs (b) and (c) at 10,000 clients, each on a fresh backend with
// FEDSIM_CUDA_OP_TIMING=1, so each prints its per-op GPU time table (stderr) when it ends.
// Every figure is also printed as "RESULT <key> <value>" for tools/gpu-check.sh.
// Without a CUDA device it prints "bench_cuda: no CUDA device (<reason>)" and exits 0.
// Usage: bench_cuda [--population N] [--quick] [--backend cpu] [--no-cpu] [--profile]
//                   [--target-only]
//   --quick: tiny sizes (a smoke run of the program, seconds); --backend cpu: run it on the CPU
//   backend instead (checks the program itself on machines without a GPU; use with --quick);
//   --backend null: the host's work alone (bench/null_backend.h; with --target-only: the host's
//   share of the target round, on any machine);
//   --no-cpu: skip the CPU round of (d); --target-only: (d) alone (with FEDSIM_CUDA_OP_TIMING=1,
//   the per-op table of its rounds).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/null_backend.h"
#include "sim/backend/backend.h"
#include "sim/backend/blas_kernels.h"
#include "sim/simulation.h"
#include "sim/train/local_trainer.h"

using namespace fedsim;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void result(const std::string& key, double value, const char* unit) {
  std::printf("RESULT %s %.6g %s\n", key.c_str(), value, unit);
  std::fflush(stdout);
}

// Uniform [-1, 1) from a counter (splitmix64): fast, parallel, reproducible; no learning needed.
inline float hash_uniform(uint64_t i) {
  uint64_t z = i + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return float(z >> 40) * 0x1.0p-23f - 1.0f;
}

// `clients` equal clients of `per_client` samples, d features, 2 classes; a small test split.
Federation random_federation(int clients, int per_client, int d) {
  Federation f;
  f.train.n = int64_t(clients) * per_client;
  f.train.d = d;
  f.train.classes = 2;
  f.train.x.resize(size_t(f.train.n) * d);
  f.train.y.resize(size_t(f.train.n));
  float* x = f.train.x.data();
  const int64_t nx = int64_t(f.train.x.size());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < nx; ++i) x[i] = hash_uniform(uint64_t(i));
  int32_t* y = f.train.y.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < f.train.n; ++i) y[i] = hash_uniform(uint64_t(i) + (1ull << 62)) > 0.0f;
  f.test.n = 1000;
  f.test.d = d;
  f.test.classes = 2;
  f.test.x.assign(f.train.x.begin(), f.train.x.begin() + 1000 * int64_t(d));
  f.test.y.assign(f.train.y.begin(), f.train.y.begin() + 1000);
  f.offsets.resize(size_t(clients) + 1);
  for (int c = 0; c <= clients; ++c) f.offsets[c] = int64_t(c) * per_client;
  return f;
}

// "null": NullBackend (bench/null_backend.h), the host's work alone; else the engine's factory.
std::unique_ptr<Backend> bench_backend(const std::string& kind) {
  if (kind == "null") return std::make_unique<NullBackend>();
  return make_backend(kind);
}

ModelLayout bench_layout(int d) {
  ModelConfig mc;
  mc.kind = ModelKind::Mlp;
  mc.hidden = {256, 256};
  return make_layout(mc, d, 2);
}

// (a) one GEMM shape, batched: best GFLOP/s over `reps` timed calls after a warm-up call.
// shared_b: one B for the whole batch (stride 0), as in a round's first local step.
double gemm_gflops(Backend& be, bool ta, bool tb, int m, int n, int k, int batch, int reps,
                   bool shared_b = false) {
  const int64_t sa = int64_t(m) * k, sb = shared_b ? 0 : int64_t(k) * n, sc = int64_t(m) * n;
  DeviceBuffer<float> a(be, size_t(sa) * batch),
      b(be, shared_b ? size_t(k) * n : size_t(sb) * batch), c(be, size_t(sc) * batch);
  be.fill(a.get(), 0.5f, a.size());
  be.fill(b.get(), 0.25f, b.size());
  const int lda = ta ? m : k, ldb = tb ? k : n;
  auto call = [&] {
    be.gemm_batched(ta, tb, m, n, k, 1.0f, a.get(), lda, sa, b.get(), ldb, sb, 0.0f, c.get(), n, sc,
                    batch);
  };
  call();
  be.synchronize();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    be.synchronize();
    best = std::min(best, seconds_since(t0));
  }
  return 2.0 * m * n * double(k) * batch / best / 1e9;
}

struct Resident {  // training data and a global model on the device
  DeviceBuffer<float> x, global;
  DeviceBuffer<int32_t> y;
  Resident(Backend& be, const Federation& fed, const std::vector<float>& init)
      : x(be, fed.train.x.size()), global(be, init.size()), y(be, fed.train.y.size()) {
    x.upload(fed.train.x.data(), fed.train.x.size());
    y.upload(fed.train.y.data(), fed.train.y.size());
    global.upload(init.data(), init.size());
  }
};

// Best seconds of `reps` rounds of fn(round) (each ends with a synchronize), after a warm-up.
template <typename F>
double best_round(Backend& be, int reps, F&& fn) {
  fn(0);
  be.synchronize();
  double best = 1e30;
  for (int r = 1; r <= reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn(r);
    be.synchronize();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

// --profile, first: the three GEMMs of a 256x256 layer's training step (forward NT, input
// gradient NN, weight gradient TN into the weights with beta 1) for 10,000 clients, with the
// weights at the strides a cohort's parameter rows can have: the model's 99,330 floats (odd
// clients 8-byte aligned only), padded to 16 and 128 bytes, and packed per layer; plus the
// pointer-array form (two ragged buckets). GFLOP/s each.
void gemm_stride_variants(Backend& be) {
  const int K = 10000, B = 32, n = 256;
  const int64_t act = int64_t(B) * n;
  DeviceBuffer<float> a(be, size_t(K) * act), c(be, size_t(K) * act), w(be, size_t(K) * 99360);
  be.fill(a.get(), 0.5f, a.size());
  be.fill(c.get(), 0.25f, c.size());
  be.fill(w.get(), 0.125f, w.size());
  std::vector<int> two(K);
  for (int k = 0; k < K; ++k) two[k] = k % 2 ? B : B / 2;
  auto time_it = [&](auto&& call, double flops) {  // GFLOP/s, best of 5 after a warm-up
    return flops / best_round(be, 5, [&](int) { call(); }) / 1e9;
  };
  const double full = 2.0 * B * n * n * K, half = full * 0.75;
  for (int64_t S : {int64_t(99330), int64_t(99332), int64_t(99360), int64_t(n) * n}) {
    const std::string tag = S == int64_t(n) * n ? "packed" : std::to_string(S);
    const double fwd = time_it(
        [&] {
          be.gemm_batched(false, true, B, n, n, 1.0f, a.get(), n, act, w.get(), n, S, 0.0f, c.get(),
                          n, act, K);
        },
        full);
    const double da = time_it(
        [&] {
          be.gemm_batched(false, false, B, n, n, 1.0f, a.get(), n, act, w.get(), n, S, 0.0f,
                          c.get(), n, act, K);
        },
        full);
    const double dw = time_it(
        [&] {
          be.gemm_batched(true, false, n, n, B, -1e-6f, a.get(), n, act, c.get(), n, act, 1.0f,
                          w.get(), n, S, K);
        },
        full);
    const double fwd_ptr = time_it(
        [&] {
          be.gemm_ragged(Backend::Ragged::M, two.data(), false, true, B, n, n, 1.0f, a.get(), n,
                         act, w.get(), n, S, 0.0f, c.get(), n, act, K);
        },
        half);
    const double dw_ptr = time_it(
        [&] {
          be.gemm_ragged(Backend::Ragged::K, two.data(), true, false, n, n, B, -1e-6f, a.get(), n,
                         act, c.get(), n, act, 1.0f, w.get(), n, S, K);
        },
        half);
    std::printf(
        "gemm 256x256 x 10000 clients, weight stride %-7s: fwd NT %7.0f  dA NN %7.0f  dW TN "
        "%7.0f  | pointer arrays: fwd %7.0f  dW %7.0f GFLOP/s\n",
        tag.c_str(), fwd, da, dw, fwd_ptr, dw_ptr);
    result("gemm_stride_" + tag + "_fwd_gflops", fwd, "GFLOP/s");
    result("gemm_stride_" + tag + "_dA_gflops", da, "GFLOP/s");
    result("gemm_stride_" + tag + "_dW_gflops", dw, "GFLOP/s");
    result("gemm_stride_" + tag + "_ptr_fwd_gflops", fwd_ptr, "GFLOP/s");
    result("gemm_stride_" + tag + "_ptr_dW_gflops", dw_ptr, "GFLOP/s");
  }
}

// --profile: a non-private and a DP-SGD round of 10,000 clients (as in (b) and (c)), each on a
// fresh backend with per-op timing, whose table is printed when the backend is destroyed.
int profile(const std::string& kind) {
  setenv("FEDSIM_CUDA_OP_TIMING", "1", 1);
  const int d = 128, B = 32, per_client = 128, K = 10000;
  const ModelLayout layout = bench_layout(d);
  const Federation fed = random_federation(K, per_client, d);
  const std::vector<float> init = init_parameters(layout, 1);
  std::vector<int> clients(K);
  for (int k = 0; k < K; ++k) clients[k] = k;
  ClientConfig cc;
  cc.batch_size = B;
  try {
    gemm_stride_variants(*bench_backend(kind));
  } catch (const BackendError& e) {
    std::printf("bench_cuda: no CUDA device (%s)\n", e.what());
    return 0;
  }
  for (bool dp : {false, true}) {
    std::unique_ptr<Backend> be;
    try {
      be = bench_backend(kind);
    } catch (const BackendError& e) {
      std::printf("bench_cuda: no CUDA device (%s)\n", e.what());
      return 0;
    }
    {
      Resident res(*be, fed, init);
      const double q = double(B) / per_client;
      const DpSgdSettings dps{q, per_client / B, 1.0f, 1.0f, dp_micro_batch_rows(q, per_client, B)};
      LocalTrainer t =
          dp ? LocalTrainer(*be, layout, cc, K, 1, dps) : LocalTrainer(*be, layout, cc, K, 1);
      const double s = best_round(*be, 2, [&](int r) {
        if (dp)
          t.train_dp(fed, res.x.get(), res.y.get(), res.global.get(), clients.data(), K, r + 1);
        else
          t.train(fed, res.x.get(), res.y.get(), res.global.get(), clients.data(), K, r + 1);
      });
      std::fflush(stdout);
      std::fprintf(stderr, "profile: %s, %d clients, best round %.2f ms (3 rounds in the table)\n",
                   dp ? "DP-SGD" : "non-private", K, s * 1e3);
    }
    be.reset();  // prints the table
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  reexec_with_better_blas_kernels(argv);  // the CPU round of (d) with the kernels fedsim runs with
  int64_t population = 1000000;
  bool quick = false, cpu_round = true, run_profile = false, target_only = false;
  std::string kind = "cuda";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--population") && i + 1 < argc)
      population = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--backend") && i + 1 < argc)
      kind = argv[++i];
    else if (!std::strcmp(argv[i], "--no-cpu"))
      cpu_round = false;
    else if (!std::strcmp(argv[i], "--profile"))
      run_profile = true;
    else if (!std::strcmp(argv[i], "--target-only"))
      target_only = true;
  }
  if (run_profile) return profile(kind);
  std::unique_ptr<Backend> be_owner;
  try {
    be_owner = bench_backend(kind);
  } catch (const BackendError& e) {
    std::printf("bench_cuda: no CUDA device (%s)\n", e.what());
    return 0;
  }
  Backend& be = *be_owner;
  std::printf("bench_cuda on %s (chunk budget %zu MiB)\n", be.device().c_str(),
              be.chunk_bytes() >> 20);
  try {
    const int d = 128, B = 32;
    // ---- (a) SGEMM ----------------------------------------------------------------------------
    double peak = 0.0;
    if (!target_only) {
      for (int n : quick ? std::vector<int>{512} : std::vector<int>{4096, 8192}) {
        const double g = gemm_gflops(be, false, false, n, n, n, 1, 5);
        result("sgemm_" + std::to_string(n) + "_gflops", g, "GFLOP/s");
        peak = std::max(peak, g);
      }
      const ModelLayout layout = bench_layout(d);
      result("mlp_params", double(layout.num_params), "parameters");
      {
        const int K = quick ? 20 : 1000;
        for (const auto& l : layout.layers) {
          const std::string shape = std::to_string(l.in) + "x" + std::to_string(l.out);
          // forward Z = A W^T, input gradient dA = dZ W, weight gradient dW = dZ^T A (per client)
          result("batched_fwd_" + shape + "_gflops",
                 gemm_gflops(be, false, true, B, l.out, l.in, K, 5), "GFLOP/s");
          result("batched_dA_" + shape + "_gflops",
                 gemm_gflops(be, false, false, B, l.in, l.out, K, 5), "GFLOP/s");
          result("batched_dW_" + shape + "_gflops",
                 gemm_gflops(be, true, false, l.out, l.in, B, K, 5), "GFLOP/s");
          // a round's first step: every client on the global weights (FEDSIM_CUDA_EXPERIMENTAL=1
          // runs these as one GEMM over all clients' rows)
          result("shared_fwd_" + shape + "_gflops",
                 gemm_gflops(be, false, true, B, l.out, l.in, K, 5, true), "GFLOP/s");
          result("shared_dA_" + shape + "_gflops",
                 gemm_gflops(be, false, false, B, l.in, l.out, K, 5, true), "GFLOP/s");
        }
      }

      // ---- (b) local training and (c) DP-SGD vs non-private -------------------------------------
      {
        const int per_client = 128, K_max = quick ? 50 : 10000;
        const Federation fed = random_federation(K_max, per_client, d);
        const std::vector<float> init = init_parameters(layout, 1);
        Resident res(be, fed, init);
        std::vector<int> clients(K_max);
        for (int k = 0; k < K_max; ++k) clients[k] = k;
        ClientConfig cc;
        cc.batch_size = B;
        for (int K : quick ? std::vector<int>{20, 50} : std::vector<int>{1000, 10000}) {
          const std::string tag = std::to_string(K);
          // (b) non-private: one epoch of 128 samples = 4 steps of batch 32 per client
          LocalTrainer plain(be, layout, cc, K, 1);
          const double t_plain = best_round(be, 3, [&](int r) {
            plain.train(fed, res.x.get(), res.y.get(), res.global.get(), clients.data(), K, r + 1);
          });
          const double flops =
              train_step_flops(layout, int64_t(K) * B) * double(local_steps_for(cc, per_client));
          result("train_" + tag + "_clients_round_ms", t_plain * 1e3, "ms");
          result("train_" + tag + "_clients_gflops", flops / t_plain / 1e9, "GFLOP/s");
          if (peak > 0)
            result("train_" + tag + "_clients_frac_of_sgemm", flops / t_plain / 1e9 / peak, "");
          // (c) DP-SGD with the same expected work: q = B / n, n / B steps, ghost clipping, noise
          const double q = double(B) / per_client;
          const DpSgdSettings dp{q, per_client / B, 1.0f, 1.0f,
                                 dp_micro_batch_rows(q, per_client, B)};
          LocalTrainer priv(be, layout, cc, K, 1, dp);
          const double t_dp = best_round(be, 3, [&](int r) {
            priv.train_dp(fed, res.x.get(), res.y.get(), res.global.get(), clients.data(), K,
                          r + 1);
          });
          result("dp_sgd_" + tag + "_clients_round_ms", t_dp * 1e3, "ms");
          result("dp_sgd_" + tag + "_clients_ratio_vs_nonprivate", t_dp / t_plain, "x");
        }
      }
    }  // !target_only

    // ---- (d) the target scenario: one full round ----------------------------------------------
    {
      const int per_client = 50, cohort = quick ? 50 : 10000;
      if (quick) population = std::min<int64_t>(population, 2000);
      // Keep the data under half the device's free memory (chunk_bytes is 40% of it).
      const double free_bytes = double(be.chunk_bytes()) / 0.4;
      const double bytes_per_client = double(per_client) * (d * 4 + 4);
      const int64_t fits = int64_t(0.5 * free_bytes / bytes_per_client);
      if (be.name() == "cuda" && population > fits) {
        std::printf("note: population %lld does not fit the device's memory; using %lld\n",
                    (long long)population, (long long)fits);
        population = fits;
      }
      // The null backend never reads the data: 8 features instead of 128 keep a population of
      // a million in a small host's memory (the host's work per round does not depend on them).
      const int target_d = kind == "null" ? 8 : d;
      const auto tg = std::chrono::steady_clock::now();
      const Federation fed = random_federation(int(population), per_client, target_d);
      std::printf("target: generated %lld clients x %d samples x %d features in %.1f s\n",
                  (long long)population, per_client, target_d, seconds_since(tg));
      Scenario s;
      s.run.seed = 1;
      s.run.rounds = 6;  // the rounds run below (the PLD curve is sized for them)
      s.model.kind = ModelKind::Mlp;
      s.model.hidden = {256, 256};
      s.client.batch_size = B;
      s.client.lr = 0.05;
      s.server.clients_per_round = cohort;
      s.privacy.mode = PrivacyMode::Sample;
      s.privacy.noise_multiplier = 1.0;
      s.privacy.clip = 1.0;
      const auto t0 = std::chrono::steady_clock::now();
      Simulation sim(s, fed, std::move(be_owner));
      std::printf("target: set-up (upload, buffers) %.1f s, chunk %d clients\n", seconds_since(t0),
                  sim.chunk_size());
      // Round 1 includes warm-up (cuBLAS kernels loaded, the PLD curve built); a round whose
      // largest per-record step count grew also recomputes the PLD epsilon on the host (marked
      // "+PLD"), which in a long run happens in a few rounds only. Reported: the median of rounds
      // 2..6, and the least.
      std::vector<double> times;
      double last_eps = -1.0;
      for (int r = 1; r <= 6; ++r) {
        const RoundRecord rec = sim.step_round();
        std::printf("target: round %d: %.3f s, %d clients, loss %.4f, epsilon %.3f%s\n", r,
                    rec.wall_time_s, rec.clients_sampled, rec.train_loss, rec.epsilon,
                    rec.epsilon != last_eps ? " (+PLD)" : "");
        last_eps = rec.epsilon;
        if (r > 1) times.push_back(rec.wall_time_s);
      }
      std::sort(times.begin(), times.end());
      const double median = times[times.size() / 2], least = times.front();
      result("target_population", double(population), "clients");
      result("target_clients_per_round", double(cohort), "clients");
      result("target_dp_sgd_round_s", median, "s (median of rounds 2-6)");
      result("target_dp_sgd_round_min_s", least, "s");
      if (cpu_round && kind == "cuda") {
        // The same scenario and data on the CPU backend of this machine (all its cores, fedsim's
        // BLAS kernels): the median of rounds 2..4.
        Simulation cpu_sim(s, fed, make_backend("cpu"));
        std::vector<double> cpu_times;
        for (int r = 1; r <= 4; ++r) {
          const RoundRecord rec = cpu_sim.step_round();
          std::printf("target on the CPU backend (%s): round %d: %.3f s, loss %.4f\n",
                      cpu_sim.backend().device().c_str(), r, rec.wall_time_s, rec.train_loss);
          if (r > 1) cpu_times.push_back(rec.wall_time_s);
        }
        std::sort(cpu_times.begin(), cpu_times.end());
        const double cpu_median = cpu_times[cpu_times.size() / 2];
        result("target_cpu_round_s", cpu_median, "s (median of rounds 2-4)");
        result("target_speedup_vs_cpu", cpu_median / median, "x (medians)");
      }
    }
  } catch (const std::exception& e) {
    std::printf("bench_cuda: FAILED: %s\n", e.what());
    return 1;
  }
  return 0;
}
