// `fedsim sweep` and the resumption of sweep files (see sweep_cmd.h).
#include "sim/cli/sweep_cmd.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>

#include "sim/backend/backend.h"
#include "sim/cli/commands.h"
#include "sim/cli/progress.h"
#include "sim/results/results_writer.h"
#include "sim/sweep/sweep_file.h"
#include "sim/sweep/sweep_runner.h"

namespace fedsim::cli {
namespace {

// One line per finished run, with overall elapsed time and ETA.
class SweepProgress final : public SweepObserver {
 public:
  SweepProgress(bool quiet) : quiet_(quiet), start_(std::chrono::steady_clock::now()) {}
  void on_run_end(const SweepPoint& p, const RunResult& r, int done, int total) override {
    if (quiet_) return;
    std::string values;
    for (const auto& [k, v] : p.values) values += " " + k + "=" + v;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta = elapsed / done * (total - done);
    std::printf("[%d/%d] %s%s: %s", done, total, p.id.c_str(), values.c_str(), to_string(r.status));
    if (!r.evals.empty()) std::printf("  accuracy %.4f", r.evals.back().accuracy);
    if (!r.rounds.empty() && !std::isnan(r.rounds.back().epsilon))
      std::printf("  epsilon %.3g", r.rounds.back().epsilon);
    if (r.status == RunStatus::Failed) std::printf("  (%s)", r.status_message.c_str());
    std::printf("  %.1f s | elapsed %.0f s, ETA %.0f s\n", r.wall_time_s, elapsed, eta);
    std::fflush(stdout);
  }
  bool stop_requested() override { return interrupt_requested(); }

 private:
  bool quiet_;
  std::chrono::steady_clock::time_point start_;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path + ": cannot read scenario file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void print_table(const SweepResult& s) {
  std::printf("\n%-6s", "run");
  for (const std::string& k : s.keys) std::printf(" %18s", k.c_str());
  std::printf(" %12s %9s %9s\n", "status", "accuracy", "epsilon");
  const auto rows = sweep_summary(s);
  for (size_t i = 0; i < rows.size(); ++i) {
    std::printf("%-6s", rows[i].run_id.c_str());
    for (const auto& kv : s.points[i].values) std::printf(" %18s", kv.second.c_str());
    std::printf(" %12s %9.4f %9.4g\n", rows[i].status.c_str(), rows[i].final_accuracy,
                rows[i].epsilon);
  }
  const auto keys = frontier_keys(s);
  const auto frontier = sweep_frontier(s);
  if (frontier.empty()) return;
  std::printf("\nfrontier (over seeds):");
  for (const std::string& k : keys) std::printf(" %s", k.c_str());
  std::printf(" -> epsilon, accuracy mean +- std [min, max] (n)\n");
  for (const FrontierRow& f : frontier) {
    std::string values;
    for (const std::string& v : f.values) values += (values.empty() ? "" : ", ") + v;
    std::printf("  %-24s epsilon %-9.4g accuracy %.4f +- %.4f [%.4f, %.4f] (%d)\n", values.c_str(),
                f.epsilon_mean, f.accuracy_mean, f.accuracy_std, f.accuracy_min, f.accuracy_max,
                f.count);
  }
}

// Runs (or continues) the sweep and writes `path`; prints the tables. The exit code.
int execute(const std::string& text, const std::string& scenario_path,
            const std::vector<std::string>& overrides, const SweepSpec& spec,
            const std::vector<SweepPoint>& points, const std::vector<Scenario>& scenarios,
            const std::string& path, int parallel, bool quiet, const SweepResult* resume,
            int audit_canaries = 0) {
  install_interrupt_handler();
  SweepProgress progress(quiet);
  SweepOptions opt;
  opt.parallel = parallel;
  opt.resume = resume;
  opt.observer = &progress;
  opt.command_line = command_line();
  opt.audit_canaries = audit_canaries;
  opt.save = [&](const SweepResult& s) { write_sweep(path, s, true); };
  if (!quiet)
    std::printf("fedsim: sweep '%s' (%s): %zu runs, output %s\n",
                scenarios.front().run.name.c_str(), scenario_path.c_str(), points.size(),
                path.c_str());
  SweepResult result;
  try {
    result = run_sweep(text, scenario_path, overrides, spec, points, scenarios, opt);
    write_sweep(path, result, true);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: could not save the sweep: %s\n", e.what());
    return 1;
  }
  if (!quiet) print_table(result);
  std::printf("\n== sweep %s: %s ==\nresults     %s\n", to_string(result.status),
              result.status_message.c_str(), path.c_str());
  if (result.status == RunStatus::Interrupted) return 130;
  for (size_t i = 0; i < result.runs.size(); ++i)
    if (result.started[i] && result.runs[i].status == RunStatus::Failed) return 1;
  return 0;
}

}  // namespace

CLI::App* add_sweep_command(CLI::App& app, SweepArgs& a) {
  auto* cmd = app.add_subcommand("sweep", "run every point of a scenario's [sweep] table");
  cmd->add_option("file", a.file, "scenario TOML file with a [sweep] table")->required();
  cmd->add_option("--set", a.overrides, "override a key for every run (repeatable)");
  cmd->add_option("--backend", a.backend, "auto | cpu | cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--output,-o", a.output, "sweep file (HDF5); default results/NAME-sweep.h5");
  cmd->add_option("--parallel", a.parallel, "runs in flight (default: [sweep] parallel or auto)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--force", a.force, "overwrite an existing sweep file");
  cmd->add_flag("--quiet,-q", a.quiet, "no progress output");
  cmd->add_option("--audit", a.audit_canaries,
                  "audit every run with this many canaries (fedsim audit; /audit in each run)")
      ->check(CLI::Range(2, 1000000));
  return cmd;
}

int cmd_sweep(const SweepArgs& a) {
  std::vector<std::string> overrides = a.overrides;
  if (!a.backend.empty()) overrides.push_back("run.backend=" + toml_quote(a.backend));
  std::string text, path;
  SweepSpec spec;
  std::vector<SweepPoint> points;
  std::vector<Scenario> scenarios;
  try {  // everything is checked before the first run starts
    text = read_text(a.file);
    spec = read_sweep_spec(text, a.file);
    points = expand_sweep(spec);
    scenarios = sweep_scenarios(text, a.file, overrides, points);
    path = a.output.empty() ? "results/" + scenarios.front().run.name + "-sweep.h5" : a.output;
    check_output_writable(path, a.force);
    make_backend(to_string(scenarios.front().run.backend));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: %s\n", e.what());
    return 2;
  }
  return execute(text, a.file, overrides, spec, points, scenarios, path, a.parallel, a.quiet,
                 nullptr, a.audit_canaries);
}

int cmd_resume_sweep(const std::string& file, bool allow_mismatch, bool quiet) {
  SweepResult prev;
  SweepSpec spec;
  std::vector<SweepPoint> points;
  std::vector<Scenario> scenarios;
  try {
    prev = read_sweep(file);
    if (const std::string diff = version_difference(prev.fedsim_version, prev.git_commit);
        !diff.empty()) {
      if (!allow_mismatch)
        throw ScenarioError(diff +
                            ": continued runs may differ from uninterrupted ones. Pass "
                            "--allow-mismatch to resume anyway.");
      std::fprintf(stderr, "fedsim: warning: %s; resuming anyway\n", diff.c_str());
    }
    spec = read_sweep_spec(prev.scenario_text, prev.scenario_path);
    points = expand_sweep(spec);
    if (points.size() != prev.points.size())
      throw ScenarioError("the sweep file lists " + std::to_string(prev.points.size()) +
                          " runs, its scenario expands to " + std::to_string(points.size()));
    for (size_t i = 0; i < points.size(); ++i)
      if (points[i].id != prev.points[i].id)
        throw ScenarioError("run " + std::to_string(i) + " is '" + prev.points[i].id +
                            "' in the file, '" + points[i].id + "' from its scenario");
    scenarios = sweep_scenarios(prev.scenario_text, prev.scenario_path, prev.overrides, points);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fedsim: cannot resume %s: %s\n", file.c_str(), e.what());
    return 2;
  }
  prev.points = points;
  int kept = 0;
  for (size_t i = 0; i < prev.runs.size(); ++i)
    kept += prev.started[i] && (prev.runs[i].status == RunStatus::Complete ||
                                prev.runs[i].status == RunStatus::Diverged);
  if (!quiet)
    std::printf("fedsim: resuming sweep %s: %d of %zu runs already finished\n", file.c_str(), kept,
                points.size());
  return execute(prev.scenario_text, prev.scenario_path, prev.overrides, spec, points, scenarios,
                 file, 0, quiet, &prev);
}

}  // namespace fedsim::cli
