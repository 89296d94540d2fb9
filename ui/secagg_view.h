// The SecAgg tab's data, without a window: a run's /secagg records (one per round with secure
// aggregation) turned into per-round series for the charts, totals for the table and a summary
// line, and a cache of those views by run id so that a finished run's result is copied and
// summarised once, not every frame.
//
// Only finished runs have their records (RunManager::result for the dashboard's runs,
// LoadedRun::result for runs opened from files): RunSnapshot carries no /secagg, so the tab says
// that the costs are shown when the run has finished.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/results/run_result.h"

namespace fedsim::ui {

// The three stages at which a client may drop: before masking (after advertising its keys), after
// masking (its masked input lost) and before unmasking (no shares sent for unmasking).
constexpr int kSecAggStages = 3;
// The four message rounds of the protocol: advertise keys, share keys, masked input, unmasking.
constexpr int kSecAggMessages = 4;

const char* secagg_stage_name(int stage);      // "before masking", ...; "?" out of range
const char* secagg_message_name(int message);  // "advertise keys", ...; "?" out of range

// Per-round series, one point per record in record order (x: round).
struct SecAggSeries {
  std::vector<double> round;
  std::array<std::vector<double>, kSecAggStages> dropouts;  // clients dropped at each stage
  // mean bytes per client, sent and received, in each message round
  std::array<std::vector<double>, kSecAggMessages> bytes_sent, bytes_received;
  std::vector<double> included;  // clients whose update is in the sum
  std::vector<double> prg_words, shamir_reconstructions, server_seconds, client_seconds;
  std::vector<double> aborted_rounds;  // the rounds that aborted (x of their markers)
};

// Sums and counts over all records.
struct SecAggTotals {
  int rounds = 0, verified = 0, aborted = 0;
  bool all_verified = false;    // every round that did not abort was verified (and one did not)
  double mean_survivors = 0.0;  // mean `included` over the rounds that did not abort
  std::array<int64_t, kSecAggStages> dropouts{};
  // mean over rounds of the mean bytes per client, per message round
  std::array<double, kSecAggMessages> bytes_sent{}, bytes_received{};
  double prg_words = 0.0;
  int64_t shamir_reconstructions = 0;
  double server_seconds = 0.0, client_seconds = 0.0;
  int64_t wraparounds = 0;
  double max_quantisation_mse = 0.0;
};

struct SecAggView {
  SecAggSeries series;
  SecAggTotals totals;
  std::string summary;  // "50 rounds: 50 verified, 0 aborted, 90.2 survivors per round"
  bool empty() const { return totals.rounds == 0; }
};

// The view of `records` (empty records: an empty view, summary "no secure aggregation").
SecAggView secagg_view(const std::vector<SecAggRecord>& records);

// Views by run id, each computed once. Ids are never reused by the dashboard (RunManager counts
// up, loaded runs start at kFirstLoadedId and count up), so an entry stays valid until forgotten.
class SecAggCache {
 public:
  // The view of run `id`: cached, else secagg_view(fetch()) stored and returned. The reference
  // stays valid until forget(id) or clear().
  const SecAggView& get(int id, const std::function<std::vector<SecAggRecord>()>& fetch);
  bool contains(int id) const { return views_.count(id) != 0; }
  void forget(int id) { views_.erase(id); }
  void clear() { views_.clear(); }
  std::size_t size() const { return views_.size(); }

 private:
  std::map<int, SecAggView> views_;
};

}  // namespace fedsim::ui
