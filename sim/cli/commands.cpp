// The `fedsim` subcommands over the engine (see commands.h). No engine logic lives here.
#include "sim/cli/commands.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "sim/backend/backend.h"
#include "sim/cli/progress.h"
#include "sim/cli/sweep_cmd.h"
#include "sim/data/federation_builder.h"
#include "sim/data/federation_fingerprint.h"
#include "sim/data/federation_io.h"
#include "sim/data/federation_stats.h"
#include "sim/privacy/privacy_plan.h"
#include "sim/results/results_writer.h"
#include "sim/runner.h"
#include "sim/scenario.h"

#include "fedsim_version.h"

namespace fedsim::cli {

std::string toml_quote(const std::string& value) {
  std::string q = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

std::string version_difference(const std::string& version, const std::string& commit) {
  if (version == FEDSIM_VERSION && commit == FEDSIM_GIT_COMMIT) return "";
  return "it was written by fedsim " + version + " (commit " + commit + "), this is fedsim " +
         FEDSIM_VERSION + " (commit " + FEDSIM_GIT_COMMIT + ")";
}

namespace {

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

namespace {

// Builds the federation, checks the privacy plan, trains (checkpointing into `path`), writes the
// results and prints the summary. `resume`: a result read back from `path` to continue.
int train_and_save(const Scenario& s, const std::string& path, bool force, bool quiet,
                   std::unique_ptr<Backend> backend, const RunResult* resume,
                   bool allow_data_mismatch) {
  install_interrupt_handler();
  const auto t0 = std::chrono::steady_clock::now();
  Federation fed;
  try {
    fed = build_federation(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s: data: %s\n", s.source_path.c_str(), e.what());
    return 2;
  }
  if (const std::string now = resume ? federation_fingerprint(fed) : "";
      resume && resume->checkpoint.data_fingerprint != now) {
    std::fprintf(stderr,
                 "fedsim: %s: the data differs from the data the checkpoint was taken with "
                 "(fingerprint %.12s... in the file, %.12s... now): the data source, file or "
                 "partition changed since the run%s\n",
                 path.c_str(), resume->checkpoint.data_fingerprint.c_str(), now.c_str(),
                 allow_data_mismatch ? "; resuming anyway (--allow-mismatch)"
                                     : ". Pass --allow-mismatch to resume anyway.");
    if (!allow_data_mismatch) return 2;
  }
  const double data_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!quiet)
    std::printf(
        "fedsim: scenario '%s' (%s): %d clients, %lld train / %lld test samples, data in "
        "%.2f s; backend %s\n",
        s.run.name.c_str(), s.source_path.c_str(), fed.num_clients(), (long long)fed.train.n,
        (long long)fed.test.n, data_s, backend->device().c_str());
  try {  // privacy settings that only the data can refute, before any training
    const PrivacyPlan plan = make_privacy_plan(s, fed);
    for (const std::string& w : plan.warnings)
      std::fprintf(stderr, "fedsim: warning: %s\n", w.c_str());
    if (resume && plan.calibrated && !quiet) {
      std::printf(
          "fedsim: the noise multiplier stays %.4g, as calibrated when the run started; "
          "epsilon grows with the rounds added\n",
          resume->checkpoint.noise_multiplier);
    } else if (plan.calibrated && !quiet) {
      std::printf(
          "fedsim: privacy.target_epsilon = %g: noise multiplier %.4g chosen (%s, delta "
          "%g, %d rounds)\n",
          s.privacy.target_epsilon, plan.noise_multiplier, to_string(s.privacy.accountant),
          s.privacy.delta, s.run.rounds);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s: %s\n", s.source_path.c_str(), e.what());
    return 2;
  }

  RunOptions options;
  options.checkpoint_every = s.run.checkpoint_every;
  options.command_line = command_line();
  options.resume = resume;
  options.save = [&](const RunResult& partial) { write_results(path, partial, true); };
  ConsoleProgress progress(s.run.rounds, stdout, resume ? resume->checkpoint.round : 0);
  RunResult result;
  try {
    result = run_scenario(s, fed, std::move(backend), quiet ? nullptr : &progress, options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s\n", e.what());
    return 2;
  }
  if (!quiet) progress.finish();
  // An interrupt that arrived during the last round still counts as an interrupt of the process.
  if (result.status == RunStatus::Complete && interrupt_requested()) {
    result.status = RunStatus::Interrupted;
    result.status_message = "interrupted during the last round (all rounds completed)";
  }
  if (result.status != RunStatus::Complete)
    std::fprintf(stderr, "fedsim: %s: %s\n", to_string(result.status),
                 result.status_message.c_str());
  try {
    write_results(path, result, force || resume != nullptr || s.run.checkpoint_every > 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: could not save results: %s\n", e.what());
    return 1;
  }
  if (!quiet) print_summary(result, path);
  if (result.status != RunStatus::Complete)
    std::fprintf(
        stderr, "fedsim: results so far (%zu rounds) saved to %s with status '%s'%s\n",
        result.rounds.size(), path.c_str(), to_string(result.status),
        result.status == RunStatus::Interrupted ? "; continue with: fedsim resume FILE" : "");
  return exit_code(result.status);
}

std::string& command_line_storage() {
  static std::string s;
  return s;
}

}  // namespace

void set_command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                         "OPQRSTUVWXYZ0123456789-_./=:,+@%") == std::string::npos;
    std::string q = "'";
    for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    s += (i ? " " : "") + (plain ? a : q + "'");
  }
  command_line_storage() = s;
}

const std::string& command_line() {
  return command_line_storage();
}

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
  if (s.has_sweep && !a.quiet)
    std::printf(
        "fedsim: note: %s has a [sweep] table; `fedsim run` runs the base scenario only "
        "(`fedsim sweep` runs every point)\n",
        s.source_path.c_str());
  return train_and_save(s, path, a.force, a.quiet, std::move(backend), nullptr, false);
}

int cmd_resume(const ResumeArgs& a) {
  try {
    if (result_file_kind(a.file) == "sweep") {
      if (a.rounds > 0 || !a.backend.empty()) {
        std::fprintf(stderr,
                     "fedsim: cannot resume %s: --rounds and --backend apply to single "
                     "runs, not to sweep files\n",
                     a.file.c_str());
        return 2;
      }
      return cmd_resume_sweep(a.file, a.allow_mismatch, a.quiet);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: cannot resume: %s\n", e.what());
    return 2;
  }
  RunResult prev;
  try {
    prev = read_results(a.file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: cannot resume: %s\n", e.what());
    return 2;
  }
  auto refuse = [&](const std::string& why) {
    std::fprintf(stderr, "fedsim: cannot resume %s: %s\n", a.file.c_str(), why.c_str());
    return 2;
  };
  if (!prev.has_checkpoint)
    return refuse(
        "it has no /checkpoint (the run failed before its first checkpoint, or an "
        "older fedsim wrote it)");
  if (prev.status == RunStatus::Diverged)
    return refuse("the run diverged (" + prev.status_message +
                  "); resuming would repeat it. Start a new run with smaller learning rates.");
  if (const std::string diff = version_difference(prev.fedsim_version, prev.git_commit);
      !diff.empty()) {
    if (!a.allow_mismatch)
      return refuse(diff +
                    ": the continued rounds may differ from an uninterrupted run. Pass "
                    "--allow-mismatch to resume anyway.");
    std::fprintf(stderr, "fedsim: warning: %s; resuming anyway (--allow-mismatch)\n", diff.c_str());
  }
  std::vector<std::string> overrides = {"run.output=" + toml_quote(a.file)};
  if (a.rounds > 0) overrides.push_back("run.rounds=" + std::to_string(a.rounds));
  if (!a.backend.empty()) overrides.push_back("run.backend=" + toml_quote(a.backend));
  Scenario s;
  try {
    s = parse_scenario(prev.scenario_resolved, a.file + ":/scenario/resolved", overrides);
    s.source_path = prev.scenario_path;
    s.source_text = prev.scenario_text;
  } catch (const std::exception& e) {
    return refuse(e.what());
  }
  const int done = prev.checkpoint.round;
  if (s.run.rounds < done)
    return refuse("--rounds " + std::to_string(s.run.rounds) + " is below the " +
                  std::to_string(done) + " rounds already done");
  if (s.run.rounds == done)
    return refuse("all " + std::to_string(done) + " rounds are done; pass --rounds N with N > " +
                  std::to_string(done) + " to train further");
  std::unique_ptr<Backend> backend;
  try {
    backend = make_backend(to_string(s.run.backend));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s\n", e.what());
    return 2;
  }
  if (!a.quiet)
    std::printf("fedsim: resuming %s after round %d of %d (status was '%s')\n", a.file.c_str(),
                done, s.run.rounds, to_string(prev.status));
  return train_and_save(s, a.file, true, a.quiet, std::move(backend), &prev, a.allow_mismatch);
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
