// `fedsim privacy` (see privacy_cmd.h): argument checks, the computation with both accountants,
// and the text or JSON output.
#include "sim/cli/privacy_cmd.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/privacy/accountant.h"
#include "sim/util/format.h"

namespace fedsim::cli {
namespace {

// Shortest round-trip representation; JSON has no infinity, so an infinite epsilon is null.
std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string text(double v) {
  return std::isinf(v) ? "inf" : format_g(v);
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "fedsim privacy: error: %s\n", msg.c_str());
  return 2;
}

}  // namespace

CLI::App* add_privacy_command(CLI::App& app, PrivacyArgs& a) {
  auto* cmd = app.add_subcommand(
      "privacy",
      "epsilon of T steps of the Poisson-subsampled Gaussian (add/remove neighbours), or the noise "
      "multiplier for a target epsilon");
  cmd->add_option("--sampling-rate,-q", a.sampling_rate, "Poisson sampling rate q in (0, 1]")
      ->required();
  cmd->add_option("--noise-multiplier,-z", a.noise_multiplier, "noise std / L2 sensitivity");
  cmd->add_option("--target-epsilon,-e", a.target_epsilon,
                  "calibrate the noise multiplier for this epsilon instead");
  cmd->add_option("--steps,-T", a.steps, "number of steps (compositions), >= 1")->required();
  cmd->add_option("--delta,-d", a.delta, "delta in (0, 1)")->required();
  cmd->add_option("--accountant", a.accountant, "rdp | pld: the headline (and calibration) one")
      ->check(CLI::IsMember({"rdp", "pld"}));
  cmd->add_flag("--json", a.json, "print one JSON object");
  return cmd;
}

int cmd_privacy(const PrivacyArgs& a) {
  if (!(a.sampling_rate > 0 && a.sampling_rate <= 1))
    return fail("--sampling-rate must be in (0, 1], got " + text(a.sampling_rate));
  if (!(a.delta > 0 && a.delta < 1)) return fail("--delta must be in (0, 1), got " + text(a.delta));
  if (a.steps < 1) return fail("--steps must be >= 1, got " + std::to_string(a.steps));
  const bool have_z = !std::isnan(a.noise_multiplier), have_e = !std::isnan(a.target_epsilon);
  if (have_z == have_e) return fail("give exactly one of --noise-multiplier and --target-epsilon");
  if (have_z && !(a.noise_multiplier > 0))
    return fail("--noise-multiplier must be > 0, got " + text(a.noise_multiplier));
  if (have_z && !std::isfinite(a.noise_multiplier))
    return fail("--noise-multiplier must be finite");
  if (have_e && !(a.target_epsilon > 0 && std::isfinite(a.target_epsilon)))
    return fail("--target-epsilon must be a finite number > 0, got " + text(a.target_epsilon));
  const AccountantKind kind = a.accountant == "pld" ? AccountantKind::Pld : AccountantKind::Rdp;

  double sigma = a.noise_multiplier, eps_rdp = 0, eps_pld = 0, order = NAN;
  try {
    if (have_e)
      sigma = calibrate_noise_multiplier(kind, {{a.sampling_rate, 1.0, a.steps}}, a.delta,
                                         a.target_epsilon);
    RdpAccountant rdp;
    rdp.compose({a.sampling_rate, sigma, a.steps});
    eps_rdp = rdp.epsilon(a.delta);
    order = rdp.optimal_order(a.delta);
    PldAccountant pld;
    pld.compose({a.sampling_rate, sigma, a.steps});
    eps_pld = pld.epsilon(a.delta);
  } catch (const std::invalid_argument& e) {
    return fail(e.what());
  }
  const double eps = kind == AccountantKind::Pld ? eps_pld : eps_rdp;

  if (a.json) {
    std::printf(
        "{\"accountant\": \"%s\", \"sampling_rate\": %s, \"noise_multiplier\": %s, \"steps\": "
        "%lld, "
        "\"delta\": %s, \"epsilon\": %s, \"epsilon_rdp\": %s, \"epsilon_pld\": %s, "
        "\"rdp_optimal_order\": %s, \"target_epsilon\": %s, \"calibrated\": %s, "
        "\"neighbouring\": \"add/remove\", \"sampling\": \"poisson\"}\n",
        a.accountant.c_str(), num(a.sampling_rate).c_str(), num(sigma).c_str(),
        static_cast<long long>(a.steps), num(a.delta).c_str(), num(eps).c_str(),
        num(eps_rdp).c_str(), num(eps_pld).c_str(), num(order).c_str(),
        have_e ? num(a.target_epsilon).c_str() : "null", have_e ? "true" : "false");
    return 0;
  }
  std::printf("Poisson-subsampled Gaussian, add/remove neighbours\n");
  std::printf("  sampling rate      %s\n", text(a.sampling_rate).c_str());
  if (have_e)
    std::printf(
        "  noise multiplier   %s   (calibrated with %s for epsilon <= %s, rounded up to 3 "
        "significant digits)\n",
        text(sigma).c_str(), a.accountant.c_str(), text(a.target_epsilon).c_str());
  else
    std::printf("  noise multiplier   %s\n", text(sigma).c_str());
  std::printf("  steps              %lld\n", static_cast<long long>(a.steps));
  std::printf("  delta              %s\n", text(a.delta).c_str());
  std::printf("  epsilon (RDP)      %s%s   (optimal order %s)\n", text(eps_rdp).c_str(),
              kind == AccountantKind::Rdp ? " *" : "", text(order).c_str());
  std::printf("  epsilon (PLD)      %s%s   (connect-the-dots, value discretization 1e-4)\n",
              text(eps_pld).c_str(), kind == AccountantKind::Pld ? " *" : "");
  std::printf("* headline accountant (--accountant)\n");
  return 0;
}

}  // namespace fedsim::cli
