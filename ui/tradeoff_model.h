// The Trade-off panel's model, without a window: which points it draws and which are on the
// Pareto frontier.
//
// Runs whose resolved scenarios differ only in run.seed (run.name and run.output always differ)
// form one group: its point is the mean final accuracy at the mean final epsilon, with the
// smallest and largest accuracy as error bars (as /frontier of a sweep file, sweep_frontier). A run
// that did not complete is never grouped with others (its accuracy is not comparable). The Pareto
// frontier is taken over the groups' means. A group of one run is a plain point.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "ui/run_manager.h"

namespace fedsim::ui {

// One finished run as the trade-off chart sees it.
struct TradeoffRun {
  int id = 0;
  std::string scenario_resolved;
  double epsilon = std::numeric_limits<double>::quiet_NaN();   // final, headline accountant
  double accuracy = std::numeric_limits<double>::quiet_NaN();  // last evaluation
  bool complete = true;                                        // status Complete
};

struct TradeoffGroup {
  std::vector<std::size_t> members;  // indices into the input runs, in input order
  std::vector<int> ids;              // the members' run ids
  std::vector<std::string> seeds;    // the members' run.seed values
  double epsilon = 0.0, epsilon_min = 0.0, epsilon_max = 0.0;
  double accuracy = 0.0, accuracy_min = 0.0, accuracy_max = 0.0;
  std::size_t count() const { return members.size(); }
};

struct TradeoffModel {
  std::vector<TradeoffGroup> groups;  // in order of each group's first run
  std::vector<std::size_t> frontier;  // indices into groups, epsilon ascending
};

// The resolved scenario without run.seed, run.name and run.output, one "key = value" per line:
// equal for runs of one group.
std::string seed_group_key(const std::string& resolved);

// Groups `runs` over seeds and takes the frontier; runs without a finite epsilon or without an
// accuracy are left out.
TradeoffModel tradeoff_model(const std::vector<TradeoffRun>& runs);

// A snapshot as a trade-off run; nullopt while it is not finished, or without a finite epsilon
// (no privacy) or an evaluation.
std::optional<TradeoffRun> tradeoff_run(const RunSnapshot& s);

}  // namespace fedsim::ui
