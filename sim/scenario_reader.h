// Typed, range-checked reading of scenario keys, and the one error format for all of them:
//   "FILE:LINE: key 'section.key': expected <what>, got <what>"   (a key from the file)
//   "--set: key 'section.key': expected <what>, got <what>"       (a key from an override)
// The Reader maps "section.key" to the TOML node holding its value and to where that value came
// from, so validation code never has to know whether a value was in the file or a --set.
// Internal to the scenario parser (sim/scenario*.cpp).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario.h"

namespace fedsim::scenario_detail {

// An interval of allowed values; each bound may be open or closed (or absent: +-infinity).
struct Range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  bool contains(double v) const;
  // "an integer >= 1", "a number in (0, 1)", ... (noun = "an integer" or "a number").
  std::string text(std::string_view noun) const;
};
Range any();
Range at_least(double lo);                // [lo, inf)
Range above(double lo);                   // (lo, inf)
Range closed(double lo, double hi);       // [lo, hi]
Range open(double lo, double hi);         // (lo, hi)
Range closed_open(double lo, double hi);  // [lo, hi)

// TOML basic string with escapes: "a\"b".
std::string quote(std::string_view s);
// Shortest text that reads back as the same double, always with a '.' or exponent ("1.0").
std::string format_number(double v);
// A value as written in a message: "3", "2.5", "\"abc\"", "[1, 2]".
std::string describe_value(const toml::node& n);
// A value with its type, for type errors: "string \"abc\"", "float 2.5", "array [1, 2]".
std::string describe_typed(const toml::node& n);

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  // Record that `full_key` ("section.key") has value `node`, written at `where` ("FILE:LINE" or
  // "--set"). A later call for the same key replaces the earlier one (overrides win).
  void set(const std::string& full_key, const toml::node* node, std::string where);
  // Line of a section header, used for errors about keys missing from that section.
  void set_section_line(const std::string& section, int64_t line);

  const toml::node* node(std::string_view full_key) const;
  bool has(std::string_view full_key) const { return node(full_key) != nullptr; }
  // Where a key's value was written; for a missing key, its section's line in the file (or 1).
  std::string where(std::string_view full_key) const;

  // "WHERE: key 'full_key': expected <expected>, got <got>".
  [[noreturn]] void fail(std::string_view full_key, std::string_view expected,
                         std::string_view got) const;
  // "WHERE: key 'full_key': <message>".
  [[noreturn]] void fail_message(std::string_view full_key, std::string_view message) const;

  // Each reader leaves `out` unchanged when the key is absent.
  void get(std::string_view key, int& out, const Range& r) const;
  void get(std::string_view key, int64_t& out, const Range& r) const;
  void get(std::string_view key, uint64_t& out) const;  // any integer >= 0
  void get(std::string_view key, double& out, const Range& r) const;
  void get(std::string_view key, bool& out) const;
  void get(std::string_view key, std::string& out, bool allow_empty) const;
  void get(std::string_view key, std::vector<std::string>& out) const;  // non-empty, distinct
  void get(std::string_view key, std::vector<int>& out, const Range& r) const;
  void get(std::string_view key, std::vector<double>& out, const Range& r) const;

  // Index of the value among `names`, or -1 when the key is absent; error for any other value.
  int get_choice(std::string_view key, std::span<const char* const> names) const;

  // An enum read by its to_string() names.
  template <class E, std::size_t N>
  void get_enum(std::string_view key, E& out, const E (&values)[N]) const {
    const char* names[N];
    for (std::size_t i = 0; i < N; ++i) names[i] = to_string(values[i]);
    const int i = get_choice(key, names);
    if (i >= 0) out = values[i];
  }

 private:
  struct Entry {
    const toml::node* node;
    std::string where;
  };
  int64_t get_integer(std::string_view key, const toml::node& n, const Range& r, int64_t max) const;

  std::string file_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::map<std::string, int64_t, std::less<>> section_lines_;
};

}  // namespace fedsim::scenario_detail
