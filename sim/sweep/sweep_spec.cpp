// Reading and expanding the [sweep] table (see sweep_spec.h).
#include "sim/sweep/sweep_spec.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "sim/scenario_keys.h"

namespace fedsim {
namespace sd = scenario_detail;
namespace {

std::string at(const std::string& file, const toml::node& n) {
  return file + ":" + std::to_string(std::max<int64_t>(1, n.source().begin.line));
}

// A node's value as TOML text ("0.5", "\"iid\"", "[64, 64]"); floats in their shortest form
// that reads back exactly (0.8, not 0.80000000000000004).
std::string toml_text(const toml::node& n) {
  if (const auto* f = n.as_floating_point()) {
    const double v = f->get();
    if (std::isfinite(v)) {
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, v);
      std::string s(buf, r.ptr);
      if (s.find_first_of(".e") == std::string::npos) s += ".0";
      return s;
    }
  }
  toml::table t;
  n.visit([&](auto&& v) { t.insert("v", v); });
  std::ostringstream os;
  os << toml::toml_formatter(t);
  std::string s = os.str();
  const auto eq = s.find('=');
  s = s.substr(eq + 1);
  const auto b = s.find_first_not_of(" "), e = s.find_last_not_of(" \n");
  return s.substr(b, e - b + 1);
}

SweepAxis read_axis(const std::string& file, const std::string& key, const toml::node& n,
                    const std::string& table) {
  const std::string where = at(file, n);
  const auto dot = key.find('.');
  if (dot == std::string::npos)
    throw ScenarioError(where + ": key 'sweep." + table + "." + key +
                        "': expected a scenario key section.key = [values]");
  const std::string section = key.substr(0, dot), name = key.substr(dot + 1);
  if (!sd::find_key(section, name)) {
    std::string msg =
        where + ": key 'sweep." + table + "." + key + "': '" + key + "' is not a scenario key";
    if (const std::string s = sd::suggest_key(section, name); !s.empty())
      msg += " (did you mean '" + s + "'?)";
    throw ScenarioError(msg);
  }
  if (key == "run.output")
    throw ScenarioError(where + ": key 'sweep." + table +
                        ".run.output': cannot be swept (every run is stored in the sweep file)");
  const toml::array* arr = n.as_array();
  if (!arr)
    throw ScenarioError(where + ": key 'sweep." + table + "." + key +
                        "': expected a list of values, e.g. [0.5, 1.0]");
  if (arr->empty())
    throw ScenarioError(where + ": key 'sweep." + table + "." + key +
                        "': the list is empty (a sweep needs at least one value)");
  SweepAxis a;
  a.key = key;
  a.where = where;
  a.numeric = true;
  for (const toml::node& v : *arr) {
    a.values.push_back(toml_text(v));
    a.numeric = a.numeric && (v.is_integer() || v.is_floating_point());
  }
  return a;
}

// The axes of [sweep.grid] or [sweep.zip], in file order; dotted keys (privacy.noise_multiplier)
// arrive as nested tables, quoted ones ("privacy.noise_multiplier") as one key.
std::vector<SweepAxis> read_axes(const std::string& file, const toml::table& t,
                                 const std::string& table) {
  std::vector<std::pair<int64_t, SweepAxis>> found;
  for (const auto& [k, n] : t) {
    const std::string key(k.str());
    if (const toml::table* sub = n.as_table()) {
      for (const auto& [kk, nn] : *sub)
        found.emplace_back(nn.source().begin.line,
                           read_axis(file, key + "." + std::string(kk.str()), nn, table));
    } else {
      found.emplace_back(n.source().begin.line, read_axis(file, key, n, table));
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<SweepAxis> axes;
  for (auto& f : found) axes.push_back(std::move(f.second));
  return axes;
}

}  // namespace

std::vector<const SweepAxis*> SweepSpec::axes() const {
  std::vector<const SweepAxis*> all;
  for (const SweepAxis& a : grid) all.push_back(&a);
  for (const SweepAxis& a : zip) all.push_back(&a);
  return all;
}

std::vector<std::string> SweepPoint::overrides() const {
  std::vector<std::string> o;
  for (const auto& [k, v] : values) o.push_back(k + "=" + v);
  return o;
}

SweepSpec read_sweep_spec(const std::string& text, const std::string& path) {
  const std::string file = path.empty() ? "<string>" : path;
  toml::table doc;
  try {
    doc = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw ScenarioError(file + ":" + std::to_string(e.source().begin.line) +
                        ": TOML syntax error: " + std::string(e.description()));
  }
  const toml::node* sweep = doc.get("sweep");
  if (!sweep || !sweep->is_table())
    throw ScenarioError(file +
                        ": no [sweep] table (fedsim sweep needs [sweep.grid] or [sweep.zip] "
                        "lists; see docs/scenario.md)");
  SweepSpec spec;
  for (const auto& [k, n] : *sweep->as_table()) {
    const std::string key(k.str());
    if (key == "parallel") {
      const auto v = n.value<int64_t>();
      if (!v || *v < 1 || *v > 1024)
        throw ScenarioError(at(file, n) +
                            ": key 'sweep.parallel': expected an integer from 1 to 1024");
      spec.parallel = int(*v);
    } else if ((key == "grid" || key == "zip") && n.is_table()) {
      (key == "grid" ? spec.grid : spec.zip) = read_axes(file, *n.as_table(), key);
    } else {
      throw ScenarioError(at(file, n) + ": key 'sweep." + key +
                          "': unknown; [sweep] holds parallel = N and the tables [sweep.grid] "
                          "and [sweep.zip] of lists");
    }
  }
  if (spec.grid.empty() && spec.zip.empty())
    throw ScenarioError(at(file, *sweep) +
                        ": [sweep] has no lists: give [sweep.grid] and/or [sweep.zip] keys, "
                        "e.g. privacy.noise_multiplier = [0.5, 1.0]");
  for (const SweepAxis& z : spec.zip)
    if (z.values.size() != spec.zip.front().values.size())
      throw ScenarioError(z.where + ": key 'sweep.zip." + z.key +
                          "': " + std::to_string(z.values.size()) + " values, but 'sweep.zip." +
                          spec.zip.front().key + "' has " +
                          std::to_string(spec.zip.front().values.size()) +
                          " (zipped lists are taken together and need one length)");
  const auto all = spec.axes();
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (all[i]->key == all[j]->key)
        throw ScenarioError(all[i]->where + ": key '" + all[i]->key + "' is swept twice (also at " +
                            all[j]->where + ")");
  return spec;
}

std::vector<SweepPoint> expand_sweep(const SweepSpec& spec) {
  size_t n_grid = 1;
  for (const SweepAxis& a : spec.grid) n_grid *= a.values.size();
  const size_t n_zip = spec.zip.empty() ? 1 : spec.zip.front().values.size();
  std::vector<SweepPoint> points;
  for (size_t g = 0; g < n_grid; ++g) {
    for (size_t z = 0; z < n_zip; ++z) {
      SweepPoint p;
      char id[16];
      std::snprintf(id, sizeof id, "r%03zu", points.size());
      p.id = id;
      size_t rest = g;
      std::vector<std::pair<std::string, std::string>> grid_values(spec.grid.size());
      for (size_t i = spec.grid.size(); i-- > 0;) {  // the last axis varies fastest
        const SweepAxis& a = spec.grid[i];
        grid_values[i] = {a.key, a.values[rest % a.values.size()]};
        rest /= a.values.size();
      }
      p.values = grid_values;
      for (const SweepAxis& a : spec.zip) p.values.emplace_back(a.key, a.values[z]);
      points.push_back(std::move(p));
    }
  }
  return points;
}

std::vector<Scenario> sweep_scenarios(const std::string& text, const std::string& path,
                                      const std::vector<std::string>& overrides,
                                      const std::vector<SweepPoint>& points) {
  std::vector<Scenario> out;
  for (const SweepPoint& p : points) {
    std::vector<std::string> o = overrides;
    for (const std::string& v : p.overrides()) o.push_back(v);
    try {
      out.push_back(parse_scenario(text, path, o));
    } catch (const ScenarioError& e) {
      std::string values;
      for (const auto& [k, v] : p.values) values += (values.empty() ? "" : ", ") + k + " = " + v;
      throw ScenarioError(std::string(e.what()) + " (sweep run " + p.id + ": " + values + ")");
    }
  }
  return out;
}

}  // namespace fedsim
