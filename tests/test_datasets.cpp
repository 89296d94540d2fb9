// The real data sets converted from Debian's r-cran-modeldata by tools/prepare-datasets.sh (the
// build runs it into <build>/datasets): row and column counts, the bad-loan rate, the 50 natural
// clients of Lending Club (49 states and DC), credit_data's missing-value handling, and the
// loader's view of both. A missing file FAILS the test, naming the command that makes it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/data/csv_loader.h"
#include "sim/scenario.h"

namespace fedsim {
namespace {

const std::string kDir = FEDSIM_DATASETS_DIR;

// The command that makes the files, for failure messages.
std::string prepare_hint() {
  return "missing: run `tools/prepare-datasets.sh " + kDir +
         "` (or build the `datasets` target; needs the Debian package r-cran-modeldata, which "
         "tools/setup.sh installs)";
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// Reads a CSV as written by R's write.csv (quotes only around whole fields, none inside).
Table read_table(const std::string& path) {
  Table t;
  std::ifstream in(path);
  std::string line;
  auto split = [](const std::string& s) {
    std::vector<std::string> out(1);
    for (char c : s) {
      if (c == ',') {
        out.emplace_back();
      } else if (c != '"') {
        out.back() += c;
      }
    }
    return out;
  };
  if (std::getline(in, line)) t.header = split(line);
  while (std::getline(in, line)) t.rows.push_back(split(line));
  return t;
}

int column(const Table& t, const std::string& name) {
  for (size_t j = 0; j < t.header.size(); ++j)
    if (t.header[j] == name) return int(j);
  ADD_FAILURE() << "no column " << name;
  return 0;
}

TEST(Datasets, LendingClubConversion) {
  const std::string path = kDir + "/lending_club.csv";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " " << prepare_hint();
  const Table t = read_table(path);
  // 9,857 loans, 23 columns: 22 predictors and the label (Class -> bad, 1 = bad).
  ASSERT_EQ(t.header.size(), 23u);
  ASSERT_EQ(t.rows.size(), 9857u);
  EXPECT_EQ(t.header.back(), "bad");
  for (const auto& r : t.rows) ASSERT_EQ(r.size(), 23u);
  const int bad = column(t, "bad"), state = column(t, "addr_state");
  std::map<std::string, int> states;
  int bads = 0;
  for (const auto& r : t.rows) {
    ASSERT_TRUE(r[bad] == "0" || r[bad] == "1") << r[bad];
    bads += r[bad] == "1";
    ++states[r[state]];
  }
  EXPECT_EQ(bads, 517);  // 5.2 %
  // 50 natural clients: 49 states and DC (no loan from Iowa).
  EXPECT_EQ(states.size(), 50u);
  EXPECT_TRUE(states.count("DC"));
  EXPECT_FALSE(states.count("IA"));
  EXPECT_EQ(states["CA"], 1324);
  EXPECT_EQ(states["VT"], 16);
  for (const auto& r : t.rows)
    for (const auto& v : r) ASSERT_FALSE(v.empty() || v == "NA") << "a missing value";

  // The loader's view, as scenarios/lending-club.toml reads it.
  DataConfig cfg;
  cfg.source = DataSource::Csv;
  cfg.path = path;
  cfg.label_column = "bad";
  cfg.client_column = "addr_state";
  cfg.key_file = std::string(FEDSIM_TEST_DATA) + "/hmac.key";
  cfg.categorical_columns = {"term", "sub_grade", "verification_status", "emp_length"};
  CsvExtras ex;
  const Dataset ds = load_csv(cfg, &ex);
  EXPECT_EQ(ds.n, 9857);
  EXPECT_EQ(ds.d, 21);  // 23 - label - client
  EXPECT_EQ(ex.clients, 50);
  ASSERT_EQ(ex.categorical.size(), 4u);
  EXPECT_EQ(ex.categorical[0].values.size(), 2u);   // term_36, term_60
  EXPECT_EQ(ex.categorical[1].values.size(), 35u);  // A1 .. G5
  EXPECT_EQ(ex.categorical[2].values.size(), 3u);
  EXPECT_EQ(ex.categorical[3].values.size(), 12u);
  int64_t positives = 0;
  for (int32_t y : ds.y) positives += y;
  EXPECT_EQ(positives, 517);
}

TEST(Datasets, CreditDataConversion) {
  const std::string path = kDir + "/credit_data.csv";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " " << prepare_hint();
  const Table t = read_table(path);
  // 4,454 applicants: 13 predictors, 3 missing-value indicators, the label (Status -> bad).
  ASSERT_EQ(t.rows.size(), 4454u);
  ASSERT_EQ(t.header.size(), 17u);
  EXPECT_EQ(t.header.back(), "bad");
  int bads = 0;
  for (const auto& r : t.rows) bads += r[column(t, "bad")] == "1";
  EXPECT_EQ(bads, 1254);
  // R's NAs: numeric ones are 0 plus an indicator, categorical ones the level "missing".
  const std::map<std::string, int> numeric_na = {{"Income", 381}, {"Assets", 47}, {"Debt", 18}};
  for (const auto& [name, count] : numeric_na) {
    const int ind = column(t, name + "_missing"), val = column(t, name);
    int n = 0;
    for (const auto& r : t.rows) {
      if (r[ind] == "1") {
        ++n;
        EXPECT_EQ(r[val], "0");
      }
    }
    EXPECT_EQ(n, count) << name;
  }
  const std::map<std::string, int> categorical_na = {{"Home", 6}, {"Marital", 1}, {"Job", 2}};
  for (const auto& [name, count] : categorical_na) {
    int n = 0;
    for (const auto& r : t.rows) n += r[column(t, name)] == "missing";
    EXPECT_EQ(n, count) << name;
  }
  for (const auto& r : t.rows)
    for (const auto& v : r) ASSERT_FALSE(v.empty() || v == "NA") << "a missing value";

  DataConfig cfg;
  cfg.source = DataSource::Csv;
  cfg.path = path;
  cfg.label_column = "bad";
  cfg.categorical_columns = {"Home", "Marital", "Records", "Job"};
  const Dataset ds = load_csv(cfg);
  EXPECT_EQ(ds.n, 4454);
  EXPECT_EQ(ds.d, 16);
}

}  // namespace
}  // namespace fedsim
