// Typed, range-checked reading of scenario keys and the error messages (see scenario_reader.h).
#include "sim/scenario_reader.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "sim/scenario_keys.h"

namespace fedsim::scenario_detail {
namespace {

// A range bound as people write it: "1", "0.5", "1e-06".
std::string format_bound(double v) {
  if (std::abs(v) < 1e15 && v == std::floor(v)) return std::to_string(static_cast<int64_t>(v));
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    default:
      return "nothing";
  }
}

}  // namespace

bool Range::contains(double v) const {
  const bool lo_ok = lo_open ? v > lo : v >= lo;
  const bool hi_ok = hi_open ? v < hi : v <= hi;
  return lo_ok && hi_ok;
}

std::string Range::text(std::string_view noun) const {
  const bool has_lo = std::isfinite(lo);
  const bool has_hi = std::isfinite(hi);
  std::string s(noun);
  if (has_lo && has_hi) {
    s += " in ";
    s += lo_open ? "(" : "[";
    s += format_bound(lo) + ", " + format_bound(hi);
    s += hi_open ? ")" : "]";
  } else if (has_lo) {
    s += (lo_open ? " > " : " >= ") + format_bound(lo);
  } else if (has_hi) {
    s += (hi_open ? " < " : " <= ") + format_bound(hi);
  }
  return s;
}

Range any() {
  return {};
}
Range at_least(double lo) {
  return {lo, Range{}.hi, false, false};
}
Range above(double lo) {
  return {lo, Range{}.hi, true, false};
}
Range closed(double lo, double hi) {
  return {lo, hi, false, false};
}
Range open(double lo, double hi) {
  return {lo, hi, true, true};
}
Range closed_open(double lo, double hi) {
  return {lo, hi, false, true};
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string describe_value(const toml::node& n) {
  if (auto s = n.as_string()) return quote(s->get());
  if (auto i = n.as_integer()) return std::to_string(i->get());
  if (auto f = n.as_floating_point()) return format_number(f->get());
  if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
  if (auto a = n.as_array()) {
    std::string s = "[";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) s += ", ";
      s += describe_value(*a->get(i));
    }
    return s + "]";
  }
  if (n.is_table()) return "{...}";
  std::ostringstream os;
  n.visit([&os](const auto& v) { os << v; });
  return os.str();
}

std::string describe_typed(const toml::node& n) {
  return std::string(type_name(n)) + " " + describe_value(n);
}

void Reader::set(const std::string& full_key, const toml::node* n, std::string where_) {
  entries_[full_key] = Entry{n, std::move(where_)};
}

void Reader::set_section_line(const std::string& section, int64_t line) {
  section_lines_[section] = line;
}

const toml::node* Reader::node(std::string_view full_key) const {
  auto it = entries_.find(full_key);
  return it == entries_.end() ? nullptr : it->second.node;
}

std::string Reader::where(std::string_view full_key) const {
  if (auto it = entries_.find(full_key); it != entries_.end()) return it->second.where;
  const std::string_view section = full_key.substr(0, full_key.find('.'));
  int64_t line = 1;
  if (auto it = section_lines_.find(section); it != section_lines_.end() && it->second > 0) {
    line = it->second;
  }
  return file_ + ":" + std::to_string(line);
}

void Reader::fail(std::string_view full_key, std::string_view expected,
                  std::string_view got) const {
  fail_message(full_key, "expected " + std::string(expected) + ", got " + std::string(got));
}

void Reader::fail_message(std::string_view full_key, std::string_view message) const {
  throw ScenarioError(where(full_key) + ": key '" + std::string(full_key) +
                      "': " + std::string(message));
}

int64_t Reader::get_integer(std::string_view key, const toml::node& n, const Range& r,
                            int64_t max) const {
  if (!n.is_integer()) fail(key, r.text("an integer"), describe_typed(n));
  const int64_t v = n.as_integer()->get();
  if (!r.contains(static_cast<double>(v))) fail(key, r.text("an integer"), describe_value(n));
  if (v > max) {
    fail(key, Range{r.lo, static_cast<double>(max), r.lo_open, false}.text("an integer"),
         describe_value(n));
  }
  return v;
}

void Reader::get(std::string_view key, int& out, const Range& r) const {
  if (auto n = node(key)) {
    out = static_cast<int>(get_integer(key, *n, r, std::numeric_limits<int>::max()));
  }
}

void Reader::get(std::string_view key, int64_t& out, const Range& r) const {
  if (auto n = node(key)) out = get_integer(key, *n, r, std::numeric_limits<int64_t>::max());
}

void Reader::get(std::string_view key, uint64_t& out) const {
  if (auto n = node(key)) {
    out = static_cast<uint64_t>(
        get_integer(key, *n, at_least(0), std::numeric_limits<int64_t>::max()));
  }
}

void Reader::get(std::string_view key, double& out, const Range& r) const {
  auto n = node(key);
  if (!n) return;
  double v = 0;
  if (auto i = n->as_integer()) {
    v = static_cast<double>(i->get());
  } else if (auto f = n->as_floating_point()) {
    v = f->get();
  } else {
    fail(key, r.text("a number"), describe_typed(*n));
  }
  if (!std::isfinite(v)) fail(key, r.text("a finite number"), describe_value(*n));
  if (!r.contains(v)) fail(key, r.text("a number"), describe_value(*n));
  out = v;
}

void Reader::get(std::string_view key, bool& out) const {
  auto n = node(key);
  if (!n) return;
  if (!n->is_boolean()) fail(key, "a boolean (true or false)", describe_typed(*n));
  out = n->as_boolean()->get();
}

void Reader::get(std::string_view key, std::string& out, bool allow_empty) const {
  auto n = node(key);
  if (!n) return;
  const char* expected = allow_empty ? "a string" : "a non-empty string";
  if (!n->is_string()) fail(key, expected, describe_typed(*n));
  const std::string& v = n->as_string()->get();
  if (v.empty() && !allow_empty) fail(key, expected, "\"\"");
  out = v;
}

void Reader::get(std::string_view key, std::vector<std::string>& out) const {
  auto n = node(key);
  if (!n) return;
  const char* expected = "an array of non-empty strings";
  auto a = n->as_array();
  if (!a) fail(key, expected, describe_typed(*n));
  std::vector<std::string> v;
  std::set<std::string, std::less<>> seen;
  for (const toml::node& e : *a) {
    if (!e.is_string() || e.as_string()->get().empty()) fail(key, expected, describe_value(*n));
    const std::string& s = e.as_string()->get();
    if (!seen.insert(s).second) fail(key, "distinct names", quote(s) + " twice");
    v.push_back(s);
  }
  out = std::move(v);
}

void Reader::get(std::string_view key, std::vector<int>& out, const Range& r) const {
  auto n = node(key);
  if (!n) return;
  const std::string expected = "an array of " + r.text("integers");
  auto a = n->as_array();
  if (!a) fail(key, expected, describe_typed(*n));
  std::vector<int> v;
  for (const toml::node& e : *a) {
    auto i = e.as_integer();
    if (!i || !r.contains(static_cast<double>(i->get())) ||
        i->get() > std::numeric_limits<int>::max()) {
      fail(key, expected, describe_value(*n));
    }
    v.push_back(static_cast<int>(i->get()));
  }
  out = std::move(v);
}

// Integers are accepted as numbers, as for single number keys.
void Reader::get(std::string_view key, std::vector<double>& out, const Range& r) const {
  auto n = node(key);
  if (!n) return;
  const std::string expected = "an array of " + r.text("numbers");
  auto a = n->as_array();
  if (!a) fail(key, expected, describe_typed(*n));
  std::vector<double> v;
  for (const toml::node& e : *a) {
    double x = 0;
    if (auto i = e.as_integer()) {
      x = static_cast<double>(i->get());
    } else if (auto f = e.as_floating_point()) {
      x = f->get();
    } else {
      fail(key, expected, describe_value(*n));
    }
    if (!std::isfinite(x) || !r.contains(x)) fail(key, expected, describe_value(*n));
    v.push_back(x);
  }
  out = std::move(v);
}

int Reader::get_choice(std::string_view key, std::span<const char* const> names) const {
  auto n = node(key);
  if (!n) return -1;
  std::string expected = "one of ";
  for (std::size_t i = 0; i < names.size(); ++i) expected += (i ? ", " : "") + quote(names[i]);
  if (!n->is_string()) fail(key, expected, describe_typed(*n));
  const std::string& v = n->as_string()->get();
  std::string hint;
  std::size_t best = SIZE_MAX;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (v == names[i]) return static_cast<int>(i);
    // Suggest only when the first letter matches: "gpu" is not a typo of "cpu".
    const std::size_t d = edit_distance(v, names[i]);
    if (d < best && close_enough(v, names[i], d) && !v.empty() && v[0] == names[i][0]) {
      best = d;
      hint = " (did you mean " + quote(names[i]) + "?)";
    }
  }
  fail(key, expected, quote(v) + hint);
}

}  // namespace fedsim::scenario_detail
