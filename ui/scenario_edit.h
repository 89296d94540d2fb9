// ScenarioEdit: the scenario being edited in the dashboard, without any window.
//
// The file's text stays as loaded; every edit in the Scenario panel becomes one `--set`-style
// override ("section.key" -> TOML value text). validate() parses text + overrides through the
// engine's own parse_scenario, so the panel shows exactly the message `fedsim validate` would,
// and error_key() names the key it is about, to draw the message beside that key.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace fedsim::ui {

// "section.key" -> value text, as resolved_toml() writes it (strings quoted).
using SettingMap = std::map<std::string, std::string>;

// Reads the "key = value" lines of a resolved TOML (one table level, as resolved_toml writes).
SettingMap parse_settings(const std::string& resolved);

// The key a ScenarioError message is about ("f.toml:5: key 'client.lr': ..." -> "client.lr"),
// or "" when the message names none.
std::string error_key(const std::string& message);

class ScenarioEdit {
 public:
  ScenarioEdit();  // the embedded default scenario

  // Loads a file (throws ScenarioError if it cannot be read or is invalid; the edit is unchanged
  // then) / the embedded default.
  void load_file(const std::string& path);
  void load_default();
  // Loads scenario text held in memory (e.g. a run's resolved scenario, for a re-run); `label`
  // names it in messages and resolves relative paths like a file path would.
  void load_text(const std::string& text, const std::string& label);

  // Sets one key to a TOML value ("0.1", "\"fedadam\"", "[64, 64]") and revalidates.
  void set(const std::string& key, const std::string& toml_value);
  void reset(const std::string& key);  // drops the override of `key`
  void reset_all();

  // The value shown for `key`: its override, else the resolved value of the file.
  std::string value(const std::string& key) const;
  bool edited(const std::string& key) const { return overrides_.count(key) != 0; }
  std::vector<std::string> overrides() const;  // "key=value", for parse_scenario

  bool valid() const { return scenario_.has_value(); }
  const Scenario& scenario() const { return *scenario_; }  // valid() only
  const std::string& error() const { return error_; }
  const std::string& error_key() const { return error_key_; }
  const std::string& path() const { return path_; }
  bool dirty() const { return !overrides_.empty(); }

  // Writes resolved_toml(scenario()) to `path` (throws std::runtime_error); it becomes the file.
  void save(const std::string& path);

 private:
  void validate();
  std::string path_, text_;
  SettingMap base_;  // resolved values of the file without overrides
  std::map<std::string, std::string> overrides_;
  std::optional<Scenario> scenario_;
  std::string error_, error_key_;
};

// Keys whose values differ between two resolved scenarios, in resolved order of `other`
// ("key", base value, other value); run.name and run.output are skipped (always differ).
struct SettingDiff {
  std::string key, base, value;
};
std::vector<SettingDiff> diff_settings(const std::string& base_resolved,
                                       const std::string& other_resolved);
// "server.lr=0.1, privacy.noise_multiplier=1.5" (or "(base)" when nothing differs).
std::string describe_diff(const std::vector<SettingDiff>& d);

// Pareto frontier of (epsilon, accuracy) points: those no other point beats with epsilon <= and
// accuracy >= (one strictly). Returns indices sorted by epsilon ascending. Points with a NaN
// coordinate are ignored; equal points are both kept.
struct TradeoffPoint {
  double epsilon = 0.0, accuracy = 0.0;
};
std::vector<std::size_t> pareto_frontier(const std::vector<TradeoffPoint>& points);

// Most-recently-used list of scenario files, newest first, at most `max` entries, no duplicates.
void push_recent(std::vector<std::string>& recent, const std::string& path, std::size_t max = 10);

// CSV field quoting (RFC 4180): quotes a field holding a comma, quote or newline.
std::string csv_field(const std::string& s);

}  // namespace fedsim::ui
