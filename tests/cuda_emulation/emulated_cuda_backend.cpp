// The whole CUDA backend (cuda/cuda_backend.cpp, cuda/cublas_gemm.cpp and every kernel file) built
// as C++ against the host emulation of the CUDA runtime and cuBLAS in this directory (see
// cuda_runtime.h here), so that test_backend_conformance_emulated runs the conformance suite, op by
// op and over whole simulations, against the backend's own code on a CPU: make_backend("cuda")
// returns this emulated CudaBackend in that binary.
#include "cuda/cublas_gemm.cpp"
#include "cuda/cuda_backend.cpp"
#include "cuda/kernels_dp.cu"
#include "cuda/kernels_layers.cu"
#include "cuda/kernels_memory.cu"
#include "cuda/kernels_secagg.cu"
#include "cuda/kernels_updates.cu"
#include "cuda/kernels_weight_grad.cu"
