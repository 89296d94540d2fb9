// Error checks for CUDA runtime and cuBLAS calls: throw BackendError with file:line and the call.
//
// CUDA_CHECK_THROW(call)    a runtime call; on error, clears the (non-sticky) last-error state
//                           first, so a later cudaGetLastError() does not report it a second time.
// CUBLAS_CHECK_THROW(call)  a cuBLAS call, with the status name.
// CUDA_CHECK_LAUNCH()       after every kernel launch: launch errors (bad configuration, no kernel
//                           image for this GPU) are reported by cudaGetLastError.
// CUDA_CHECK_LOG(call)      for destructors and free_bytes: logs to stderr, never throws.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <string>

#include "sim/backend/backend.h"

#define CUDA_CHECK_THROW(call)                                                              \
  do {                                                                                      \
    const cudaError_t err_ = (call);                                                        \
    if (err_ != cudaSuccess) {                                                              \
      (void)cudaGetLastError(); /* reset the non-sticky error state */                      \
      throw ::fedsim::BackendError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                   ": " #call ": " + cudaGetErrorName(err_) + ": " +        \
                                   cudaGetErrorString(err_));                               \
    }                                                                                       \
  } while (0)

#define CUBLAS_CHECK_THROW(call)                                                            \
  do {                                                                                      \
    const cublasStatus_t st_ = (call);                                                      \
    if (st_ != CUBLAS_STATUS_SUCCESS)                                                       \
      throw ::fedsim::BackendError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                   ": " #call ": " + cublasGetStatusName(st_) + ": " +      \
                                   cublasGetStatusString(st_));                             \
  } while (0)

#define CUDA_CHECK_LAUNCH() CUDA_CHECK_THROW(cudaGetLastError())

#define CUDA_CHECK_LOG(call)                                                          \
  do {                                                                                \
    const cudaError_t err_ = (call);                                                  \
    if (err_ != cudaSuccess)                                                          \
      std::fprintf(stderr, "fedsim cuda: %s:%d: %s: %s\n", __FILE__, __LINE__, #call, \
                   cudaGetErrorString(err_));                                         \
  } while (0)
