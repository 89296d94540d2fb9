// What built and runs this fedsim (see manifest.h).
#include "sim/results/manifest.h"

#include <hdf5.h>
#include <omp.h>
#include <openssl/crypto.h>
#include <toml++/toml.h>
#include <zlib.h>

#include <fstream>

#include "sim/backend/blas_kernels.h"

extern "C" char* openblas_get_config(void);

namespace fedsim {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line
                                        : line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

}  // namespace

Manifest build_manifest() {
  Manifest m;
#if defined(__clang__)
  m.emplace_back("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  m.emplace_back("compiler", "gcc " __VERSION__);
#else
  m.emplace_back("compiler", "unknown");
#endif
#ifdef NDEBUG
  m.emplace_back("build_type", "release (NDEBUG)");
#else
  m.emplace_back("build_type", "debug");
#endif
  m.emplace_back("cxx_standard", std::to_string(__cplusplus));
  m.emplace_back("openblas", std::string(openblas_get_config()) + "; kernels " + blas_core_name());
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  m.emplace_back("hdf5",
                 std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel));
  m.emplace_back("tomlplusplus", std::to_string(TOML_LIB_MAJOR) + "." +
                                     std::to_string(TOML_LIB_MINOR) + "." +
                                     std::to_string(TOML_LIB_PATCH));
  m.emplace_back("openssl", OpenSSL_version(OPENSSL_VERSION));
  m.emplace_back("zlib", zlibVersion());
  m.emplace_back("openmp_threads", std::to_string(omp_get_max_threads()));
  m.emplace_back("host_cpu", cpu_model());
  return m;
}

}  // namespace fedsim
