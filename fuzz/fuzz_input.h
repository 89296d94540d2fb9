// How a fuzz input (one byte string) becomes loader arguments: shared by the libFuzzer targets
// (fuzz/fuzz_idx.cpp, fuzz/fuzz_csv.cpp) and the regression test that replays every saved input
// (tests/test_fuzz_regressions.cpp), so a file in tests/data/fuzz-regressions/ means the same thing
// in both places.
//
// IDX input:  [flags][labels length, 2 bytes little-endian][labels file][images file]
//   flags bit 0: gzip the labels file before writing it, bit 1: gzip the images file (so the
//   fuzzer can explore IDX headers behind zlib too; inputs that are gzip already are written raw).
//   A length beyond the input takes what is there; the images file is the rest.
// CSV input:  [mode][csv file]
//   mode bit 0: client_column = "shop" (with a key file), bit 1: id_columns = {"session_id"},
//   bit 2: feature_columns = {"price", "hour"}. The label column is always "label" (the columns of
//   tests/data/shops.csv, the seed).
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

#include "sim/scenario.h"

namespace fedsim::fuzz {

// Writes [data, data + size) to `path`, gzip-compressed when `gz`.
inline void write_bytes(const std::string& path, const uint8_t* data, size_t size, bool gz) {
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb1");
    if (!f) throw std::logic_error("fuzz: cannot write " + path);
    if (size) gzwrite(f, data, unsigned(size));
    gzclose(f);
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  if (!out) throw std::logic_error("fuzz: cannot write " + path);
}

struct IdxPaths {
  std::string images, labels;
};

// Splits an IDX fuzz input into `dir`/labels.idx and `dir`/images.idx (see the top of the file).
inline IdxPaths write_idx_input(const uint8_t* data, size_t size, const std::string& dir) {
  const uint8_t flags = size > 0 ? data[0] : 0;
  size_t len = 0;
  if (size > 1) len = data[1];
  if (size > 2) len |= size_t(data[2]) << 8;
  const size_t start = size < 3 ? size : 3;
  if (len > size - start) len = size - start;
  IdxPaths p{dir + "/images.idx", dir + "/labels.idx"};
  write_bytes(p.labels, data + start, len, flags & 1);
  write_bytes(p.images, data + start + len, size - start - len, flags & 2);
  return p;
}

// Writes a CSV fuzz input to `dir`/input.csv and returns the configuration to load it with
// (`key_file` must exist when mode bit 0 or 1 is set).
inline DataConfig write_csv_input(const uint8_t* data, size_t size, const std::string& dir,
                                  const std::string& key_file) {
  const uint8_t mode = size > 0 ? data[0] : 0;
  const size_t start = size > 0 ? 1 : 0;
  DataConfig cfg;
  cfg.source = DataSource::Csv;
  cfg.path = dir + "/input.csv";
  cfg.label_column = "label";
  if (mode & 1) cfg.client_column = "shop";
  if (mode & 2) cfg.id_columns = {"session_id"};
  if (mode & 3) cfg.key_file = key_file;
  if (mode & 4) cfg.feature_columns = {"price", "hour"};
  write_bytes(cfg.path, data + start, size - start, false);
  return cfg;
}

}  // namespace fedsim::fuzz
