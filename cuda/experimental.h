// The CUDA backend's paths not yet verified on a GPU, chosen by FEDSIM_CUDA_EXPERIMENTAL: "1" or
// "all" turns on every one, a comma-separated list of names some ("0" or unset: none). Each is off
// by default until tools/gpu-check.sh (which runs the conformance suite, memcheck, the benchmark
// and the per-op profile with all of them) shows it correct and faster. No CUDA types: the unit
// tests parse settings on any machine.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace fedsim {

struct CudaExperimental {
  bool pinned = false;          // uploads through a ring of pinned slots (CudaBackend::upload)
  bool shared_weights = false;  // one GEMM over the global weights in a round's first step
  bool ragged_plans = false;    // cached bucket plans, pointer arrays written on the device
  bool weight_grad = false;     // the weight-gradient kernel (kernels_weight_grad.cu)
  bool fused_noise = false;     // DP-SGD's noisy step inside that kernel (noisy_layer_step)
  bool row_bounds = false;      // row-wise ops skip the padding rows of ragged batches
  bool any() const {
    return pinned || shared_weights || ragged_plans || weight_grad || fused_noise || row_bounds;
  }
};

inline constexpr const char* kCudaExperimentalNames =
    "pinned, shared_weights, ragged_plans, weight_grad, fused_noise, row_bounds";

// Throws std::invalid_argument naming the unknown entry and the known ones.
inline CudaExperimental parse_cuda_experimental(const char* value) {
  CudaExperimental x;
  const std::string v = value ? value : "";
  if (v.empty() || v == "0") return x;
  if (v == "1" || v == "all") return {true, true, true, true, true, true};
  std::stringstream list(v);
  for (std::string name; std::getline(list, name, ',');) {
    const auto first = name.find_first_not_of(' '), last = name.find_last_not_of(' ');
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    if (name == "pinned")
      x.pinned = true;
    else if (name == "shared_weights")
      x.shared_weights = true;
    else if (name == "ragged_plans")
      x.ragged_plans = true;
    else if (name == "weight_grad")
      x.weight_grad = true;
    else if (name == "fused_noise")
      x.fused_noise = true;
    else if (name == "row_bounds")
      x.row_bounds = true;
    else
      throw std::invalid_argument(
          "FEDSIM_CUDA_EXPERIMENTAL: unknown path '" + name +
          "' (expected 1, all, 0 or a comma-separated list of: " + kCudaExperimentalNames + ")");
  }
  return x;
}

}  // namespace fedsim
