// Which OpenBLAS kernels this process uses, and a way to get the right ones on CPUs that
// Debian 12's OpenBLAS 0.3.21 does not recognise.
//
// OpenBLAS picks its kernels by CPUID when the library loads. Versions before 0.3.25 fall back to
// the Prescott (SSE3) kernels on some recent Intel CPUs (OpenBLAS issue #4267, fixed by PR #4268),
// including this project's development VMs (AVX-512 Xeons), where SGEMM then runs 4.7x below
// what the SkylakeX kernels reach (bench/results/cpu-microbench.md). The kernels can only be
// chosen by OPENBLAS_CORETYPE before the library initialises, which happens before main().
#pragma once

#include <string>

namespace fedsim {

// OpenBLAS's name for the kernels in use ("SkylakeX", "Haswell", "Prescott", ...).
std::string blas_core_name();

// The core type this CPU supports better than the detected one, or "" when the detected one is
// right (or was forced with OPENBLAS_CORETYPE).
std::string better_blas_core();

// Called first in main(): when better_blas_core() is not empty and FEDSIM_BLAS_AUTO is not "0",
// sets OPENBLAS_CORETYPE and re-executes this program with the same arguments (once: the new
// process sees the variable). Returns only when nothing was done or the re-execution failed.
void reexec_with_better_blas_kernels(char** argv);

}  // namespace fedsim
