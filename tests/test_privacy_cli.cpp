// `fedsim privacy` end to end: runs the real binary (FEDSIM_BIN) and checks the JSON object, the
// text output, calibration, and exit code 2 with a message for every kind of bad input.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include "shell_command.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>

#include "sim/privacy/accountant.h"

using namespace fedsim;

namespace {

using Cmd = CommandResult;

Cmd run(const std::string& args, bool with_stderr = true) {
  return run_shell(std::string(FEDSIM_BIN) + " privacy " + args +
                   (with_stderr ? " 2>&1" : " 2>/dev/null"));
}

// The members of one flat JSON object (string, number, bool or null values) as raw text; fails
// the test unless the whole output is exactly one such object on one line.
std::map<std::string, std::string> parse_object(const std::string& s) {
  std::map<std::string, std::string> m;
  const std::regex whole(R"(^\{.*\}\n$)");
  EXPECT_TRUE(std::regex_match(s, whole)) << s;
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1) << s;
  EXPECT_EQ(std::count(s.begin(), s.end(), '{'), 1) << s;
  const std::regex member(R"re("([a-z_]+)"\s*:\s*("[^"]*"|[-+0-9.eE]+|true|false|null))re");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), member); it != std::sregex_iterator();
       ++it)
    m[(*it)[1]] = (*it)[2];
  return m;
}

}  // namespace

TEST(PrivacyCli, JsonIsOneObjectWithTheAccountedValues) {
  const Cmd c =
      run("--sampling-rate 0.01 --noise-multiplier 1.1 --steps 1000 --delta 1e-5 --json", false);
  ASSERT_EQ(c.code, 0) << c.out;
  auto m = parse_object(c.out);
  for (const char* k : {"epsilon", "delta", "noise_multiplier", "accountant", "sampling_rate",
                        "steps", "epsilon_rdp", "epsilon_pld"})
    EXPECT_TRUE(m.count(k)) << k << " missing in " << c.out;
  EXPECT_EQ(m["accountant"], "\"rdp\"");
  EXPECT_EQ(std::stod(m["sampling_rate"]), 0.01);
  EXPECT_EQ(std::stod(m["noise_multiplier"]), 1.1);
  EXPECT_EQ(std::stoll(m["steps"]), 1000);
  EXPECT_EQ(std::stod(m["delta"]), 1e-5);
  // shortest round-trip numbers: exactly the library's values
  const double rdp = epsilon_for(AccountantKind::Rdp, {{0.01, 1.1, 1000}}, 1e-5);
  const double pld = epsilon_for(AccountantKind::Pld, {{0.01, 1.1, 1000}}, 1e-5);
  EXPECT_EQ(std::stod(m["epsilon_rdp"]), rdp);
  EXPECT_EQ(std::stod(m["epsilon_pld"]), pld);
  EXPECT_EQ(std::stod(m["epsilon"]), rdp);

  const Cmd p = run("-q 0.01 -z 1.1 -T 1000 -d 1e-5 --accountant pld --json", false);
  ASSERT_EQ(p.code, 0) << p.out;
  auto mp = parse_object(p.out);
  EXPECT_EQ(mp["accountant"], "\"pld\"");
  EXPECT_EQ(std::stod(mp["epsilon"]), pld);
}

TEST(PrivacyCli, TextShowsBothAccountants) {
  const Cmd c = run("--sampling-rate 0.01 --noise-multiplier 1.1 --steps 1000 --delta 1e-5");
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_NE(c.out.find("epsilon (RDP)"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("epsilon (PLD)"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("add/remove"), std::string::npos) << c.out;
  char rdp[32];
  std::snprintf(rdp, sizeof rdp, "%.6g",
                epsilon_for(AccountantKind::Rdp, {{0.01, 1.1, 1000}}, 1e-5));
  EXPECT_NE(c.out.find(rdp), std::string::npos) << rdp << "\n" << c.out;
}

TEST(PrivacyCli, TargetEpsilonCalibrates) {
  const Cmd c = run("-q 0.01 -T 1000 -d 1e-5 --target-epsilon 2 --json", false);
  ASSERT_EQ(c.code, 0) << c.out;
  auto m = parse_object(c.out);
  const double sigma = calibrate_noise_multiplier(AccountantKind::Rdp, {{0.01, 0, 1000}}, 1e-5, 2);
  EXPECT_EQ(std::stod(m["noise_multiplier"]), sigma);
  EXPECT_LE(std::stod(m["epsilon"]), 2.0);
  EXPECT_EQ(m["calibrated"], "true");
  const Cmd t = run("-q 0.01 -T 1000 -d 1e-5 --target-epsilon 2 --accountant pld");
  ASSERT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("calibrated with pld"), std::string::npos) << t.out;
}

TEST(PrivacyCli, BadInputExitsTwoWithAMessage) {
  const char* bad[] = {
      "-q 0 -z 1 -T 10 -d 1e-5",         // q not in (0, 1]
      "-q 1.5 -z 1 -T 10 -d 1e-5",       //
      "-q 0.1 -z 1 -T 10 -d 0",          // delta not in (0, 1)
      "-q 0.1 -z 1 -T 10 -d 1",          //
      "-q 0.1 -z 0 -T 10 -d 1e-5",       // sigma <= 0
      "-q 0.1 -z -2 -T 10 -d 1e-5",      //
      "-q 0.1 -z 1 -T 0 -d 1e-5",        // steps < 1
      "-q 0.1 -T 10 -d 1e-5",            // neither sigma nor target
      "-q 0.1 -z 1 -e 2 -T 10 -d 1e-5",  // both
      "-q 0.1 -e 0 -T 10 -d 1e-5",       // target <= 0
      "-q 1 -e 1e-4 -T 10000 -d 1e-5",   // unreachable target
      "-q 0.1 -z 1 -T 10 -d 1e-5 --accountant gdp",
      "-q 0.1 -z 1 -T 10",  // missing --delta
      "-q 0.1 -z abc -T 10 -d 1e-5",
  };
  for (const char* args : bad) {
    const Cmd c = run(args);
    EXPECT_EQ(c.code, 2) << args << "\n" << c.out;
    EXPECT_FALSE(c.out.empty()) << args;
  }
  const Cmd u = run("-q 1 -e 1e-4 -T 10000 -d 1e-5");
  EXPECT_NE(u.out.find("unreachable"), std::string::npos) << u.out;
  const Cmd n = run("-q 0.1 -T 10 -d 1e-5");
  EXPECT_NE(n.out.find("exactly one of --noise-multiplier and --target-epsilon"), std::string::npos)
      << n.out;
}
