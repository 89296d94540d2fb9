// Federation <-> HDF5 (see federation_io.h and docs/results-format.md, "Federation files").
#include "sim/data/federation_io.h"

#include "sim/results/h5_file.h"
#include "sim/results/results_writer.h"

namespace fedsim {
namespace {

constexpr int32_t kFormatVersion = 1;

// Checks the sizes that define the file's shapes before anything is written.
void check_shapes(const std::string& path, const Federation& f) {
  auto bad = [&](const std::string& what) {
    throw ResultsError("cannot write " + path + ": inconsistent federation: " + what);
  };
  for (const Dataset* ds : {&f.train, &f.test}) {
    const char* name = ds == &f.train ? "train" : "test";
    const auto n = static_cast<size_t>(ds->n);
    if (ds->d != f.train.d) bad(std::string(name) + ".d differs from train.d");
    if (ds->x.size() != n * static_cast<size_t>(ds->d)) bad(std::string(name) + ".x is not [n, d]");
    if (ds->y.size() != n) bad(std::string(name) + ".y is not [n]");
    if (!ds->group.empty() && ds->group.size() != n) bad(std::string(name) + ".group is not [n]");
  }
  if (f.offsets.empty() || f.offsets.front() != 0 || f.offsets.back() != f.train.n) {
    bad("offsets must start at 0 and end at train.n");
  }
  const auto d = static_cast<size_t>(f.train.d);
  if (f.feature_mean.size() != d || f.feature_std.size() != d) bad("mean/std are not [d]");
  if (!f.train.feature_names.empty() && f.train.feature_names.size() != d) {
    bad("feature_names are not [d]");
  }
}

void write_split(hid_t root, const char* name, const Dataset& ds, const Federation& f) {
  h5::Group g = h5::create_group(root, name);
  h5::write_matrix(g.id(), "x", ds.x, static_cast<hsize_t>(ds.n), static_cast<hsize_t>(ds.d));
  h5::write_vector(g.id(), "y", ds.y);
  if (!ds.group.empty()) h5::write_vector(g.id(), "group", ds.group);
  if (&ds == &f.train) h5::write_vector(g.id(), "client_offsets", f.offsets);
}

Dataset read_split(hid_t root, const char* name, int classes, int d) {
  h5::Group g = h5::open_group(root, name);
  Dataset ds;
  hsize_t rows = 0, cols = 0;
  ds.x = h5::read_matrix<float>(g.id(), "x", &rows, &cols);
  if (cols != static_cast<hsize_t>(d)) h5::fail(g.id(), "x", "has the wrong number of columns");
  ds.n = static_cast<int64_t>(rows);
  ds.d = d;
  ds.classes = classes;
  ds.y = h5::read_vector<int32_t>(g.id(), "y");
  if (ds.y.size() != rows) h5::fail(g.id(), "y", "length differs from x");
  if (h5::exists(g.id(), "group")) {
    ds.group = h5::read_vector<int32_t>(g.id(), "group");
    if (ds.group.size() != rows) h5::fail(g.id(), "group", "length differs from x");
  }
  return ds;
}

}  // namespace

void write_federation(const std::string& path, const Federation& f,
                      const std::string& scenario_text, bool force) {
  check_shapes(path, f);
  h5::write_atomically(path, force, [&](hid_t root) {
    h5::write_attr(root, "format_version", kFormatVersion);
    h5::write_string_attr(root, "kind", "federation");
    h5::write_attr<int32_t>(root, "classes", f.train.classes);
    h5::write_attr<int32_t>(root, "d", f.train.d);
    {
      h5::Group g = h5::create_group(root, "scenario");
      h5::write_string(g.id(), "text", scenario_text);
    }
    write_split(root, "train", f.train, f);
    write_split(root, "test", f.test, f);
    {
      h5::Group g = h5::create_group(root, "standardization");
      h5::write_vector(g.id(), "mean", f.feature_mean);
      h5::write_vector(g.id(), "std", f.feature_std);
    }
    h5::Group g = h5::create_group(root, "features");
    h5::write_strings(g.id(), "names", f.train.feature_names);
  });
}

Federation read_federation(const std::string& path) {
  const auto lock = h5::lock_library();
  h5::File file = h5::open_file(path);
  const hid_t root = file.id();
  const int32_t version = h5::read_attr<int32_t>(root, "format_version");
  const std::string kind = h5::read_string_attr(root, "kind");
  if (kind != "federation" || version != kFormatVersion) {
    throw ResultsError(path + ": not a federation file of format_version " +
                       std::to_string(kFormatVersion) + " (kind '" + kind + "', format_version " +
                       std::to_string(version) + ")");
  }
  const int classes = h5::read_attr<int32_t>(root, "classes");
  const int d = h5::read_attr<int32_t>(root, "d");
  Federation f;
  f.train = read_split(root, "train", classes, d);
  f.test = read_split(root, "test", classes, d);
  {
    h5::Group g = h5::open_group(root, "train");
    f.offsets = h5::read_vector<int64_t>(g.id(), "client_offsets");
    if (f.offsets.empty() || f.offsets.front() != 0 || f.offsets.back() != f.train.n) {
      h5::fail(g.id(), "client_offsets", "must start at 0 and end at the number of rows");
    }
  }
  {
    h5::Group g = h5::open_group(root, "standardization");
    f.feature_mean = h5::read_vector<float>(g.id(), "mean");
    f.feature_std = h5::read_vector<float>(g.id(), "std");
  }
  h5::Group g = h5::open_group(root, "features");
  f.train.feature_names = h5::read_strings(g.id(), "names");
  f.test.feature_names = f.train.feature_names;
  return f;
}

}  // namespace fedsim
