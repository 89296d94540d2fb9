// FEDSIM_HD marks inline functions that compile for both host and CUDA device code, so CPU loops
// and kernels run the very same per-element math. No CUDA header is included here.
#pragma once

#if defined(__CUDACC__)
#define FEDSIM_HD __host__ __device__
#else
#define FEDSIM_HD
#endif
