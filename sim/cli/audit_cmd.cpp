// `fedsim audit` (see audit_cmd.h): arguments, the run with canaries, the side-by-side summary.
#include "sim/cli/audit_cmd.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sim/audit/audit_run.h"
#include "sim/audit/inversion.h"
#include "sim/backend/backend.h"
#include "sim/cli/commands.h"
#include "sim/cli/progress.h"
#include "sim/data/federation_builder.h"
#include "sim/results/results_writer.h"
#include "sim/scenario.h"

namespace fedsim::cli {

CLI::App* add_audit_command(CLI::App& app, AuditArgs& a) {
  auto* cmd = app.add_subcommand(
      "audit",
      "train with canaries and bound epsilon from below (one-run audit), beside the claim");
  cmd->add_option("file", a.scenario_file, "scenario TOML file (default: the embedded one)");
  cmd->add_option("--set", a.overrides, "override a key: section.key=value (repeatable)");
  cmd->add_option("--canaries", a.canaries, "canaries, each included with probability 1/2")
      ->check(CLI::Range(2, 1000000));
  cmd->add_option("--guesses", a.guesses, "guesses per side (in / out); default canaries / 10");
  cmd->add_option("--confidence", a.confidence, "of the lower bound (default 0.95)");
  cmd->add_option("--backend", a.backend, "auto | cpu | cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--output,-o", a.output, "result file (default results/<name>-audit.h5)");
  cmd->add_flag("--force", a.force, "overwrite an existing result file");
  cmd->add_flag("--quiet,-q", a.quiet, "no progress output");
  cmd->add_flag("--inversion-demo", a.inversion_demo,
                "only the gradient-inversion demonstration: one client's update inverted, plain, "
                "with DP noise and under secure aggregation");
  return cmd;
}

int cmd_audit(const AuditArgs& a) {
  std::vector<std::string> overrides = a.overrides;
  if (!a.backend.empty()) overrides.push_back("run.backend=" + toml_quote(a.backend));
  Scenario s;
  std::string path;
  try {
    s = a.scenario_file.empty() ? parse_scenario(default_scenario_text(), "<default>", overrides)
                                : load_scenario_file(a.scenario_file, overrides);
    path = a.output.empty() ? "results/" + s.run.name + "-audit.h5" : a.output;
    check_output_writable(path, a.force);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim audit: %s\n", e.what());
    return 2;
  }
  if (a.inversion_demo) {
    try {
      const Federation f = build_federation(s);
      const double sigma = s.privacy.noise_multiplier > 0 ? s.privacy.noise_multiplier : 1.0;
      const audit::InversionDemo d = audit::gradient_inversion_demo(s, f, sigma, s.privacy.clip,
                                                                    std::min(10, f.num_clients()));
      std::printf(
          "gradient inversion of one client's update (one SGD step on one record, first "
          "layer: x = dW[j, :] / db[j]):\n"
          "  plain update:                 relative error %.3g\n"
          "  with user-level DP noise:     relative error %.3g (sigma %g, clip %g)\n"
          "  sum of %d updates (secagg):   relative error %.3g\n",
          d.error_plain, d.error_noisy, d.noise_multiplier, d.clip, d.clients, d.error_sum);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fedsim audit: %s\n", e.what());
      return 2;
    }
  }
  install_interrupt_handler();
  Federation fed;
  std::unique_ptr<Backend> backend;
  try {
    fed = build_federation(s);
    backend = make_backend(to_string(s.run.backend));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim audit: %s: %s\n", s.source_path.c_str(), e.what());
    return 2;
  }
  audit::AuditOptions o;
  o.canaries = a.canaries;
  o.guesses = a.guesses;
  o.confidence = a.confidence;
  RunOptions ro;
  ro.command_line = command_line();
  ConsoleProgress progress(s.run.rounds, stdout);
  RunResult r;
  try {
    r = audit::run_audit(s, fed, std::move(backend), o, a.quiet ? nullptr : &progress, ro);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim audit: %s\n", e.what());
    return 2;
  }
  if (!a.quiet) progress.finish();
  try {
    write_results(path, r, a.force);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim audit: cannot write %s: %s\n", path.c_str(), e.what());
    return 1;
  }
  if (!r.audit) {
    std::fprintf(stderr, "fedsim audit: the run did not complete (%s: %s); no audit. Results: %s\n",
                 to_string(r.status), r.status_message.c_str(), path.c_str());
    return r.status == RunStatus::Interrupted ? 130 : 1;
  }
  const AuditRecord& au = *r.audit;
  int included = 0;
  for (int8_t v : au.included) included += v != 0;
  std::printf(
      "\n== audit of '%s': %d %s canaries (%d included), %d guesses (%d in, %d out), %d "
      "correct ==\n",
      s.run.name.c_str(), au.canaries, au.unit.c_str(), included, au.guesses_in + au.guesses_out,
      au.guesses_in, au.guesses_out, au.correct);
  if (std::isnan(au.epsilon_claimed))
    std::printf("  claimed epsilon:    none (no differential privacy)\n");
  else
    std::printf("  claimed epsilon:    %.4g (%s accountant, delta %g, unit: one %s)\n",
                au.epsilon_claimed, to_string(s.privacy.accountant), au.delta,
                s.privacy.mode == PrivacyMode::User ? "client" : "record");
  std::printf("  empirical epsilon:  >= %.4g with %g%% confidence (%s)\n", au.epsilon_lower_bound,
              100 * au.confidence, au.method.c_str());
  std::printf(
      "  membership inference (loss threshold, training vs held-out records): AUC %.3f, TPR "
      "%.3g at FPR 0.1%%, %.3g at 1%%, advantage %.3f; epsilon >= %.3g (per record)\n",
      au.mia_auc, au.mia_tpr_at_fpr_0001, au.mia_tpr_at_fpr_001, au.mia_advantage,
      au.mia_epsilon_lower_bound);
  if (au.unit == "client" && int64_t(au.canaries) * 20 > r.layout.num_params)
    std::printf(
        "  note: %d canary directions in %lld parameters overlap and blur each other; a "
        "sharper audit\n  uses at most parameters / 20 = %lld canaries, or a larger "
        "model\n",
        au.canaries, (long long)r.layout.num_params, (long long)(r.layout.num_params / 20));
  std::printf(
      "  the claim is an upper bound proved for every dataset; the audit is a lower bound\n"
      "  that this one run demonstrates. A bound above the claim means a broken mechanism\n"
      "  or accountant; one far below it is expected (one run, one attack). Results: %s\n",
      path.c_str());
  return 0;
}

}  // namespace fedsim::cli
