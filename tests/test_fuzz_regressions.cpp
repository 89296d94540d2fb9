// Replays every input saved in tests/data/fuzz-regressions/ (idx/ and csv/: crashes the libFuzzer
// targets found, minimised, and a few edge cases they generated) through the loaders, decoded
// exactly as the fuzzers decode them (fuzz/fuzz_input.h). Each must load, or throw
// std::runtime_error whose message starts with the file it is about; none may crash, throw anything
// else, or allocate what an absurd header claims. See docs/datasets.md ("Fuzzing the loaders").
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "sim/data/csv_loader.h"
#include "sim/data/idx_loader.h"

namespace fedsim {
namespace {

namespace fs = std::filesystem;

const std::string kRegressions = std::string(FEDSIM_TEST_DATA) + "/fuzz-regressions";

// The saved inputs of one loader, sorted by name.
std::vector<fs::path> inputs(const std::string& kind) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kRegressions + "/" + kind))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<uint8_t> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A scratch directory per input, so a failure can be reproduced from the files left there.
std::string scratch(const std::string& kind, const fs::path& input) {
  const std::string dir =
      testing::TempDir() + "/fedsim_fuzz_" + kind + "_" + input.filename().string();
  fs::create_directories(dir);
  return dir;
}

bool starts_with_file(const std::string& msg, const std::string& path) {
  return msg.rfind(path + ":", 0) == 0;
}

// Peak resident memory of this process so far, in MiB.
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

TEST(FuzzRegressions, IdxInputsLoadOrThrowNamingTheFile) {
  const auto files = inputs("idx");
  EXPECT_GE(files.size(), 5u);
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    const std::vector<uint8_t> bytes = read_all(f);
    const fuzz::IdxPaths p = fuzz::write_idx_input(bytes.data(), bytes.size(), scratch("idx", f));
    try {
      const Dataset ds = load_idx(p.images, p.labels);
      EXPECT_GE(ds.n, 1);
      EXPECT_EQ(ds.x.size(), size_t(ds.n) * size_t(ds.d));
      EXPECT_EQ(ds.y.size(), size_t(ds.n));
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(starts_with_file(e.what(), p.images) || starts_with_file(e.what(), p.labels))
          << e.what();
    }
  }
  // Headers claiming up to 2^32 items (times 2^24 pixels) in files of a few bytes: nothing of that
  // size may be allocated.
  EXPECT_LT(peak_rss_mib(), 1024.0);
}

TEST(FuzzRegressions, CsvInputsLoadOrThrowNamingTheFile) {
  const auto files = inputs("csv");
  EXPECT_GE(files.size(), 5u);
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    const std::vector<uint8_t> bytes = read_all(f);
    const DataConfig cfg = fuzz::write_csv_input(bytes.data(), bytes.size(), scratch("csv", f),
                                                 std::string(FEDSIM_TEST_DATA) + "/hmac.key");
    try {
      CsvExtras extras;
      const Dataset ds = load_csv(cfg, &extras);
      EXPECT_GE(ds.n, 1);
      EXPECT_EQ(ds.x.size(), size_t(ds.n) * size_t(ds.d));
      for (int32_t y : ds.y) EXPECT_TRUE(y >= 0 && y < ds.classes);
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(starts_with_file(e.what(), cfg.path)) << e.what();
      // Control bytes in a value are escaped, so the message is one readable line.
      if (f.filename() == "utf16le-with-bom") {
        EXPECT_NE(std::string(e.what()).find(":1: the file is UTF-16"), std::string::npos)
            << e.what();
      }
      if (f.filename() == "cr-and-nul") {
        EXPECT_NE(std::string(e.what()).find("non-numeric value '1\\x00'"), std::string::npos)
            << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace fedsim
