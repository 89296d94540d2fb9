// The [sweep] table of a scenario: which keys vary, and the runs that makes.
//
//   [sweep]
//   parallel = 2                                   # runs in flight (optional)
//   [sweep.grid]                                   # cartesian product of every list
//   privacy.noise_multiplier = [0.5, 0.8, 1.1, 2.0]
//   run.seed = [1, 2, 3]
//   [sweep.zip]                                    # lists of one length, taken together
//   client.lr = [0.1, 0.05]
//   client.batch_size = [32, 64]
//
// The zipped lists are crossed with the grid. Every point becomes `--set key=value` overrides of
// the base scenario, so each value is checked exactly as a scenario file's would be.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/scenario.h"

namespace fedsim {

struct SweepAxis {
  std::string key;                  // "section.key"
  std::vector<std::string> values;  // each a TOML value ("0.5", "\"iid\"", "[64, 64]")
  bool numeric = false;             // every value an integer or a float
  std::string where;                // "file:line" of the list
};

struct SweepSpec {
  std::vector<SweepAxis> grid, zip;
  int parallel = 0;  // 0: chosen by the runner
  // Every axis, grid first, in file order.
  std::vector<const SweepAxis*> axes() const;
};

// One run of the sweep: its id ("r000", ...) and the value of every axis.
struct SweepPoint {
  std::string id;
  std::vector<std::pair<std::string, std::string>> values;  // (key, TOML value) per axis
  std::vector<std::string> overrides() const;               // "key=value"
};

// Reads [sweep] from a scenario text; throws ScenarioError naming file:line:key for an unknown
// key (with a suggestion), an empty list, zipped lists of different lengths, or a key that cannot
// be swept (run.output). A text without [sweep] is an error too.
SweepSpec read_sweep_spec(const std::string& text, const std::string& path);

// Every point, grid-major (the last grid axis varies fastest), zipped axes innermost.
std::vector<SweepPoint> expand_sweep(const SweepSpec& spec);

// The scenario of every point, each fully validated (parse_scenario with the point's overrides
// after `overrides`); the first invalid point throws ScenarioError naming it and its values.
std::vector<Scenario> sweep_scenarios(const std::string& text, const std::string& path,
                                      const std::vector<std::string>& overrides,
                                      const std::vector<SweepPoint>& points);

}  // namespace fedsim
