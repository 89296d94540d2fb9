// Error checks for CUDA runtime and cuBLAS calls: throw BackendError with file:line and the call.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "sim/backend/backend.h"

#define CUDA_CHECK_THROW(call)                                                               \
  do {                                                                                       \
    const cudaError_t err_ = (call);                                                         \
    if (err_ != cudaSuccess)                                                                 \
      throw ::fedsim::BackendError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                   ": " #call ": " + cudaGetErrorString(err_));              \
  } while (0)

#define CUBLAS_CHECK_THROW(call)                                                             \
  do {                                                                                       \
    const cublasStatus_t st_ = (call);                                                       \
    if (st_ != CUBLAS_STATUS_SUCCESS)                                                        \
      throw ::fedsim::BackendError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                   ": " #call ": cuBLAS status " + std::to_string(int(st_))); \
  } while (0)
