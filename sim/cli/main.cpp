// fedsim: the command line. Parses arguments (CLI11) and dispatches to the subcommands.
#include <CLI/CLI.hpp>

#include "sim/backend/blas_kernels.h"
#include "sim/cli/audit_cmd.h"
#include "sim/cli/commands.h"
#include "sim/cli/export_cmd.h"
#include "sim/cli/privacy_cmd.h"
#include "sim/cli/query_cmd.h"
#include "sim/cli/sweep_cmd.h"

int main(int argc, char** argv) {
  fedsim::reexec_with_better_blas_kernels(argv);  // OpenBLAS 0.3.21 misdetects some CPUs
  fedsim::cli::set_command_line(argc, argv);
  using namespace fedsim::cli;
  CLI::App app{"fedsim: simulator of private federated learning"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fedsim 0.1.0");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "run a scenario (the embedded default without FILE)");
  run_cmd->add_option("file", run.scenario_file, "scenario TOML file");
  run_cmd->add_option("--set", run.overrides, "override a key: section.key=value (repeatable)");
  run_cmd->add_option("--backend", run.backend, "auto | cpu | cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  run_cmd->add_option("--output,-o", run.output, "result file (HDF5); default from the scenario");
  run_cmd->add_flag("--force", run.force, "overwrite an existing result file");
  run_cmd->add_flag("--quiet,-q", run.quiet, "no progress output");

  ResumeArgs resume;
  auto* resume_cmd =
      app.add_subcommand("resume", "continue a run from its result file's checkpoint");
  resume_cmd->add_option("file", resume.file, "result file (HDF5) with a /checkpoint")->required();
  resume_cmd->add_option("--rounds", resume.rounds, "new total number of rounds")
      ->check(CLI::PositiveNumber);
  resume_cmd->add_option("--backend", resume.backend, "auto | cpu | cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  resume_cmd->add_flag("--allow-mismatch", resume.allow_mismatch,
                       "resume even if the fedsim version or the data differ");
  resume_cmd->add_flag("--quiet,-q", resume.quiet, "no progress output");

  std::string file, output;
  std::vector<std::string> overrides;
  bool force = false;
  auto* validate_cmd = app.add_subcommand("validate", "check a scenario file, do no work");
  validate_cmd->add_option("file", file, "scenario TOML file")->required();
  validate_cmd->add_option("--set", overrides, "override a key (repeatable)");

  auto* describe_cmd =
      app.add_subcommand("describe", "build the federation and describe its clients");
  describe_cmd->add_option("file", file, "scenario TOML file (default: the embedded one)");
  describe_cmd->add_option("--set", overrides, "override a key (repeatable)");

  auto* data_cmd = app.add_subcommand("data", "write the exact federation to HDF5");
  data_cmd->add_option("file", file, "scenario TOML file (default: the embedded one)");
  data_cmd->add_option("--set", overrides, "override a key (repeatable)");
  data_cmd->add_option("--output,-o", output, "federation file (HDF5)")->required();
  data_cmd->add_flag("--force", force, "overwrite an existing file");

  SweepArgs sweep;
  auto* sweep_cmd = add_sweep_command(app, sweep);

  PrivacyArgs privacy;
  auto* privacy_cmd = add_privacy_command(app, privacy);
  ExportArgs export_args;
  auto* export_cmd = add_export_command(app, export_args);
  QueryArgs query;
  auto* query_cmd = add_query_command(app, query);
  AuditArgs audit;
  auto* audit_cmd = add_audit_command(app, audit);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*run_cmd) return cmd_run(run);
  if (*resume_cmd) return cmd_resume(resume);
  if (*sweep_cmd) return cmd_sweep(sweep);
  if (*validate_cmd) return cmd_validate(file, overrides);
  if (*describe_cmd) return cmd_describe(file, overrides);
  if (*data_cmd) return cmd_data(file, overrides, output, force);
  if (*privacy_cmd) return cmd_privacy(privacy);
  if (*export_cmd) return cmd_export(export_args);
  if (*query_cmd) return cmd_query(query);
  if (*audit_cmd) return cmd_audit(audit);
  return 2;
}
