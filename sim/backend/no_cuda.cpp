// make_cuda_backend and cuda_compiled_in for a build without CUDA (with CUDA, cuda/cuda_backend.cpp
// defines them). A file of its own, so that a test binary that brings its own CUDA backend (the
// host emulation, tests/cuda_emulation/) does not also pull these from the static library.
#include "sim/backend/backend.h"

namespace fedsim {

#ifndef FEDSIM_HAVE_CUDA
bool cuda_compiled_in() {
  return false;
}
std::unique_ptr<Backend> make_cuda_backend() {
  throw BackendError(
      "backend 'cuda': this fedsim was built without CUDA (nvcc was not found at configure time)");
}
#endif

}  // namespace fedsim
