// The `fedsim` subcommands over the engine (see commands.h). No engine logic lives here.
#include "sim/cli/commands.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "sim/backend/backend.h"
#include "sim/cli/progress.h"
#include "sim/data/federation_builder.h"
#include "sim/data/federation_io.h"
#include "sim/data/federation_stats.h"
#include "sim/privacy/privacy_plan.h"
#include "sim/results/results_writer.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace fedsim::cli {
namespace {

// A TOML basic string for `value` (used to turn --backend/--output into overrides).
std::string toml_quote(const std::string& value) {
  std::string q = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

Scenario load(const std::string& file, const std::vector<std::string>& overrides) {
  if (file.empty()) return parse_scenario(default_scenario_text(), "<default>", overrides);
  return load_scenario_file(file, overrides);
}

int exit_code(RunStatus s) {
  switch (s) {
    case RunStatus::Complete:
      return 0;
    case RunStatus::Interrupted:
      return 130;
    case RunStatus::Diverged:
      return 3;
    default:
      return 1;
  }
}

void print_summary(const RunResult& r, const std::string& path) {
  std::printf("\n== %s: %s ==\n", to_string(r.status),
              r.status_message.empty() ? "all rounds done" : r.status_message.c_str());
  std::printf("rounds      %zu   wall time %.2f s   backend %s (%s)\n", r.rounds.size(),
              r.wall_time_s, r.backend.c_str(), r.device.c_str());
  if (!r.evals.empty()) {
    const EvalRecord& e = r.evals.back();
    std::printf("test        accuracy %.4f   loss %.4f", e.accuracy, e.loss);
    if (!std::isnan(e.auc)) std::printf("   ROC AUC %.4f", e.auc);
    std::printf("   (round %d)\n", e.round);
  }
  if (!r.clients.final_accuracy.empty())
    std::printf("per client  accuracy mean %.4f   10th percentile %.4f   worst %.4f\n",
                r.clients.accuracy_mean, r.clients.accuracy_p10, r.clients.accuracy_worst);
  const PrivacyReport& p = r.privacy;
  if (p.mode == "none") {
    std::printf("privacy     none (no differential privacy in this run)\n");
  } else {
    const double rdp = r.rounds.empty() ? 0.0 : r.rounds.back().epsilon_rdp;
    const double pld = r.rounds.empty() ? 0.0 : r.rounds.back().epsilon_pld;
    std::printf("privacy     %s-level DP (unit: one %s), noise multiplier %.4g%s, clip %.4g\n",
                p.mode == "sample" ? "sample" : "user", p.unit.c_str(), p.noise_multiplier,
                p.calibrated ? " (calibrated)" : "", p.clip);
    std::printf("            epsilon %.4g (RDP) / %.4g (PLD) at delta %.3g after %zu rounds\n", rdp,
                pld, p.delta, r.rounds.size());
    std::printf("            assumes: %s\n", p.sampling.c_str());
  }
  std::printf("results     %s\n", path.c_str());
}

}  // namespace

int cmd_run(const RunArgs& a) {
  std::vector<std::string> overrides = a.overrides;
  if (!a.backend.empty()) overrides.push_back("run.backend=" + toml_quote(a.backend));
  if (!a.output.empty()) overrides.push_back("run.output=" + toml_quote(a.output));
  Scenario s;
  std::string path;
  try {
    s = load(a.scenario_file, overrides);
    path = output_path(s);
    check_output_writable(path, a.force);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s\n", e.what());
    return 2;
  }

  std::unique_ptr<Backend> backend;
  try {
    backend = make_backend(to_string(s.run.backend));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s\n", e.what());
    return 2;
  }

  install_interrupt_handler();
  const auto t0 = std::chrono::steady_clock::now();
  Federation fed;
  try {
    fed = build_federation(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s: data: %s\n", s.source_path.c_str(), e.what());
    return 2;
  }
  const double data_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!a.quiet)
    std::printf(
        "fedsim: scenario '%s' (%s): %d clients, %lld train / %lld test samples, data in "
        "%.2f s; backend %s\n",
        s.run.name.c_str(), s.source_path.c_str(), fed.num_clients(), (long long)fed.train.n,
        (long long)fed.test.n, data_s, backend->device().c_str());
  try {  // privacy settings that only the data can refute, before any training
    const PrivacyPlan plan = make_privacy_plan(s, fed);
    for (const std::string& w : plan.warnings)
      std::fprintf(stderr, "fedsim: warning: %s\n", w.c_str());
    if (plan.calibrated && !a.quiet)
      std::printf(
          "fedsim: privacy.target_epsilon = %g: noise multiplier %.4g chosen (%s, delta "
          "%g, %d rounds)\n",
          s.privacy.target_epsilon, plan.noise_multiplier, to_string(s.privacy.accountant),
          s.privacy.delta, s.run.rounds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s: %s\n", s.source_path.c_str(), e.what());
    return 2;
  }

  ConsoleProgress progress(s.run.rounds, stdout);
  RunResult result = run_scenario(s, fed, std::move(backend), a.quiet ? nullptr : &progress);
  if (!a.quiet) progress.finish();
  // An interrupt that arrived during the last round still counts as an interrupt of the process.
  if (result.status == RunStatus::Complete && interrupt_requested()) {
    result.status = RunStatus::Interrupted;
    result.status_message = "interrupted during the last round (all rounds completed)";
  }
  if (result.status != RunStatus::Complete)
    std::fprintf(stderr, "fedsim: %s: %s\n", to_string(result.status),
                 result.status_message.c_str());
  try {
    write_results(path, result, a.force);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: could not save results: %s\n", e.what());
    return 1;
  }
  if (!a.quiet) print_summary(result, path);
  if (result.status != RunStatus::Complete)
    std::fprintf(stderr, "fedsim: results so far (%zu rounds) saved to %s with status '%s'\n",
                 result.rounds.size(), path.c_str(), to_string(result.status));
  return exit_code(result.status);
}

int cmd_validate(const std::string& file, const std::vector<std::string>& overrides) {
  try {
    const Scenario s = load(file, overrides);
    std::printf("%s: ok (scenario '%s', %d rounds, output %s)\n", s.source_path.c_str(),
                s.run.name.c_str(), s.run.rounds, output_path(s).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s\n", e.what());
    return 2;
  }
}

int cmd_describe(const std::string& file, const std::vector<std::string>& overrides) {
  Scenario s;
  try {
    s = load(file, overrides);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s\n", e.what());
    return 2;
  }
  try {
    BuildInfo info;
    const Federation fed = build_federation(s, &info);
    std::printf("scenario '%s' (%s)\n%s", s.run.name.c_str(), s.source_path.c_str(),
                describe(summarize(fed, &info)).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s: data: %s\n", s.source_path.c_str(), e.what());
    return 2;
  }
}

int cmd_data(const std::string& file, const std::vector<std::string>& overrides,
             const std::string& output, bool force) {
  Scenario s;
  try {
    s = load(file, overrides);
    check_output_writable(output, force);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s\n", e.what());
    return 2;
  }
  try {
    const Federation fed = build_federation(s);
    write_federation(output, fed, s.source_text, force);
    std::printf("wrote %s: %d clients, %lld train / %lld test samples, %d features\n",
                output.c_str(), fed.num_clients(), (long long)fed.train.n, (long long)fed.test.n,
                fed.train.d);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s\n", e.what());
    return 1;
  }
}

}  // namespace fedsim::cli
