// `fedsim privacy`: the privacy calculator. Epsilon of T steps of the Poisson-subsampled Gaussian
// (both accountants), or with --target-epsilon the calibrated noise multiplier.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <string>

namespace fedsim::cli {

struct PrivacyArgs {
  double sampling_rate = std::numeric_limits<double>::quiet_NaN();
  double noise_multiplier = std::numeric_limits<double>::quiet_NaN();  // NaN: not given
  double target_epsilon = std::numeric_limits<double>::quiet_NaN();    // NaN: not given
  int64_t steps = 0;
  double delta = std::numeric_limits<double>::quiet_NaN();
  std::string accountant = "rdp";
  bool json = false;
};

// Registers the subcommand on `app`; run cmd_privacy(args) when it was given.
CLI::App* add_privacy_command(CLI::App& app, PrivacyArgs& args);
// Exit code: 0 done, 2 bad arguments or unreachable target (message on stderr).
int cmd_privacy(const PrivacyArgs& args);

}  // namespace fedsim::cli
