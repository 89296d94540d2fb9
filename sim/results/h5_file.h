// Thin RAII layer over the HDF5 C API, used by the result and federation files.
//
// Why not the HDF5 C++ API: the C library is what every platform ships, and the handful of calls we
// need are easier to reason about (and to turn into clear errors) directly. Every failing HDF5 call
// throws ResultsError naming the file, the object inside it and HDF5's innermost reason (e.g. "No
// space left on device"). HDF5's own error printing to stderr is switched off.
//
// Conventions (documented in docs/results-format.md): numbers are stored little-endian with the
// standard HDF5 types; strings are variable-length UTF-8 (H5T_C_S1, H5T_VARIABLE, H5T_CSET_UTF8),
// scalar for one string and 1-D for a list. The serial HDF5 library is not thread-safe, so every
// use holds lock_library().
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace fedsim::h5 {

// Owns one hid_t and closes it with Close; move-only. close() reports errors, the destructor
// cannot.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t id() const { return id_; }
  // Closes now; returns HDF5's status (negative on failure).
  herr_t close() { return id_ >= 0 ? Close(std::exchange(id_, H5I_INVALID_HID)) : 0; }

 private:
  void reset() {
    if (id_ >= 0) Close(std::exchange(id_, H5I_INVALID_HID));
  }
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using Type = Handle<H5Tclose>;
using Attribute = Handle<H5Aclose>;
using PropList = Handle<H5Pclose>;

// The serial HDF5 library is not thread-safe: hold this lock for every sequence of HDF5 calls
// (write_atomically takes it itself; readers take it for the whole read).
std::unique_lock<std::mutex> lock_library();

// Switches off HDF5's automatic printing of its error stack (errors become exceptions instead).
void silence_errors();

// Throws ResultsError "FILE:/GROUP/OBJECT: WHAT (REASON)", REASON from HDF5's error stack when
// the last HDF5 call failed. `loc` may be any open id in the file, or H5I_INVALID_HID with `object`
// naming the file.
[[noreturn]] void fail(hid_t loc, const std::string& object, const std::string& what);

// Opens an existing file read-only. Objects still open are closed with the file.
File open_file(const std::string& path);

// Files are written in memory (core driver, no backing store) and then copied out as one image,
// so HDF5 itself never does file I/O that can fail. Why: in HDF5 before 1.14.1, an H5Fclose that
// fails while flushing (e.g. on a full disk) leaves a freed file in the ID table and the process
// crashes at exit (HDFFV-11052). `name` is only used in error messages.
File create_in_memory(const std::string& name);
// Flushes the in-memory file, returns its bytes and closes it.
std::vector<char> take_image(File& file);

// Writes an HDF5 file atomically: checks `path` (check_output_writable), creates its directory,
// lets `fill` build the file in memory, writes the image to a temporary file PATH.tmp-<pid> beside
// `path`, fsyncs it and renames it over `path`. Without force, an existing `path` is never
// replaced, even one that appeared meanwhile. On any failure the temporary file is removed, `path`
// is left untouched and ResultsError "cannot write PATH: REASON" is thrown (e.g. REASON "...: No
// space left on device"). Peak memory is about twice the file's size.
void write_atomically(const std::string& path, bool force, const std::function<void(hid_t)>& fill);

Group create_group(hid_t loc, const std::string& name);
Group open_group(hid_t loc, const std::string& name);
bool exists(hid_t loc, const std::string& name);  // link `name` exists directly under loc
bool attr_exists(hid_t loc, const std::string& name);
std::vector<std::string> attr_names(
    hid_t loc);  // every attribute on loc, in name order  // attribute `name` on loc

// Numeric element types and their HDF5 types (memory: native; file: standard little-endian).
template <typename T>
struct TypeOf;
#define FEDSIM_H5_TYPE(T, MEM, FILE_T)     \
  template <>                              \
  struct TypeOf<T> {                       \
    static hid_t mem() { return MEM; }     \
    static hid_t file() { return FILE_T; } \
  };
FEDSIM_H5_TYPE(int8_t, H5T_NATIVE_INT8, H5T_STD_I8LE)
FEDSIM_H5_TYPE(int32_t, H5T_NATIVE_INT32, H5T_STD_I32LE)
FEDSIM_H5_TYPE(int64_t, H5T_NATIVE_INT64, H5T_STD_I64LE)
FEDSIM_H5_TYPE(uint64_t, H5T_NATIVE_UINT64, H5T_STD_U64LE)
FEDSIM_H5_TYPE(float, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE)
FEDSIM_H5_TYPE(double, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE)
#undef FEDSIM_H5_TYPE

// Untyped cores of the numeric helpers below (dims: rank 1 or 2).
void write_array(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
                 const std::vector<hsize_t>& dims, const void* data);
// Returns the dataset's dims; checks its rank and that it holds numbers.
std::vector<hsize_t> array_dims(hid_t loc, const std::string& name, int rank);
void read_array(hid_t loc, const std::string& name, hid_t mem_type, void* data);

// 1-D dataset [v.size()] (length 0 allowed).
template <typename T>
void write_vector(hid_t loc, const std::string& name, const std::vector<T>& v) {
  write_array(loc, name, TypeOf<T>::mem(), TypeOf<T>::file(), {v.size()}, v.data());
}
template <typename T>
std::vector<T> read_vector(hid_t loc, const std::string& name) {
  std::vector<T> v(array_dims(loc, name, 1)[0]);
  read_array(loc, name, TypeOf<T>::mem(), v.data());
  return v;
}

// 2-D dataset [rows, cols] from row-major data; throws unless data.size() == rows * cols.
template <typename T>
void write_matrix(hid_t loc, const std::string& name, const std::vector<T>& data, hsize_t rows,
                  hsize_t cols) {
  if (data.size() != rows * cols) fail(loc, name, "matrix data does not match its shape");
  write_array(loc, name, TypeOf<T>::mem(), TypeOf<T>::file(), {rows, cols}, data.data());
}
template <typename T>
std::vector<T> read_matrix(hid_t loc, const std::string& name, hsize_t* rows, hsize_t* cols) {
  const auto dims = array_dims(loc, name, 2);
  *rows = dims[0];
  *cols = dims[1];
  std::vector<T> v(dims[0] * dims[1]);
  read_array(loc, name, TypeOf<T>::mem(), v.data());
  return v;
}

// Scalar numeric attributes on any object (file root, group, dataset).
void write_attr_raw(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
                    const void* value);
void read_attr_raw(hid_t loc, const std::string& name, hid_t mem_type, void* value);
template <typename T>
void write_attr(hid_t loc, const std::string& name, T value) {
  write_attr_raw(loc, name, TypeOf<T>::mem(), TypeOf<T>::file(), &value);
}
template <typename T>
T read_attr(hid_t loc, const std::string& name) {
  T value{};
  read_attr_raw(loc, name, TypeOf<T>::mem(), &value);
  return value;
}

// Strings: scalar string attributes, scalar string datasets and 1-D string datasets. Readers also
// accept fixed-length strings (written by other tools); trailing NULs are dropped.
void write_string_attr(hid_t loc, const std::string& name, const std::string& value);
std::string read_string_attr(hid_t loc, const std::string& name);
void write_string(hid_t loc, const std::string& name, const std::string& value);
std::string read_string(hid_t loc, const std::string& name);
void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& values);
std::vector<std::string> read_strings(hid_t loc, const std::string& name);

}  // namespace fedsim::h5
