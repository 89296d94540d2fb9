// IDX loader (gzip via zlib) and the Fashion-MNIST data source: a round trip of small generated
// files, every error a user can meet, the real data when installed, and the scenario checks.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/data/federation_builder.h"
#include "sim/data/idx_loader.h"
#include "sim/scenario.h"

namespace fedsim {
namespace {

namespace fs = std::filesystem;

// Fixtures are written at run time under the test temp dir (nothing binary is committed).
std::string fixture_dir() {
  const std::string dir = testing::TempDir() + "/fedsim_idx";
  fs::create_directories(dir);
  return dir;
}

std::vector<unsigned char> header(uint32_t magic, const std::vector<uint32_t>& dims) {
  std::vector<unsigned char> b;
  auto put = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
  };
  put(magic);
  for (uint32_t d : dims) put(d);
  return b;
}

// Writes `bytes` as a gzip file (gz = true) or a plain one; returns the path.
std::string write_file(const std::string& name, const std::vector<unsigned char>& bytes,
                       bool gz = true) {
  const std::string path = fixture_dir() + "/" + name;
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr) << path;
    if (!bytes.empty()) gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  return path;
}

// n images of rows x cols whose pixel (i, r, c) is (i * 31 + r * 7 + c) % 256; label i % classes.
struct Pair {
  std::string images, labels;
};
Pair write_pair(const std::string& stem, uint32_t n, uint32_t rows, uint32_t cols, int classes,
                bool gz = true) {
  std::vector<unsigned char> img = header(0x803, {n, rows, cols});
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t c = 0; c < cols; ++c)
        img.push_back(static_cast<unsigned char>(i * 31 + r * 7 + c));
  std::vector<unsigned char> lab = header(0x801, {n});
  for (uint32_t i = 0; i < n; ++i) lab.push_back(static_cast<unsigned char>(int(i) % classes));
  return {write_file(stem + "-images", img, gz), write_file(stem + "-labels", lab, gz)};
}

std::string load_error(const std::string& images, const std::string& labels) {
  try {
    load_idx(images, labels);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "load_idx did not throw for " << images << ", " << labels;
  return {};
}

void check_round_trip(const Pair& p) {
  const Dataset ds = load_idx(p.images, p.labels);
  ASSERT_EQ(ds.n, 12);
  ASSERT_EQ(ds.d, 15);
  EXPECT_EQ(ds.classes, 4);
  EXPECT_TRUE(ds.group.empty());
  ASSERT_EQ(ds.x.size(), 12u * 15u);
  ASSERT_EQ(ds.feature_names.size(), 15u);
  EXPECT_EQ(ds.feature_names[0], "px_0_0");
  EXPECT_EQ(ds.feature_names[14], "px_2_4");
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(ds.y[size_t(i)], i % 4);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 5; ++c) {
        const float want = float((i * 31 + r * 7 + c) % 256) / 255.0f;
        EXPECT_FLOAT_EQ(ds.x[size_t(i) * 15 + size_t(r) * 5 + size_t(c)], want);
      }
  }
}

TEST(Idx, RoundTripGzip) {
  check_round_trip(write_pair("rt", 12, 3, 5, 4));
}

TEST(Idx, RoundTripPlainFiles) {
  check_round_trip(write_pair("plain", 12, 3, 5, 4, false));
}

TEST(Idx, PixelsSpanZeroToOne) {
  std::vector<unsigned char> img = header(0x803, {2, 1, 2});
  for (unsigned char v : {0, 255, 128, 1}) img.push_back(v);
  std::vector<unsigned char> lab = header(0x801, {2});
  lab.push_back(0);
  lab.push_back(9);
  const Dataset ds = load_idx(write_file("span-images", img), write_file("span-labels", lab));
  EXPECT_EQ(ds.x[0], 0.0f);
  EXPECT_EQ(ds.x[1], 1.0f);
  EXPECT_EQ(ds.classes, 10);  // max label + 1
}

TEST(IdxErrors, MissingFile) {
  const Pair p = write_pair("ok", 4, 2, 2, 2);
  const std::string missing = fixture_dir() + "/no-such-file.gz";
  const std::string e = load_error(missing, p.labels);
  EXPECT_NE(e.find(missing), std::string::npos) << e;
  EXPECT_NE(e.find("cannot open"), std::string::npos) << e;
  const std::string e2 = load_error(p.images, missing);
  EXPECT_NE(e2.find(missing + ": cannot open"), std::string::npos) << e2;
}

TEST(IdxErrors, BadMagic) {
  const Pair p = write_pair("ok", 4, 2, 2, 2);
  std::vector<unsigned char> junk = {'G', 'I', 'F', '8', '9', 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::string path = write_file("junk", junk);
  const std::string e = load_error(path, p.labels);
  EXPECT_NE(e.find(path + ": bad magic 0x47494638: not an IDX file (expected 0x00000803"),
            std::string::npos)
      << e;
  // A label file given as images: right type, wrong number of dimensions.
  const std::string e2 = load_error(p.labels, p.labels);
  EXPECT_NE(e2.find(p.labels + ": bad magic 0x00000801: 1 dimensions, expected 3 for images"),
            std::string::npos)
      << e2;
}

TEST(IdxErrors, UnsupportedType) {
  const Pair p = write_pair("ok", 4, 2, 2, 2);
  std::vector<unsigned char> floats = header(0x0D03, {4, 2, 2});
  floats.resize(floats.size() + 4 * 2 * 2 * 4);
  const std::string path = write_file("floats", floats);
  const std::string e = load_error(path, p.labels);
  EXPECT_NE(e.find(path + ": unsupported IDX element type 0x0D"), std::string::npos) << e;
}

TEST(IdxErrors, Truncated) {
  const Pair p = write_pair("ok", 4, 2, 2, 2);
  std::vector<unsigned char> img = header(0x803, {4, 2, 2});
  img.resize(img.size() + 15);  // one byte short of 4 * 2 * 2
  const std::string path = write_file("short-images", img);
  const std::string e = load_error(path, p.labels);
  EXPECT_NE(e.find(path + ": truncated image data: expected 16 bytes, got 15"), std::string::npos)
      << e;

  const std::string hdr = write_file("short-header", {0, 0, 8, 3, 0, 0});
  const std::string e2 = load_error(hdr, p.labels);
  EXPECT_NE(e2.find(hdr + ": truncated header"), std::string::npos) << e2;

  const std::string empty = write_file("empty", {});
  const std::string e3 = load_error(p.images, empty);
  EXPECT_NE(e3.find(empty + ": truncated header: expected 4 bytes, got 0"), std::string::npos)
      << e3;

  std::vector<unsigned char> lab = header(0x801, {4});
  lab.push_back(1);
  const std::string labels = write_file("short-labels", lab);
  const std::string e4 = load_error(p.images, labels);
  EXPECT_NE(e4.find(labels + ": truncated label data: expected 4 bytes, got 1"), std::string::npos)
      << e4;
}

TEST(IdxErrors, CountMismatch) {
  const Pair a = write_pair("four", 4, 2, 2, 2);
  const Pair b = write_pair("five", 5, 2, 2, 2);
  const std::string e = load_error(a.images, b.labels);
  EXPECT_NE(e.find(a.images + ": 4 images but " + b.labels + " has 5 labels"), std::string::npos)
      << e;
}

TEST(IdxErrors, FashionMnistDirMissing) {
  const std::string dir = fixture_dir() + "/no-fashion";
  const std::string problem = fashion_mnist_problem(dir);
  EXPECT_NE(problem.find(dir + "/train-images-idx3-ubyte.gz is missing"), std::string::npos)
      << problem;
  EXPECT_NE(problem.find("apt-get install dataset-fashion-mnist"), std::string::npos) << problem;
  try {
    load_fashion_mnist(dir);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tools/setup.sh"), std::string::npos) << e.what();
  }
}

// A directory laid out like the Debian package, with 30 training and 10 test images of 4x4.
std::string write_fake_fashion(const std::string& name, int classes) {
  const std::string dir = fixture_dir() + "/" + name;
  fs::create_directories(dir);
  const Pair tr = write_pair(name + "/train", 30, 4, 4, classes);
  const Pair te = write_pair(name + "/t10k", 10, 4, 4, classes);
  fs::rename(tr.images, dir + "/train-images-idx3-ubyte.gz");
  fs::rename(tr.labels, dir + "/train-labels-idx1-ubyte.gz");
  fs::rename(te.images, dir + "/t10k-images-idx3-ubyte.gz");
  fs::rename(te.labels, dir + "/t10k-labels-idx1-ubyte.gz");
  return dir;
}

TEST(IdxErrors, FashionMnistLabelOutOfRange) {
  const std::string dir = write_fake_fashion("fake11", 11);
  try {
    load_fashion_mnist(dir);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("train-labels-idx1-ubyte.gz: label 10 out of range"),
              std::string::npos)
        << e.what();
  }
}

TEST(FashionMnistSource, FederationFromFakeDirectory) {
  const std::string dir = write_fake_fashion("fake10", 10);
  Scenario s = parse_scenario("[data]\nsource = \"fashion_mnist\"\npath = \"" + dir +
                                  "\"\nsamples = 20\n[partition]\nscheme = \"iid\"\nclients = 4\n",
                              "<string>");
  BuildInfo info;
  const Federation fed = build_federation(s, &info);
  EXPECT_EQ(fed.num_clients(), 4);
  EXPECT_EQ(fed.train.n, 20);  // data.samples subsamples the training set
  EXPECT_EQ(fed.test.n, 10);   // the official test split, whatever test_fraction says
  EXPECT_EQ(fed.train.d, 16);
  EXPECT_EQ(fed.train.classes, 10);
  EXPECT_EQ(info.loaded_samples, 40);
  // Deterministic by seed.
  const Federation again = build_federation(s);
  EXPECT_EQ(fed.train.x, again.train.x);
  EXPECT_EQ(fed.train.y, again.train.y);
}

TEST(FashionMnistSource, ScenarioErrors) {
  const std::string dir = write_fake_fashion("fake10b", 10);
  // natural partition: no natural clients (also when scheme is left at its default).
  try {
    parse_scenario("[data]\nsource = \"fashion_mnist\"\npath = \"" + dir +
                       "\"\n[partition]\nscheme = \"natural\"\n",
                   "f.toml");
    ADD_FAILURE() << "no error";
  } catch (const ScenarioError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("f.toml:5: key 'partition.scheme'"), std::string::npos) << m;
    EXPECT_NE(m.find("no natural clients"), std::string::npos) << m;
  }
  try {
    parse_scenario("[data]\nsource = \"fashion_mnist\"\npath = \"" + dir + "\"\n", "f.toml");
    ADD_FAILURE() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("the default is \"natural\""), std::string::npos)
        << e.what();
  }
  // a data.path without the files: named at data.path, with the command that installs them.
  try {
    parse_scenario("[data]\nsource = \"fashion_mnist\"\npath = \"" + fixture_dir() +
                       "/nowhere\"\n[partition]\nscheme = \"iid\"\n",
                   "g.toml");
    ADD_FAILURE() << "no error";
  } catch (const ScenarioError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("g.toml:3: key 'data.path'"), std::string::npos) << m;
    EXPECT_NE(m.find("apt-get install dataset-fashion-mnist"), std::string::npos) << m;
  }
  // the source name round-trips through resolved_toml.
  const Scenario ok = parse_scenario("[data]\nsource = \"fashion_mnist\"\npath = \"" + dir +
                                         "\"\n[partition]\nscheme = "
                                         "\"dirichlet\"\n",
                                     "<string>");
  EXPECT_EQ(ok.data.source, DataSource::FashionMnist);
  EXPECT_NE(resolved_toml(ok).find("source = \"fashion_mnist\""), std::string::npos);
  EXPECT_EQ(parse_scenario(resolved_toml(ok), "<string>").data.source, DataSource::FashionMnist);
}

TEST(FashionMnistSource, MissingDefaultDirectoryNamesDataSource) {
  if (fs::exists(kFashionMnistDir)) GTEST_SKIP() << "the package is installed";
  try {
    parse_scenario("[data]\nsource = \"fashion_mnist\"\n[partition]\nscheme = \"iid\"\n", "h.toml");
    ADD_FAILURE() << "no error";
  } catch (const ScenarioError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("h.toml:2: key 'data.source'"), std::string::npos) << m;
    EXPECT_NE(m.find("apt-get install dataset-fashion-mnist"), std::string::npos) << m;
  }
}

TEST(FashionMnistReal, ShapesAndBalance) {
  if (!fs::exists(kFashionMnistDir))
    GTEST_SKIP() << "dataset-fashion-mnist not installed (tools/setup.sh installs it)";
  const auto t0 = std::chrono::steady_clock::now();
  const TrainTest tt = load_fashion_mnist(kFashionMnistDir);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fashion-mnist: all four files loaded in %.3f s\n", secs);
  ASSERT_EQ(tt.train.n, 60000);
  ASSERT_EQ(tt.test.n, 10000);
  EXPECT_EQ(tt.train.d, 784);
  EXPECT_EQ(tt.test.d, 784);
  EXPECT_EQ(tt.train.classes, 10);
  std::vector<int> train_counts(10), test_counts(10);
  for (int32_t y : tt.train.y) ++train_counts[size_t(y)];
  for (int32_t y : tt.test.y) ++test_counts[size_t(y)];
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(train_counts[size_t(k)], 6000) << "class " << k;
    EXPECT_EQ(test_counts[size_t(k)], 1000) << "class " << k;
  }
  float lo = 1, hi = 0;
  double sum = 0;
  for (float v : tt.train.x) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
  // The known mean pixel intensity of the Fashion-MNIST training set (0.2860).
  EXPECT_NEAR(sum / double(tt.train.x.size()), 0.2860, 0.001);
  // Known first labels of the official files (ankle boot, t-shirt, t-shirt, dress, t-shirt).
  EXPECT_EQ(std::vector<int32_t>(tt.train.y.begin(), tt.train.y.begin() + 5),
            (std::vector<int32_t>{9, 0, 0, 3, 0}));
  EXPECT_EQ(std::vector<int32_t>(tt.test.y.begin(), tt.test.y.begin() + 5),
            (std::vector<int32_t>{9, 2, 1, 1, 6}));
}

}  // namespace
}  // namespace fedsim
