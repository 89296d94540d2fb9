// ScenarioEdit, settings diff, Pareto frontier and small helpers (see scenario_edit.h).
#include "ui/scenario_edit.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fedsim::ui {

SettingMap parse_settings(const std::string& resolved) {
  SettingMap out;
  std::istringstream in(resolved);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      const auto end = line.find(']');
      section = line.substr(1, end == std::string::npos ? std::string::npos : end - 1);
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    out[section.empty() ? line.substr(0, eq) : section + "." + line.substr(0, eq)] =
        line.substr(eq + 3);
  }
  return out;
}

std::string error_key(const std::string& message) {
  const std::string tag = "key '";
  const auto at = message.find(tag);
  if (at == std::string::npos) return "";
  const auto start = at + tag.size(), end = message.find('\'', start);
  return end == std::string::npos ? "" : message.substr(start, end - start);
}

ScenarioEdit::ScenarioEdit() {
  load_default();
}

void ScenarioEdit::load_file(const std::string& path) {
  Scenario s = load_scenario_file(path);  // throws: the edit stays as it was
  path_ = path;
  text_ = s.source_text;
  base_ = parse_settings(resolved_toml(s));
  overrides_.clear();
  validate();
}

void ScenarioEdit::load_default() {
  Scenario s = parse_scenario(default_scenario_text(), "<default>");
  path_ = "<default>";
  text_ = s.source_text;
  base_ = parse_settings(resolved_toml(s));
  overrides_.clear();
  validate();
}

void ScenarioEdit::load_text(const std::string& text, const std::string& label) {
  Scenario s = parse_scenario(text, label);
  path_ = label;
  text_ = s.source_text;
  base_ = parse_settings(resolved_toml(s));
  overrides_.clear();
  validate();
}

void ScenarioEdit::set(const std::string& key, const std::string& toml_value) {
  const auto b = base_.find(key);
  if (b != base_.end() && b->second == toml_value)
    overrides_.erase(key);  // back to the file's value: no override needed
  else
    overrides_[key] = toml_value;
  validate();
}

void ScenarioEdit::reset(const std::string& key) {
  overrides_.erase(key);
  validate();
}

void ScenarioEdit::reset_all() {
  overrides_.clear();
  validate();
}

std::string ScenarioEdit::value(const std::string& key) const {
  if (const auto o = overrides_.find(key); o != overrides_.end()) return o->second;
  const auto b = base_.find(key);
  return b == base_.end() ? "" : b->second;
}

std::vector<std::string> ScenarioEdit::overrides() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : overrides_) out.push_back(k + "=" + v);
  return out;
}

void ScenarioEdit::validate() {
  try {
    scenario_ = parse_scenario(text_, path_, overrides());
    error_.clear();
    error_key_.clear();
  } catch (const ScenarioError& e) {
    scenario_.reset();
    error_ = e.what();
    error_key_ = ui::error_key(error_);
  }
}

void ScenarioEdit::save(const std::string& path) {
  if (!valid()) throw std::runtime_error("cannot save: " + error_);
  const std::string text = resolved_toml(*scenario_);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + tmp + " to " + path);
  load_file(path);
}

std::vector<SettingDiff> diff_settings(const std::string& base_resolved,
                                       const std::string& other_resolved) {
  const SettingMap base = parse_settings(base_resolved);
  std::vector<SettingDiff> out;
  // Walk `other` in file order (parse_settings sorts; re-read the lines for the order).
  std::istringstream in(other_resolved);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    const std::string key =
        section.empty() ? line.substr(0, eq) : section + "." + line.substr(0, eq);
    if (key == "run.name" || key == "run.output") continue;
    const std::string value = line.substr(eq + 3);
    const auto b = base.find(key);
    const std::string bv = b == base.end() ? "" : b->second;
    if (bv != value) out.push_back({key, bv, value});
  }
  return out;
}

std::string describe_diff(const std::vector<SettingDiff>& d) {
  if (d.empty()) return "(base)";
  std::string s;
  for (const auto& x : d) s += (s.empty() ? "" : ", ") + x.key + "=" + x.value;
  return s;
}

std::vector<std::size_t> pareto_frontier(const std::vector<TradeoffPoint>& points) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (!std::isnan(points[i].epsilon) && !std::isnan(points[i].accuracy)) idx.push_back(i);
  // Epsilon ascending, then accuracy descending: a point is on the frontier when its accuracy
  // beats every point with smaller epsilon (or equals the best at the same epsilon).
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    if (points[a].epsilon != points[b].epsilon) return points[a].epsilon < points[b].epsilon;
    return points[a].accuracy > points[b].accuracy;
  });
  std::vector<std::size_t> front;
  double best = -INFINITY;
  for (std::size_t k = 0; k < idx.size(); ++k) {
    const TradeoffPoint& p = points[idx[k]];
    const bool tie = !front.empty() && points[front.back()].epsilon == p.epsilon &&
                     points[front.back()].accuracy == p.accuracy;
    if (p.accuracy > best || tie) {
      front.push_back(idx[k]);
      best = std::max(best, p.accuracy);
    }
  }
  return front;
}

void push_recent(std::vector<std::string>& recent, const std::string& path, std::size_t max) {
  recent.erase(std::remove(recent.begin(), recent.end(), path), recent.end());
  recent.insert(recent.begin(), path);
  if (recent.size() > max) recent.resize(max);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace fedsim::ui
