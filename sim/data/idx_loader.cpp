// IDX loader via zlib (see idx_loader.h).
#include "sim/data/idx_loader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace fedsim {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& msg) {
  throw std::runtime_error(path + ": " + msg);
}

// One open gzip (or plain) file, closed on scope exit.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not an IDX file");
    errno = 0;
    f_ = gzopen(path.c_str(), "rb");
    if (!f_) fail(path, std::string("cannot open: ") + (errno ? std::strerror(errno) : "gzopen"));
    gzbuffer(f_, 1 << 18);
  }
  ~GzFile() {
    if (f_) gzclose(f_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
  size_t read(void* dst, size_t n) {
    auto* p = static_cast<unsigned char*>(dst);
    size_t done = 0;
    while (done < n) {
      const unsigned chunk = unsigned(std::min<size_t>(n - done, 1u << 30));
      const int got = gzread(f_, p + done, chunk);
      if (got < 0) {
        int err = 0;
        const char* msg = gzerror(f_, &err);
        fail(path_, std::string("read error: ") + (msg ? msg : "unknown"));
      }
      if (got == 0) break;
      done += size_t(got);
    }
    return done;
  }
  // Reads exactly n bytes or fails with "truncated".
  void read_exact(void* dst, size_t n, const char* what) {
    const size_t got = read(dst, n);
    if (got != n) truncated(what, n, got);
  }
  // Reads exactly n bytes into `out` or fails with "truncated". The header's sizes are not trusted:
  // `out` grows only as data arrives (by at most 1 MiB or what was read so far), so a header that
  // claims 2^32 items in a file of a few bytes costs at most 1 MiB, not gigabytes.
  void read_exact_into(std::vector<unsigned char>& out, uint64_t n, const char* what) {
    constexpr uint64_t kMinStep = uint64_t(1) << 20;
    out.clear();
    uint64_t got = 0;
    while (got < n) {
      const uint64_t step = std::min(n - got, std::max(kMinStep, got));
      out.resize(size_t(got + step));
      const size_t r = read(out.data() + got, size_t(step));
      got += r;
      if (r < step) break;
    }
    if (got != n) truncated(what, n, got);
  }

 private:
  [[noreturn]] void truncated(const char* what, uint64_t expected, uint64_t got) {
    fail(path_, "truncated " + std::string(what) + ": expected " + std::to_string(expected) +
                    " bytes, got " + std::to_string(got));
  }

  std::string path_;
  gzFile f_ = nullptr;
};

uint32_t be32(const unsigned char* b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

// Reads the header; checks the magic is unsigned-byte data with `dims` dimensions. Returns sizes.
std::vector<uint32_t> read_header(GzFile& f, const std::string& path, int dims, const char* kind) {
  unsigned char m[4];
  f.read_exact(m, 4, "header");
  const uint32_t magic = be32(m);
  const uint32_t want = 0x0800u | uint32_t(dims);
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08X", unsigned(magic));
  char want_hex[16];
  std::snprintf(want_hex, sizeof want_hex, "0x%08X", unsigned(want));
  if (m[0] != 0 || m[1] != 0) {
    fail(path, std::string("bad magic ") + hex + ": not an IDX file (expected " + want_hex +
                   " for " + kind + ")");
  }
  if (m[2] != 0x08) {
    char t[8];
    std::snprintf(t, sizeof t, "0x%02X", unsigned(m[2]));
    fail(path, std::string("unsupported IDX element type ") + t +
                   " (only unsigned bytes, 0x08, are supported)");
  }
  if (m[3] != dims) {
    fail(path, std::string("bad magic ") + hex + ": " + std::to_string(int(m[3])) +
                   " dimensions, expected " + std::to_string(dims) + " for " + kind + " (" +
                   want_hex + ")");
  }
  std::vector<unsigned char> raw(static_cast<size_t>(dims) * 4);
  f.read_exact(raw.data(), raw.size(), "header");
  std::vector<uint32_t> sizes(static_cast<size_t>(dims));
  for (int i = 0; i < dims; ++i) sizes[size_t(i)] = be32(raw.data() + 4 * i);
  return sizes;
}

}  // namespace

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  // Labels first: small, and their count checks the images.
  std::vector<unsigned char> labels;
  {
    GzFile f(labels_path);
    const auto sizes = read_header(f, labels_path, 1, "labels");
    f.read_exact_into(labels, sizes[0], "label data");
  }
  Dataset ds;
  std::vector<unsigned char> pixels;
  {
    GzFile f(images_path);
    const auto sizes = read_header(f, images_path, 3, "images");
    const uint64_t n = sizes[0], rows = sizes[1], cols = sizes[2];
    if (rows == 0 || cols == 0 || rows * cols > (uint64_t(1) << 24))
      fail(images_path,
           "implausible image size " + std::to_string(rows) + "x" + std::to_string(cols));
    if (n != labels.size()) {
      fail(images_path, std::to_string(n) + " images but " + labels_path + " has " +
                            std::to_string(labels.size()) + " labels");
    }
    if (n == 0) fail(images_path, "no images");
    f.read_exact_into(pixels, n * rows * cols, "image data");
    ds.n = int64_t(n);
    ds.d = int(rows * cols);
    ds.feature_names.reserve(size_t(ds.d));
    for (uint64_t r = 0; r < rows; ++r)
      for (uint64_t c = 0; c < cols; ++c)
        ds.feature_names.push_back("px_" + std::to_string(r) + "_" + std::to_string(c));
  }
  if (ds.n < 1) fail(images_path, "no images");
  ds.x.resize(pixels.size());
  constexpr float kScale = 1.0f / 255.0f;
  std::transform(pixels.begin(), pixels.end(), ds.x.begin(),
                 [](unsigned char p) { return float(p) * kScale; });
  ds.y.assign(labels.begin(), labels.end());
  const int max_label = *std::max_element(labels.begin(), labels.end());
  ds.classes = std::max(2, max_label + 1);
  return ds;
}

IdxFiles fashion_mnist_files(const std::string& dir) {
  const std::string d = dir.empty() ? std::string(kFashionMnistDir) : dir;
  return {d + "/train-images-idx3-ubyte.gz", d + "/train-labels-idx1-ubyte.gz",
          d + "/t10k-images-idx3-ubyte.gz", d + "/t10k-labels-idx1-ubyte.gz"};
}

std::string fashion_mnist_problem(const std::string& dir) {
  const IdxFiles f = fashion_mnist_files(dir);
  for (const std::string* p : {&f.train_images, &f.train_labels, &f.test_images, &f.test_labels}) {
    std::error_code ec;
    std::string problem;
    if (!std::filesystem::exists(*p, ec)) {
      problem = "missing";
    } else if (!std::filesystem::is_regular_file(*p, ec)) {
      problem = "not a regular file";
    } else if (std::FILE* fp = std::fopen(p->c_str(), "rb")) {
      std::fclose(fp);
    } else {
      problem = "not readable";
    }
    if (!problem.empty()) {
      return *p + " is " + problem +
             " (the Fashion-MNIST files come from the Debian package dataset-fashion-mnist: run "
             "`apt-get install dataset-fashion-mnist` or tools/setup.sh)";
    }
  }
  return {};
}

TrainTest load_fashion_mnist(const std::string& dir) {
  if (std::string p = fashion_mnist_problem(dir); !p.empty())
    throw std::runtime_error("fashion_mnist: " + p);
  const IdxFiles f = fashion_mnist_files(dir);
  TrainTest tt{load_idx(f.train_images, f.train_labels), load_idx(f.test_images, f.test_labels)};
  if (tt.train.d != tt.test.d)
    throw std::runtime_error("fashion_mnist: " + f.test_images + ": images of " +
                             std::to_string(tt.test.d) + " pixels, the training images have " +
                             std::to_string(tt.train.d));
  // Fashion-MNIST has exactly 10 classes; any other label means these are not its files.
  for (const auto* p : {&f.train_labels, &f.test_labels}) {
    const Dataset& ds = p == &f.train_labels ? tt.train : tt.test;
    if (ds.classes > 10) {
      const int32_t bad = *std::max_element(ds.y.begin(), ds.y.end());
      throw std::runtime_error("fashion_mnist: " + *p + ": label " + std::to_string(bad) +
                               " out of range (Fashion-MNIST labels are 0..9)");
    }
  }
  tt.train.classes = tt.test.classes = 10;
  return tt;
}

}  // namespace fedsim
