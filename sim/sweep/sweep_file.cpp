// Writing and reading sweep files (see sweep_file.h).
#include "sim/sweep/sweep_file.h"

#include <cstdlib>

#include "sim/results/h5_file.h"
#include "sim/results/results_writer.h"

namespace fedsim {
namespace {

constexpr int32_t kFormatVersion = 1;

template <typename T, typename Row, typename F>
std::vector<T> column(const std::vector<Row>& rows, F f) {
  std::vector<T> v;
  for (const Row& r : rows) v.push_back(f(r));
  return v;
}

// One dataset per key under `g`/values: float64 for numeric keys, the TOML text otherwise.
void write_values(hid_t g, const std::vector<std::string>& keys, const std::vector<char>& numeric,
                  const std::vector<std::vector<std::string>>& rows) {
  h5::Group v = h5::create_group(g, "values");
  for (size_t k = 0; k < keys.size(); ++k) {
    if (numeric[k]) {
      std::vector<double> col;
      for (const auto& r : rows) col.push_back(std::strtod(r[k].c_str(), nullptr));
      h5::write_vector(v.id(), keys[k], col);
    } else {
      std::vector<std::string> col;
      for (const auto& r : rows) col.push_back(r[k]);
      h5::write_strings(v.id(), keys[k], col);
    }
  }
}

void write_sweep_to(hid_t root, const SweepResult& s) {
  h5::write_attr(root, "format_version", kFormatVersion);
  h5::write_string_attr(root, "kind", "sweep");
  h5::write_string_attr(root, "fedsim_version", s.fedsim_version);
  h5::write_string_attr(root, "git_commit", s.git_commit);
  h5::write_string_attr(root, "status", to_string(s.status));
  h5::write_string_attr(root, "status_message", s.status_message);
  h5::write_string_attr(root, "start_time", s.start_time);
  h5::write_string_attr(root, "end_time", s.end_time);
  h5::write_attr(root, "wall_time_s", s.wall_time_s);
  {
    h5::Group g = h5::create_group(root, "scenario");
    h5::write_string(g.id(), "text", s.scenario_text);
    h5::write_strings(g.id(), "overrides", s.overrides);
    h5::write_string_attr(g.id(), "path", s.scenario_path);
  }
  {
    h5::Group g = h5::create_group(root, "sweep");
    h5::write_strings(g.id(), "keys", s.keys);
    h5::write_vector(g.id(), "numeric",
                     column<int8_t>(s.numeric, [](char c) { return int8_t(c); }));
    std::vector<std::string> texts;  // [runs * keys] row-major: each run's values as TOML text
    for (const SweepPoint& p : s.points)
      for (const auto& kv : p.values) texts.push_back(kv.second);
    h5::write_strings(g.id(), "values", texts);
  }
  {
    const auto rows = sweep_summary(s);
    h5::Group g = h5::create_group(root, "summary");
    h5::write_strings(g.id(), "run_id",
                      column<std::string>(rows, [](auto& r) { return r.run_id; }));
    h5::write_strings(g.id(), "status",
                      column<std::string>(rows, [](auto& r) { return r.status; }));
    h5::write_vector(g.id(), "final_accuracy",
                     column<double>(rows, [](auto& r) { return r.final_accuracy; }));
    h5::write_vector(g.id(), "final_auc",
                     column<double>(rows, [](auto& r) { return r.final_auc; }));
    h5::write_vector(g.id(), "epsilon", column<double>(rows, [](auto& r) { return r.epsilon; }));
    h5::write_vector(g.id(), "wall_time_s",
                     column<double>(rows, [](auto& r) { return r.wall_time_s; }));
    h5::write_vector(g.id(), "rounds_done",
                     column<int32_t>(rows, [](auto& r) { return int32_t(r.rounds_done); }));
    std::vector<std::vector<std::string>> values;
    for (const SweepPoint& p : s.points)
      values.push_back(column<std::string>(p.values, [](auto& kv) { return kv.second; }));
    write_values(g.id(), s.keys, s.numeric, values);
  }
  {
    const auto rows = sweep_frontier(s);
    const auto keys = frontier_keys(s);
    std::vector<char> numeric;
    for (size_t k = 0; k < s.keys.size(); ++k)
      if (s.keys[k] != "run.seed") numeric.push_back(s.numeric[k]);
    h5::Group g = h5::create_group(root, "frontier");
    h5::write_vector(g.id(), "epsilon_mean",
                     column<double>(rows, [](auto& r) { return r.epsilon_mean; }));
    h5::write_vector(g.id(), "accuracy_mean",
                     column<double>(rows, [](auto& r) { return r.accuracy_mean; }));
    h5::write_vector(g.id(), "accuracy_std",
                     column<double>(rows, [](auto& r) { return r.accuracy_std; }));
    h5::write_vector(g.id(), "accuracy_min",
                     column<double>(rows, [](auto& r) { return r.accuracy_min; }));
    h5::write_vector(g.id(), "accuracy_max",
                     column<double>(rows, [](auto& r) { return r.accuracy_max; }));
    h5::write_vector(g.id(), "count",
                     column<int32_t>(rows, [](auto& r) { return int32_t(r.count); }));
    write_values(g.id(), keys, numeric,
                 column<std::vector<std::string>>(rows, [](auto& r) { return r.values; }));
  }
  h5::Group runs = h5::create_group(root, "runs");
  for (size_t i = 0; i < s.points.size(); ++i) {
    if (!s.started[i]) continue;
    h5::Group g = h5::create_group(runs.id(), s.points[i].id);
    write_run_to(g.id(), s.runs[i]);
  }
}

}  // namespace

void write_sweep(const std::string& path, const SweepResult& s, bool force) {
  h5::write_atomically(path, force, [&](hid_t root) { write_sweep_to(root, s); });
}

SweepResult read_sweep(const std::string& path) {
  const auto lock = h5::lock_library();
  h5::File file = h5::open_file(path);
  const hid_t root = file.id();
  if (!h5::attr_exists(root, "kind") || h5::read_string_attr(root, "kind") != "sweep")
    throw ResultsError(path + ": not a sweep file (no kind = \"sweep\")");
  const int32_t version = h5::read_attr<int32_t>(root, "format_version");
  if (version != kFormatVersion)
    throw ResultsError(path + ": unsupported format_version " + std::to_string(version));
  SweepResult s;
  std::vector<std::string> texts;
  s.fedsim_version = h5::read_string_attr(root, "fedsim_version");
  s.git_commit = h5::read_string_attr(root, "git_commit");
  try {
    s.status = run_status_from_string(h5::read_string_attr(root, "status"));
  } catch (const std::invalid_argument& e) {
    throw ResultsError(path + ": " + e.what());
  }
  s.status_message = h5::read_string_attr(root, "status_message");
  s.start_time = h5::read_string_attr(root, "start_time");
  s.end_time = h5::read_string_attr(root, "end_time");
  s.wall_time_s = h5::read_attr<double>(root, "wall_time_s");
  {
    h5::Group g = h5::open_group(root, "scenario");
    s.scenario_text = h5::read_string(g.id(), "text");
    s.overrides = h5::read_strings(g.id(), "overrides");
    s.scenario_path = h5::read_string_attr(g.id(), "path");
  }
  {
    h5::Group g = h5::open_group(root, "sweep");
    s.keys = h5::read_strings(g.id(), "keys");
    for (int8_t c : h5::read_vector<int8_t>(g.id(), "numeric")) s.numeric.push_back(char(c));
    texts = h5::read_strings(g.id(), "values");
  }
  h5::Group summary = h5::open_group(root, "summary");
  const auto ids = h5::read_strings(summary.id(), "run_id");
  h5::Group runs = h5::open_group(root, "runs");
  for (const std::string& id : ids) {
    SweepPoint p;
    p.id = id;
    const size_t row = s.points.size(), K = s.keys.size();
    if (texts.size() != ids.size() * K)
      throw ResultsError(path + ": /sweep/values holds " + std::to_string(texts.size()) +
                         " values, expected " + std::to_string(ids.size() * K));
    for (size_t k = 0; k < K; ++k) p.values.emplace_back(s.keys[k], texts[row * K + k]);
    s.points.push_back(p);
    const bool started = h5::exists(runs.id(), id);
    s.started.push_back(started);
    if (started) {
      h5::Group g = h5::open_group(runs.id(), id);
      s.runs.push_back(read_run_from(g.id(), path + ":/runs/" + id));
    } else {
      s.runs.emplace_back();
    }
  }
  return s;
}

}  // namespace fedsim
