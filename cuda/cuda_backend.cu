// The CUDA backend's entry points. In this issue (#2) only device detection is here: the ops land
// with the CUDA backend issue (#4). make_cuda_backend() therefore says clearly why it cannot run,
// and `--backend auto` falls back to the CPU.
#include <cuda_runtime.h>

#include <string>

#include "cuda/cuda_check.cuh"
#include "sim/backend/backend.h"

namespace fedsim {

bool cuda_compiled_in() { return true; }

std::unique_ptr<Backend> make_cuda_backend() {
  int count = 0;
  // Without a driver this returns an error (not zero devices): both mean "no device".
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0)
    throw BackendError(std::string("backend 'cuda': no CUDA device available (") +
                       (err != cudaSuccess ? cudaGetErrorString(err) : "0 devices") + ")");
  cudaDeviceProp prop{};
  CUDA_CHECK_THROW(cudaGetDeviceProperties(&prop, 0));
  throw BackendError(std::string("backend 'cuda': found ") + prop.name +
                     ", but the CUDA ops are not implemented yet (issue #4); use --backend cpu");
}

}  // namespace fedsim
