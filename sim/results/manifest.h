// The reproducibility manifest of a result file: the compiler and build, and the versions of the
// libraries that computed the numbers (with the fedsim version, commit, backend, device, resolved
// scenario and command line recorded beside it, this is what a paper's appendix needs).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace fedsim {

using Manifest = std::vector<std::pair<std::string, std::string>>;  // (name, value), in order

// compiler, build_type, cxx_standard, openblas (config and kernels), hdf5, tomlplusplus, openssl,
// zlib, openmp_threads, host cpu.
Manifest build_manifest();

}  // namespace fedsim
