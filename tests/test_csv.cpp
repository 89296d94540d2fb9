// CSV loader and pseudonymisation: values, label remapping, HMAC-derived client ids (raw ids never
// stored), RFC 4231 vectors and the error messages a user sees.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "sim/data/csv_loader.h"
#include "sim/data/pseudonymize.h"

namespace fedsim {
namespace {

const std::string kData = FEDSIM_TEST_DATA;

DataConfig shops_config() {
  DataConfig cfg;
  cfg.source = DataSource::Csv;
  cfg.path = kData + "/shops.csv";
  cfg.label_column = "label";
  cfg.client_column = "shop";
  cfg.id_columns = {"session_id"};
  cfg.key_file = kData + "/hmac.key";
  return cfg;
}

// Writes `text` to a fresh file in the test temp dir and returns its path.
std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/fedsim_csv_" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The message of the runtime_error that load_csv throws (fails the test if none).
std::string load_error(const DataConfig& cfg) {
  try {
    load_csv(cfg);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "load_csv did not throw for " << cfg.path;
  return {};
}

TEST(Hmac, Rfc4231TestCase1) {
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Hmac, Rfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, Rfc4231TestCase6LongKey) {
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'),
                            "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, KeyFile) {
  EXPECT_EQ(read_key_file(kData + "/hmac.key"), "fedsim-test-hmac-key-0123456789");
  const std::string empty = write_temp("empty.key", "");
  EXPECT_THROW(read_key_file(empty), std::runtime_error);
  EXPECT_THROW(read_key_file(kData + "/no-such.key"), std::runtime_error);
  EXPECT_THROW(read_key_file(""), std::runtime_error);
}

TEST(Hmac, DenseIdsFollowDigestOrder) {
  const std::vector<Digest> d = {hmac_sha256("k", "b"), hmac_sha256("k", "a"),
                                 hmac_sha256("k", "b"), hmac_sha256("k", "c")};
  int64_t distinct = 0;
  const auto ids = dense_ids_by_digest(d, &distinct);
  EXPECT_EQ(distinct, 3);
  EXPECT_EQ(ids[0], ids[2]);
  for (size_t i = 0; i < d.size(); ++i)
    for (size_t j = 0; j < d.size(); ++j) EXPECT_EQ(ids[i] < ids[j], d[i] < d[j]);
}

TEST(Csv, LoadsValuesAndRemapsLabels) {
  CsvExtras ex;
  const Dataset ds = load_csv(shops_config(), &ex);
  EXPECT_EQ(ds.n, 10);
  EXPECT_EQ(ds.d, 4);
  EXPECT_EQ(ds.feature_names, (std::vector<std::string>{"price", "hour", "mobile", "basket"}));
  ASSERT_EQ(ds.x.size(), 40u);
  EXPECT_FLOAT_EQ(ds.x[0], 12.5f);
  EXPECT_FLOAT_EQ(ds.x[1], 20.f);
  EXPECT_FLOAT_EQ(ds.x[3 * 4 + 0], -15.f);  // "-1.5e1"
  EXPECT_FLOAT_EQ(ds.x[9 * 4 + 3], 6.f);
  // Labels 3, 7, 10 -> 0, 1, 2.
  EXPECT_EQ(ds.classes, 3);
  EXPECT_EQ(ex.label_values, (std::vector<int64_t>{3, 7, 10}));
  EXPECT_EQ(ds.y, (std::vector<int32_t>{1, 0, 1, 2, 0, 1, 2, 0, 1, 2}));
}

TEST(Csv, ClientsArePseudonymisedByDigestOrder) {
  const DataConfig cfg = shops_config();
  CsvExtras ex;
  const Dataset ds = load_csv(cfg, &ex);
  ASSERT_EQ(ds.group.size(), 10u);
  EXPECT_EQ(ex.clients, 3);
  // Expected ids: rank of each shop's HMAC digest among the three.
  const std::string key = read_key_file(cfg.key_file);
  std::map<std::string, std::string> digest;
  for (const char* shop : {"shop-zeta", "shop-alpha", "shop-mid"})
    digest[shop] = hmac_sha256_hex(key, shop);
  std::vector<std::string> sorted;
  for (const auto& [shop, dg] : digest) sorted.push_back(dg);
  std::sort(sorted.begin(), sorted.end());
  auto id_of = [&](const std::string& shop) {
    return int32_t(std::find(sorted.begin(), sorted.end(), digest[shop]) - sorted.begin());
  };
  const std::vector<std::string> rows = {"shop-zeta", "shop-zeta", "shop-alpha", "shop-alpha",
                                         "shop-mid",  "shop-zeta", "shop-mid",   "shop-alpha",
                                         "shop-mid",  "shop-zeta"};
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(ds.group[i], id_of(rows[i])) << "row " << i;
  // id column: one distinct pseudonym per session.
  ASSERT_EQ(ex.ids.size(), 1u);
  EXPECT_EQ(std::set<int32_t>(ex.ids[0].begin(), ex.ids[0].end()).size(), 10u);
}

TEST(Csv, RawIdsAreNotStored) {
  CsvExtras ex;
  const Dataset ds = load_csv(shops_config(), &ex);
  for (const auto& name : ds.feature_names) {
    EXPECT_EQ(name.find("shop"), std::string::npos) << name;
    EXPECT_EQ(name.find("session"), std::string::npos) << name;
  }
  // The only per-row data besides features and labels are dense integers < #distinct.
  for (int32_t g : ds.group) EXPECT_TRUE(g >= 0 && g < 3);
  EXPECT_EQ(ds.x.size(), size_t(ds.n) * 4);
}

TEST(Csv, AnotherKeyKeepsTheGroupingNotTheIds) {
  DataConfig cfg = shops_config();
  const Dataset a = load_csv(cfg);
  cfg.key_file = write_temp("other.key", "another key");
  const Dataset b = load_csv(cfg);
  for (int64_t i = 0; i < a.n; ++i)
    for (int64_t j = 0; j < a.n; ++j) EXPECT_EQ(a.group[i] == a.group[j], b.group[i] == b.group[j]);
}

TEST(Csv, ExplicitFeatureColumnsAndNoClient) {
  DataConfig cfg = shops_config();
  cfg.client_column.clear();
  cfg.id_columns.clear();
  cfg.key_file.clear();  // no identifiers read: no key needed
  cfg.feature_columns = {"basket", "price"};
  const Dataset ds = load_csv(cfg);
  EXPECT_EQ(ds.d, 2);
  EXPECT_TRUE(ds.group.empty());
  EXPECT_FLOAT_EQ(ds.x[0], 2.f);
  EXPECT_FLOAT_EQ(ds.x[1], 12.5f);
}

TEST(CsvErrors, NonNumericValueNamesFileLineAndColumn) {
  DataConfig cfg = shops_config();
  cfg.path = write_temp("bad_value.csv",
                        "session_id,shop,price,label\ns1,a,1.5,0\ns2,b,cheap,1\ns3,a,2,1\n");
  const std::string msg = load_error(cfg);
  EXPECT_NE(msg.find(cfg.path + ":3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'price'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("non-numeric"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'cheap'"), std::string::npos) << msg;
}

TEST(CsvErrors, MissingValue) {
  DataConfig cfg = shops_config();
  for (const char* missing : {"", "NA", "NaN"}) {
    cfg.path = write_temp("missing.csv", std::string("session_id,shop,price,label\ns1,a,1,0\n") +
                                             "s2,b," + missing + ",1\n");
    const std::string msg = load_error(cfg);
    EXPECT_NE(msg.find(cfg.path + ":3:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'price'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing value"), std::string::npos) << msg;
  }
}

TEST(CsvErrors, MissingColumns) {
  DataConfig cfg = shops_config();
  cfg.label_column = "purchased";
  std::string msg = load_error(cfg);
  EXPECT_NE(msg.find(cfg.path + ":1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("label column 'purchased' not found"), std::string::npos) << msg;

  cfg = shops_config();
  cfg.label_column.clear();
  msg = load_error(cfg);
  EXPECT_NE(msg.find("label_column"), std::string::npos) << msg;

  cfg = shops_config();
  cfg.feature_columns = {"price", "weight"};
  msg = load_error(cfg);
  EXPECT_NE(msg.find("feature column 'weight' not found"), std::string::npos) << msg;

  cfg = shops_config();
  cfg.client_column = "store";
  msg = load_error(cfg);
  EXPECT_NE(msg.find("client column 'store' not found"), std::string::npos) << msg;
}

TEST(CsvErrors, OtherProblems) {
  DataConfig cfg = shops_config();
  cfg.key_file.clear();
  EXPECT_NE(load_error(cfg).find("key_file"), std::string::npos);

  cfg = shops_config();
  cfg.path = write_temp("ragged.csv", "session_id,shop,price,label\ns1,a,1,0\ns2,b,2\n");
  std::string msg = load_error(cfg);
  EXPECT_NE(msg.find(":3: expected 4 fields, got 3"), std::string::npos) << msg;

  cfg.path = write_temp("badlabel.csv", "session_id,shop,price,label\ns1,a,1,0\ns2,b,2,yes\n");
  msg = load_error(cfg);
  EXPECT_NE(msg.find(":3: label column 'label'"), std::string::npos) << msg;

  cfg.path = write_temp("oneclass.csv", "session_id,shop,price,label\ns1,a,1,4\ns2,b,2,4\n");
  EXPECT_NE(load_error(cfg).find("single class"), std::string::npos);

  cfg.path = write_temp("header_only.csv", "session_id,shop,price,label\n");
  EXPECT_NE(load_error(cfg).find("no data rows"), std::string::npos);

  cfg.path = kData + "/does-not-exist.csv";
  EXPECT_NE(load_error(cfg).find("cannot open"), std::string::npos);
}

TEST(Csv, CrlfQuotesAndBlankLines) {
  DataConfig cfg = shops_config();
  cfg.id_columns.clear();
  cfg.path = write_temp("crlf.csv", "shop,price,label\r\n\"a,b\",1.5,0\r\n\r\n\"x\"\"y\",+2,1\r\n");
  const Dataset ds = load_csv(cfg);
  EXPECT_EQ(ds.n, 2);
  EXPECT_FLOAT_EQ(ds.x[0], 1.5f);
  EXPECT_FLOAT_EQ(ds.x[1], 2.f);
  EXPECT_NE(ds.group[0], ds.group[1]);
}

}  // namespace
}  // namespace fedsim
