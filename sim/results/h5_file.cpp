// HDF5 helpers (see h5_file.h): RAII handles, numeric and string datasets/attributes, and errors
// that say which file and object failed and why.
#include "sim/results/h5_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "sim/results/results_writer.h"

namespace fedsim::h5 {
namespace {

// Collects HDF5's innermost error description (where the failure was first detected, e.g. the
// POSIX write that hit a full disk) and the outermost API function (e.g. "H5Dwrite").
struct Reason {
  std::string innermost;
  std::string api;
};

herr_t collect(unsigned n, const H5E_error2_t* e, void* data) {
  auto* r = static_cast<Reason*>(data);
  if (n == 0 && e->desc) r->innermost = e->desc;  // walking upward: n == 0 is the innermost
  if (e->func_name) r->api = e->func_name;        // the last one visited is the API call
  return 0;
}

// Reads and clears the current error stack. Must run before any other HDF5 call, which would
// clear the stack on entry.
std::string take_reason() {
  if (H5Eget_num(H5E_DEFAULT) <= 0) return "";
  Reason r;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect, &r);
  H5Eclear2(H5E_DEFAULT);
  // Low-level driver errors embed the OS reason as "..., error message = 'No space left ...', ...".
  const std::string key = "error message = '";
  if (auto p = r.innermost.find(key); p != std::string::npos) {
    const auto start = p + key.size();
    r.innermost = r.innermost.substr(start, r.innermost.find('\'', start) - start);
  }
  if (r.innermost.empty()) return r.api;
  return r.api.empty() ? r.innermost : r.api + ": " + r.innermost;
}

// "FILE:/group/object" (or "FILE:/group attribute 'name'") for messages.
std::string describe(hid_t loc, const std::string& object, bool attribute) {
  if (loc < 0) return object;
  std::string file(1024, '\0'), obj(1024, '\0');
  const ssize_t fn = H5Fget_name(loc, file.data(), file.size());
  const ssize_t on = H5Iget_name(loc, obj.data(), obj.size());
  file.resize(fn > 0 ? std::min<size_t>(fn, file.size() - 1) : 0);
  obj.resize(on > 0 ? std::min<size_t>(on, obj.size() - 1) : 0);
  H5Eclear2(H5E_DEFAULT);
  if (attribute) return file + ":" + (obj.empty() ? "/" : obj) + " attribute '" + object + "'";
  if (object.empty()) return file + ":" + obj;
  return file + ":" + (obj == "/" || obj.empty() ? "" : obj) + "/" + object;
}

[[noreturn]] void fail_at(hid_t loc, const std::string& object, bool attribute,
                          const std::string& what) {
  const std::string reason = take_reason();
  throw ResultsError(describe(loc, object, attribute) + ": " + what +
                     (reason.empty() ? "" : " (" + reason + ")"));
}

// Checks an HDF5 return value (negative id or status means failure).
template <typename R>
R check(R r, hid_t loc, const std::string& object, const char* what, bool attribute = false) {
  if (r < 0) fail_at(loc, object, attribute, what);
  return r;
}

Type string_type() {
  Type t(check(H5Tcopy(H5T_C_S1), H5I_INVALID_HID, "string type", "cannot copy type"));
  check(H5Tset_size(t.id(), H5T_VARIABLE), H5I_INVALID_HID, "string type", "cannot size type");
  check(H5Tset_cset(t.id(), H5T_CSET_UTF8), H5I_INVALID_HID, "string type", "cannot set cset");
  return t;
}

using RawIo = std::function<herr_t(hid_t mem_type, void* buf)>;
using RawOut = std::function<herr_t(hid_t mem_type, const void* buf)>;

// Writes n strings through `write` as variable-length UTF-8.
void write_strings_via(const std::vector<std::string>& values, const RawOut& write, hid_t loc,
                       const std::string& name, bool attribute) {
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& v : values) ptrs.push_back(v.c_str());
  Type t = string_type();
  if (!values.empty()) check(write(t.id(), ptrs.data()), loc, name, "cannot write", attribute);
}

// Reads n strings of file type `ftype` through `read`, accepting variable- and fixed-length.
std::vector<std::string> read_strings_via(hid_t ftype, hsize_t n, const RawIo& read, hid_t loc,
                                          const std::string& name, bool attribute) {
  if (H5Tget_class(ftype) != H5T_STRING) fail_at(loc, name, attribute, "is not a string");
  Type mem(
      check(H5Tget_native_type(ftype, H5T_DIR_DEFAULT), loc, name, "bad string type", attribute));
  std::vector<std::string> out(n);
  if (n == 0) return out;
  if (check(H5Tis_variable_str(ftype), loc, name, "bad string type", attribute) > 0) {
    std::vector<char*> ptrs(n, nullptr);
    check(read(mem.id(), ptrs.data()), loc, name, "cannot read", attribute);
    for (hsize_t i = 0; i < n; ++i) {
      if (ptrs[i]) out[i] = ptrs[i];
      H5free_memory(ptrs[i]);
    }
  } else {
    const size_t size = H5Tget_size(ftype);
    std::vector<char> buf(n * size);
    check(read(mem.id(), buf.data()), loc, name, "cannot read", attribute);
    for (hsize_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * size, size);
      s.erase(s.find_last_not_of('\0') + 1);
      out[i] = std::move(s);
    }
  }
  return out;
}

hsize_t num_points(hid_t space, hid_t loc, const std::string& name, bool attribute) {
  return static_cast<hsize_t>(
      check(H5Sget_simple_extent_npoints(space), loc, name, "bad dataspace", attribute));
}

// Writes `bytes` to a new file `path` and fsyncs it, so the rename that follows never publishes a
// file whose contents are still only in the page cache. Throws with the OS reason.
void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  auto fail_os = [&](int fd, const std::string& reason) {
    if (fd >= 0) ::close(fd);
    throw ResultsError(reason + " (while writing " + path + ")");
  };
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail_os(fd, std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_os(fd, n < 0 ? std::strerror(errno) : "short write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail_os(fd, std::strerror(errno));
  if (::close(fd) != 0) fail_os(-1, std::strerror(errno));
}

// Moves the finished temporary file to `path`. Without force, renameat2(RENAME_NOREPLACE) makes
// "refuse an existing file" atomic; filesystems without it fall back to check-then-rename.
void publish(const std::string& tmp, const std::string& path, bool force) {
#ifdef RENAME_NOREPLACE
  if (!force) {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return;
    if (errno == EEXIST) throw ResultsError(path + " exists; pass --force to overwrite it");
    if (errno != EINVAL && errno != ENOSYS) {
      throw ResultsError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    }
  }
#endif
  if (!force && std::filesystem::exists(path)) {
    throw ResultsError(path + " exists; pass --force to overwrite it");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw ResultsError("cannot rename " + tmp + " to " + path + ": " + ec.message());
}

}  // namespace

void write_atomically(const std::string& path, bool force, const std::function<void(hid_t)>& fill) {
  namespace fs = std::filesystem;
  check_output_writable(path, force);
  const fs::path dir = fs::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) fs::create_directories(dir, ec);
  if (ec) {
    throw ResultsError("cannot write " + path + ": cannot create directory " + dir.string() + " (" +
                       ec.message() + ")");
  }
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  try {
    std::vector<char> image;
    {
      const auto lock = lock_library();
      File file = create_in_memory(path);
      fill(file.id());
      image = take_image(file);
    }
    write_bytes(tmp, image);
    publish(tmp, path, force);
  } catch (const std::exception& e) {
    fs::remove(tmp, ec);
    // Errors from HDF5 already start with "PATH:" (the in-memory file carries the target's name).
    std::string msg = e.what();
    if (msg.rfind(path + ":", 0) == 0) msg.erase(0, path.size() + 1);
    throw ResultsError("cannot write " + path + ": " + msg);
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
}

std::unique_lock<std::mutex> lock_library() {
  static std::mutex m;
  return std::unique_lock<std::mutex>(m);
}

void silence_errors() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

void fail(hid_t loc, const std::string& object, const std::string& what) {
  fail_at(loc, object, false, what);
}

File create_in_memory(const std::string& name) {
  silence_errors();
  PropList fapl(check(H5Pcreate(H5P_FILE_ACCESS), H5I_INVALID_HID, name, "cannot create plist"));
  // Grow the in-memory image 4 MiB at a time; keep nothing on disk (backing_store = false).
  check(H5Pset_fapl_core(fapl.id(), 4u << 20, false), H5I_INVALID_HID, name,
        "cannot select the core driver");
  // STRONG: closing the file closes anything still open in it.
  check(H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG), H5I_INVALID_HID, name,
        "cannot set close degree");
  return File(check(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id()), H5I_INVALID_HID,
                    name, "cannot create HDF5 file in memory"));
}

File open_file(const std::string& path) {
  silence_errors();
  PropList fapl(check(H5Pcreate(H5P_FILE_ACCESS), H5I_INVALID_HID, path, "cannot create plist"));
  check(H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG), H5I_INVALID_HID, path,
        "cannot set close degree");
  return File(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.id()), H5I_INVALID_HID, path,
                    "cannot open HDF5 file"));
}

std::vector<char> take_image(File& file) {
  check(H5Fflush(file.id(), H5F_SCOPE_GLOBAL), file.id(), "", "cannot flush file");
  const ssize_t size = check(H5Fget_file_image(file.id(), nullptr, 0), file.id(), "",
                             "cannot get the file image size");
  std::vector<char> image(static_cast<size_t>(size));
  check(H5Fget_file_image(file.id(), image.data(), image.size()), file.id(), "",
        "cannot copy the file image");
  check(file.close(), H5I_INVALID_HID, "in-memory file", "cannot close file");
  return image;
}

Group create_group(hid_t loc, const std::string& name) {
  return Group(check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), loc,
                     name, "cannot create group"));
}

Group open_group(hid_t loc, const std::string& name) {
  return Group(check(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), loc, name, "missing group"));
}

bool exists(hid_t loc, const std::string& name) {
  return check(H5Lexists(loc, name.c_str(), H5P_DEFAULT), loc, name, "cannot look up") > 0;
}

std::vector<std::string> attr_names(hid_t loc) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  auto collect = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  check(H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &names), loc, "",
        "cannot list attributes");
  return names;
}

bool attr_exists(hid_t loc, const std::string& name) {
  return check(H5Aexists(loc, name.c_str()), loc, name, "cannot look up attribute") > 0;
}

void write_array(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
                 const std::vector<hsize_t>& dims, const void* data) {
  Dataspace space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), loc,
                        name, "cannot create dataspace"));
  Dataset d(check(
      H5Dcreate2(loc, name.c_str(), file_type, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      loc, name, "cannot create dataset"));
  hsize_t n = 1;
  for (auto x : dims) n *= x;
  if (n > 0) {
    check(H5Dwrite(d.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), loc, name,
          "cannot write dataset");
  }
}

std::vector<hsize_t> array_dims(hid_t loc, const std::string& name, int rank) {
  Dataset d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), loc, name, "missing dataset"));
  Type t(check(H5Dget_type(d.id()), loc, name, "cannot get type"));
  const H5T_class_t cls = H5Tget_class(t.id());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) fail(loc, name, "is not numeric");
  Dataspace space(check(H5Dget_space(d.id()), loc, name, "cannot get dataspace"));
  const int r = check(H5Sget_simple_extent_ndims(space.id()), loc, name, "bad dataspace");
  if (r != rank) {
    fail(loc, name, "has rank " + std::to_string(r) + ", expected " + std::to_string(rank));
  }
  std::vector<hsize_t> dims(rank);
  check(H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr), loc, name, "bad dataspace");
  return dims;
}

void read_array(hid_t loc, const std::string& name, hid_t mem_type, void* data) {
  Dataset d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), loc, name, "missing dataset"));
  Dataspace space(check(H5Dget_space(d.id()), loc, name, "cannot get dataspace"));
  if (num_points(space.id(), loc, name, false) > 0) {
    check(H5Dread(d.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), loc, name,
          "cannot read dataset");
  }
}

void write_attr_raw(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
                    const void* value) {
  Dataspace space(check(H5Screate(H5S_SCALAR), loc, name, "cannot create dataspace", true));
  Attribute a(check(H5Acreate2(loc, name.c_str(), file_type, space.id(), H5P_DEFAULT, H5P_DEFAULT),
                    loc, name, "cannot create attribute", true));
  check(H5Awrite(a.id(), mem_type, value), loc, name, "cannot write attribute", true);
}

void read_attr_raw(hid_t loc, const std::string& name, hid_t mem_type, void* value) {
  Attribute a(check(H5Aopen(loc, name.c_str(), H5P_DEFAULT), loc, name, "missing", true));
  Dataspace space(check(H5Aget_space(a.id()), loc, name, "cannot get dataspace", true));
  if (num_points(space.id(), loc, name, true) != 1) fail_at(loc, name, true, "is not a scalar");
  Type t(check(H5Aget_type(a.id()), loc, name, "cannot get type", true));
  const H5T_class_t cls = H5Tget_class(t.id());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) fail_at(loc, name, true, "is not numeric");
  check(H5Aread(a.id(), mem_type, value), loc, name, "cannot read attribute", true);
}

void write_string_attr(hid_t loc, const std::string& name, const std::string& value) {
  Type t = string_type();
  Dataspace space(check(H5Screate(H5S_SCALAR), loc, name, "cannot create dataspace", true));
  Attribute a(check(H5Acreate2(loc, name.c_str(), t.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                    loc, name, "cannot create attribute", true));
  write_strings_via(
      {value}, [&](hid_t mt, const void* buf) { return H5Awrite(a.id(), mt, buf); }, loc, name,
      true);
}

std::string read_string_attr(hid_t loc, const std::string& name) {
  Attribute a(check(H5Aopen(loc, name.c_str(), H5P_DEFAULT), loc, name, "missing", true));
  Dataspace space(check(H5Aget_space(a.id()), loc, name, "cannot get dataspace", true));
  if (num_points(space.id(), loc, name, true) != 1) fail_at(loc, name, true, "is not a scalar");
  Type t(check(H5Aget_type(a.id()), loc, name, "cannot get type", true));
  return read_strings_via(
      t.id(), 1, [&](hid_t mt, void* buf) { return H5Aread(a.id(), mt, buf); }, loc, name, true)[0];
}

namespace {
// One string dataset: scalar (rank 0) when `scalar`, otherwise 1-D [values.size()].
void write_string_dataset(hid_t loc, const std::string& name,
                          const std::vector<std::string>& values, bool scalar) {
  Type t = string_type();
  const hsize_t n = values.size();
  Dataspace space(check(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), loc,
                        name, "cannot create dataspace"));
  Dataset d(check(
      H5Dcreate2(loc, name.c_str(), t.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), loc,
      name, "cannot create dataset"));
  write_strings_via(
      values,
      [&](hid_t mt, const void* buf) {
        return H5Dwrite(d.id(), mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
      },
      loc, name, false);
}

std::vector<std::string> read_string_dataset(hid_t loc, const std::string& name, bool scalar) {
  Dataset d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), loc, name, "missing dataset"));
  Dataspace space(check(H5Dget_space(d.id()), loc, name, "cannot get dataspace"));
  const int rank = check(H5Sget_simple_extent_ndims(space.id()), loc, name, "bad dataspace");
  if (rank != (scalar ? 0 : 1)) fail(loc, name, scalar ? "is not a scalar" : "is not 1-D");
  Type t(check(H5Dget_type(d.id()), loc, name, "cannot get type"));
  return read_strings_via(
      t.id(), num_points(space.id(), loc, name, false),
      [&](hid_t mt, void* buf) { return H5Dread(d.id(), mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); },
      loc, name, false);
}
}  // namespace

void write_string(hid_t loc, const std::string& name, const std::string& value) {
  write_string_dataset(loc, name, {value}, true);
}

std::string read_string(hid_t loc, const std::string& name) {
  return read_string_dataset(loc, name, true)[0];
}

void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& values) {
  write_string_dataset(loc, name, values, false);
}

std::vector<std::string> read_strings(hid_t loc, const std::string& name) {
  return read_string_dataset(loc, name, false);
}

}  // namespace fedsim::h5
