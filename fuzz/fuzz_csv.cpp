// libFuzzer target for the CSV loader (load_csv): the first byte picks the column configuration,
// the rest is the file (see fuzz_input.h). A crash, a sanitizer report, an exception that is not
// std::runtime_error, or an error that does not name the file is a bug; tools/fuzz.sh runs this.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_input.h"
#include "sim/data/csv_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = fedsim::fuzz::scratch_dir();
  static const std::string key = [&] {
    const std::string k = dir + "/hmac.key";
    std::ofstream(k, std::ios::binary) << "fuzz-key";
    return k;
  }();
  const fedsim::DataConfig cfg = fedsim::fuzz::write_csv_input(data, size, dir, key);
  try {
    fedsim::CsvExtras extras;
    const fedsim::Dataset ds = fedsim::load_csv(cfg, &extras);
    if (ds.n < 1 || ds.d < 1 || ds.x.size() != size_t(ds.n) * size_t(ds.d) ||
        ds.y.size() != size_t(ds.n) || ds.classes < 2 ||
        extras.label_values.size() != size_t(ds.classes))
      __builtin_trap();
    for (int32_t y : ds.y)
      if (y < 0 || y >= ds.classes) __builtin_trap();
  } catch (const std::runtime_error& e) {
    fedsim::fuzz::require_names_file(e.what(), cfg.path);
  }
  return 0;
}
