// `fedsim export FILE --csv DIR` end to end: a run file written by the real binary (FEDSIM_BIN)
// exported and read back (every /rounds and /eval column exactly, the model's float32 weights, the
// scenario text through attributes.csv), RFC 4180 quoting of awkward strings, a hand-made
// sweep-shaped file (summary, values, frontier, runs), refusing to overwrite without --force, and
// the exit codes for bad input and I/O failures.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "shell_command.h"
#include "sim/results/h5_file.h"
#include "sim/results/results_writer.h"

namespace fs = std::filesystem;
using namespace fedsim;

namespace {

const std::string kTiny = std::string(FEDSIM_TEST_DATA) + "/scenarios/tiny.toml";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

CommandResult run_cmd(const std::string& args) {
  return run_shell(std::string(FEDSIM_BIN) + " " + args + " 2>&1");
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

using Rows = std::vector<std::vector<std::string>>;

// A strict RFC 4180 reader (LF or CRLF line ends, quoted fields with doubled quotes and line
// breaks); fails the test on malformed input.
Rows parse_csv(const std::string& text) {
  Rows rows;
  std::vector<std::string> row;
  std::string field;
  size_t i = 0;
  bool row_open = false;
  while (i < text.size()) {
    row_open = true;
    if (text[i] == '"') {
      ++i;
      while (true) {
        if (i >= text.size()) {
          ADD_FAILURE() << "unterminated quoted field";
          return rows;
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        if (text[i] == '"') ADD_FAILURE() << "quote inside an unquoted field";
        field += text[i++];
      }
    }
    row.push_back(std::move(field));
    field.clear();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < text.size() && text[i] == '\r') ++i;
    if (i < text.size() && text[i] == '\n') ++i;
    rows.push_back(std::move(row));
    row.clear();
    row_open = false;
  }
  if (row_open) rows.push_back(std::move(row));
  return rows;
}

// A CSV as columns by header name; every row must have the header's width.
std::map<std::string, std::vector<std::string>> columns(const fs::path& p) {
  std::map<std::string, std::vector<std::string>> cols;
  const Rows rows = parse_csv(slurp(p));
  if (rows.empty()) {
    ADD_FAILURE() << p << " is empty";
    return cols;
  }
  for (size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].size(), rows[0].size()) << p << " row " << r;
    for (size_t c = 0; c < rows[0].size() && c < rows[r].size(); ++c)
      cols[rows[0][c]].push_back(rows[r][c]);
  }
  for (const auto& h : rows[0]) cols.try_emplace(h);  // header-only tables
  return cols;
}

double to_double(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  EXPECT_TRUE(!s.empty() && *end == '\0') << "not a number: '" << s << "'";
  return v;
}

// Exactly the same value (NaN matches NaN, -0 only -0).
bool same(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

template <typename Row, typename F>
void expect_column(const std::map<std::string, std::vector<std::string>>& cols,
                   const std::string& name, const std::vector<Row>& rows, F field) {
  ASSERT_TRUE(cols.count(name)) << "no column " << name;
  const auto& c = cols.at(name);
  ASSERT_EQ(c.size(), rows.size()) << name;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double want = static_cast<double>(field(rows[i]));
    EXPECT_TRUE(same(to_double(c[i]), want))
        << name << "[" << i << "]: '" << c[i] << "' vs " << want;
  }
}

// attributes.csv as (path, name) -> value.
std::map<std::pair<std::string, std::string>, std::string> attributes(const fs::path& dir) {
  std::map<std::pair<std::string, std::string>, std::string> out;
  const Rows rows = parse_csv(slurp(dir / "attributes.csv"));
  EXPECT_FALSE(rows.empty());
  if (rows.empty()) return out;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"path", "name", "value"}));
  for (size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].size(), 3u) << "attributes.csv row " << r;
    if (rows[r].size() == 3) out[{rows[r][0], rows[r][1]}] = rows[r][2];
  }
  return out;
}

class Export : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fedsim-export-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

}  // namespace

TEST_F(Export, RunFileRoundTripsExactly) {
  const std::string h5 = path("run.h5"), out = path("csv");
  CommandResult c = run_cmd("run " + kTiny + " --quiet --backend cpu --output " + h5);
  ASSERT_EQ(c.code, 0) << c.out;
  c = run_cmd("export " + h5 + " --csv " + out);
  ASSERT_EQ(c.code, 0) << c.out;
  const RunResult r = read_results(h5);
  ASSERT_EQ(r.rounds.size(), 4u);

  const auto rounds = columns(fs::path(out) / "rounds.csv");
  EXPECT_GE(rounds.size(), 12u);  // every /rounds column (checked one by one below)
  expect_column(rounds, "round", r.rounds, [](auto& x) { return x.round; });
  expect_column(rounds, "train_loss", r.rounds, [](auto& x) { return x.train_loss; });
  expect_column(rounds, "update_norm", r.rounds, [](auto& x) { return x.update_norm; });
  expect_column(rounds, "mean_client_update_norm", r.rounds,
                [](auto& x) { return x.mean_client_update_norm; });
  expect_column(rounds, "epsilon", r.rounds, [](auto& x) { return x.epsilon; });
  expect_column(rounds, "epsilon_rdp", r.rounds, [](auto& x) { return x.epsilon_rdp; });
  expect_column(rounds, "epsilon_pld", r.rounds, [](auto& x) { return x.epsilon_pld; });
  expect_column(rounds, "clip_fraction", r.rounds, [](auto& x) { return x.clip_fraction; });
  expect_column(rounds, "clip_norm", r.rounds, [](auto& x) { return x.clip_norm; });
  expect_column(rounds, "wall_time_s", r.rounds, [](auto& x) { return x.wall_time_s; });
  expect_column(rounds, "clients_sampled", r.rounds, [](auto& x) { return x.clients_sampled; });
  expect_column(rounds, "clients_dropped", r.rounds, [](auto& x) { return x.clients_dropped; });
  EXPECT_EQ(rounds.at("epsilon")[0], "nan");  // no privacy: NaN written as nan
  // key column first
  EXPECT_EQ(slurp(fs::path(out) / "rounds.csv").rfind("round,", 0), 0u);

  const auto eval = columns(fs::path(out) / "eval.csv");
  expect_column(eval, "round", r.evals, [](auto& x) { return x.round; });
  expect_column(eval, "accuracy", r.evals, [](auto& x) { return x.accuracy; });
  expect_column(eval, "loss", r.evals, [](auto& x) { return x.loss; });
  expect_column(eval, "auc", r.evals, [](auto& x) { return x.auc; });

  // float32 weights round-trip as float32; the layer table is the /model table
  const auto weights = columns(fs::path(out) / "model__weights.csv");
  ASSERT_EQ(weights.at("weights").size(), r.weights.size());
  for (size_t i = 0; i < r.weights.size(); ++i)
    ASSERT_EQ(std::strtof(weights.at("weights")[i].c_str(), nullptr), r.weights[i]) << i;
  const auto model = columns(fs::path(out) / "model.csv");
  EXPECT_EQ(model.at("layer_names"), (std::vector<std::string>{"dense0", "dense1"}));

  // 2-D label counts: [clients, classes] as c0, c1
  const auto labels = columns(fs::path(out) / "clients__label_counts.csv");
  ASSERT_EQ(labels.size(), size_t(r.clients.classes));
  ASSERT_EQ(labels.at("c1").size(), r.clients.num_samples.size());
  for (size_t i = 0; i < r.clients.num_samples.size(); ++i) {
    EXPECT_EQ(std::stoll(labels.at("c0")[i]) + std::stoll(labels.at("c1")[i]),
              r.clients.num_samples[i]);
    EXPECT_EQ(std::stoll(labels.at("c1")[i]), r.clients.label_counts[i * 2 + 1]);
  }
  const auto clients = columns(fs::path(out) / "clients.csv");
  EXPECT_EQ(clients.at("num_samples").size(), r.clients.num_samples.size());

  // scalar datasets and attributes: multi-line strings survive the quoting
  const auto attrs = attributes(out);
  EXPECT_EQ(attrs.at({"/", "status"}), "complete");
  EXPECT_EQ(std::stoull(attrs.at({"/", "seed"})), r.seed);
  EXPECT_TRUE(same(to_double(attrs.at({"/", "wall_time_s"})), r.wall_time_s));
  EXPECT_EQ(attrs.at({"/scenario", "text"}), r.scenario_text);
  EXPECT_EQ(attrs.at({"/scenario", "resolved"}), r.scenario_resolved);
  EXPECT_EQ(attrs.at({"/privacy", "mode"}), "none");
  EXPECT_EQ(std::stoi(attrs.at({"/clients", "classes"})), r.clients.classes);
  // no temporary files left behind
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_EQ(e.path().extension(), ".csv") << e.path();
}

TEST_F(Export, StringsAreQuotedPerRfc4180) {
  const std::string h5 = path("strings.h5"), out = path("csv");
  const std::vector<std::string> names = {"plain", "a,b", "say \"hi\"", "two\nlines", "", "x\r\ny"};
  h5::write_atomically(h5, false, [&](hid_t root) {
    h5::write_string_attr(root, "note", "comma, \"quoted\"");
    h5::Group g = h5::create_group(root, "table");
    h5::write_strings(g.id(), "name", names);
    h5::write_vector<double>(g.id(), "value", {0.1, -0.0, kNaN, 1e300, -INFINITY, 1.0 / 3});
    h5::write_vector<uint64_t>(g.id(), "big",
                               {0, 1, 2, 3, 4, std::numeric_limits<uint64_t>::max()});
    h5::write_vector<int8_t>(g.id(), "small", {-128, -1, 0, 1, 2, 127});
  });
  const CommandResult c = run_cmd("export " + h5 + " --csv " + out);
  ASSERT_EQ(c.code, 0) << c.out;
  const std::string text = slurp(fs::path(out) / "table.csv");
  EXPECT_EQ(text,
            "big,name,small,value\n"
            "0,plain,-128,0.1\n"
            "1,\"a,b\",-1,-0\n"
            "2,\"say \"\"hi\"\"\",0,nan\n"
            "3,\"two\nlines\",1,1e+300\n"
            "4,,2,-inf\n"
            "18446744073709551615,\"x\r\ny\",127,0.3333333333333333\n");
  const auto cols = columns(fs::path(out) / "table.csv");
  EXPECT_EQ(cols.at("name"), names);
  const std::vector<double> want = {0.1, -0.0, kNaN, 1e300, -INFINITY, 1.0 / 3};
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_TRUE(same(to_double(cols.at("value")[i]), want[i]));
  EXPECT_EQ(attributes(out).at({"/", "note"}), "comma, \"quoted\"");
}

TEST_F(Export, SweepFileExportsSummaryValuesFrontierAndRuns) {
  const std::string h5 = path("sweep.h5"), out = path("csv");
  h5::write_atomically(h5, false, [&](hid_t root) {
    h5::write_attr<int32_t>(root, "format_version", 1);
    h5::write_string_attr(root, "kind", "sweep");
    h5::Group s = h5::create_group(root, "summary");
    h5::write_strings(s.id(), "run_id", {"z0.5-s1", "z0.5-s2", "z1-s1", "z1-s2"});
    h5::write_strings(s.id(), "status", {"complete", "complete", "complete", "failed"});
    h5::write_vector<double>(s.id(), "final_accuracy", {0.61, 0.63, 0.7, kNaN});
    h5::write_vector<double>(s.id(), "final_auc", {0.66, 0.67, 0.75, kNaN});
    h5::write_vector<double>(s.id(), "epsilon", {8.5, 8.5, 2.25, kNaN});
    h5::write_vector<double>(s.id(), "wall_time_s", {1.5, 1.25, 1.0, 0.125});
    h5::write_vector<int32_t>(s.id(), "rounds_done", {10, 10, 10, 3});
    h5::Group sv = h5::create_group(s.id(), "values");
    h5::write_vector<double>(sv.id(), "privacy.noise_multiplier", {0.5, 0.5, 1.0, 1.0});
    h5::write_vector<double>(sv.id(), "run.seed", {1, 2, 1, 2});
    h5::write_strings(sv.id(), "partition.scheme", {"iid", "iid", "iid", "iid"});
    h5::Group f = h5::create_group(root, "frontier");
    h5::write_vector<double>(f.id(), "epsilon_mean", {8.5, 2.25});
    h5::write_vector<double>(f.id(), "accuracy_mean", {0.62, 0.7});
    h5::write_vector<double>(f.id(), "accuracy_std", {0.01, 0.0});
    h5::write_vector<double>(f.id(), "accuracy_min", {0.61, 0.7});
    h5::write_vector<double>(f.id(), "accuracy_max", {0.63, 0.7});
    h5::write_vector<int32_t>(f.id(), "count", {2, 1});
    h5::Group fv = h5::create_group(f.id(), "values");
    h5::write_vector<double>(fv.id(), "privacy.noise_multiplier", {0.5, 1.0});
    h5::write_strings(fv.id(), "partition.scheme", {"iid", "iid"});
    h5::Group runs = h5::create_group(root, "runs");
    h5::Group r0 = h5::create_group(runs.id(), "z0.5-s1");
    h5::write_string_attr(r0.id(), "status", "complete");
    h5::Group rounds = h5::create_group(r0.id(), "rounds");
    h5::write_vector<int32_t>(rounds.id(), "round", {1, 2});
    h5::write_vector<double>(rounds.id(), "epsilon", {4.0, 8.5});
  });
  const CommandResult c = run_cmd("export " + h5 + " --csv " + out);
  ASSERT_EQ(c.code, 0) << c.out;
  const fs::path o(out);

  EXPECT_EQ(slurp(o / "summary.csv"),
            "run_id,epsilon,final_accuracy,final_auc,rounds_done,status,wall_time_s\n"
            "z0.5-s1,8.5,0.61,0.66,10,complete,1.5\n"
            "z0.5-s2,8.5,0.63,0.67,10,complete,1.25\n"
            "z1-s1,2.25,0.7,0.75,10,complete,1\n"
            "z1-s2,nan,nan,nan,3,failed,0.125\n");
  EXPECT_EQ(slurp(o / "summary__values.csv"),
            "partition.scheme,privacy.noise_multiplier,run.seed\n"
            "iid,0.5,1\niid,0.5,2\niid,1,1\niid,1,2\n");
  const auto frontier = columns(o / "frontier.csv");
  EXPECT_EQ(frontier.size(), 6u);
  EXPECT_EQ(frontier.at("epsilon_mean"), (std::vector<std::string>{"8.5", "2.25"}));
  EXPECT_EQ(frontier.at("count"), (std::vector<std::string>{"2", "1"}));
  EXPECT_EQ(slurp(o / "frontier__values.csv"),
            "partition.scheme,privacy.noise_multiplier\niid,0.5\niid,1\n");
  EXPECT_EQ(slurp(o / "runs__z0.5-s1__rounds.csv"), "round,epsilon\n1,4\n2,8.5\n");
  const auto attrs = attributes(out);
  EXPECT_EQ(attrs.at({"/", "kind"}), "sweep");
  EXPECT_EQ(attrs.at({"/runs/z0.5-s1", "status"}), "complete");
}

TEST_F(Export, ExistingCsvFilesAreNotOverwrittenWithoutForce) {
  const std::string h5 = path("t.h5"), out = path("csv");
  h5::write_atomically(h5, false, [&](hid_t root) {
    h5::Group g = h5::create_group(root, "rounds");
    h5::write_vector<int32_t>(g.id(), "round", {1, 2, 3});
  });
  CommandResult c = run_cmd("export " + h5 + " --csv " + out);
  ASSERT_EQ(c.code, 0) << c.out;
  const fs::path rounds = fs::path(out) / "rounds.csv";
  std::ofstream(rounds) << "precious";
  fs::remove(fs::path(out) / "attributes.csv");  // nothing is written when any file exists
  c = run_cmd("export " + h5 + " --csv " + out);
  EXPECT_EQ(c.code, 2) << c.out;
  EXPECT_NE(c.out.find(rounds.string() + " exists"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("--force"), std::string::npos) << c.out;
  EXPECT_EQ(slurp(rounds), "precious");
  EXPECT_FALSE(fs::exists(fs::path(out) / "attributes.csv"));
  c = run_cmd("export " + h5 + " --csv " + out + " --force");
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_EQ(slurp(rounds), "round\n1\n2\n3\n");
  EXPECT_EQ(slurp(fs::path(out) / "attributes.csv"), "path,name,value\n");
}

TEST_F(Export, BadInputExits2AndIoFailureExits1NamingTheFile) {
  CommandResult c = run_cmd("export " + path("missing.h5") + " --csv " + path("csv"));
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find(path("missing.h5")), std::string::npos) << c.out;
  std::ofstream(path("not.h5")) << "not an HDF5 file";
  c = run_cmd("export " + path("not.h5") + " --csv " + path("csv"));
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find(path("not.h5")), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(path("csv")));

  const std::string h5 = path("t.h5");
  h5::write_atomically(h5, false, [&](hid_t root) {
    h5::Group g = h5::create_group(root, "a");
    h5::write_vector<int32_t>(g.id(), "x", {1});
  });
  c = run_cmd("export " + h5 + " --csv " + path("not.h5"));  // a file, not a directory
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("not a directory"), std::string::npos) << c.out;
  c = run_cmd("export " + h5 + " --csv /proc/self/fedsim-export-test");  // cannot be created
  EXPECT_EQ(c.code, 1) << c.out;
  EXPECT_NE(c.out.find("/proc/self/fedsim-export-test"), std::string::npos) << c.out;
  c = run_cmd("export " + h5);  // --csv is required
  EXPECT_EQ(c.code, 2) << c.out;
}
