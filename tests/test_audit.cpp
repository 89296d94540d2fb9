// The one-run audit end to end (sim/audit/audit_run.h) on tests/data/scenarios/tiny.toml with
// user-level DP-FedAvg and client canaries:
//   - without noise, the lower bound is clearly positive (above 1 with 1,000 canaries);
//   - with DP (sigma 3, claimed epsilon 2.48), the bound stays below the claim for three seeds.
//     If the claim holds, each audit exceeds it with probability at most 1 - confidence = 0.001
//     (Steinke, Nasr, Jagielski 2023, Theorem 3), so this test fails by chance with probability
//     at most 0.003;
//   - a deliberately broken mechanism (the noise actually added under-scaled 10x while the
//     accountant keeps sigma 3) is caught: the bound exceeds the claim.
// Plus the pieces: canaries join and leave the federation as planned, and guesses are scored.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "sim/audit/audit_run.h"
#include "sim/audit/canaries.h"
#include "sim/audit/inversion.h"
#include "sim/backend/cpu_backend.h"
#include "sim/data/federation_builder.h"
#include "sim/results/results_writer.h"
#include "sim/scenario.h"
#include "sim/sweep/sweep_file.h"

using namespace fedsim;
using namespace fedsim::audit;

namespace {

Scenario tiny_user_dp(double sigma, uint64_t seed) {
  return load_scenario_file(
      std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny.toml",
      {"run.rounds=20", "run.seed=" + std::to_string(seed), "privacy.mode=\"user\"",
       "privacy.noise_multiplier=" + std::to_string(sigma), "server.sampling_rate=0.3",
       "model.hidden=[256,128]", "data.shops=10"});
}

AuditRecord run_tiny_audit(const Scenario& s, int canaries, int guesses, double confidence,
                           double noise_scale = 1.0) {
  const Federation fed = build_federation(s);
  AuditOptions o;
  o.canaries = canaries;
  o.guesses = guesses;
  o.confidence = confidence;
  o.test_noise_scale = noise_scale;
  const RunResult r = run_audit(s, fed, std::make_unique<CpuBackend>(), o);
  EXPECT_EQ(r.status, RunStatus::Complete) << r.status_message;
  EXPECT_TRUE(r.audit.has_value());
  return r.audit.value_or(AuditRecord{});
}

}  // namespace

TEST(Canaries, JoinTheFederationAsPlanned) {
  const Scenario s = load_scenario_file(std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny.toml");
  const Federation fed = build_federation(s);
  RecordCanaries rc = make_record_canaries(100, fed, 3);
  const Federation with = with_record_canaries(fed, rc);
  int included = 0;
  for (int8_t v : rc.included) included += v;
  EXPECT_GT(included, 30);
  EXPECT_LT(included, 70);
  EXPECT_EQ(with.train.n, fed.train.n + included);
  EXPECT_EQ(with.num_clients(), fed.num_clients());
  // each included canary sits in its client's rows, exactly once
  for (int i = 0; i < rc.m; ++i) {
    if (!rc.included[size_t(i)]) continue;
    const int c = rc.client[size_t(i)];
    int found = 0;
    for (int64_t r = with.offsets[size_t(c)]; r < with.offsets[size_t(c) + 1]; ++r)
      found += std::equal(rc.x.begin() + int64_t(i) * rc.d, rc.x.begin() + int64_t(i + 1) * rc.d,
                          with.train.x.begin() + r * rc.d);
    EXPECT_EQ(found, 1) << "canary " << i;
  }
  ClientCanaries cc = make_client_canaries(50, 100, 3);
  const Federation withc = with_client_canaries(fed, cc);
  int inc = 0;
  for (int8_t v : cc.included) inc += v;
  EXPECT_EQ(withc.num_clients(), fed.num_clients() + inc);
  EXPECT_EQ(cc.first_client, fed.num_clients());
  EXPECT_EQ(included_directions(cc).size(), size_t(inc) * 100);
  const Guesses g = guess_extremes({5, 4, 3, 2, 1, 0}, {1, 1, 0, 1, 0, 0}, 2);
  EXPECT_EQ(g.in, 2);
  EXPECT_EQ(g.out, 2);
  EXPECT_EQ(g.correct, 4);
}

TEST(Audit, WithoutNoiseTheBoundIsClearlyPositive) {
  const AuditRecord a = run_tiny_audit(tiny_user_dp(0.0, 5), 1000, 100, 0.95);
  EXPECT_EQ(a.unit, "client");
  EXPECT_GT(a.epsilon_lower_bound, 1.0) << a.correct << " of 200 correct";
}

TEST(Audit, WithDpTheBoundStaysBelowTheClaim) {
  for (uint64_t seed : {1, 2, 3}) {
    const AuditRecord a = run_tiny_audit(tiny_user_dp(3.0, seed), 1000, 100, 0.999);
    ASSERT_TRUE(std::isfinite(a.epsilon_claimed));
    EXPECT_NEAR(a.epsilon_claimed, 2.484, 0.01);
    EXPECT_LT(a.epsilon_lower_bound, a.epsilon_claimed)
        << "seed " << seed << ": " << a.correct << " of 200 correct";
  }
}

TEST(Audit, ABrokenMechanismIsCaught) {
  // the noise actually added is a tenth of what the accountant assumes
  const AuditRecord a = run_tiny_audit(tiny_user_dp(3.0, 1), 1000, 100, 0.95, 0.1);
  EXPECT_NEAR(a.epsilon_claimed, 2.484, 0.01);
  EXPECT_GT(a.epsilon_lower_bound, a.epsilon_claimed) << a.correct << " of 200 correct";
  EXPECT_DOUBLE_EQ(a.test_noise_scale, 0.1);
}

TEST(Audit, GradientInversionRecoversTheRecordOnlyWithoutProtection) {
  const Scenario s = load_scenario_file(std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny.toml");
  const Federation fed = build_federation(s);
  const InversionDemo d = gradient_inversion_demo(s, fed, 1.0, 1.0, 10);
  ASSERT_EQ(d.record.size(), size_t(fed.train.d));
  EXPECT_LT(d.error_plain, 1e-4);  // float precision of (w - w0) differences
  EXPECT_GT(d.error_noisy, 0.5);   // DP noise on the one update
  EXPECT_GT(d.error_sum, 0.3);     // the sum of 10 updates (all secure aggregation shows)
  EXPECT_THROW(gradient_inversion_demo(s, fed, 1.0, 1.0, 1), std::invalid_argument);
}

TEST(Audit, MembershipInferenceIsRecordedAndBoundedByTheClaim) {
  const AuditRecord a = run_tiny_audit(tiny_user_dp(3.0, 7), 200, 20, 0.95);
  EXPECT_GE(a.mia_auc, 0.0);
  EXPECT_LE(a.mia_auc, 1.0);
  EXPECT_GE(a.mia_advantage, 0.0);
  EXPECT_LE(a.mia_tpr_at_fpr_0001, a.mia_tpr_at_fpr_001);
  EXPECT_GE(a.mia_epsilon_lower_bound, 0.0);
  EXPECT_LT(a.mia_epsilon_lower_bound, a.epsilon_claimed);
}

TEST(Audit, TheAuditGroupRoundTripsThroughTheResultFile) {
  const Scenario s = tiny_user_dp(3.0, 4);
  const Federation fed = build_federation(s);
  AuditOptions o;
  o.canaries = 100;
  const RunResult r = run_audit(s, fed, std::make_unique<CpuBackend>(), o);
  ASSERT_TRUE(r.audit.has_value());
  const std::string path = (std::filesystem::temp_directory_path() / "fedsim-audit-rt.h5").string();
  write_results(path, r, true);
  const RunResult back = read_results(path);
  ASSERT_TRUE(back.audit.has_value());
  EXPECT_EQ(back.audit->unit, "client");
  EXPECT_EQ(back.audit->canaries, 100);
  EXPECT_EQ(back.audit->correct, r.audit->correct);
  EXPECT_DOUBLE_EQ(back.audit->epsilon_lower_bound, r.audit->epsilon_lower_bound);
  EXPECT_DOUBLE_EQ(back.audit->epsilon_claimed, r.audit->epsilon_claimed);
  EXPECT_DOUBLE_EQ(back.audit->mia_auc, r.audit->mia_auc);
  EXPECT_EQ(back.audit->included, r.audit->included);
  EXPECT_EQ(back.audit->scores, r.audit->scores);
  EXPECT_EQ(back.audit->guess, r.audit->guess);
  std::filesystem::remove(path);
}

#ifdef FEDSIM_BIN
// `fedsim sweep --audit M`: every run of the sweep is audited, each with its /audit, and the
// noisier run's bound is the lower one.
TEST(Audit, ASweepAuditsEveryRun) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "fedsim-audit-sweep";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "s.toml");
    f << "[run]\nname = \"s\"\nseed = 3\nrounds = 10\n[data]\nsamples = 3000\nshops = 10\n"
         "[model]\nhidden = [256, 128]\n[client]\nbatch_size = 16\n[server]\nsampling_rate = "
         "0.3\n[privacy]\nmode = \"user\"\nnoise_multiplier = 1.0\n[sweep.grid]\n"
         "\"privacy.noise_multiplier\" = [0.3, 3.0]\n";
  }
  const std::string out = (dir / "s.h5").string();
  const std::string cmd = std::string(FEDSIM_BIN) + " sweep " + (dir / "s.toml").string() +
                          " --audit 500 -q -o " + out + " > " + (dir / "log.txt").string() +
                          " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const SweepResult s = read_sweep(out);
  ASSERT_EQ(s.runs.size(), 2u);
  for (const RunResult& r : s.runs) {
    ASSERT_TRUE(r.audit.has_value());
    EXPECT_EQ(r.audit->canaries, 500);
    EXPECT_LT(r.audit->epsilon_lower_bound, r.audit->epsilon_claimed);
  }
  EXPECT_GT(s.runs[0].audit->epsilon_lower_bound, s.runs[1].audit->epsilon_lower_bound);
  std::filesystem::remove_all(dir);
}
#endif

// Canary clients have no data: with client.local_steps > 0 the trainer still gives them no batch
// (once a division by zero).
TEST(Audit, CanaryClientsWithFixedLocalSteps) {
  Scenario s = tiny_user_dp(1.0, 2);
  s.client.local_steps = 3;
  const AuditRecord a = run_tiny_audit(s, 50, 5, 0.95);
  EXPECT_EQ(a.canaries, 50);
}
