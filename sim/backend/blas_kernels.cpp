// OpenBLAS kernel selection (see blas_kernels.h).
#include "sim/backend/blas_kernels.h"

#include <unistd.h>

#include <cstdlib>

extern "C" char* openblas_get_corename(void);

namespace fedsim {

std::string blas_core_name() {
  return openblas_get_corename();
}

std::string better_blas_core() {
  if (std::getenv("OPENBLAS_CORETYPE")) return "";  // the user chose
  if (blas_core_name() != "Prescott") return "";    // detection worked (or an old CPU)
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return "";
}

void reexec_with_better_blas_kernels(char** argv) {
  const char* opt = std::getenv("FEDSIM_BLAS_AUTO");
  if (opt && std::string(opt) == "0") return;
  const std::string core = better_blas_core();
  if (core.empty()) return;
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // exec failed: go on with the detected kernels
}

}  // namespace fedsim
