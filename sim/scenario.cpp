// Parsing a scenario: TOML text (+ --set overrides) -> a fully validated Scenario.
// Steps: parse the TOML; check every section and key is known (with "did you mean"); apply the
// overrides; read each key with its type and range; cross-key checks; resolve and check files.
// Every failure is one ScenarioError naming file, line and key (format in scenario_reader.h).
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>

#include "sim/data/idx_loader.h"
#include "sim/scenario.h"
#include "sim/scenario_keys.h"
#include "sim/scenario_reader.h"
#include "sim/secagg/secagg_settings.h"

namespace fedsim {
namespace {

namespace fs = std::filesystem;
using scenario_detail::Reader;
namespace sd = scenario_detail;

constexpr const char* kOverride = "--set";

std::string at(const std::string& file, const toml::node& n) {
  return file + ":" + std::to_string(std::max<int64_t>(1, n.source().begin.line));
}

std::string section_list() {
  std::string s;
  for (std::string_view sec : sd::sections())
    s += (s.empty() ? "[" : ", [") + std::string(sec) + "]";
  return s;
}

// "key 'a.b': unknown key (did you mean 'a.c'?)", or the valid keys when nothing is close.
std::string unknown_key(std::string_view section, std::string_view key) {
  const std::string full =
      section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
  std::string msg = "key '" + full + "': unknown key";
  if (std::string s = sd::suggest_key(section, key); !s.empty()) {
    return msg + " (did you mean '" + s + "'?)";
  }
  if (!sd::is_section(section))
    return msg + "; keys belong in one of the sections " + section_list();
  msg += "; the keys of [" + std::string(section) + "] are ";
  bool first = true;
  for (const sd::KeySpec& k : sd::keys()) {
    if (k.section != section) continue;
    msg += (first ? "" : ", ") + std::string(k.key);
    first = false;
  }
  return msg;
}

std::string unknown_section(std::string_view section) {
  std::string msg = "section [" + std::string(section) + "]: unknown section";
  if (std::string s = sd::suggest_section(section); !s.empty()) {
    return msg + " (did you mean [" + s + "]?)";
  }
  return msg + "; the sections are " + section_list();
}

// Checks that the document holds only known sections and keys, and records where each key is.
// Of several problems the one nearest the top of the file is reported (tables iterate by name).
void collect_file_keys(const toml::table& doc, const std::string& file, Reader& r) {
  int64_t first_line = INT64_MAX;
  std::string first_error;
  auto note = [&](const toml::node& n, const std::string& msg) {
    const int64_t line = n.source().begin.line;
    if (line < first_line) {
      first_line = line;
      first_error = at(file, n) + ": " + msg;
    }
  };
  for (const auto& [k, n] : doc) {
    const std::string section(k.str());
    if (section == "sweep") continue;  // read by read_sweep_spec (sim/sweep/sweep_spec.h)
    if (!sd::is_section(section)) {
      note(n, n.is_table() ? unknown_section(section) : unknown_key("", section));
      continue;
    }
    if (!n.is_table()) {
      note(n, "key '" + section + "': expected a section [" + section + "], got " +
                  sd::describe_typed(n));
      continue;
    }
    r.set_section_line(section, n.source().begin.line);
    for (const auto& [kk, nn] : *n.as_table()) {
      const std::string key(kk.str());
      if (!sd::find_key(section, key)) {
        note(nn, unknown_key(section, key));
      } else {
        r.set(section + "." + key, &nn, at(file, nn));
      }
    }
  }
  if (!first_error.empty()) throw ScenarioError(first_error);
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

// One "--set section.key=value": the value is TOML ("0.1", "[64, 64]", "\"x\""); text that is
// not TOML, or is not a string where the key takes a string, is taken as a plain string.
// The parsed value is kept alive in `store` and recorded in the reader, replacing the file's.
void apply_override(const std::string& text, Reader& r, std::deque<toml::table>& store) {
  const std::string o = kOverride;
  const auto eq = text.find('=');
  if (eq == std::string::npos) {
    throw ScenarioError(o + ": '" + text + "': expected section.key=value");
  }
  const std::string full = trim(std::string_view(text).substr(0, eq));
  const std::string value = trim(std::string_view(text).substr(eq + 1));
  const auto dot = full.find('.');
  if (dot == std::string::npos) {
    std::string msg = o + ": key '" + full + "': expected section.key=value";
    if (std::string s = sd::suggest_key("", full); !s.empty())
      msg += " (did you mean '" + s + "'?)";
    throw ScenarioError(msg);
  }
  const std::string section = full.substr(0, dot);
  const std::string key = full.substr(dot + 1);
  if (!sd::is_section(section)) {
    const std::string s = sd::suggest_section(section);
    std::string msg = o + ": key '" + full + "': unknown section [" + section + "]";
    if (!s.empty() && sd::find_key(s, key)) {
      msg += " (did you mean '" + s + "." + key + "'?)";
    } else if (!s.empty()) {
      msg += " (did you mean [" + s + "]?)";
    } else {
      msg += "; the sections are " + section_list();
    }
    throw ScenarioError(msg);
  }
  const sd::KeySpec* spec = sd::find_key(section, key);
  if (!spec) throw ScenarioError(o + ": " + unknown_key(section, key));

  toml::table t;
  try {
    t = toml::parse("v = " + value, o);
  } catch (const toml::parse_error&) {
    t.clear();
  }
  const toml::node* v = t.size() == 1 ? t.get("v") : nullptr;
  if (!v || (spec->kind == sd::ValueKind::String && !v->is_string())) {
    t.clear();
    t.insert_or_assign("v", value);
  }
  store.push_back(std::move(t));
  r.set(full, store.back().get("v"), o);
}

constexpr BackendKind kBackends[] = {BackendKind::Auto, BackendKind::Cpu, BackendKind::Cuda};
constexpr DataSource kSources[] = {DataSource::Synthetic, DataSource::Csv,
                                   DataSource::FashionMnist};
constexpr SyntheticTask kTasks[] = {SyntheticTask::Purchase, SyntheticTask::Fraud};
constexpr PartitionScheme kSchemes[] = {PartitionScheme::Iid, PartitionScheme::Dirichlet,
                                        PartitionScheme::Quantity, PartitionScheme::Natural};
constexpr ModelKind kModels[] = {ModelKind::LogReg, ModelKind::Mlp};
constexpr Activation kActivations[] = {Activation::Relu};
constexpr ServerOptimizer kOptimizers[] = {ServerOptimizer::FedAvg, ServerOptimizer::FedAvgM,
                                           ServerOptimizer::FedAdam, ServerOptimizer::FedYogi,
                                           ServerOptimizer::FedAdagrad};
constexpr Weighting kWeightings[] = {Weighting::Samples, Weighting::Uniform};
constexpr PrivacyMode kPrivacyModes[] = {PrivacyMode::None, PrivacyMode::Sample, PrivacyMode::User};
constexpr AccountantKind kAccountants[] = {AccountantKind::Rdp, AccountantKind::Pld};
constexpr SecAggModeKind kSecAggModes[] = {SecAggModeKind::Off, SecAggModeKind::SecAgg,
                                           SecAggModeKind::SecAggPlus};

void read_keys(const Reader& r, Scenario& s) {
  using sd::above;
  using sd::at_least;
  RunConfig& run = s.run;
  r.get("run.name", run.name, false);
  r.get("run.seed", run.seed);
  r.get("run.rounds", run.rounds, at_least(1));
  r.get("run.eval_every", run.eval_every, at_least(1));
  r.get("run.checkpoint_every", run.checkpoint_every, at_least(0));
  r.get_enum("run.backend", run.backend, kBackends);
  r.get("run.output", run.output, false);

  DataConfig& d = s.data;
  r.get_enum("data.source", d.source, kSources);
  r.get_enum("data.task", d.task, kTasks);
  r.get("data.samples", d.samples, at_least(10));
  r.get("data.shops", d.shops, at_least(1));
  r.get("data.shop_size_sigma", d.shop_size_sigma, at_least(0));
  r.get("data.category_alpha", d.category_alpha, above(0));
  r.get("data.fraud_rate", d.fraud_rate, sd::open(0, 0.5));
  r.get("data.path", d.path, true);
  r.get("data.label_column", d.label_column, true);
  r.get("data.client_column", d.client_column, true);
  r.get("data.feature_columns", d.feature_columns);
  r.get("data.id_columns", d.id_columns);
  r.get("data.key_file", d.key_file, true);
  r.get("data.categorical_columns", d.categorical_columns);
  r.get("data.winsorize", d.winsorize, sd::closed(0, 1));
  r.get("data.winsorize_columns", d.winsorize_columns);
  r.get("data.test_fraction", d.test_fraction, sd::open(0, 1));
  r.get("data.standardize", d.standardize);

  PartitionConfig& p = s.partition;
  r.get_enum("partition.scheme", p.scheme, kSchemes);
  r.get("partition.clients", p.clients, at_least(1));
  r.get("partition.alpha", p.alpha, above(0));
  r.get("partition.quantity_sigma", p.quantity_sigma, at_least(0));
  r.get("partition.min_samples", p.min_samples, at_least(1));

  r.get_enum("model.kind", s.model.kind, kModels);
  r.get("model.hidden", s.model.hidden, at_least(1));
  r.get_enum("model.activation", s.model.activation, kActivations);

  ClientConfig& c = s.client;
  r.get("client.local_epochs", c.local_epochs, at_least(1));
  r.get("client.local_steps", c.local_steps, at_least(0));
  r.get("client.batch_size", c.batch_size, at_least(1));
  r.get("client.lr", c.lr, above(0));
  r.get("client.momentum", c.momentum, sd::closed_open(0, 1));
  r.get("client.weight_decay", c.weight_decay, at_least(0));
  r.get("client.prox_mu", c.prox_mu, at_least(0));

  ServerConfig& v = s.server;
  r.get_enum("server.optimizer", v.optimizer, kOptimizers);
  r.get("server.lr", v.lr, above(0));
  r.get("server.momentum", v.momentum, sd::closed_open(0, 1));
  r.get("server.beta1", v.beta1, sd::closed_open(0, 1));
  r.get("server.beta2", v.beta2, sd::closed_open(0, 1));
  r.get("server.tau", v.tau, above(0));
  r.get("server.clients_per_round", v.clients_per_round, at_least(1));
  r.get("server.sampling_rate", v.sampling_rate, sd::closed(0, 1));
  r.get_enum("server.weighting", v.weighting, kWeightings);

  PrivacyConfig& pc = s.privacy;
  r.get_enum("privacy.mode", pc.mode, kPrivacyModes);
  r.get("privacy.noise_multiplier", pc.noise_multiplier, at_least(0));
  r.get("privacy.target_epsilon", pc.target_epsilon, at_least(0));
  r.get("privacy.clip", pc.clip, above(0));
  r.get("privacy.delta", pc.delta, sd::open(0, 1));
  r.get_enum("privacy.accountant", pc.accountant, kAccountants);
  r.get("privacy.sample_rate", pc.sample_rate, sd::closed(0, 1));
  r.get("privacy.adaptive_clip", pc.adaptive_clip);
  r.get("privacy.target_quantile", pc.target_quantile, sd::open(0, 1));
  r.get("privacy.clip_lr", pc.clip_lr, above(0));
  r.get("privacy.count_noise", pc.count_noise, at_least(0));

  SecAggConfig& a = s.secagg;
  r.get_enum("secagg.mode", a.mode, kSecAggModes);
  r.get("secagg.bits", a.bits, sd::closed(8, 32));
  r.get("secagg.threshold", a.threshold, at_least(0));
  r.get("secagg.neighbours", a.neighbours, at_least(0));
  r.get("secagg.clip", a.clip, above(0));
  r.get("secagg.dropout_before_masking", a.dropout_before_masking, sd::closed_open(0, 1));
  r.get("secagg.dropout_after_masking", a.dropout_after_masking, sd::closed_open(0, 1));
  r.get("secagg.dropout_before_unmasking", a.dropout_before_unmasking, sd::closed_open(0, 1));
  r.get("secagg.fast", a.fast);
  r.get("secagg.distributed_dp", a.distributed_dp);
}

// What a required-but-absent (or empty) string key holds, for "got ...".
std::string got_for_missing(const Reader& r, std::string_view key) {
  return r.has(key) ? "\"\"" : "nothing";
}

std::string got_value(const Reader& r, std::string_view key);

// data.categorical_columns and data.winsorize_columns name feature columns: not the label, client
// or id columns, and listed in data.feature_columns when that is given. Winsorised columns are
// numeric, so not categorical. (Whether the columns exist is checked when the CSV is read.)
void check_preprocess_columns(const Reader& r, const DataConfig& d) {
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  const auto check = [&](const char* key, const std::vector<std::string>& cols) {
    for (const std::string& c : cols) {
      if (c == d.label_column || c == d.client_column || has(d.id_columns, c)) {
        r.fail(key, "feature columns, not the label, client or id columns", sd::quote(c));
      }
      if (!d.feature_columns.empty() && !has(d.feature_columns, c)) {
        r.fail(key, "columns listed in data.feature_columns (when that list is given)",
               sd::quote(c));
      }
    }
  };
  check("data.categorical_columns", d.categorical_columns);
  check("data.winsorize_columns", d.winsorize_columns);
  for (const std::string& c : d.winsorize_columns) {
    if (has(d.categorical_columns, c)) {
      r.fail("data.winsorize_columns",
             "numeric columns, not one of data.categorical_columns (only numbers have quantiles)",
             sd::quote(c));
    }
  }
}

// Checks that involve more than one key.
// [secagg] against a fixed cohort (with Poisson client sampling the cohort varies: a round whose
// cohort is too small for the settings is recorded as aborted).
void check_secagg(const Reader& r, const Scenario& s) {
  if (s.secagg.distributed_dp) {
    if (s.secagg.mode == SecAggModeKind::Off)
      r.fail("secagg.distributed_dp",
             "false when secagg.mode = \"off\" (the clients' noise only adds up inside secure "
             "aggregation)",
             "true");
    if (s.privacy.mode != PrivacyMode::User)
      r.fail("secagg.distributed_dp",
             "false unless privacy.mode = \"user\" (distributed DP replaces the server's noise of "
             "user-level DP-FedAvg)",
             "true");
    if (s.privacy.adaptive_clip)
      r.fail("secagg.distributed_dp",
             "false with privacy.adaptive_clip = true (the clipped-count query needs the "
             "server's noise; use a fixed clip)",
             "true");
  }
  if (s.secagg.mode == SecAggModeKind::Off || s.server.sampling_rate > 0) return;
  const std::string msg = secagg::validate_secagg(secagg::secagg_settings(s.secagg, s.secagg.clip),
                                                  s.server.clients_per_round);
  if (msg.empty()) return;
  std::string key = "secagg.mode";
  for (const char* k : {"secagg.bits", "secagg.threshold", "secagg.neighbours"})
    if (msg.find(k) != std::string::npos) key = k;
  r.fail_message(key, msg + " (server.clients_per_round = " +
                          std::to_string(s.server.clients_per_round) + ")");
}

void check_cross(const Reader& r, const Scenario& s) {
  if (s.model.kind == ModelKind::Mlp && s.model.hidden.empty()) {
    r.fail("model.hidden", "at least one hidden layer when model.kind = \"mlp\"", "[]");
  }
  const DataConfig& d = s.data;
  if (d.source == DataSource::FashionMnist && s.partition.scheme == PartitionScheme::Natural) {
    r.fail("partition.scheme",
           "\"iid\", \"dirichlet\" or \"quantity\" when data.source = \"fashion_mnist\" "
           "(Fashion-MNIST has no natural clients)",
           r.has("partition.scheme") ? got_value(r, "partition.scheme")
                                     : "nothing (the default is \"natural\")");
  }
  if (!d.winsorize.empty() && (d.winsorize.size() != 2 || !(d.winsorize[0] < d.winsorize[1]))) {
    r.fail("data.winsorize",
           "[] (off) or two quantiles [lower, upper] with 0 <= lower < upper <= 1",
           got_value(r, "data.winsorize"));
  }
  if (!d.winsorize_columns.empty() && d.winsorize.empty()) {
    r.fail("data.winsorize_columns",
           "[] when data.winsorize is [] (the columns are clipped at the quantiles that "
           "data.winsorize gives)",
           got_value(r, "data.winsorize_columns"));
  }
  if (d.source != DataSource::Csv) return;
  const char* csv = " (required when data.source = \"csv\")";
  if (d.path.empty())
    r.fail("data.path", std::string("a CSV file path") + csv, got_for_missing(r, "data.path"));
  if (d.label_column.empty()) {
    r.fail("data.label_column", std::string("a column name") + csv,
           got_for_missing(r, "data.label_column"));
  }
  if (s.partition.scheme == PartitionScheme::Natural && d.client_column.empty()) {
    r.fail("data.client_column",
           "a column name (required when data.source = \"csv\" and partition.scheme = "
           "\"natural\": the natural clients come from this column)",
           got_for_missing(r, "data.client_column"));
  }
  if (d.key_file.empty() && (!d.client_column.empty() || !d.id_columns.empty())) {
    r.fail("data.key_file",
           "an HMAC key file (required when data.client_column or data.id_columns is set)",
           got_for_missing(r, "data.key_file"));
  }
  if (!d.client_column.empty() && d.client_column == d.label_column) {
    r.fail("data.client_column", "a column other than the label column",
           sd::quote(d.client_column));
  }
  for (const std::string& id : d.id_columns) {
    if (id == d.label_column)
      r.fail("data.id_columns", "columns other than the label column", sd::quote(id));
  }
  for (const std::string& f : d.feature_columns) {
    const bool is_id = std::find(d.id_columns.begin(), d.id_columns.end(), f) != d.id_columns.end();
    if (f == d.label_column || f == d.client_column || is_id) {
      r.fail("data.feature_columns",
             "columns other than the label, client and id columns (ids are never used raw)",
             sd::quote(f));
    }
  }
  check_preprocess_columns(r, d);
}

// The value of a key as written, or "nothing" when it is absent (for "got ...").
std::string got_value(const Reader& r, std::string_view key) {
  const toml::node* n = r.node(key);
  return n ? sd::describe_value(*n) : "nothing";
}

// Checks of [privacy] against itself and the rest of the scenario. With mode "none" the other
// privacy keys are only range-checked (by read_keys) and otherwise ignored, so that turning privacy
// off for a baseline needs no other edit. In mode "user" a weighting left at its default resolves
// to "uniform", which is what user-level DP-FedAvg uses (and what resolved_toml then records).
void check_privacy(const Reader& r, Scenario& s) {
  const PrivacyConfig& p = s.privacy;
  if (p.mode == PrivacyMode::None) return;
  const std::string when = " when privacy.mode = " + sd::quote(to_string(p.mode));

  // The noise: a fixed sigma, or a target epsilon to calibrate sigma for -- never both.
  if (p.noise_multiplier > 0 && p.target_epsilon > 0) {
    r.fail("privacy.target_epsilon",
           "privacy.target_epsilon = 0 when privacy.noise_multiplier > 0 (give one of the two: "
           "noise_multiplier fixes sigma, target_epsilon calibrates sigma for the planned rounds)",
           got_value(r, "privacy.target_epsilon"));
  }
  if (p.noise_multiplier == 0 && p.target_epsilon == 0 && !r.has("privacy.noise_multiplier")) {
    r.fail("privacy.noise_multiplier",
           "privacy.noise_multiplier or privacy.target_epsilon" + when +
               " (noise_multiplier > 0 fixes sigma; target_epsilon > 0 calibrates sigma for the "
               "planned rounds; noise_multiplier = 0, given explicitly, means clipping only with "
               "no noise and no privacy guarantee)",
           r.has("privacy.target_epsilon") ? "privacy.target_epsilon = 0" : "nothing");
  }

  if (p.mode == PrivacyMode::Sample && p.adaptive_clip) {
    r.fail("privacy.adaptive_clip",
           "false" + when +
               " (adaptive clipping adapts the clip of client updates, which is user-level DP: "
               "it needs privacy.mode = \"user\")",
           "true");
  }

  if (p.mode == PrivacyMode::User) {
    if (s.server.sampling_rate <= 0) {
      r.fail("server.sampling_rate",
             "a number in (0, 1]" + when +
                 " (user-level DP-FedAvg's accountant assumes Poisson client sampling: each client "
                 "joins each round independently with probability server.sampling_rate; "
                 "fixed-size sampling of server.clients_per_round is not covered)",
             got_value(r, "server.sampling_rate"));
    }
    if (r.has("server.weighting") && s.server.weighting == Weighting::Samples) {
      r.fail("server.weighting",
             "\"uniform\" or no value" + when +
                 " (user-level DP-FedAvg weights every client equally and divides by a fixed "
                 "expected cohort size, so that one client's influence on the update is bounded)",
             got_value(r, "server.weighting"));
    }
    s.server.weighting = Weighting::Uniform;
  }
}

// Directory that relative paths in the file are resolved against.
fs::path base_dir(const std::string& path) {
  if (path.empty() || path == "<default>" || path == "<string>") return fs::current_path();
  const fs::path parent = fs::path(path).parent_path();
  return fs::absolute(parent.empty() ? fs::path(".") : parent);
}

// Makes a path key absolute (relative to the scenario file, or to the current directory when it
// came from --set) and, when `must_exist`, checks it names a readable regular file.
void resolve_file(const Reader& r, const char* key, std::string& value, const fs::path& base,
                  bool must_exist) {
  if (value.empty()) return;
  fs::path p(value);
  if (p.is_relative()) p = (r.where(key) == kOverride ? fs::current_path() : base) / p;
  p = p.lexically_normal();
  if (!p.has_filename() && p != p.root_path()) p = p.parent_path();  // "dir/." -> "dir"
  const std::string resolved = p.string();
  if (must_exist) {
    std::string problem;
    errno = 0;
    if (std::FILE* f = std::fopen(resolved.c_str(), "rb")) {
      std::fclose(f);
      std::error_code ec;
      if (fs::is_directory(resolved, ec)) problem = "is a directory";
    } else {
      problem = std::strerror(errno);
    }
    if (!problem.empty()) {
      // A data set converted at build time (tools/prepare-datasets.sh) names how to make it.
      std::string hint;
      if (p.parent_path().filename() == "datasets" && std::string_view(key) == "data.path")
        hint = "; tools/prepare-datasets.sh " + p.parent_path().string() +
               " makes it (building the datasets target does too; tools/setup.sh installs the "
               "r-cran-modeldata package it reads)";
      r.fail(key, "an existing, readable file",
             sd::quote(value) + " (" + resolved + ": " + problem + hint + ")");
    }
  }
  value = resolved;
}

// The IDX files of data.source = "fashion_mnist" must exist before any work starts.
void check_fashion_mnist(const Reader& r, const DataConfig& d) {
  const std::string problem = fashion_mnist_problem(d.path);
  if (problem.empty()) return;
  r.fail_message(d.path.empty() ? "data.source" : "data.path",
                 "the Fashion-MNIST data is not there: " + problem);
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& path,
                        const std::vector<std::string>& overrides) {
  const std::string file = path.empty() ? "<string>" : path;
  toml::table doc;
  try {
    doc = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ScenarioError(file + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                        ": TOML syntax error: " + std::string(e.description()));
  }
  Reader r(file);
  collect_file_keys(doc, file, r);
  std::deque<toml::table> override_values;
  for (const std::string& o : overrides) apply_override(o, r, override_values);

  Scenario s;
  read_keys(r, s);
  check_cross(r, s);
  check_secagg(r, s);
  check_privacy(r, s);
  const fs::path base = base_dir(path);
  const bool csv = s.data.source == DataSource::Csv;
  resolve_file(r, "data.path", s.data.path, base, csv);
  resolve_file(r, "data.key_file", s.data.key_file, base, csv);
  if (s.data.source == DataSource::FashionMnist) check_fashion_mnist(r, s.data);
  s.source_path = path;
  s.source_text = text;
  s.has_sweep = doc.contains("sweep");
  return s;
}

Scenario load_scenario_file(const std::string& path, const std::vector<std::string>& overrides) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw ScenarioError(path + ": cannot read scenario file: " + std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err) throw ScenarioError(path + ": cannot read scenario file: " + std::strerror(err));
  return parse_scenario(text, path, overrides);
}

}  // namespace fedsim
