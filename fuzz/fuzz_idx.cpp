// libFuzzer target for the IDX loader (load_idx): the input is split into a label file and an image
// file (see fuzz_input.h), both written to a scratch directory and loaded. A crash, a sanitizer
// report, an exception that is not std::runtime_error, or an error that does not name the file is
// a bug; tools/fuzz.sh builds and runs this.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_input.h"
#include "sim/data/idx_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fedsim::fuzz::IdxPaths p =
      fedsim::fuzz::write_idx_input(data, size, fedsim::fuzz::scratch_dir());
  try {
    const fedsim::Dataset ds = fedsim::load_idx(p.images, p.labels);
    // What loaded must be consistent.
    if (ds.n < 1 || ds.d < 1 || ds.x.size() != size_t(ds.n) * size_t(ds.d) ||
        ds.y.size() != size_t(ds.n) || ds.classes < 2)
      __builtin_trap();
  } catch (const std::runtime_error& e) {
    fedsim::fuzz::require_names_file(e.what(), p.images, p.labels);
  }
  return 0;
}
