// Result files: RunResult <-> HDF5, in the layout of docs/results-format.md (format_version 1).
//
// Writing is atomic (h5::write_atomically): a crash or a full disk never leaves a half-written file
// under the final name. read_results is the exact inverse of write_results; every field
// round-trips, NaN included. Files written before the privacy fields existed (no /privacy group, no
// epsilon_rdp/epsilon_pld/clip_fraction/clip_norm columns) still read, with those fields left at
// their defaults (NaN for the columns).
#include "sim/results/results_writer.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "sim/results/h5_file.h"

namespace fedsim {
namespace {

constexpr int32_t kFormatVersion = 1;

// One column of a table of records, as a vector of T.
template <typename T, typename Row, typename F>
std::vector<T> column(const std::vector<Row>& rows, F field) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(static_cast<T>(field(r)));
  return out;
}

// Reads a 1-D column and checks it has the table's length n (set by the first column read).
template <typename T>
std::vector<T> read_column(hid_t g, const std::string& name, size_t* n, bool first) {
  auto v = h5::read_vector<T>(g, name);
  if (first) *n = v.size();
  if (v.size() != *n) h5::fail(g, name, "length differs from the other columns");
  return v;
}

// Like read_column, but a column the file does not have (an older file) reads as n NaNs.
std::vector<double> read_optional_column(hid_t g, const std::string& name, size_t* n) {
  if (!h5::exists(g, name)) {
    return std::vector<double>(*n, std::numeric_limits<double>::quiet_NaN());
  }
  return read_column<double>(g, name, n, false);
}

void write_rounds(hid_t root, const std::vector<RoundRecord>& rs) {
  h5::Group g = h5::create_group(root, "rounds");
  h5::write_vector(g.id(), "round", column<int32_t>(rs, [](auto& r) { return r.round; }));
  h5::write_vector(g.id(), "train_loss", column<double>(rs, [](auto& r) { return r.train_loss; }));
  h5::write_vector(g.id(), "update_norm",
                   column<double>(rs, [](auto& r) { return r.update_norm; }));
  h5::write_vector(g.id(), "mean_client_update_norm",
                   column<double>(rs, [](auto& r) { return r.mean_client_update_norm; }));
  h5::write_vector(g.id(), "epsilon", column<double>(rs, [](auto& r) { return r.epsilon; }));
  h5::write_vector(g.id(), "epsilon_rdp",
                   column<double>(rs, [](auto& r) { return r.epsilon_rdp; }));
  h5::write_vector(g.id(), "epsilon_pld",
                   column<double>(rs, [](auto& r) { return r.epsilon_pld; }));
  h5::write_vector(g.id(), "clip_fraction",
                   column<double>(rs, [](auto& r) { return r.clip_fraction; }));
  h5::write_vector(g.id(), "clip_norm", column<double>(rs, [](auto& r) { return r.clip_norm; }));
  h5::write_vector(g.id(), "wall_time_s",
                   column<double>(rs, [](auto& r) { return r.wall_time_s; }));
  h5::write_vector(g.id(), "clients_sampled",
                   column<int32_t>(rs, [](auto& r) { return r.clients_sampled; }));
  h5::write_vector(g.id(), "clients_dropped",
                   column<int32_t>(rs, [](auto& r) { return r.clients_dropped; }));
}

std::vector<RoundRecord> read_rounds(hid_t root) {
  h5::Group g = h5::open_group(root, "rounds");
  size_t n = 0;
  const auto round = read_column<int32_t>(g.id(), "round", &n, true);
  const auto loss = read_column<double>(g.id(), "train_loss", &n, false);
  const auto norm = read_column<double>(g.id(), "update_norm", &n, false);
  const auto client_norm = read_column<double>(g.id(), "mean_client_update_norm", &n, false);
  const auto eps = read_column<double>(g.id(), "epsilon", &n, false);
  const auto wall = read_column<double>(g.id(), "wall_time_s", &n, false);
  const auto sampled = read_column<int32_t>(g.id(), "clients_sampled", &n, false);
  const auto dropped = read_column<int32_t>(g.id(), "clients_dropped", &n, false);
  const auto eps_rdp = read_optional_column(g.id(), "epsilon_rdp", &n);
  const auto eps_pld = read_optional_column(g.id(), "epsilon_pld", &n);
  const auto clip_fraction = read_optional_column(g.id(), "clip_fraction", &n);
  const auto clip_norm = read_optional_column(g.id(), "clip_norm", &n);
  std::vector<RoundRecord> rs(n);
  for (size_t i = 0; i < n; ++i) {
    RoundRecord& r = rs[i];
    r.round = round[i];
    r.train_loss = loss[i];
    r.clients_sampled = sampled[i];
    r.clients_dropped = dropped[i];
    r.update_norm = norm[i];
    r.mean_client_update_norm = client_norm[i];
    r.epsilon = eps[i];
    r.epsilon_rdp = eps_rdp[i];
    r.epsilon_pld = eps_pld[i];
    r.clip_fraction = clip_fraction[i];
    r.clip_norm = clip_norm[i];
    r.wall_time_s = wall[i];
  }
  return rs;
}

// What the run's epsilon means (attributes), plus both accountants' epsilon per round (copies of
// the /rounds columns, so that /privacy is self-contained).
void write_privacy(hid_t root, const PrivacyReport& p, const std::vector<RoundRecord>& rs) {
  h5::Group g = h5::create_group(root, "privacy");
  const hid_t id = g.id();
  h5::write_string_attr(id, "mode", p.mode);
  h5::write_string_attr(id, "unit", p.unit);
  h5::write_string_attr(id, "neighbouring", p.neighbouring);
  h5::write_string_attr(id, "sampling", p.sampling);
  h5::write_attr<int8_t>(id, "sampling_covered", p.sampling_covered ? 1 : 0);
  h5::write_string_attr(id, "accountant", p.accountant);
  h5::write_attr(id, "noise_multiplier", p.noise_multiplier);
  h5::write_attr<int8_t>(id, "calibrated", p.calibrated ? 1 : 0);
  h5::write_attr(id, "target_epsilon", p.target_epsilon);
  h5::write_attr(id, "delta", p.delta);
  h5::write_attr(id, "clip", p.clip);
  h5::write_attr(id, "sample_rate", p.sample_rate);
  h5::write_attr<int64_t>(id, "steps_per_round", p.steps_per_round);
  h5::write_attr<int8_t>(id, "adaptive_clip", p.adaptive_clip ? 1 : 0);
  h5::write_attr(id, "update_noise_multiplier", p.update_noise_multiplier);
  h5::write_attr(id, "count_noise", p.count_noise);
  h5::write_vector(id, "epsilon_rdp", column<double>(rs, [](auto& r) { return r.epsilon_rdp; }));
  h5::write_vector(id, "epsilon_pld", column<double>(rs, [](auto& r) { return r.epsilon_pld; }));
}

// Absent in files written before privacy was recorded: the defaults stay.
PrivacyReport read_privacy(hid_t root, size_t rounds) {
  PrivacyReport p;
  if (!h5::exists(root, "privacy")) return p;
  h5::Group g = h5::open_group(root, "privacy");
  const hid_t id = g.id();
  p.mode = h5::read_string_attr(id, "mode");
  p.unit = h5::read_string_attr(id, "unit");
  p.neighbouring = h5::read_string_attr(id, "neighbouring");
  p.sampling = h5::read_string_attr(id, "sampling");
  p.sampling_covered = h5::read_attr<int8_t>(id, "sampling_covered") != 0;
  p.accountant = h5::read_string_attr(id, "accountant");
  p.noise_multiplier = h5::read_attr<double>(id, "noise_multiplier");
  p.calibrated = h5::read_attr<int8_t>(id, "calibrated") != 0;
  p.target_epsilon = h5::read_attr<double>(id, "target_epsilon");
  p.delta = h5::read_attr<double>(id, "delta");
  p.clip = h5::read_attr<double>(id, "clip");
  p.sample_rate = h5::read_attr<double>(id, "sample_rate");
  p.steps_per_round = h5::read_attr<int64_t>(id, "steps_per_round");
  p.adaptive_clip = h5::read_attr<int8_t>(id, "adaptive_clip") != 0;
  p.update_noise_multiplier = h5::read_attr<double>(id, "update_noise_multiplier");
  p.count_noise = h5::read_attr<double>(id, "count_noise");
  // The per-round copies carry nothing new; only check they belong to this file's rounds.
  for (const char* name : {"epsilon_rdp", "epsilon_pld"}) {
    if (h5::read_vector<double>(id, name).size() != rounds) {
      h5::fail(id, name, "length differs from the /rounds columns");
    }
  }
  return p;
}

void write_evals(hid_t root, const std::vector<EvalRecord>& es) {
  h5::Group g = h5::create_group(root, "eval");
  h5::write_vector(g.id(), "round", column<int32_t>(es, [](auto& e) { return e.round; }));
  h5::write_vector(g.id(), "accuracy", column<double>(es, [](auto& e) { return e.accuracy; }));
  h5::write_vector(g.id(), "loss", column<double>(es, [](auto& e) { return e.loss; }));
  h5::write_vector(g.id(), "auc", column<double>(es, [](auto& e) { return e.auc; }));
}

std::vector<EvalRecord> read_evals(hid_t root) {
  h5::Group g = h5::open_group(root, "eval");
  size_t n = 0;
  const auto round = read_column<int32_t>(g.id(), "round", &n, true);
  const auto acc = read_column<double>(g.id(), "accuracy", &n, false);
  const auto loss = read_column<double>(g.id(), "loss", &n, false);
  const auto auc = read_column<double>(g.id(), "auc", &n, false);
  std::vector<EvalRecord> es(n);
  for (size_t i = 0; i < n; ++i) {
    es[i].round = round[i];
    es[i].accuracy = acc[i];
    es[i].loss = loss[i];
    es[i].auc = auc[i];
  }
  return es;
}

// /secagg: one row per round with secure aggregation (absent when it was off).
const char* const kStageNames[4] = {"advertise_keys", "share_keys", "masked_input", "unmasking"};

void write_secagg(hid_t root, const std::vector<SecAggRecord>& rs) {
  h5::Group g = h5::create_group(root, "secagg");
  auto col_i = [&](const char* name, auto f) {
    h5::write_vector(g.id(), name, column<int32_t>(rs, f));
  };
  auto col_d = [&](const std::string& name, auto f) {
    h5::write_vector(g.id(), name, column<double>(rs, f));
  };
  col_i("round", [](auto& r) { return r.round; });
  col_i("aborted", [](auto& r) { return int32_t(r.aborted); });
  col_i("included", [](auto& r) { return r.included; });
  col_i("dropped_before_masking", [](auto& r) { return r.dropped_before_masking; });
  col_i("dropped_after_masking", [](auto& r) { return r.dropped_after_masking; });
  col_i("dropped_before_unmasking", [](auto& r) { return r.dropped_before_unmasking; });
  col_i("threshold", [](auto& r) { return r.threshold; });
  col_i("neighbours", [](auto& r) { return r.neighbours; });
  col_i("verified", [](auto& r) { return int32_t(r.verified); });
  h5::write_vector(g.id(), "wraparounds",
                   column<int64_t>(rs, [](auto& r) { return r.wraparounds; }));
  h5::write_vector(g.id(), "shamir_reconstructions",
                   column<int64_t>(rs, [](auto& r) { return r.shamir_reconstructions; }));
  col_d("quantisation_mse", [](auto& r) { return r.quantisation_mse; });
  col_d("prg_words", [](auto& r) { return r.prg_words; });
  col_d("client_seconds", [](auto& r) { return r.client_seconds; });
  col_d("server_seconds", [](auto& r) { return r.server_seconds; });
  col_d("dp_noise_std_target", [](auto& r) { return r.dp_noise_std_target; });
  col_d("dp_noise_std_survived", [](auto& r) { return r.dp_noise_std_survived; });
  col_d("dp_noise_multiplier", [](auto& r) { return r.dp_noise_multiplier; });
  for (int st = 0; st < 4; ++st) {
    col_d(std::string("client_bytes_sent_") + kStageNames[st],
          [st](auto& r) { return r.client_bytes_sent[st]; });
    col_d(std::string("client_bytes_received_") + kStageNames[st],
          [st](auto& r) { return r.client_bytes_received[st]; });
  }
}

std::vector<SecAggRecord> read_secagg(hid_t root) {
  if (!h5::exists(root, "secagg")) return {};
  h5::Group g = h5::open_group(root, "secagg");
  size_t n = 0;
  const auto round = read_column<int32_t>(g.id(), "round", &n, true);
  auto i32 = [&](const char* name) { return read_column<int32_t>(g.id(), name, &n, false); };
  auto f64 = [&](const std::string& name) { return read_column<double>(g.id(), name, &n, false); };
  const auto aborted = i32("aborted"), included = i32("included");
  const auto d0 = i32("dropped_before_masking"), d1 = i32("dropped_after_masking"),
             d2 = i32("dropped_before_unmasking"), thr = i32("threshold"), nb = i32("neighbours"),
             ver = i32("verified");
  const auto wrap = read_column<int64_t>(g.id(), "wraparounds", &n, false);
  const auto shamir = read_column<int64_t>(g.id(), "shamir_reconstructions", &n, false);
  const auto mse = f64("quantisation_mse"), prg = f64("prg_words"), cs = f64("client_seconds"),
             ss = f64("server_seconds"), dt = f64("dp_noise_std_target"),
             dsv = f64("dp_noise_std_survived"), dz = f64("dp_noise_multiplier");
  std::vector<std::vector<double>> sent(4), received(4);
  for (int st = 0; st < 4; ++st) {
    sent[st] = f64(std::string("client_bytes_sent_") + kStageNames[st]);
    received[st] = f64(std::string("client_bytes_received_") + kStageNames[st]);
  }
  std::vector<SecAggRecord> rs(n);
  for (size_t i = 0; i < n; ++i) {
    SecAggRecord& r = rs[i];
    r.round = round[i];
    r.aborted = aborted[i] != 0;
    r.included = included[i];
    r.dropped_before_masking = d0[i];
    r.dropped_after_masking = d1[i];
    r.dropped_before_unmasking = d2[i];
    r.threshold = thr[i];
    r.neighbours = nb[i];
    r.verified = ver[i] != 0;
    r.wraparounds = wrap[i];
    r.shamir_reconstructions = shamir[i];
    r.quantisation_mse = mse[i];
    r.prg_words = prg[i];
    r.client_seconds = cs[i];
    r.server_seconds = ss[i];
    r.dp_noise_std_target = dt[i];
    r.dp_noise_std_survived = dsv[i];
    r.dp_noise_multiplier = dz[i];
    for (int st = 0; st < 4; ++st) {
      r.client_bytes_sent[st] = sent[st][i];
      r.client_bytes_received[st] = received[st][i];
    }
  }
  return rs;
}

// label_counts is [clients, classes]; an empty histogram is stored as [0, classes].
void write_clients(hid_t root, const ClientStats& c) {
  h5::Group g = h5::create_group(root, "clients");
  const hsize_t classes = c.classes > 0 ? static_cast<hsize_t>(c.classes) : 0;
  const hsize_t rows = c.label_counts.empty() ? 0 : c.num_samples.size();
  h5::write_vector(g.id(), "num_samples", c.num_samples);
  h5::write_matrix(g.id(), "label_counts", c.label_counts, rows, classes);
  h5::write_vector(g.id(), "final_accuracy", c.final_accuracy);
  h5::write_vector(g.id(), "final_loss", c.final_loss);
  h5::write_attr<int32_t>(g.id(), "classes", c.classes);
  h5::write_attr(g.id(), "accuracy_mean", c.accuracy_mean);
  h5::write_attr(g.id(), "accuracy_p10", c.accuracy_p10);
  h5::write_attr(g.id(), "accuracy_worst", c.accuracy_worst);
}

ClientStats read_clients(hid_t root) {
  h5::Group g = h5::open_group(root, "clients");
  ClientStats c;
  c.classes = h5::read_attr<int32_t>(g.id(), "classes");
  c.num_samples = h5::read_vector<int64_t>(g.id(), "num_samples");
  hsize_t rows = 0, cols = 0;
  c.label_counts = h5::read_matrix<int64_t>(g.id(), "label_counts", &rows, &cols);
  if ((rows != 0 && rows != c.num_samples.size()) ||
      cols != static_cast<hsize_t>(std::max(c.classes, 0))) {
    h5::fail(g.id(), "label_counts", "shape does not match num_samples and classes");
  }
  c.final_accuracy = h5::read_vector<float>(g.id(), "final_accuracy");
  c.final_loss = h5::read_vector<float>(g.id(), "final_loss");
  c.accuracy_mean = h5::read_attr<double>(g.id(), "accuracy_mean");
  c.accuracy_p10 = h5::read_attr<double>(g.id(), "accuracy_p10");
  c.accuracy_worst = h5::read_attr<double>(g.id(), "accuracy_worst");
  return c;
}

void write_model(hid_t root, const ModelLayout& layout, const std::vector<float>& weights) {
  h5::Group g = h5::create_group(root, "model");
  const auto& ls = layout.layers;
  h5::write_vector(g.id(), "weights", weights);
  h5::write_strings(g.id(), "layer_names", column<std::string>(ls, [](auto& l) { return l.name; }));
  h5::write_vector(g.id(), "layer_in", column<int32_t>(ls, [](auto& l) { return l.in; }));
  h5::write_vector(g.id(), "layer_out", column<int32_t>(ls, [](auto& l) { return l.out; }));
  h5::write_vector(g.id(), "w_offset", column<int64_t>(ls, [](auto& l) { return l.w_offset; }));
  h5::write_vector(g.id(), "b_offset", column<int64_t>(ls, [](auto& l) { return l.b_offset; }));
  h5::write_vector(g.id(), "activation",
                   column<int8_t>(ls, [](auto& l) { return l.activation ? 1 : 0; }));
  h5::write_attr<int64_t>(g.id(), "num_params", layout.num_params);
}

void read_model(hid_t root, ModelLayout* layout, std::vector<float>* weights) {
  h5::Group g = h5::open_group(root, "model");
  *weights = h5::read_vector<float>(g.id(), "weights");
  const auto names = h5::read_strings(g.id(), "layer_names");
  size_t n = names.size();
  const auto in = read_column<int32_t>(g.id(), "layer_in", &n, false);
  const auto out = read_column<int32_t>(g.id(), "layer_out", &n, false);
  const auto w_off = read_column<int64_t>(g.id(), "w_offset", &n, false);
  const auto b_off = read_column<int64_t>(g.id(), "b_offset", &n, false);
  const auto act = read_column<int8_t>(g.id(), "activation", &n, false);
  layout->layers.resize(n);
  for (size_t i = 0; i < n; ++i) {
    DenseLayer& l = layout->layers[i];
    l.name = names[i];
    l.in = in[i];
    l.out = out[i];
    l.w_offset = w_off[i];
    l.b_offset = b_off[i];
    l.activation = act[i] != 0;
  }
  layout->num_params = h5::read_attr<int64_t>(g.id(), "num_params");
}

// /checkpoint: the state `fedsim resume` continues from (Checkpoint in run_result.h).
void write_checkpoint(hid_t root, const Checkpoint& c) {
  h5::Group g = h5::create_group(root, "checkpoint");
  h5::write_attr<int32_t>(g.id(), "round", c.round);
  h5::write_vector(g.id(), "global", c.global);
  h5::write_vector(g.id(), "server_m", c.opt_m);
  h5::write_vector(g.id(), "server_v", c.opt_v);
  h5::write_vector(g.id(), "steps_run", c.steps_run);
  h5::write_attr(g.id(), "user_clip", c.user_clip);
  h5::write_attr<int64_t>(g.id(), "ledger_events", c.ledger_events);
  h5::write_attr(g.id(), "noise_multiplier", c.noise_multiplier);
  h5::write_attr(g.id(), "update_noise_multiplier", c.update_noise_multiplier);
  h5::write_attr(g.id(), "count_noise", c.count_noise);
  h5::write_string_attr(g.id(), "data_fingerprint", c.data_fingerprint);
}

Checkpoint read_checkpoint(hid_t root) {
  h5::Group g = h5::open_group(root, "checkpoint");
  Checkpoint c;
  c.round = h5::read_attr<int32_t>(g.id(), "round");
  c.global = h5::read_vector<float>(g.id(), "global");
  c.opt_m = h5::read_vector<float>(g.id(), "server_m");
  c.opt_v = h5::read_vector<float>(g.id(), "server_v");
  c.steps_run = h5::read_vector<int64_t>(g.id(), "steps_run");
  c.user_clip = h5::read_attr<double>(g.id(), "user_clip");
  c.ledger_events = h5::read_attr<int64_t>(g.id(), "ledger_events");
  c.noise_multiplier = h5::read_attr<double>(g.id(), "noise_multiplier");
  c.update_noise_multiplier = h5::read_attr<double>(g.id(), "update_noise_multiplier");
  c.count_noise = h5::read_attr<double>(g.id(), "count_noise");
  c.data_fingerprint = h5::read_string_attr(g.id(), "data_fingerprint");
  return c;
}

// /audit: a one-run privacy audit (fedsim audit): canaries, guesses, the bound beside the claim.
void write_audit(hid_t root, const AuditRecord& a) {
  h5::Group g = h5::create_group(root, "audit");
  h5::write_string_attr(g.id(), "unit", a.unit);
  h5::write_string_attr(g.id(), "method", a.method);
  h5::write_string_attr(g.id(), "score", a.score);
  h5::write_attr<int32_t>(g.id(), "canaries", a.canaries);
  h5::write_attr<int32_t>(g.id(), "guesses_in", a.guesses_in);
  h5::write_attr<int32_t>(g.id(), "guesses_out", a.guesses_out);
  h5::write_attr<int32_t>(g.id(), "correct", a.correct);
  h5::write_attr(g.id(), "confidence", a.confidence);
  h5::write_attr(g.id(), "delta", a.delta);
  h5::write_attr(g.id(), "epsilon_lower_bound", a.epsilon_lower_bound);
  h5::write_attr(g.id(), "epsilon_claimed", a.epsilon_claimed);
  h5::write_attr(g.id(), "test_noise_scale", a.test_noise_scale);
  h5::write_attr(g.id(), "mia_auc", a.mia_auc);
  h5::write_attr(g.id(), "mia_tpr_at_fpr_0.001", a.mia_tpr_at_fpr_0001);
  h5::write_attr(g.id(), "mia_tpr_at_fpr_0.01", a.mia_tpr_at_fpr_001);
  h5::write_attr(g.id(), "mia_advantage", a.mia_advantage);
  h5::write_attr(g.id(), "mia_epsilon_lower_bound", a.mia_epsilon_lower_bound);
  h5::write_vector(g.id(), "included", a.included);
  h5::write_vector(g.id(), "score_values", a.scores);
  h5::write_vector(g.id(), "guess", a.guess);
}

std::optional<AuditRecord> read_audit(hid_t root) {
  if (!h5::exists(root, "audit")) return std::nullopt;
  h5::Group g = h5::open_group(root, "audit");
  AuditRecord a;
  a.unit = h5::read_string_attr(g.id(), "unit");
  a.method = h5::read_string_attr(g.id(), "method");
  a.score = h5::read_string_attr(g.id(), "score");
  a.canaries = h5::read_attr<int32_t>(g.id(), "canaries");
  a.guesses_in = h5::read_attr<int32_t>(g.id(), "guesses_in");
  a.guesses_out = h5::read_attr<int32_t>(g.id(), "guesses_out");
  a.correct = h5::read_attr<int32_t>(g.id(), "correct");
  a.confidence = h5::read_attr<double>(g.id(), "confidence");
  a.delta = h5::read_attr<double>(g.id(), "delta");
  a.epsilon_lower_bound = h5::read_attr<double>(g.id(), "epsilon_lower_bound");
  a.epsilon_claimed = h5::read_attr<double>(g.id(), "epsilon_claimed");
  a.test_noise_scale = h5::read_attr<double>(g.id(), "test_noise_scale");
  a.mia_auc = h5::read_attr<double>(g.id(), "mia_auc");
  a.mia_tpr_at_fpr_0001 = h5::read_attr<double>(g.id(), "mia_tpr_at_fpr_0.001");
  a.mia_tpr_at_fpr_001 = h5::read_attr<double>(g.id(), "mia_tpr_at_fpr_0.01");
  a.mia_advantage = h5::read_attr<double>(g.id(), "mia_advantage");
  a.mia_epsilon_lower_bound = h5::read_attr<double>(g.id(), "mia_epsilon_lower_bound");
  a.included = h5::read_vector<int8_t>(g.id(), "included");
  a.scores = h5::read_vector<double>(g.id(), "score_values");
  a.guess = h5::read_vector<int8_t>(g.id(), "guess");
  return a;
}

}  // namespace

void write_run_to(hid_t root, const RunResult& r) {
  h5::write_attr(root, "format_version", kFormatVersion);
  h5::write_string_attr(root, "kind", "run");
  h5::write_string_attr(root, "fedsim_version", r.fedsim_version);
  h5::write_string_attr(root, "git_commit", r.git_commit);
  h5::write_string_attr(root, "backend", r.backend);
  h5::write_string_attr(root, "device", r.device);
  h5::write_attr<uint64_t>(root, "seed", r.seed);
  h5::write_string_attr(root, "status", to_string(r.status));
  h5::write_string_attr(root, "status_message", r.status_message);
  h5::write_string_attr(root, "start_time", r.start_time);
  h5::write_string_attr(root, "end_time", r.end_time);
  h5::write_attr(root, "wall_time_s", r.wall_time_s);
  {
    h5::Group g = h5::create_group(root, "scenario");
    h5::write_string(g.id(), "text", r.scenario_text);
    h5::write_string(g.id(), "resolved", r.scenario_resolved);
    h5::write_string_attr(g.id(), "path", r.scenario_path);
  }
  write_rounds(root, r.rounds);
  write_privacy(root, r.privacy, r.rounds);
  write_evals(root, r.evals);
  if (!r.secagg.empty()) write_secagg(root, r.secagg);
  if (r.audit) write_audit(root, *r.audit);
  write_clients(root, r.clients);
  write_model(root, r.layout, r.weights);
  if (r.has_checkpoint) write_checkpoint(root, r.checkpoint);
  {
    h5::Group g = h5::create_group(root, "changes");
    std::vector<int32_t> rounds;
    std::vector<std::string> what;
    for (const auto& [round, change] : r.changes) {
      rounds.push_back(round);
      what.push_back(change);
    }
    h5::write_vector(g.id(), "round", rounds);
    h5::write_strings(g.id(), "change", what);
  }
  {
    h5::Group g = h5::create_group(root, "manifest");
    h5::write_string_attr(g.id(), "command_line", r.command_line);
    for (const auto& [name, value] : r.manifest) h5::write_string_attr(g.id(), name, value);
  }
}

void check_output_writable(const std::string& path, bool force) {
  namespace fs = std::filesystem;
  if (path.empty()) throw ResultsError("no output path given");
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (fs::is_directory(st)) throw ResultsError(path + " is a directory, not a result file");
  if (fs::exists(st) && !force) throw ResultsError(path + " exists; pass --force to overwrite it");
  // The nearest existing ancestor must be a directory we may create entries in.
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  while (!fs::exists(dir, ec) && dir.has_parent_path() && dir.parent_path() != dir) {
    dir = dir.parent_path();
  }
  if (!fs::exists(dir, ec)) dir = ".";
  if (!fs::is_directory(dir, ec)) {
    throw ResultsError("cannot write " + path + ": " + dir.string() + " is not a directory");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw ResultsError("cannot write " + path + ": directory " + dir.string() + " is not writable");
  }
}

void write_results(const std::string& path, const RunResult& result, bool force) {
  h5::write_atomically(path, force, [&](hid_t root) { write_run_to(root, result); });
}

RunResult read_run_from(hid_t root, const std::string& where) {
  const int32_t version = h5::read_attr<int32_t>(root, "format_version");
  if (version != kFormatVersion) {
    throw ResultsError(where + ": unsupported format_version " + std::to_string(version) +
                       " (this fedsim reads " + std::to_string(kFormatVersion) + ")");
  }
  RunResult r;
  r.fedsim_version = h5::read_string_attr(root, "fedsim_version");
  r.git_commit = h5::read_string_attr(root, "git_commit");
  r.backend = h5::read_string_attr(root, "backend");
  r.device = h5::read_string_attr(root, "device");
  r.seed = h5::read_attr<uint64_t>(root, "seed");
  const std::string status = h5::read_string_attr(root, "status");
  try {
    r.status = run_status_from_string(status);
  } catch (const std::invalid_argument& e) {
    throw ResultsError(where + ": " + e.what());
  }
  r.status_message = h5::read_string_attr(root, "status_message");
  r.start_time = h5::read_string_attr(root, "start_time");
  r.end_time = h5::read_string_attr(root, "end_time");
  r.wall_time_s = h5::read_attr<double>(root, "wall_time_s");
  {
    h5::Group g = h5::open_group(root, "scenario");
    r.scenario_text = h5::read_string(g.id(), "text");
    r.scenario_resolved = h5::read_string(g.id(), "resolved");
    r.scenario_path = h5::read_string_attr(g.id(), "path");
  }
  r.rounds = read_rounds(root);
  r.privacy = read_privacy(root, r.rounds.size());
  r.evals = read_evals(root);
  r.secagg = read_secagg(root);
  r.audit = read_audit(root);
  r.clients = read_clients(root);
  read_model(root, &r.layout, &r.weights);
  r.has_checkpoint = h5::exists(root, "checkpoint");
  if (r.has_checkpoint) r.checkpoint = read_checkpoint(root);
  if (h5::exists(root, "changes")) {
    h5::Group g = h5::open_group(root, "changes");
    const auto rounds = h5::read_vector<int32_t>(g.id(), "round");
    const auto what = h5::read_strings(g.id(), "change");
    for (size_t i = 0; i < rounds.size() && i < what.size(); ++i)
      r.changes.emplace_back(rounds[i], what[i]);
  }
  if (h5::exists(root, "manifest")) {  // files from before the manifest have none
    h5::Group g = h5::open_group(root, "manifest");
    r.command_line = h5::read_string_attr(g.id(), "command_line");
    for (const std::string& name : h5::attr_names(g.id()))
      if (name != "command_line") r.manifest.emplace_back(name, h5::read_string_attr(g.id(), name));
  }
  return r;
}

std::string result_file_kind(const std::string& path) {
  const auto lock = h5::lock_library();
  h5::File file = h5::open_file(path);
  if (!h5::attr_exists(file.id(), "kind")) return "run";  // files from before sweeps existed
  return h5::read_string_attr(file.id(), "kind");
}

RunResult read_results(const std::string& path) {
  const auto lock = h5::lock_library();
  h5::File file = h5::open_file(path);
  if (h5::attr_exists(file.id(), "kind") && h5::read_string_attr(file.id(), "kind") != "run")
    throw ResultsError(path + ": a " + h5::read_string_attr(file.id(), "kind") +
                       " file, not a single run");
  return read_run_from(file.id(), path);
}

}  // namespace fedsim
