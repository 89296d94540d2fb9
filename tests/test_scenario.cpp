// Tests of the scenario parser: defaults, every error path (with its exact message: file, line,
// key and what was expected), --set overrides, path resolution, and the resolved-TOML round trip.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/scenario.h"
#include "sim/scenario_keys.h"

namespace fedsim {
namespace {

namespace fs = std::filesystem;

const std::string kDir = std::string(FEDSIM_TEST_DATA) + "/scenarios";

// The message of the ScenarioError that parsing throws ("" if it does not throw).
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {},
                     const std::string& path = "s.toml") {
  try {
    parse_scenario(text, path, overrides);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "in: " << (text)

// Every field except source_path/source_text.
void expect_same(const Scenario& a, const Scenario& b) {
  EXPECT_EQ(a.run.name, b.run.name);
  EXPECT_EQ(a.run.seed, b.run.seed);
  EXPECT_EQ(a.run.rounds, b.run.rounds);
  EXPECT_EQ(a.run.eval_every, b.run.eval_every);
  EXPECT_STREQ(to_string(a.run.backend), to_string(b.run.backend));
  EXPECT_EQ(a.run.output, b.run.output);
  const DataConfig &d = a.data, &e = b.data;
  EXPECT_STREQ(to_string(d.source), to_string(e.source));
  EXPECT_STREQ(to_string(d.task), to_string(e.task));
  EXPECT_EQ(d.samples, e.samples);
  EXPECT_EQ(d.shops, e.shops);
  EXPECT_EQ(d.shop_size_sigma, e.shop_size_sigma);
  EXPECT_EQ(d.category_alpha, e.category_alpha);
  EXPECT_EQ(d.fraud_rate, e.fraud_rate);
  EXPECT_EQ(d.path, e.path);
  EXPECT_EQ(d.label_column, e.label_column);
  EXPECT_EQ(d.client_column, e.client_column);
  EXPECT_EQ(d.feature_columns, e.feature_columns);
  EXPECT_EQ(d.id_columns, e.id_columns);
  EXPECT_EQ(d.key_file, e.key_file);
  EXPECT_EQ(d.categorical_columns, e.categorical_columns);
  EXPECT_EQ(d.winsorize, e.winsorize);
  EXPECT_EQ(d.winsorize_columns, e.winsorize_columns);
  EXPECT_EQ(d.test_fraction, e.test_fraction);
  EXPECT_EQ(d.standardize, e.standardize);
  EXPECT_STREQ(to_string(a.partition.scheme), to_string(b.partition.scheme));
  EXPECT_EQ(a.partition.clients, b.partition.clients);
  EXPECT_EQ(a.partition.alpha, b.partition.alpha);
  EXPECT_EQ(a.partition.quantity_sigma, b.partition.quantity_sigma);
  EXPECT_EQ(a.partition.min_samples, b.partition.min_samples);
  EXPECT_STREQ(to_string(a.model.kind), to_string(b.model.kind));
  EXPECT_EQ(a.model.hidden, b.model.hidden);
  EXPECT_STREQ(to_string(a.model.activation), to_string(b.model.activation));
  EXPECT_EQ(a.client.local_epochs, b.client.local_epochs);
  EXPECT_EQ(a.client.local_steps, b.client.local_steps);
  EXPECT_EQ(a.client.batch_size, b.client.batch_size);
  EXPECT_EQ(a.client.lr, b.client.lr);
  EXPECT_EQ(a.client.momentum, b.client.momentum);
  EXPECT_EQ(a.client.weight_decay, b.client.weight_decay);
  EXPECT_EQ(a.client.prox_mu, b.client.prox_mu);
  EXPECT_STREQ(to_string(a.server.optimizer), to_string(b.server.optimizer));
  EXPECT_EQ(a.server.lr, b.server.lr);
  EXPECT_EQ(a.server.momentum, b.server.momentum);
  EXPECT_EQ(a.server.beta1, b.server.beta1);
  EXPECT_EQ(a.server.beta2, b.server.beta2);
  EXPECT_EQ(a.server.tau, b.server.tau);
  EXPECT_EQ(a.server.clients_per_round, b.server.clients_per_round);
  EXPECT_EQ(a.server.sampling_rate, b.server.sampling_rate);
  EXPECT_STREQ(to_string(a.server.weighting), to_string(b.server.weighting));
  EXPECT_STREQ(to_string(a.privacy.mode), to_string(b.privacy.mode));
  EXPECT_EQ(a.privacy.noise_multiplier, b.privacy.noise_multiplier);
  EXPECT_EQ(a.privacy.target_epsilon, b.privacy.target_epsilon);
  EXPECT_EQ(a.privacy.clip, b.privacy.clip);
  EXPECT_EQ(a.privacy.delta, b.privacy.delta);
  EXPECT_STREQ(to_string(a.privacy.accountant), to_string(b.privacy.accountant));
  EXPECT_EQ(a.privacy.sample_rate, b.privacy.sample_rate);
  EXPECT_EQ(a.privacy.adaptive_clip, b.privacy.adaptive_clip);
  EXPECT_EQ(a.privacy.target_quantile, b.privacy.target_quantile);
  EXPECT_EQ(a.privacy.clip_lr, b.privacy.clip_lr);
  EXPECT_EQ(a.privacy.count_noise, b.privacy.count_noise);
}

TEST(Scenario, EmbeddedDefaultParsesToTheStructDefaults) {
  const Scenario s = parse_scenario(default_scenario_text(), "<default>");
  expect_same(s, Scenario{});
  EXPECT_EQ(s.source_path, "<default>");
  EXPECT_EQ(s.source_text, default_scenario_text());
  EXPECT_EQ(s.data.samples, 125000);
  EXPECT_EQ(s.model.hidden, (std::vector<int>{128, 128}));
}

TEST(Scenario, EmptyTextGivesAllDefaults) {
  const Scenario s = parse_scenario("", "<string>");
  expect_same(s, Scenario{});
  EXPECT_EQ(s.source_path, "<string>");
  EXPECT_EQ(s.source_text, "");
}

TEST(Scenario, KeysOverrideDefaultsAndIntegersAreAcceptedAsNumbers) {
  const Scenario s = parse_scenario(
      "[run]\nname = \"x\"\nrounds = 3\n[client]\nlr = 1\n[server]\noptimizer = \"fedyogi\"\n"
      "[model]\nkind = \"logreg\"\nhidden = []\n",
      "s.toml");
  EXPECT_EQ(s.run.name, "x");
  EXPECT_EQ(s.run.rounds, 3);
  EXPECT_EQ(s.run.eval_every, 5);  // untouched default
  EXPECT_EQ(s.client.lr, 1.0);
  EXPECT_EQ(s.server.optimizer, ServerOptimizer::FedYogi);
  EXPECT_EQ(s.model.kind, ModelKind::LogReg);
  EXPECT_TRUE(s.model.hidden.empty());
}

TEST(ScenarioErrors, TomlSyntaxErrorNamesFileLineAndColumn) {
  const std::string m = error_of("[run]\nrounds = = 3\n");
  EXPECT_EQ(m.rfind("s.toml:2:", 0), 0u) << m;
  EXPECT_CONTAINS(m, ": TOML syntax error: ");
}

TEST(ScenarioErrors, UnknownSection) {
  EXPECT_EQ(error_of("[run]\nrounds = 3\n[sever]\nlr = 1\n"),
            "s.toml:3: section [sever]: unknown section (did you mean [server]?)");
  EXPECT_EQ(error_of("[auditing]\nmode = \"off\"\n"),
            "s.toml:1: section [auditing]: unknown section; the sections are [run], [data], "
            "[partition], [model], [client], [server], [privacy], [secagg]");
}

TEST(ScenarioErrors, UnknownKeySuggestsTheClosestKey) {
  EXPECT_EQ(error_of("[client]\nbatch_size = 8\nlerning_rate = 0.1\n"),
            "s.toml:3: key 'client.lerning_rate': unknown key (did you mean 'client.lr'?)");
  EXPECT_EQ(error_of("[server]\nlrr = 1\n"),
            "s.toml:2: key 'server.lrr': unknown key (did you mean 'server.lr'?)");
  EXPECT_EQ(error_of("[data]\ntest_fractoin = 0.1\n"),
            "s.toml:2: key 'data.test_fractoin': unknown key (did you mean 'data.test_fraction'?)");
  // A key of another section.
  EXPECT_EQ(error_of("[client]\noptimizer = \"fedavg\"\n"),
            "s.toml:2: key 'client.optimizer': unknown key (did you mean 'server.optimizer'?)");
  // A key outside any section.
  EXPECT_EQ(error_of("rounds = 5\n"),
            "s.toml:1: key 'rounds': unknown key (did you mean 'run.rounds'?)");
  // Nothing close: list the valid keys instead.
  EXPECT_EQ(error_of("[model]\nzzzzzz = 1\n"),
            "s.toml:2: key 'model.zzzzzz': unknown key; the keys of [model] are kind, hidden, "
            "activation");
}

TEST(ScenarioErrors, TheFirstProblemInTheFileIsReported) {
  // Tables iterate by name ([client] before [run]); the report follows the file.
  EXPECT_EQ(error_of("[run]\nzz = 1\n[client]\naa = 2\n"),
            "s.toml:2: key 'run.zz': unknown key; the keys of [run] are name, seed, rounds, "
            "eval_every, checkpoint_every, backend, output");
}

TEST(ScenarioErrors, WrongType) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"[run]\nrounds = \"ten\"\n",
       "s.toml:2: key 'run.rounds': expected an integer >= 1, got string \"ten\""},
      {"[run]\n\nrounds = 2.5\n",
       "s.toml:3: key 'run.rounds': expected an integer >= 1, got float 2.5"},
      {"[client]\nlr = \"fast\"\n",
       "s.toml:2: key 'client.lr': expected a number > 0, got string \"fast\""},
      {"[data]\nstandardize = 1\n",
       "s.toml:2: key 'data.standardize': expected a boolean (true or false), got integer 1"},
      {"[run]\nname = 5\n", "s.toml:2: key 'run.name': expected a non-empty string, got integer 5"},
      {"[run]\nname = \"\"\n", "s.toml:2: key 'run.name': expected a non-empty string, got \"\""},
      {"[model]\nhidden = 128\n",
       "s.toml:2: key 'model.hidden': expected an array of integers >= 1, got integer 128"},
      {"[model]\nhidden = [1.5]\n",
       "s.toml:2: key 'model.hidden': expected an array of integers >= 1, got [1.5]"},
      {"[data]\nfeature_columns = [\"a\", 1]\n",
       "s.toml:2: key 'data.feature_columns': expected an array of non-empty strings, got [\"a\", "
       "1]"},
      {"[data]\nid_columns = [\"a\", \"a\"]\n",
       "s.toml:2: key 'data.id_columns': expected distinct names, got \"a\" twice"},
      {"[server]\noptimizer = 3\n",
       "s.toml:2: key 'server.optimizer': expected one of \"fedavg\", \"fedavgm\", \"fedadam\", "
       "\"fedyogi\", \"fedadagrad\", got integer 3"},
      {"run = 5\n", "s.toml:1: key 'run': expected a section [run], got integer 5"},
      {"[privacy]\nadaptive_clip = \"yes\"\n",
       "s.toml:2: key 'privacy.adaptive_clip': expected a boolean (true or false), got string "
       "\"yes\""},
      {"[privacy]\nmode = true\n",
       "s.toml:2: key 'privacy.mode': expected one of \"none\", \"sample\", \"user\", got "
       "boolean true"},
  };
  for (const Case& c : cases) EXPECT_EQ(error_of(c.text), c.message) << c.text;
}

TEST(ScenarioErrors, OutOfRange) {
  struct Case {
    const char* section;
    const char* line;
    const char* expected;  // the message after "s.toml:2: key '<section>.<key>': "
  };
  const Case cases[] = {
      {"run", "seed = -1", "expected an integer >= 0, got -1"},
      {"run", "rounds = 0", "expected an integer >= 1, got 0"},
      {"run", "rounds = 3_000_000_000", "expected an integer in [1, 2147483647], got 3000000000"},
      {"run", "eval_every = 0", "expected an integer >= 1, got 0"},
      {"data", "samples = 9", "expected an integer >= 10, got 9"},
      {"data", "shops = 0", "expected an integer >= 1, got 0"},
      {"data", "shop_size_sigma = -1", "expected a number >= 0, got -1"},
      {"data", "category_alpha = 0.0", "expected a number > 0, got 0.0"},
      {"data", "fraud_rate = 0.5", "expected a number in (0, 0.5), got 0.5"},
      {"data", "test_fraction = 1", "expected a number in (0, 1), got 1"},
      {"data", "test_fraction = 0", "expected a number in (0, 1), got 0"},
      {"partition", "clients = 0", "expected an integer >= 1, got 0"},
      {"partition", "alpha = 0", "expected a number > 0, got 0"},
      {"partition", "quantity_sigma = -0.5", "expected a number >= 0, got -0.5"},
      {"partition", "min_samples = 0", "expected an integer >= 1, got 0"},
      {"model", "hidden = [128, 0]", "expected an array of integers >= 1, got [128, 0]"},
      {"client", "local_epochs = 0", "expected an integer >= 1, got 0"},
      {"client", "local_steps = -1", "expected an integer >= 0, got -1"},
      {"client", "batch_size = 0", "expected an integer >= 1, got 0"},
      {"client", "lr = 0", "expected a number > 0, got 0"},
      {"client", "lr = inf", "expected a finite number > 0, got inf"},
      {"client", "momentum = 1.0", "expected a number in [0, 1), got 1.0"},
      {"client", "weight_decay = -1e-3", "expected a number >= 0, got -0.001"},
      {"client", "prox_mu = -1", "expected a number >= 0, got -1"},
      {"server", "lr = -1", "expected a number > 0, got -1"},
      {"server", "momentum = 1", "expected a number in [0, 1), got 1"},
      {"server", "beta1 = 1", "expected a number in [0, 1), got 1"},
      {"server", "beta2 = -0.1", "expected a number in [0, 1), got -0.1"},
      {"server", "tau = 0", "expected a number > 0, got 0"},
      {"server", "clients_per_round = 0", "expected an integer >= 1, got 0"},
      {"server", "sampling_rate = 1.5", "expected a number in [0, 1], got 1.5"},
      {"privacy", "noise_multiplier = -1", "expected a number >= 0, got -1"},
      {"privacy", "clip = 0", "expected a number > 0, got 0"},
      {"privacy", "delta = 1", "expected a number in (0, 1), got 1"},
      {"privacy", "target_epsilon = -2", "expected a number >= 0, got -2"},
      {"privacy", "delta = 0", "expected a number in (0, 1), got 0"},
      {"privacy", "sample_rate = 1.01", "expected a number in [0, 1], got 1.01"},
      {"privacy", "sample_rate = -0.1", "expected a number in [0, 1], got -0.1"},
      {"privacy", "target_quantile = 0", "expected a number in (0, 1), got 0"},
      {"privacy", "target_quantile = 1.0", "expected a number in (0, 1), got 1.0"},
      {"privacy", "clip_lr = 0", "expected a number > 0, got 0"},
      {"privacy", "count_noise = -0.5", "expected a number >= 0, got -0.5"},
  };
  for (const Case& c : cases) {
    const std::string line = c.line;
    const std::string key = std::string(c.section) + "." + line.substr(0, line.find(' '));
    std::string text = "[";  // built by appending: GCC 12 -O3 warns (-Wrestrict) on "x" + string
    text.append(c.section).append("]\n").append(line).append("\n");
    EXPECT_EQ(error_of(text), "s.toml:2: key '" + key + "': " + c.expected) << text;
  }
}

TEST(ScenarioErrors, BadEnumValue) {
  EXPECT_EQ(error_of("[server]\noptimizer = \"fedsgd\"\n"),
            "s.toml:2: key 'server.optimizer': expected one of \"fedavg\", \"fedavgm\", "
            "\"fedadam\", \"fedyogi\", \"fedadagrad\", got \"fedsgd\"");
  EXPECT_EQ(error_of("[partition]\nscheme = \"dirichelt\"\n"),
            "s.toml:2: key 'partition.scheme': expected one of \"iid\", \"dirichlet\", "
            "\"quantity\", \"natural\", got \"dirichelt\" (did you mean \"dirichlet\"?)");
  EXPECT_EQ(error_of("[privacy]\naccountant = \"gdp\"\n"),
            "s.toml:2: key 'privacy.accountant': expected one of \"rdp\", \"pld\", got \"gdp\"");
  EXPECT_CONTAINS(error_of("[server]\noptimizer = \"fedadamm\"\n"),
                  "got \"fedadamm\" (did you mean \"fedadam\"?)");
  EXPECT_CONTAINS(error_of("[run]\nbackend = \"tpu\"\n"),
                  "key 'run.backend': expected one of \"auto\", \"cpu\", \"cuda\", got \"tpu\"");
  EXPECT_CONTAINS(error_of("[data]\nsource = \"parquet\"\n"),
                  "expected one of \"synthetic\", \"csv\", \"fashion_mnist\", got \"parquet\"");
  EXPECT_CONTAINS(error_of("[data]\ntask = \"churn\"\n"),
                  "expected one of \"purchase\", \"fraud\", got \"churn\"");
  EXPECT_CONTAINS(error_of("[model]\nkind = \"cnn\"\n"),
                  "expected one of \"logreg\", \"mlp\", got \"cnn\"");
  EXPECT_CONTAINS(error_of("[model]\nactivation = \"tanh\"\n"),
                  "expected one of \"relu\", got \"tanh\"");
  EXPECT_CONTAINS(error_of("[server]\nweighting = \"equal\"\n"),
                  "expected one of \"samples\", \"uniform\", got \"equal\"");
  EXPECT_EQ(error_of("[privacy]\nmode = \"users\"\n"),
            "s.toml:2: key 'privacy.mode': expected one of \"none\", \"sample\", \"user\", got "
            "\"users\" (did you mean \"user\"?)");
  EXPECT_EQ(error_of("[privacy]\nmode = \"dp-sgd\"\n"),
            "s.toml:2: key 'privacy.mode': expected one of \"none\", \"sample\", \"user\", got "
            "\"dp-sgd\"");
}

// A user-level scenario that passes the cross-key checks (Poisson client sampling).
constexpr const char* kUserOk = "[server]\nsampling_rate = 0.1\n[privacy]\nmode = \"user\"\n";

TEST(Scenario, PrivacyModes) {
  const Scenario n = parse_scenario("", "s");
  EXPECT_EQ(n.privacy.mode, PrivacyMode::None);
  EXPECT_EQ(n.privacy.accountant, AccountantKind::Rdp);

  const Scenario s = parse_scenario(
      "[privacy]\nmode = \"sample\"\nnoise_multiplier = 1.1\nclip = 0.5\naccountant = \"pld\"\n"
      "sample_rate = 0.02\n",
      "s");
  EXPECT_EQ(s.privacy.mode, PrivacyMode::Sample);
  EXPECT_EQ(s.privacy.noise_multiplier, 1.1);
  EXPECT_EQ(s.privacy.clip, 0.5);
  EXPECT_EQ(s.privacy.accountant, AccountantKind::Pld);
  EXPECT_EQ(s.privacy.sample_rate, 0.02);
  EXPECT_EQ(s.server.weighting, Weighting::Samples);  // sample mode keeps the weighting
  // Calibration instead of a fixed sigma; sample_rate 0 = auto; local steps or epochs both fine.
  const Scenario t = parse_scenario(
      "[client]\nlocal_steps = 5\n[privacy]\nmode = \"sample\"\ntarget_epsilon = 3\n"
      "sample_rate = 0\n",
      "s");
  EXPECT_EQ(t.privacy.target_epsilon, 3.0);
  EXPECT_EQ(t.privacy.noise_multiplier, 0.0);
  EXPECT_EQ(t.privacy.sample_rate, 0.0);
  // noise_multiplier = 0 given explicitly: clipping only, no noise (allowed, for testing).
  EXPECT_EQ(error_of("[privacy]\nmode = \"sample\"\nnoise_multiplier = 0\n"), "");
  EXPECT_EQ(error_of(std::string(kUserOk) + "noise_multiplier = 0.0\n"), "");

  const Scenario u = parse_scenario(
      std::string(kUserOk) +
          "target_epsilon = 8\ndelta = 1e-5\nadaptive_clip = true\ntarget_quantile = 0.7\n"
          "clip_lr = 0.1\ncount_noise = 2.5\n",
      "s");
  EXPECT_EQ(u.privacy.mode, PrivacyMode::User);
  EXPECT_EQ(u.privacy.target_epsilon, 8.0);
  EXPECT_EQ(u.privacy.delta, 1e-5);
  EXPECT_TRUE(u.privacy.adaptive_clip);
  EXPECT_EQ(u.privacy.target_quantile, 0.7);
  EXPECT_EQ(u.privacy.clip_lr, 0.1);
  EXPECT_EQ(u.privacy.count_noise, 2.5);
  // The default weighting resolves to uniform in user mode; "uniform" may also be given.
  EXPECT_EQ(u.server.weighting, Weighting::Uniform);
  EXPECT_EQ(parse_scenario("[server]\nsampling_rate = 0.1\nweighting = \"uniform\"\n[privacy]\n"
                           "mode = \"user\"\nnoise_multiplier = 1\n",
                           "s")
                .server.weighting,
            Weighting::Uniform);
  // By --set, too.
  const Scenario o = parse_scenario(
      "", "s", {"privacy.mode=user", "server.sampling_rate=0.05", "privacy.noise_multiplier=1"});
  EXPECT_EQ(o.privacy.mode, PrivacyMode::User);
  EXPECT_EQ(o.server.weighting, Weighting::Uniform);
}

TEST(Scenario, PrivacyKeysAreRangeCheckedButIgnoredInModeNone) {
  // Nothing is required and no cross-key rule applies: switching the mode off is enough for a
  // non-private baseline of a private scenario.
  const Scenario s = parse_scenario(
      "[server]\nweighting = \"samples\"\n[privacy]\nmode = \"none\"\nnoise_multiplier = 1\n"
      "target_epsilon = 2\nadaptive_clip = true\n",
      "s");
  EXPECT_EQ(s.privacy.mode, PrivacyMode::None);
  EXPECT_EQ(s.server.weighting, Weighting::Samples);
  EXPECT_TRUE(s.privacy.adaptive_clip);
  EXPECT_EQ(error_of("[privacy]\nclip_lr = -1\n"),
            "s.toml:2: key 'privacy.clip_lr': expected a number > 0, got -1");
}

TEST(ScenarioErrors, PrivacyNeedsANoiseLevel) {
  const char* expected =
      "expected privacy.noise_multiplier or privacy.target_epsilon when privacy.mode = \"%s\" "
      "(noise_multiplier > 0 fixes sigma; target_epsilon > 0 calibrates sigma for the planned "
      "rounds; noise_multiplier = 0, given explicitly, means clipping only with no noise and no "
      "privacy guarantee), got ";
  char sample[512], user[512];
  std::snprintf(sample, sizeof sample, expected, "sample");
  std::snprintf(user, sizeof user, expected, "user");
  // Missing: reported at the [privacy] header.
  EXPECT_EQ(error_of("[run]\nrounds = 3\n[privacy]\nmode = \"sample\"\n"),
            std::string("s.toml:3: key 'privacy.noise_multiplier': ") + sample + "nothing");
  EXPECT_EQ(error_of(kUserOk),
            std::string("s.toml:3: key 'privacy.noise_multiplier': ") + user + "nothing");
  EXPECT_EQ(error_of("[privacy]\nmode = \"sample\"\ntarget_epsilon = 0\n"),
            std::string("s.toml:1: key 'privacy.noise_multiplier': ") + sample +
                "privacy.target_epsilon = 0");
  // Mode from --set and no [privacy] section: line 1.
  EXPECT_EQ(error_of("[run]\nrounds = 3\n", {"privacy.mode=sample"}),
            std::string("s.toml:1: key 'privacy.noise_multiplier': ") + sample + "nothing");
}

TEST(ScenarioErrors, PrivacyNoiseMultiplierAndTargetEpsilonExcludeEachOther) {
  EXPECT_EQ(error_of("[privacy]\nmode = \"sample\"\nnoise_multiplier = 1.0\ntarget_epsilon = 4\n"),
            "s.toml:4: key 'privacy.target_epsilon': expected privacy.target_epsilon = 0 when "
            "privacy.noise_multiplier > 0 (give one of the two: noise_multiplier fixes sigma, "
            "target_epsilon calibrates sigma for the planned rounds), got 4");
  EXPECT_EQ(error_of(kUserOk, {"privacy.noise_multiplier=2", "privacy.target_epsilon=1.5"}),
            "--set: key 'privacy.target_epsilon': expected privacy.target_epsilon = 0 when "
            "privacy.noise_multiplier > 0 (give one of the two: noise_multiplier fixes sigma, "
            "target_epsilon calibrates sigma for the planned rounds), got 1.5");
}

TEST(ScenarioErrors, UserLevelPrivacyNeedsPoissonClientSampling) {
  const std::string expected =
      "expected a number in (0, 1] when privacy.mode = \"user\" (user-level DP-FedAvg's "
      "accountant assumes Poisson client sampling: each client joins each round independently "
      "with probability server.sampling_rate; fixed-size sampling of server.clients_per_round is "
      "not covered), got ";
  EXPECT_EQ(error_of("[server]\nclients_per_round = 10\n[privacy]\nmode = \"user\"\n"
                     "noise_multiplier = 1\n"),
            "s.toml:1: key 'server.sampling_rate': " + expected + "nothing");
  EXPECT_EQ(error_of("[server]\nsampling_rate = 0.0\n[privacy]\nmode = \"user\"\n"
                     "target_epsilon = 5\n"),
            "s.toml:2: key 'server.sampling_rate': " + expected + "0.0");
  // Sample mode does not care how clients are sampled.
  EXPECT_EQ(error_of("[privacy]\nmode = \"sample\"\nnoise_multiplier = 1\n"), "");
}

TEST(ScenarioErrors, UserLevelPrivacyRejectsSampleWeighting) {
  const std::string expected =
      "key 'server.weighting': expected \"uniform\" or no value when privacy.mode = \"user\" "
      "(user-level DP-FedAvg weights every client equally and divides by a fixed expected cohort "
      "size, so that one client's influence on the update is bounded), got \"samples\"";
  EXPECT_EQ(error_of("[server]\nsampling_rate = 0.1\nweighting = \"samples\"\n[privacy]\n"
                     "mode = \"user\"\nnoise_multiplier = 1\n"),
            "s.toml:3: " + expected);
  EXPECT_EQ(error_of(std::string(kUserOk) + "noise_multiplier = 1\n", {"server.weighting=samples"}),
            "--set: " + expected);
  // The embedded default scenario leaves weighting out, so user-level DP works on it directly.
  EXPECT_EQ(
      error_of(default_scenario_text(),
               {"privacy.mode=user", "server.sampling_rate=0.1", "privacy.noise_multiplier=1"},
               "<default>"),
      "");
}

TEST(ScenarioErrors, AdaptiveClippingIsUserLevelOnly) {
  EXPECT_EQ(error_of("[privacy]\nmode = \"sample\"\nnoise_multiplier = 1\nadaptive_clip = true\n"),
            "s.toml:4: key 'privacy.adaptive_clip': expected false when privacy.mode = \"sample\" "
            "(adaptive clipping adapts the clip of client updates, which is user-level DP: it "
            "needs privacy.mode = \"user\"), got true");
  EXPECT_EQ(error_of("[privacy]\nmode = \"sample\"\nnoise_multiplier = 1\nadaptive_clip = false\n"),
            "");
}

TEST(ScenarioErrors, MlpNeedsAHiddenLayer) {
  EXPECT_EQ(error_of("[model]\nkind = \"mlp\"\nhidden = []\n"),
            "s.toml:3: key 'model.hidden': expected at least one hidden layer when model.kind = "
            "\"mlp\", got []");
}

// A CSV scenario "located" in the fixture directory, so relative paths resolve there.
std::string csv_error(const std::string& data_lines, const std::string& extra = "") {
  return error_of("[data]\nsource = \"csv\"\n" + data_lines + extra, {}, kDir + "/virtual.toml");
}

TEST(ScenarioErrors, CsvRequiredKeys) {
  const std::string f = kDir + "/virtual.toml";
  EXPECT_EQ(csv_error("label_column = \"label\"\n"),
            f + ":1: key 'data.path': expected a CSV file path (required when data.source = "
                "\"csv\"), got nothing");
  EXPECT_EQ(csv_error("path = \"tiny.csv\"\n"),
            f + ":1: key 'data.label_column': expected a column name (required when data.source "
                "= \"csv\"), got nothing");
  EXPECT_EQ(csv_error("path = \"tiny.csv\"\nlabel_column = \"label\"\n"),
            f + ":1: key 'data.client_column': expected a column name (required when "
                "data.source = \"csv\" and partition.scheme = \"natural\": the natural clients "
                "come from this column), got nothing");
  EXPECT_EQ(csv_error("path = \"tiny.csv\"\nlabel_column = \"label\"\nid_columns = [\"user\"]\n",
                      "[partition]\nscheme = \"iid\"\n"),
            f + ":1: key 'data.key_file': expected an HMAC key file (required when "
                "data.client_column or data.id_columns is set), got nothing");
  EXPECT_EQ(csv_error("path = \"tiny.csv\"\nlabel_column = \"label\"\nclient_column = \"shop\"\n"
                      "key_file = \"tiny.key\"\nfeature_columns = [\"x1\", \"shop\"]\n"),
            f + ":7: key 'data.feature_columns': expected columns other than the label, client "
                "and id columns (ids are never used raw), got \"shop\"");
}

TEST(ScenarioErrors, PreprocessingKeys) {
  const std::string f = kDir + "/virtual.toml";
  const std::string base =
      "path = \"tiny.csv\"\nlabel_column = \"label\"\nclient_column = \"shop\"\n"
      "key_file = \"tiny.key\"\nid_columns = [\"user\"]\n";
  // Lines: 1 [data], 2 source, 3 path, 4 label, 5 client, 6 key, 7 ids, 8 the key under test.
  EXPECT_EQ(csv_error(base + "winsorize = [0.01]\n"),
            f + ":8: key 'data.winsorize': expected [] (off) or two quantiles [lower, upper] with "
                "0 <= lower < upper <= 1, got [0.01]");
  EXPECT_EQ(csv_error(base + "winsorize = [0.99, 0.01]\n"),
            f + ":8: key 'data.winsorize': expected [] (off) or two quantiles [lower, upper] with "
                "0 <= lower < upper <= 1, got [0.99, 0.01]");
  EXPECT_EQ(csv_error(base + "winsorize = [0.01, 1.5]\n"),
            f + ":8: key 'data.winsorize': expected an array of numbers in [0, 1], got [0.01, "
                "1.5]");
  EXPECT_EQ(csv_error(base + "winsorize = [0.01, \"x\"]\n"),
            f + ":8: key 'data.winsorize': expected an array of numbers in [0, 1], got [0.01, "
                "\"x\"]");
  EXPECT_EQ(csv_error(base + "winsorize_columns = [\"x1\"]\n"),
            f + ":8: key 'data.winsorize_columns': expected [] when data.winsorize is [] (the "
                "columns are clipped at the quantiles that data.winsorize gives), got [\"x1\"]");
  EXPECT_EQ(csv_error(base + "categorical_columns = [\"shop\"]\n"),
            f + ":8: key 'data.categorical_columns': expected feature columns, not the label, "
                "client or id columns, got \"shop\"");
  EXPECT_EQ(csv_error(base + "categorical_columns = [\"user\"]\n"),
            f + ":8: key 'data.categorical_columns': expected feature columns, not the label, "
                "client or id columns, got \"user\"");
  EXPECT_EQ(csv_error(base + "feature_columns = [\"x1\"]\ncategorical_columns = [\"x2\"]\n"),
            f + ":9: key 'data.categorical_columns': expected columns listed in "
                "data.feature_columns (when that list is given), got \"x2\"");
  EXPECT_EQ(csv_error(base + "categorical_columns = [\"x2\"]\nwinsorize = [0, 0.9]\n"
                             "winsorize_columns = [\"x2\"]\n"),
            f + ":10: key 'data.winsorize_columns': expected numeric columns, not one of "
                "data.categorical_columns (only numbers have quantiles), got \"x2\"");
  EXPECT_EQ(csv_error(base + "winsorize = [0, 0.9]\nwinsorize_columns = [\"label\"]\n"),
            f + ":9: key 'data.winsorize_columns': expected feature columns, not the label, "
                "client or id columns, got \"label\"");
  EXPECT_EQ(csv_error(base + "categorical_columns = [\"x2\"]\nwinsorize = [0, 0.9]\n"), "");
  // --set works for the array of numbers.
  EXPECT_EQ(error_of("", {"data.winsorize=[0.05, 0.95]"}), "");
  EXPECT_EQ(parse_scenario("", "<string>", {"data.winsorize=[0, 1]"}).data.winsorize,
            (std::vector<double>{0.0, 1.0}));
}

TEST(ScenarioErrors, MissingFilesAreReportedWithTheResolvedPath) {
  const std::string f = kDir + "/virtual.toml";
  EXPECT_EQ(csv_error("path = \"nope.csv\"\nlabel_column = \"label\"\nclient_column = \"shop\"\n"
                      "key_file = \"tiny.key\"\n"),
            f + ":3: key 'data.path': expected an existing, readable file, got \"nope.csv\" (" +
                kDir + "/nope.csv: No such file or directory)");
  EXPECT_EQ(csv_error("path = \"tiny.csv\"\nlabel_column = \"label\"\nclient_column = \"shop\"\n"
                      "key_file = \"../scenarios/nokey\"\n"),
            f +
                ":6: key 'data.key_file': expected an existing, readable file, got "
                "\"../scenarios/nokey\" (" +
                kDir + "/nokey: No such file or directory)");
  EXPECT_CONTAINS(csv_error("path = \".\"\nlabel_column = \"label\"\nclient_column = \"shop\"\n"
                            "key_file = \"tiny.key\"\n"),
                  "key 'data.path': expected an existing, readable file, got \".\" (" + kDir +
                      ": is a directory)");
  // Not checked when the source does not use them.
  EXPECT_EQ(error_of("[data]\npath = \"nope.csv\"\n"), "");
}

TEST(Scenario, CsvPathsResolveRelativeToTheScenarioFile) {
  const Scenario s = load_scenario_file(kDir + "/csv_relative.toml");
  EXPECT_EQ(s.data.source, DataSource::Csv);
  EXPECT_EQ(s.data.path, (fs::path(kDir) / "tiny.csv").lexically_normal().string());
  EXPECT_EQ(s.data.key_file, (fs::path(kDir) / "tiny.key").lexically_normal().string());
  EXPECT_EQ(s.data.id_columns, std::vector<std::string>{"user"});
  EXPECT_EQ(s.source_path, kDir + "/csv_relative.toml");
}

TEST(Scenario, StringPathsResolveRelativeToTheCurrentDirectory) {
  const fs::path csv = fs::path(kDir) / "tiny.csv";
  const std::string rel = fs::relative(csv, fs::current_path()).string();
  const std::string text = "[data]\nsource = \"csv\"\npath = \"" + rel +
                           "\"\nlabel_column = \"label\"\n[partition]\nscheme = \"iid\"\n";
  const Scenario s = parse_scenario(text, "<string>");
  EXPECT_EQ(s.data.path, (fs::current_path() / rel).lexically_normal().string());
  EXPECT_TRUE(fs::equivalent(s.data.path, csv));
  // A --set path is relative to the current directory even when the scenario is a file.
  const Scenario o = parse_scenario(text, kDir + "/sub/virtual.toml",
                                    {"data.path=" + rel, "data.key_file=" + rel});
  EXPECT_TRUE(fs::equivalent(o.data.path, csv));
  EXPECT_TRUE(fs::equivalent(o.data.key_file, csv));
}

TEST(Scenario, Overrides) {
  const std::string text = "[run]\nname = \"file\"\n[server]\nlr = 0.5\n";
  const Scenario s = parse_scenario(
      text, "s.toml",
      {"server.lr=0.1", "model.hidden=[64,64]", "run.name=foo", " client.momentum = 0.9 ",
       "server.optimizer=\"fedadam\"", "data.standardize=false", "run.seed=7"});
  EXPECT_EQ(s.server.lr, 0.1);
  EXPECT_EQ(s.model.hidden, (std::vector<int>{64, 64}));
  EXPECT_EQ(s.run.name, "foo");
  EXPECT_EQ(s.client.momentum, 0.9);
  EXPECT_EQ(s.server.optimizer, ServerOptimizer::FedAdam);
  EXPECT_FALSE(s.data.standardize);
  EXPECT_EQ(s.run.seed, 7u);
  EXPECT_EQ(s.source_text, text);  // the text as given, before overrides
  // A string key takes the text as written, even if it reads as another TOML type.
  EXPECT_EQ(parse_scenario("", "s", {"run.name=2024"}).run.name, "2024");
  // Later overrides win.
  EXPECT_EQ(parse_scenario("", "s", {"run.rounds=3", "run.rounds=4"}).run.rounds, 4);
}

TEST(ScenarioErrors, BadOverrides) {
  EXPECT_EQ(error_of("", {"server.lrr=1"}),
            "--set: key 'server.lrr': unknown key (did you mean 'server.lr'?)");
  EXPECT_EQ(error_of("", {"server.lr=-1"}),
            "--set: key 'server.lr': expected a number > 0, got -1");
  EXPECT_EQ(error_of("[server]\nlr = 1\n", {"server.lr=fast"}),
            "--set: key 'server.lr': expected a number > 0, got string \"fast\"");
  EXPECT_EQ(error_of("", {"model.hidden=[64,"}),
            "--set: key 'model.hidden': expected an array of integers >= 1, got string \"[64,\"");
  EXPECT_EQ(error_of("", {"server.lr"}), "--set: 'server.lr': expected section.key=value");
  EXPECT_EQ(error_of("", {"lr=1"}),
            "--set: key 'lr': expected section.key=value (did you mean 'client.lr'?)");
  EXPECT_EQ(error_of("", {"sever.lr=1"}),
            "--set: key 'sever.lr': unknown section [sever] (did you mean 'server.lr'?)");
  EXPECT_EQ(error_of("", {"auditing.bits=20"}),
            "--set: key 'auditing.bits': unknown section [auditing]; the sections are [run], "
            "[data], [partition], [model], [client], [server], [privacy], [secagg]");
  EXPECT_EQ(error_of("", {"privacy.mode=users"}),
            "--set: key 'privacy.mode': expected one of \"none\", \"sample\", \"user\", got "
            "\"users\" (did you mean \"user\"?)");
  // A file error is still reported with the file's location.
  EXPECT_EQ(error_of("[run]\nrounds = 0\n", {"server.lr=0.1"}),
            "s.toml:2: key 'run.rounds': expected an integer >= 1, got 0");
}

TEST(Scenario, ResolvedTomlRoundTrips) {
  const std::string text = R"(
[run]
name = "odd \"name\" \\ with ü"
seed = 123456789012
rounds = 7
eval_every = 2
backend = "cpu"
output = "out/{name}/{seed}.h5"
[data]
source = "csv"
task = "fraud"
samples = 1000
shops = 10
shop_size_sigma = 0.25
category_alpha = 2
fraud_rate = 0.1
path = "tiny.csv"
label_column = "label"
client_column = "shop"
feature_columns = ["x1", "x2", "x3"]
id_columns = ["user"]
key_file = "tiny.key"
categorical_columns = ["x2"]
winsorize = [0.025, 1]
winsorize_columns = ["x1"]
test_fraction = 0.3
standardize = false
[partition]
scheme = "dirichlet"
clients = 17
alpha = 0.1
quantity_sigma = 2.5
min_samples = 3
[model]
kind = "mlp"
hidden = [64, 32, 16]
[client]
local_epochs = 2
local_steps = 10
batch_size = 16
lr = 0.1
momentum = 0.5
weight_decay = 1e-4
prox_mu = 0.01
[server]
optimizer = "fedadagrad"
lr = 0.03
momentum = 0.7
beta1 = 0.8
beta2 = 0.999
tau = 1e-9
clients_per_round = 5
sampling_rate = 0.25
weighting = "uniform"
[privacy]
mode = "user"
noise_multiplier = 1.3
clip = 2
delta = 1e-5
target_epsilon = 0
accountant = "pld"
sample_rate = 0.125
adaptive_clip = true
target_quantile = 0.3
clip_lr = 0.05
count_noise = 0.75
)";
  const Scenario s = parse_scenario(text, kDir + "/virtual.toml", {"client.lr=0.3"});
  const std::string resolved = resolved_toml(s);
  const Scenario back = parse_scenario(resolved, "<string>");
  expect_same(s, back);
  EXPECT_EQ(back.client.lr, 0.3);
  EXPECT_EQ(resolved_toml(back), resolved);
  EXPECT_EQ(back.privacy.mode, PrivacyMode::User);
  EXPECT_EQ(back.privacy.accountant, AccountantKind::Pld);
  EXPECT_TRUE(back.privacy.adaptive_clip);

  // Sample mode with calibration (noise_multiplier = 0 and target_epsilon > 0 both written), and
  // user mode whose default weighting resolved to "uniform".
  for (const char* p :
       {"[privacy]\nmode = \"sample\"\ntarget_epsilon = 2.5\nsample_rate = 0.01\n",
        "[privacy]\nmode = \"sample\"\nnoise_multiplier = 0\n",
        "[server]\nsampling_rate = 0.2\n[privacy]\nmode = \"user\"\ntarget_epsilon = 1\n"}) {
    const Scenario a = parse_scenario(p, "<string>");
    const Scenario b = parse_scenario(resolved_toml(a), "<string>");
    expect_same(a, b);
    EXPECT_EQ(resolved_toml(b), resolved_toml(a)) << p;
  }

  // The defaults, too, and every key of every section is written.
  const std::string defaults = resolved_toml(Scenario{});
  expect_same(parse_scenario(defaults, "<string>"), Scenario{});
  const toml::table t = toml::parse(defaults);
  std::size_t n = 0;
  for (const auto& [name, section] : t) n += section.as_table()->size();
  EXPECT_EQ(n, scenario_detail::keys().size());
  EXPECT_EQ(t.size(), scenario_detail::sections().size());
}

TEST(Scenario, OutputPathSubstitutesNameAndSeed) {
  Scenario s;
  EXPECT_EQ(output_path(s), "results/default-1.h5");
  s.run.name = "exp";
  s.run.seed = 42;
  s.run.output = "out/{name}/{name}-{seed}.h5";
  EXPECT_EQ(output_path(s), "out/exp/exp-42.h5");
  s.run.output = "fixed.h5";
  EXPECT_EQ(output_path(s), "fixed.h5");
}

TEST(ScenarioErrors, UnreadableScenarioFile) {
  try {
    load_scenario_file("/nonexistent/dir/s.toml");
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_STREQ(e.what(),
                 "/nonexistent/dir/s.toml: cannot read scenario file: No such file or directory");
  }
  try {
    load_scenario_file(kDir);
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()), kDir + ": cannot read scenario file: Is a directory");
  }
}

TEST(Scenario, EnumNames) {
  EXPECT_STREQ(to_string(BackendKind::Auto), "auto");
  EXPECT_STREQ(to_string(BackendKind::Cpu), "cpu");
  EXPECT_STREQ(to_string(BackendKind::Cuda), "cuda");
  EXPECT_STREQ(to_string(DataSource::Synthetic), "synthetic");
  EXPECT_STREQ(to_string(DataSource::Csv), "csv");
  EXPECT_STREQ(to_string(SyntheticTask::Purchase), "purchase");
  EXPECT_STREQ(to_string(SyntheticTask::Fraud), "fraud");
  EXPECT_STREQ(to_string(PartitionScheme::Iid), "iid");
  EXPECT_STREQ(to_string(PartitionScheme::Dirichlet), "dirichlet");
  EXPECT_STREQ(to_string(PartitionScheme::Quantity), "quantity");
  EXPECT_STREQ(to_string(PartitionScheme::Natural), "natural");
  EXPECT_STREQ(to_string(ModelKind::LogReg), "logreg");
  EXPECT_STREQ(to_string(ModelKind::Mlp), "mlp");
  EXPECT_STREQ(to_string(Activation::Relu), "relu");
  EXPECT_STREQ(to_string(ServerOptimizer::FedAvg), "fedavg");
  EXPECT_STREQ(to_string(ServerOptimizer::FedAvgM), "fedavgm");
  EXPECT_STREQ(to_string(ServerOptimizer::FedAdam), "fedadam");
  EXPECT_STREQ(to_string(ServerOptimizer::FedYogi), "fedyogi");
  EXPECT_STREQ(to_string(ServerOptimizer::FedAdagrad), "fedadagrad");
  EXPECT_STREQ(to_string(Weighting::Samples), "samples");
  EXPECT_STREQ(to_string(Weighting::Uniform), "uniform");
  EXPECT_STREQ(to_string(PrivacyMode::None), "none");
  EXPECT_STREQ(to_string(PrivacyMode::Sample), "sample");
  EXPECT_STREQ(to_string(PrivacyMode::User), "user");
  EXPECT_STREQ(to_string(AccountantKind::Rdp), "rdp");
  EXPECT_STREQ(to_string(AccountantKind::Pld), "pld");
}

TEST(ScenarioKeys, EveryKeyIsDocumented) {
  const std::string path = std::string(FEDSIM_SOURCE_DIR) + "/docs/scenario.md";
  std::FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr) << path;
  std::string doc;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) doc.append(buf, n);
  std::fclose(f);
  for (const auto& sec : scenario_detail::sections()) {
    EXPECT_CONTAINS(doc, "## [" + std::string(sec) + "]");
  }
  for (const auto& k : scenario_detail::keys()) {
    EXPECT_CONTAINS(doc, "| `" + std::string(k.key) + "` |");
  }
}

TEST(ScenarioKeys, Suggestions) {
  using scenario_detail::edit_distance;
  using scenario_detail::suggest_key;
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(suggest_key("client", "learning_rate"), "client.lr");
  EXPECT_EQ(suggest_key("client", "epochs"), "client.local_epochs");
  EXPECT_EQ(suggest_key("partition", "num_clients"), "partition.clients");
  EXPECT_EQ(suggest_key("client", "qqqqqqqq"), "");
  EXPECT_EQ(suggest_key("privacy", "sigma"), "privacy.noise_multiplier");
  EXPECT_EQ(suggest_key("privacy", "sampling_rate"), "privacy.sample_rate");
  EXPECT_EQ(suggest_key("privacy", "adaptive_clipping"), "privacy.adaptive_clip");
  EXPECT_EQ(suggest_key("privacy", "quantile"), "privacy.target_quantile");
  EXPECT_EQ(suggest_key("server", "sample_rate"), "server.sampling_rate");
  EXPECT_EQ(scenario_detail::suggest_section("modle"), "model");
  EXPECT_EQ(scenario_detail::suggest_section("auditing"), "");
  EXPECT_EQ(scenario_detail::suggest_section("secag"), "secagg");
}

}  // namespace
}  // namespace fedsim
