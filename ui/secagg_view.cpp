// SecAgg tab data: series, totals and summary of a run's /secagg records; the per-run cache.
// See secagg_view.h.
#include "ui/secagg_view.h"

#include <algorithm>
#include <cstdio>

namespace fedsim::ui {

const char* secagg_stage_name(int stage) {
  static const char* const names[kSecAggStages] = {"before masking", "after masking",
                                                   "before unmasking"};
  return stage >= 0 && stage < kSecAggStages ? names[stage] : "?";
}

const char* secagg_message_name(int message) {
  static const char* const names[kSecAggMessages] = {"advertise keys", "share keys", "masked input",
                                                     "unmasking"};
  return message >= 0 && message < kSecAggMessages ? names[message] : "?";
}

SecAggView secagg_view(const std::vector<SecAggRecord>& records) {
  SecAggView v;
  SecAggSeries& s = v.series;
  SecAggTotals& t = v.totals;
  int64_t survivors = 0;
  for (const SecAggRecord& r : records) {
    s.round.push_back(r.round);
    const int drops[kSecAggStages] = {r.dropped_before_masking, r.dropped_after_masking,
                                      r.dropped_before_unmasking};
    for (int k = 0; k < kSecAggStages; ++k) {
      s.dropouts[k].push_back(drops[k]);
      t.dropouts[k] += drops[k];
    }
    for (int m = 0; m < kSecAggMessages; ++m) {
      s.bytes_sent[m].push_back(r.client_bytes_sent[m]);
      s.bytes_received[m].push_back(r.client_bytes_received[m]);
      t.bytes_sent[m] += r.client_bytes_sent[m];
      t.bytes_received[m] += r.client_bytes_received[m];
    }
    s.included.push_back(r.included);
    s.prg_words.push_back(r.prg_words);
    s.shamir_reconstructions.push_back(double(r.shamir_reconstructions));
    s.server_seconds.push_back(r.server_seconds);
    s.client_seconds.push_back(r.client_seconds);
    if (r.aborted) {
      s.aborted_rounds.push_back(r.round);
      ++t.aborted;
    } else {
      survivors += r.included;
      t.verified += r.verified;
    }
    t.prg_words += r.prg_words;
    t.shamir_reconstructions += r.shamir_reconstructions;
    t.server_seconds += r.server_seconds;
    t.client_seconds += r.client_seconds;
    t.wraparounds += r.wraparounds;
    t.max_quantisation_mse = std::max(t.max_quantisation_mse, r.quantisation_mse);
  }
  t.rounds = int(records.size());
  const int completed = t.rounds - t.aborted;
  t.all_verified = completed > 0 && t.verified == completed;
  t.mean_survivors = completed > 0 ? double(survivors) / completed : 0.0;
  for (int m = 0; m < kSecAggMessages && t.rounds > 0; ++m) {
    t.bytes_sent[m] /= t.rounds;
    t.bytes_received[m] /= t.rounds;
  }

  if (t.rounds == 0) {
    v.summary = "no secure aggregation";
  } else {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%d round%s: %d verified, %d aborted, %.1f survivors per round",
                  t.rounds, t.rounds == 1 ? "" : "s", t.verified, t.aborted, t.mean_survivors);
    v.summary = buf;
  }
  return v;
}

const SecAggView& SecAggCache::get(int id,
                                   const std::function<std::vector<SecAggRecord>()>& fetch) {
  auto it = views_.find(id);
  if (it == views_.end()) it = views_.emplace(id, secagg_view(fetch())).first;
  return it->second;
}

}  // namespace fedsim::ui
