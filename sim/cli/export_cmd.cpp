// `fedsim export` (see export_cmd.h). Two phases: plan (walk the file, decide every CSV's name,
// refuse name collisions and existing files before anything is written), then write (read table by
// table, format, write each CSV to a temporary file and rename it into place).
//
// Cells: integers as integers, floats as the shortest text that reads back to the same value
// (std::to_chars; float32 as float32), NaN as `nan`, infinities as `inf` / `-inf`; strings quoted
// per RFC 4180 when they contain a comma, a double quote or a line break. Lines end with LF.
#include "sim/cli/export_cmd.h"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "sim/results/h5_file.h"
#include "sim/results/results_writer.h"

namespace fedsim::cli {
namespace {

namespace fs = std::filesystem;

// Bad input (exit 2) and I/O failures (exit 1).
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct IoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Object = h5::Handle<H5Oclose>;

// The values of one dataset or attribute (or a slice of one), in the element type they are
// printed as.
using Cells = std::variant<std::vector<int64_t>, std::vector<uint64_t>, std::vector<float>,
                           std::vector<double>, std::vector<std::string>>;

enum class Kind { Int, UInt, Float, Double, String, Unsupported };

Kind kind_of(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return H5Tget_sign(type) == H5T_SGN_NONE ? Kind::UInt : Kind::Int;
    case H5T_FLOAT:
      return H5Tget_size(type) <= 4 ? Kind::Float : Kind::Double;
    case H5T_STRING:
      return Kind::String;
    default:
      return Kind::Unsupported;
  }
}

const char* class_name(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_REFERENCE:
      return "reference";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_TIME:
      return "time";
    default:
      return "unknown";
  }
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw InputError(where + ": " + what);
}

// Reads n elements of file type `ftype` through read(mem_type, buf) (an H5Dread or H5Aread with
// the selection already made). `where` names the object in messages.
Cells read_cells(hid_t ftype, size_t n, const std::function<herr_t(hid_t, void*)>& read,
                 const std::string& where) {
  auto numbers = [&](auto zero, hid_t mem_type) -> Cells {
    std::vector<decltype(zero)> v(n);
    if (n > 0 && read(mem_type, v.data()) < 0) bad(where, "cannot read");
    return v;
  };
  switch (kind_of(ftype)) {
    case Kind::Int:
      return numbers(int64_t{}, H5T_NATIVE_INT64);
    case Kind::UInt:
      return numbers(uint64_t{}, H5T_NATIVE_UINT64);
    case Kind::Float:
      return numbers(float{}, H5T_NATIVE_FLOAT);
    case Kind::Double:
      return numbers(double{}, H5T_NATIVE_DOUBLE);
    case Kind::Unsupported:
      bad(where, std::string("unsupported type ") + class_name(ftype));
    case Kind::String:
      break;
  }
  std::vector<std::string> out(n);
  if (n == 0) return out;
  const htri_t variable = H5Tis_variable_str(ftype);
  if (variable < 0) bad(where, "bad string type");
  if (variable > 0) {
    h5::Type mem(H5Tcopy(H5T_C_S1));
    if (mem.id() < 0 || H5Tset_size(mem.id(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(mem.id(), H5Tget_cset(ftype)) < 0)
      bad(where, "bad string type");
    std::vector<char*> ptrs(n, nullptr);
    if (read(mem.id(), ptrs.data()) < 0) bad(where, "cannot read");
    for (size_t i = 0; i < n; ++i) {
      if (ptrs[i]) out[i] = ptrs[i];
      H5free_memory(ptrs[i]);
    }
  } else {
    h5::Type mem(H5Tget_native_type(ftype, H5T_DIR_DEFAULT));
    if (mem.id() < 0) bad(where, "bad string type");
    const size_t size = H5Tget_size(mem.id());
    std::vector<char> buf(n * size);
    if (read(mem.id(), buf.data()) < 0) bad(where, "cannot read");
    for (size_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * size, size);
      s.erase(s.find_last_not_of('\0') + 1);  // fixed-length strings are NUL-padded
      out[i] = std::move(s);
    }
  }
  return out;
}

// Dims of a dataset's dataspace (empty for a scalar).
std::vector<hsize_t> dims_of(hid_t dset, const std::string& where) {
  h5::Dataspace space(H5Dget_space(dset));
  const int rank = space.id() < 0 ? -1 : H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) bad(where, "bad dataspace");
  std::vector<hsize_t> dims(rank);
  if (rank > 0 && H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr) < 0)
    bad(where, "bad dataspace");
  return dims;
}

// Reads rows [row0, row0 + rows) of a dataset of rank >= 1 whose rows hold `cols` elements each
// (the product of all dims but the first), or the one element of a scalar dataset.
Cells read_rows(hid_t dset, const std::string& where, hsize_t row0, hsize_t rows, hsize_t cols) {
  h5::Type ftype(H5Dget_type(dset));
  if (ftype.id() < 0) bad(where, "cannot get type");
  const std::vector<hsize_t> dims = dims_of(dset, where);
  if (dims.empty()) {
    return read_cells(
        ftype.id(), 1,
        [&](hid_t mt, void* buf) { return H5Dread(dset, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); },
        where);
  }
  const hsize_t n = rows * cols;
  h5::Dataspace file_space(H5Dget_space(dset));
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = row0;
  count[0] = rows;
  if (n > 0 && H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr,
                                   count.data(), nullptr) < 0)
    bad(where, "cannot select rows");
  const hsize_t mem_n = std::max<hsize_t>(n, 1);
  h5::Dataspace mem_space(H5Screate_simple(1, &mem_n, nullptr));
  return read_cells(
      ftype.id(), n,
      [&](hid_t mt, void* buf) {
        return H5Dread(dset, mt, mem_space.id(), file_space.id(), H5P_DEFAULT, buf);
      },
      where);
}

// Text of one number: integers as integers, floats by std::to_chars (shortest round-trip form).
template <typename T>
std::string number_text(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) return "nan";
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Appends `s` as one CSV field, quoted per RFC 4180 when it holds a comma, quote or line break.
void append_field(std::string& out, const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

// Appends cell i of `c` to `out` as one CSV field.
void append_cell(std::string& out, const Cells& c, size_t i) {
  std::visit(
      [&](const auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        if constexpr (std::is_same_v<T, std::string>) {
          append_field(out, v[i]);
        } else {
          out += number_text(v[i]);
        }
      },
      c);
}

size_t size_of(const Cells& c) {
  return std::visit([](const auto& v) { return v.size(); }, c);
}

// One value as text for attributes.csv: a single element as is, several joined with ';'.
std::string joined(const Cells& c) {
  std::string out;
  std::visit(
      [&](const auto& v) {
        for (size_t i = 0; i < v.size(); ++i) {
          if (i) out += ';';
          if constexpr (std::is_same_v<std::decay_t<decltype(v[i])>, std::string>) {
            out += v[i];
          } else {
            out += number_text(v[i]);
          }
        }
      },
      c);
  return out;
}

// ----------------------------------------------------------------------------------------------
// Planning

struct Table {
  std::string group;                  // HDF5 path of the group ("/" for the root)
  std::vector<std::string> datasets;  // 1-D columns, or the one dataset of rank >= 2
  bool matrix = false;
  std::string file;    // CSV file name inside DIR
  std::string source;  // what it holds, for messages: the group's or the dataset's path
};

struct Plan {
  std::vector<Table> tables;
  std::vector<std::array<std::string, 3>> attributes;  // path, name, value
  std::vector<std::string> skipped;                    // "PATH (why)"
};

std::string child_path(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

// CSV file stem of an HDF5 path: "/runs/r1/rounds" -> "runs__r1__rounds", "/" -> "root".
std::string stem_of(const std::string& path) {
  if (path == "/") return "root";
  std::string s;
  for (size_t i = 1; i < path.size(); ++i) {
    if (path[i] == '/') {
      s += "__";
    } else {
      s += path[i];
    }
  }
  return s;
}

struct Link {
  std::string name;
  bool hard;
};

herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* data) {
  static_cast<std::vector<Link>*>(data)->push_back({name, info->type == H5L_TYPE_HARD});
  return 0;
}

herr_t collect_attr(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

// Adds every attribute of `obj` (at HDF5 path `path`) to plan.attributes.
void plan_attributes(hid_t obj, const std::string& where, const std::string& path, Plan& plan) {
  std::vector<std::string> names;
  if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attr, &names) < 0)
    bad(where + path, "cannot list attributes");
  for (const auto& name : names) {
    const std::string at = where + path + " attribute '" + name + "'";
    h5::Attribute a(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
    if (a.id() < 0) bad(at, "cannot open");
    h5::Type t(H5Aget_type(a.id()));
    h5::Dataspace space(H5Aget_space(a.id()));
    if (t.id() < 0 || space.id() < 0) bad(at, "cannot get its type");
    if (kind_of(t.id()) == Kind::Unsupported) {
      plan.skipped.push_back(path + " attribute '" + name + "' (unsupported type " +
                             class_name(t.id()) + ")");
      continue;
    }
    const hssize_t n = H5Sget_simple_extent_npoints(space.id());
    if (n < 0) bad(at, "bad dataspace");
    const Cells c = read_cells(
        t.id(), static_cast<size_t>(n),
        [&](hid_t mt, void* buf) { return H5Aread(a.id(), mt, buf); }, at);
    plan.attributes.push_back({path, name, joined(c)});
  }
}

// Key columns come first (in this order), then the rest by name.
bool column_before(const std::string& a, const std::string& b) {
  static const std::array<std::string, 2> keys = {"run_id", "round"};
  const auto rank = [&](const std::string& s) {
    return std::find(keys.begin(), keys.end(), s) - keys.begin();
  };
  if (rank(a) != rank(b)) return rank(a) < rank(b);
  return a < b;
}

// Walks group `g` (HDF5 path `path`) and everything below it. `where` is "FILE:" for messages.
void plan_group(hid_t g, const std::string& where, const std::string& path, int depth, Plan& plan) {
  if (depth > 64) bad(where + path, "groups nested too deeply (a hard-link cycle?)");
  plan_attributes(g, where, path, plan);
  std::vector<Link> links;
  if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link, &links) < 0)
    bad(where + path, "cannot list the group");

  std::map<hsize_t, std::vector<std::string>> by_length;  // 1-D datasets by their length
  std::vector<std::string> subgroups;
  for (const auto& link : links) {
    const std::string p = child_path(path, link.name);
    if (!link.hard) {
      plan.skipped.push_back(p + " (soft or external link)");
      continue;
    }
    Object obj(H5Oopen(g, link.name.c_str(), H5P_DEFAULT));
    if (obj.id() < 0) bad(where + p, "cannot open");
    const H5I_type_t type = H5Iget_type(obj.id());
    if (type == H5I_GROUP) {
      subgroups.push_back(link.name);
      continue;
    }
    if (type != H5I_DATASET) continue;  // named datatypes hold no data
    plan_attributes(obj.id(), where, p, plan);
    h5::Type t(H5Dget_type(obj.id()));
    if (t.id() < 0) bad(where + p, "cannot get type");
    if (kind_of(t.id()) == Kind::Unsupported) {
      plan.skipped.push_back(p + " (unsupported type " + class_name(t.id()) + ")");
      continue;
    }
    const std::vector<hsize_t> dims = dims_of(obj.id(), where + p);
    if (dims.empty()) {
      plan.attributes.push_back({path, link.name, joined(read_rows(obj.id(), where + p, 0, 1, 1))});
    } else if (dims.size() == 1) {
      by_length[dims[0]].push_back(link.name);
    } else {
      plan.tables.push_back({path, {link.name}, true, stem_of(p) + ".csv", p});
    }
  }

  // The group's table: the 1-D datasets sharing the length most of them have (among non-empty
  // ones; ties: the longer). Any other 1-D dataset becomes its own CSV (GROUP__NAME.csv).
  if (!by_length.empty()) {
    auto main = by_length.end();
    for (auto it = by_length.begin(); it != by_length.end(); ++it) {
      if (it->first == 0 && by_length.size() > 1) continue;
      if (main == by_length.end() || it->second.size() >= main->second.size()) main = it;
    }
    for (auto it = by_length.begin(); it != by_length.end(); ++it) {
      if (it == main) continue;
      for (const auto& name : it->second) {
        const std::string p = child_path(path, name);
        plan.tables.push_back({path, {name}, false, stem_of(p) + ".csv", p});
      }
    }
    std::sort(main->second.begin(), main->second.end(), column_before);
    plan.tables.push_back({path, main->second, false, stem_of(path) + ".csv", path});
  }
  for (const auto& name : subgroups) {
    h5::Group sub(H5Gopen2(g, name.c_str(), H5P_DEFAULT));
    if (sub.id() < 0) bad(where + child_path(path, name), "cannot open group");
    plan_group(sub.id(), where, child_path(path, name), depth + 1, plan);
  }
}

// ----------------------------------------------------------------------------------------------
// Writing

// Writes `path` through a temporary file beside it, renamed into place once complete, so a failure
// never leaves a partial CSV. `fill` appends text to the buffer and calls `flush` now and then.
class CsvFile {
 public:
  explicit CsvFile(fs::path path)
      : path_(std::move(path)), tmp_(path_.string() + ".tmp-" + std::to_string(::getpid())) {
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) fail_io();
  }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;
  ~CsvFile() {
    if (f_) std::fclose(f_);
    if (!done_) {
      std::error_code ec;
      fs::remove(tmp_, ec);
    }
  }
  std::string& buf() { return buf_; }
  void flush_if_large() {
    if (buf_.size() >= (1u << 20)) flush();
  }
  // Flushes, closes and renames the temporary file over the final name.
  void commit() {
    flush();
    FILE* f = std::exchange(f_, nullptr);
    if (std::fclose(f) != 0) fail_io();
    std::error_code ec;
    fs::rename(tmp_, path_, ec);
    if (ec) throw IoError("cannot write " + path_.string() + ": " + ec.message());
    done_ = true;
  }

 private:
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) fail_io();
    buf_.clear();
  }
  [[noreturn]] void fail_io() {
    throw IoError("cannot write " + path_.string() + ": " + std::strerror(errno));
  }
  fs::path path_, tmp_;
  FILE* f_ = nullptr;
  std::string buf_;
  bool done_ = false;
};

void write_table(hid_t file, const std::string& where, const Table& t, const fs::path& out) {
  h5::Group g(H5Gopen2(file, t.group.c_str(), H5P_DEFAULT));
  if (g.id() < 0) bad(where + t.group, "cannot open group");
  CsvFile csv(out);
  std::string& b = csv.buf();
  if (t.matrix) {
    // A dataset of rank >= 2: one CSV row per first index, columns c0..c{k-1} over the rest,
    // read a block of rows at a time.
    const std::string p = where + child_path(t.group, t.datasets[0]);
    h5::Dataset d(H5Dopen2(g.id(), t.datasets[0].c_str(), H5P_DEFAULT));
    if (d.id() < 0) bad(p, "cannot open");
    const std::vector<hsize_t> dims = dims_of(d.id(), p);
    hsize_t cols = 1;
    for (size_t i = 1; i < dims.size(); ++i) cols *= dims[i];
    for (hsize_t c = 0; c < cols; ++c) b += (c ? ",c" : "c") + std::to_string(c);
    b += '\n';
    const hsize_t block = std::max<hsize_t>(1, (1u << 20) / std::max<hsize_t>(cols, 1));
    for (hsize_t row0 = 0; row0 < dims[0]; row0 += block) {
      const hsize_t rows = std::min(block, dims[0] - row0);
      const Cells cells = read_rows(d.id(), p, row0, rows, cols);
      for (hsize_t r = 0; r < rows; ++r) {
        for (hsize_t c = 0; c < cols; ++c) {
          if (c) b += ',';
          append_cell(b, cells, r * cols + c);
        }
        b += '\n';
        csv.flush_if_large();
      }
    }
  } else {
    std::vector<Cells> columns;
    for (size_t c = 0; c < t.datasets.size(); ++c) {
      const std::string p = where + child_path(t.group, t.datasets[c]);
      h5::Dataset d(H5Dopen2(g.id(), t.datasets[c].c_str(), H5P_DEFAULT));
      if (d.id() < 0) bad(p, "cannot open");
      columns.push_back(read_rows(d.id(), p, 0, dims_of(d.id(), p).at(0), 1));
      if (c) b += ',';
      append_field(b, t.datasets[c]);
    }
    b += '\n';
    const size_t n = size_of(columns[0]);
    for (size_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < columns.size(); ++c) {
        if (c) b += ',';
        append_cell(b, columns[c], r);
      }
      b += '\n';
      csv.flush_if_large();
    }
  }
  csv.commit();
}

void write_attributes(const Plan& plan, const fs::path& out) {
  CsvFile csv(out);
  std::string& b = csv.buf();
  b += "path,name,value\n";
  for (const auto& [path, name, value] : plan.attributes) {
    append_field(b, path);
    b += ',';
    append_field(b, name);
    b += ',';
    append_field(b, value);
    b += '\n';
    csv.flush_if_large();
  }
  csv.commit();
}

int export_csv(const ExportArgs& a) {
  std::error_code ec;
  if (!fs::exists(a.file, ec)) throw InputError(a.file + ": no such file");
  if (fs::exists(a.csv_dir, ec) && !fs::is_directory(a.csv_dir, ec))
    throw InputError(a.csv_dir + " exists and is not a directory");

  const auto lock = h5::lock_library();
  h5::File file;
  try {
    file = h5::open_file(a.file);
  } catch (const ResultsError& e) {
    throw InputError(e.what());
  }
  const std::string where = a.file + ":";
  Plan plan;
  plan_group(file.id(), where, "/", 0, plan);

  // Every output name once, and none replaced without --force: checked before writing anything.
  const fs::path dir(a.csv_dir);
  std::map<std::string, std::string> owner{{"attributes.csv", "the attributes"}};
  for (const auto& t : plan.tables) {
    const auto [it, fresh] = owner.emplace(t.file, t.source);
    if (!fresh) {
      throw InputError(where + " " + it->second + " and " + t.source +
                       " would both be written to " + (dir / t.file).string());
    }
  }
  if (!a.force) {
    for (const auto& [name, what] : owner) {
      if (fs::exists(dir / name, ec))
        throw InputError((dir / name).string() + " exists; pass --force to overwrite it");
    }
  }
  fs::create_directories(dir, ec);
  if (ec) throw IoError("cannot create directory " + a.csv_dir + ": " + ec.message());

  for (const auto& t : plan.tables) write_table(file.id(), where, t, dir / t.file);
  write_attributes(plan, dir / "attributes.csv");
  for (const auto& s : plan.skipped)
    std::fprintf(stderr, "fedsim export: warning: %s%s skipped\n", where.c_str(), s.c_str());
  std::printf("fedsim export: %s -> %s: %zu tables, %zu attributes (attributes.csv)\n",
              a.file.c_str(), a.csv_dir.c_str(), plan.tables.size(), plan.attributes.size());
  return 0;
}

}  // namespace

CLI::App* add_export_command(CLI::App& app, ExportArgs& a) {
  auto* cmd = app.add_subcommand(
      "export", "write every table of a result file (run or sweep) as CSV, one file per table");
  cmd->add_option("file", a.file, "HDF5 file (result, sweep or federation)")->required();
  cmd->add_option("--csv", a.csv_dir, "output directory for the CSV files (created)")->required();
  cmd->add_flag("--force", a.force, "overwrite existing CSV files");
  return cmd;
}

int cmd_export(const ExportArgs& a) {
  try {
    return export_csv(a);
  } catch (const IoError& e) {
    std::fprintf(stderr, "fedsim export: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {  // InputError, or ResultsError from the HDF5 helpers
    std::fprintf(stderr, "fedsim export: error: %s\n", e.what());
    return 2;
  }
}

}  // namespace fedsim::cli
