// Scenario schema: every section and key a scenario file may hold, with the kind of value each
// expects, plus "did you mean" suggestions for misspelt names (edit distance and common aliases).
// Internal to the scenario parser (sim/scenario*.cpp) and its tests.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace fedsim::scenario_detail {

enum class ValueKind { Integer, Number, Boolean, String, StringArray, IntegerArray, NumberArray };

struct KeySpec {
  std::string_view section;
  std::string_view key;
  ValueKind kind;
};

// Sections in file order: run, data, partition, model, client, server, privacy, secagg.
std::span<const std::string_view> sections();
// Every key, grouped by section, in the order resolved_toml() writes them.
std::span<const KeySpec> keys();

bool is_section(std::string_view section);
const KeySpec* find_key(std::string_view section, std::string_view key);

// Levenshtein distance (insertions, deletions, substitutions).
std::size_t edit_distance(std::string_view a, std::string_view b);
// True when `candidate` is close enough to `word` to be worth suggesting.
bool close_enough(std::string_view word, std::string_view candidate, std::size_t distance);

// The valid "section.key" closest to an unknown key, or "" when nothing is close. An empty
// `section` means the key was found at the top level (outside any section).
std::string suggest_key(std::string_view section, std::string_view key);
// The valid section closest to an unknown one, or "".
std::string suggest_section(std::string_view section);

}  // namespace fedsim::scenario_detail
