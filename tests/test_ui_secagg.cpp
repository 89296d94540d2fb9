// The SecAgg tab's data without a window: per-round series, totals and summary of /secagg records
// (secagg_view), the per-run cache that fetches each finished run's records once, and the records
// of a run file opened in the dashboard (load_result_file) reaching the view.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/results/results_writer.h"
#include "sim/scenario.h"
#include "ui/result_files.h"
#include "ui/secagg_view.h"

using namespace fedsim;
using namespace fedsim::ui;

namespace {

// A round of 100 sampled clients with `d0`, `d1`, `d2` dropouts at the three stages.
SecAggRecord record(int round, int d0, int d1, int d2, bool aborted = false) {
  SecAggRecord r;
  r.round = round;
  r.aborted = aborted;
  r.dropped_before_masking = d0;
  r.dropped_after_masking = d1;
  r.dropped_before_unmasking = d2;
  r.included = aborted ? 0 : 100 - d0 - d1;  // a client dropping before unmasking is included
  r.verified = !aborted;
  r.threshold = 10;
  r.neighbours = 20;
  r.wraparounds = round;
  r.quantisation_mse = 1e-6 * round;
  r.client_bytes_sent = {64.0, 2000.0 + round, 400000.0, 1000.0};
  r.client_bytes_received = {1280.0, 1900.0, 0.0, 8.0 * round};
  r.prg_words = 1e6 * round;
  r.shamir_reconstructions = 10 * round;
  r.client_seconds = 0.5;
  r.server_seconds = 0.25 * round;
  return r;
}

}  // namespace

TEST(UiSecAgg, EmptyRecordsGiveAnEmptyView) {
  const SecAggView v = secagg_view({});
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.summary, "no secure aggregation");
  EXPECT_TRUE(v.series.round.empty());
  EXPECT_FALSE(v.totals.all_verified);
  EXPECT_EQ(v.totals.mean_survivors, 0.0);
}

TEST(UiSecAgg, SeriesFollowTheRecordsRoundByRound) {
  const SecAggView v = secagg_view({record(1, 3, 4, 2), record(2, 0, 1, 5), record(3, 2, 2, 2)});
  const SecAggSeries& s = v.series;
  EXPECT_EQ(s.round, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(s.dropouts[0], (std::vector<double>{3, 0, 2}));
  EXPECT_EQ(s.dropouts[1], (std::vector<double>{4, 1, 2}));
  EXPECT_EQ(s.dropouts[2], (std::vector<double>{2, 5, 2}));
  EXPECT_EQ(s.bytes_sent[0], (std::vector<double>{64, 64, 64}));
  EXPECT_EQ(s.bytes_sent[1], (std::vector<double>{2001, 2002, 2003}));
  EXPECT_EQ(s.bytes_sent[2], (std::vector<double>{400000, 400000, 400000}));
  EXPECT_EQ(s.bytes_received[2], (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(s.bytes_received[3], (std::vector<double>{8, 16, 24}));
  EXPECT_EQ(s.included, (std::vector<double>{93, 99, 96}));
  EXPECT_EQ(s.prg_words, (std::vector<double>{1e6, 2e6, 3e6}));
  EXPECT_EQ(s.shamir_reconstructions, (std::vector<double>{10, 20, 30}));
  EXPECT_EQ(s.server_seconds, (std::vector<double>{0.25, 0.5, 0.75}));
  EXPECT_EQ(s.client_seconds, (std::vector<double>{0.5, 0.5, 0.5}));
  EXPECT_TRUE(s.aborted_rounds.empty());
}

TEST(UiSecAgg, TotalsSumCountAndAverage) {
  const SecAggView v = secagg_view({record(1, 3, 4, 2), record(2, 0, 1, 5), record(3, 2, 2, 2)});
  const SecAggTotals& t = v.totals;
  EXPECT_EQ(t.rounds, 3);
  EXPECT_EQ(t.verified, 3);
  EXPECT_EQ(t.aborted, 0);
  EXPECT_TRUE(t.all_verified);
  EXPECT_DOUBLE_EQ(t.mean_survivors, (93.0 + 99.0 + 96.0) / 3);
  EXPECT_EQ(t.dropouts, (std::array<int64_t, 3>{5, 7, 9}));
  EXPECT_DOUBLE_EQ(t.bytes_sent[1], 2002.0);      // mean over rounds
  EXPECT_DOUBLE_EQ(t.bytes_received[3], 16.0);    // (8 + 16 + 24) / 3
  EXPECT_DOUBLE_EQ(t.bytes_received[0], 1280.0);  // constant
  EXPECT_DOUBLE_EQ(t.prg_words, 6e6);
  EXPECT_EQ(t.shamir_reconstructions, 60);
  EXPECT_DOUBLE_EQ(t.server_seconds, 1.5);
  EXPECT_DOUBLE_EQ(t.client_seconds, 1.5);
  EXPECT_EQ(t.wraparounds, 6);
  EXPECT_DOUBLE_EQ(t.max_quantisation_mse, 3e-6);
  EXPECT_EQ(v.summary, "3 rounds: 3 verified, 0 aborted, 96.0 survivors per round");
}

TEST(UiSecAgg, AbortedRoundsAreMarkedAndLeftOutOfSurvivorsAndVerification) {
  const SecAggView v =
      secagg_view({record(1, 1, 1, 1), record(2, 60, 0, 0, /*aborted=*/true), record(3, 0, 0, 0)});
  EXPECT_EQ(v.series.aborted_rounds, (std::vector<double>{2}));
  EXPECT_EQ(v.series.round.size(), 3u);  // an aborted round still has its point (its dropouts)
  EXPECT_EQ(v.series.dropouts[0][1], 60.0);
  EXPECT_EQ(v.totals.aborted, 1);
  EXPECT_EQ(v.totals.verified, 2);
  EXPECT_TRUE(v.totals.all_verified);  // every round that did not abort
  EXPECT_DOUBLE_EQ(v.totals.mean_survivors, (98.0 + 100.0) / 2);
  EXPECT_EQ(v.summary, "3 rounds: 2 verified, 1 aborted, 99.0 survivors per round");
}

TEST(UiSecAgg, AnUnverifiedRoundOrOnlyAbortedRoundsAreNotAllVerified) {
  std::vector<SecAggRecord> recs = {record(1, 0, 0, 0), record(2, 0, 0, 0)};
  recs[1].verified = false;
  EXPECT_FALSE(secagg_view(recs).totals.all_verified);
  const SecAggView aborted = secagg_view({record(1, 90, 0, 0, true)});
  EXPECT_FALSE(aborted.totals.all_verified);
  EXPECT_EQ(aborted.totals.mean_survivors, 0.0);
  EXPECT_EQ(aborted.summary, "1 round: 0 verified, 1 aborted, 0.0 survivors per round");
}

TEST(UiSecAgg, StageAndMessageNames) {
  EXPECT_STREQ(secagg_stage_name(0), "before masking");
  EXPECT_STREQ(secagg_stage_name(2), "before unmasking");
  EXPECT_STREQ(secagg_stage_name(3), "?");
  EXPECT_STREQ(secagg_message_name(0), "advertise keys");
  EXPECT_STREQ(secagg_message_name(3), "unmasking");
  EXPECT_STREQ(secagg_message_name(-1), "?");
}

TEST(UiSecAgg, CacheFetchesEachRunOnceUntilForgotten) {
  SecAggCache cache;
  int fetches = 0;
  const auto fetch = [&] {
    ++fetches;
    return std::vector<SecAggRecord>{record(1, 1, 2, 3)};
  };
  const SecAggView& a = cache.get(7, fetch);
  const SecAggView& b = cache.get(7, fetch);  // every frame: no copy, no recomputation
  EXPECT_EQ(fetches, 1);
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(a.totals.rounds, 1);
  EXPECT_TRUE(cache.contains(7));

  // A run without secure aggregation is cached too (its empty view).
  EXPECT_TRUE(cache
                  .get(8,
                       [&] {
                         ++fetches;
                         return std::vector<SecAggRecord>{};
                       })
                  .empty());
  EXPECT_EQ(fetches, 2);
  EXPECT_EQ(cache.size(), 2u);
  const SecAggView& c = cache.get(7, fetch);
  EXPECT_EQ(&a, &c);  // adding another run keeps the reference (std::map)
  EXPECT_EQ(fetches, 2);

  cache.forget(7);
  EXPECT_FALSE(cache.contains(7));
  cache.get(7, fetch);
  EXPECT_EQ(fetches, 3);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(UiSecAgg, RunFileOpenedInTheDashboardKeepsItsRecords) {
  RunResult r;
  r.status = RunStatus::Complete;
  r.scenario_resolved =
      resolved_toml(parse_scenario(default_scenario_text(), "<default>", {"run.rounds=2"}));
  for (int i = 1; i <= 2; ++i) {
    RoundRecord rec;
    rec.round = i;
    r.rounds.push_back(rec);
    r.secagg.push_back(record(i, i, 2 * i, 3 * i));
  }
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "fedsim_ui_secagg_test";
  std::filesystem::remove_all(dir);
  const std::string path = (dir / "secagg.h5").string();
  write_results(path, r, /*force=*/true);
  const std::vector<LoadedRun> runs = load_result_file(path, kFirstLoadedId);
  ASSERT_EQ(runs.size(), 1u);
  const SecAggView v = secagg_view(runs[0].result.secagg);
  const SecAggView want = secagg_view(r.secagg);
  EXPECT_EQ(v.series.round, want.series.round);
  EXPECT_EQ(v.series.dropouts, want.series.dropouts);
  EXPECT_EQ(v.series.bytes_sent, want.series.bytes_sent);
  EXPECT_EQ(v.series.bytes_received, want.series.bytes_received);
  EXPECT_EQ(v.series.prg_words, want.series.prg_words);
  EXPECT_EQ(v.series.shamir_reconstructions, want.series.shamir_reconstructions);
  EXPECT_EQ(v.series.server_seconds, want.series.server_seconds);
  EXPECT_EQ(v.summary, want.summary);
  std::filesystem::remove_all(dir);
}
