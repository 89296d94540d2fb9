// CudaBackend: every Backend op on one NVIDIA GPU (device 0), over one stream and one cuBLAS handle
// that the backend owns. See docs/cuda-backend.md for the design and the determinism notes.
//
// This header includes no CUDA header: the stream and the cuBLAS handle are held through the
// opaque structs that cudaStream_t and cublasHandle_t point to, declared (not defined) below.
// The engine never includes it: it gets the backend from make_cuda_backend() (backend.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cuda/experimental.h"
#include "sim/backend/backend.h"
#include "sim/backend/ragged_buckets.h"

struct CUstream_st;    // cudaStream_t is CUstream_st*
struct cublasContext;  // cublasHandle_t is cublasContext*
struct CUevent_st;     // cudaEvent_t is CUevent_st*

namespace fedsim {

class CudaBackend final : public Backend {
 public:
  // Uses device 0; throws BackendError if there is none or it cannot be set up.
  CudaBackend();
  ~CudaBackend() override;  // synchronises; logs errors (never throws)
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return "cuda"; }
  std::string device() const override { return device_; }  // "<GPU>, <N> GiB, CUDA <x.y>"
  size_t chunk_bytes() const override { return chunk_bytes_; }
  // With FEDSIM_CUDA_EXPERIMENTAL's shared_weights only: a batched GEMM over one shared B and
  // stacked rows of A and C runs as one large GEMM (see gemm_batched).
  bool prefers_shared_weights() const override { return experimental_.shared_weights; }

  void* alloc_bytes(size_t bytes) override;
  void free_bytes(void* p) noexcept override;
  void to_device(void* dst, const void* src, size_t bytes) override;
  void to_host(void* dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void fill(float* x, float value, size_t n) override;
  void synchronize() override;

  void gemm_batched(bool trans_a,
                    bool trans_b,
                    int m,
                    int n,
                    int k,
                    float alpha,
                    const float* a,
                    int lda,
                    int64_t stride_a,
                    const float* b,
                    int ldb,
                    int64_t stride_b,
                    float beta,
                    float* c,
                    int ldc,
                    int64_t stride_c,
                    int batch) override;
  void gemm_ragged(Ragged which,
                   const int* rows_host,
                   bool trans_a,
                   bool trans_b,
                   int m,
                   int n,
                   int k,
                   float alpha,
                   const float* a,
                   int lda,
                   int64_t stride_a,
                   const float* b,
                   int ldb,
                   int64_t stride_b,
                   float beta,
                   float* c,
                   int ldc,
                   int64_t stride_c,
                   int batch) override;
  void gather_rows(float* x_out,
                   int32_t* y_out,
                   const float* x,
                   const int32_t* y,
                   const int64_t* idx,
                   int64_t rows,
                   int d) override;
  void bias_act_forward(float* z,
                        const float* params,
                        int64_t param_stride,
                        int64_t b_offset,
                        int K,
                        int B,
                        int n,
                        bool relu,
                        const int* rows_host) override;
  void relu_backward(float* da, const float* a, int K, int B, int n, const int* rows_host) override;
  void softmax_xent_backward(float* dlogits,
                             float* loss_acc,
                             const float* logits,
                             const int32_t* labels,
                             const float* w,
                             const float* scale,
                             int K,
                             int B,
                             int C) override;
  void bias_grad(float* grad,
                 int64_t param_stride,
                 int64_t b_offset,
                 const float* dz,
                 int K,
                 int B,
                 int n,
                 float alpha,
                 float beta) override;
  void ghost_sqnorm(float* n2,
                    const float* delta,
                    const float* a,
                    int K,
                    int B,
                    int out,
                    int in,
                    bool accumulate,
                    const int* rows_host) override;
  void clip_factors(float* c,
                    float* clipped_acc,
                    const float* n2,
                    const float* w,
                    float clip,
                    int K,
                    int B) override;
  void scale_rows(float* x, const float* c, int64_t rows, int n) override;
  void add_noise_and_scale(float* g,
                           int K,
                           int64_t P,
                           float stddev,
                           const float* scale_host,
                           uint64_t seed,
                           uint32_t purpose,
                           uint32_t round,
                           const uint32_t* client_ids_host,
                           uint32_t step) override;
  void noisy_layer_step(const int* rows_host,
                        int K,
                        int B,
                        int out,
                        int in,
                        const float* dz,
                        const float* row_scale,
                        const float* a,
                        float* params,
                        int64_t param_stride,
                        int64_t w_offset,
                        int64_t b_offset,
                        float stddev,
                        const float* lr_scale_host,
                        uint64_t seed,
                        uint32_t purpose,
                        uint32_t round,
                        const uint32_t* client_ids_host,
                        uint32_t step) override;
  // FEDSIM_CUDA_EXPERIMENTAL's fused_noise only (kernels_weight_grad.cu).
  bool prefers_noisy_layer_step() const override { return experimental_.fused_noise; }
  void noisy_sgd_step(float* params,
                      const float* grad,
                      int K,
                      int64_t P,
                      float stddev,
                      const float* lr_scale_host,
                      uint64_t seed,
                      uint32_t purpose,
                      uint32_t round,
                      const uint32_t* client_ids_host,
                      uint32_t step) override;
  void sgd_update(float* params,
                  const float* grad,
                  float* velocity,
                  const float* global,
                  const SgdParams& p,
                  int K,
                  int64_t P) override;
  void broadcast_rows(float* rows, const float* src, int K, int64_t P) override;
  void subtract_row(float* rows, const float* src, int K, int64_t P) override;
  void row_sqnorms(
      double* out_host, const float* rows, const float* sub, int K, int64_t P) override;
  void weighted_row_sum(float* out,
                        const float* rows,
                        const float* sub,
                        const float* w_host,
                        int K,
                        int64_t P,
                        float beta) override;
  void server_update(
      float* x, const float* delta, float* m, float* v, const ServerParams& p, int64_t P) override;
  void softmax_eval(float* loss,
                    int32_t* pred,
                    float* p1,
                    const float* logits,
                    const int32_t* labels,
                    int64_t n,
                    int C) override;
  void add_philox_masks(uint32_t* acc,
                        size_t n,
                        const PhiloxMaskKey* keys_host,
                        const uint8_t* subtract_host,
                        int count) override;

 private:
  // RAII owners (the deleters log errors, never throw).
  struct StreamDeleter {
    void operator()(CUstream_st* s) const noexcept;
  };
  struct CublasDeleter {
    void operator()(cublasContext* h) const noexcept;
  };
  struct DeviceFree {
    void operator()(void* p) const noexcept;
  };
  using DeviceMemory = std::unique_ptr<void, DeviceFree>;

  // A device buffer for small per-op arrays (the host arrays an op takes: per-client scales,
  // client ids, aggregation weights; row_sqnorms' results). Allocated in the constructor for
  // kScratchEntries entries and grown (after a stream synchronisation) only when an op needs more,
  // so a training loop in steady state never allocates.
  struct Scratch {
    DeviceMemory mem;
    size_t bytes = 0;
  };
  void* scratch(Scratch& s, size_t bytes);
  // Copies host data into a scratch buffer on the stream and returns the device pointer.
  template <typename T>
  const T* stage(Scratch& s, const T* host, size_t n);
  // cudaMemcpyAsync host -> device on the stream. Pageable sources are staged by the driver before
  // the call returns, so the caller may reuse them at once; a pinned source is synchronised.
  // With FEDSIM_CUDA_EXPERIMENTAL=1 (not yet verified on a GPU), pageable sources
  // up to a slot's size are copied into a ring of pinned slots first and sent from there, so the
  // host never waits for the device to reach the copy; a slot is reused only after the event of
  // its last copy has completed.
  void upload(void* dst, const void* src, size_t bytes);
  struct PinnedRing;
  struct PinnedRingDeleter {
    void operator()(PinnedRing* r) const noexcept;
  };
  std::unique_ptr<PinnedRing, PinnedRingDeleter> pinned_;
  // Called after every op: with FEDSIM_CUDA_SYNC=1 in the environment, synchronises and checks,
  // so an asynchronous kernel fault is reported at the op that caused it (debugging); with
  // FEDSIM_CUDA_OP_TIMING=1, records an event for the per-op time table (OpTiming).
  void after_op(const char* op);

  // Per-op GPU time (FEDSIM_CUDA_OP_TIMING=1): an event after every op; the time between two
  // consecutive events is charged to the later op (so an idle gap waiting for the host is charged
  // to the op that follows it). The table goes to stderr when the backend is destroyed.
  struct OpTiming;
  struct OpTimingDeleter {
    void operator()(OpTiming* t) const noexcept;
  };
  std::unique_ptr<OpTiming, OpTimingDeleter> timing_;

  // gemm_ragged's bucket plan for the row counts it saw last (FEDSIM_CUDA_EXPERIMENTAL=1): the
  // trainer passes the same counts to every GEMM of a micro-batch, so the plan is computed, and its
  // client order uploaded (plan_order_), once per micro-batch; each GEMM then only writes its
  // pointer arrays with a kernel, instead of building and uploading them on the host.
  const RaggedBuckets& ragged_plan(const int* rows_host, int batch, int full, bool drop_empty);
  RaggedPlanCache plan_;
  // The row counts on the device for the weight-gradient kernel's ragged K (experimental):
  // uploaded only when they differ from the last ones sent.
  const int* rows_on_device(const int* rows_host, int batch);
  // The row bounds for the row-wise ops: on the device with FEDSIM_CUDA_EXPERIMENTAL's row_bounds,
  // else null (every row computed, as backend.h allows).
  const int* row_bounds(const int* rows_host, int K) {
    return experimental_.row_bounds && rows_host ? rows_on_device(rows_host, K) : nullptr;
  }
  std::vector<int> rows_sent_;

  std::string device_;
  size_t chunk_bytes_ = 0;
  bool sync_every_op_ = false;
  // FEDSIM_CUDA_EXPERIMENTAL: the paths not yet verified on a GPU (cuda/experimental.h);
  // tools/gpu-check.sh runs the conformance suite and the benchmark with and without them.
  CudaExperimental experimental_;
  // Declaration order = reverse destruction order: the cuBLAS handle goes first, then the memory
  // it and the kernels use, then the stream.
  std::unique_ptr<CUstream_st, StreamDeleter> stream_;
  DeviceMemory cublas_workspace_;
  Scratch scratch_f32_, scratch_u32_, scratch_f64_, scratch_ptr_, plan_order_, rows_dev_;
  std::vector<const float*> ptr_host_;  // gemm_ragged's pointer arrays, before staging
  std::unique_ptr<cublasContext, CublasDeleter> cublas_;
};

}  // namespace fedsim
