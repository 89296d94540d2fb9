// CudaBackend: device set-up, memory, and each Backend op as a launch of its kernel (kernels.cuh)
// or a cuBLAS call (cublas_gemm.h), all on the backend's one stream. Compiled by the host C++
// compiler (no kernels here), against the CUDA runtime and cuBLAS headers.
#include "cuda/cuda_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cuda/cublas_gemm.h"
#include "cuda/cuda_check.cuh"
#include "cuda/kernels.cuh"
#include "sim/backend/ragged_buckets.h"

namespace fedsim {
namespace {

constexpr size_t kCublasWorkspaceBytes = size_t(32) << 20;  // cuBLAS' recommendation for Hopper
constexpr size_t kScratchEntries = 65536;                   // per-op host arrays, before growing
constexpr double kChunkFraction = 0.4;  // of the free device memory, for one cohort chunk

// The reason no CUDA device can be used, or "" if device 0 exists. Without a driver,
// cudaGetDeviceCount returns an error (not zero devices): both mean "no device".
std::string no_device_reason() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
  }
  return count == 0 ? "0 devices" : "";
}

// Op names for the timing table: a GEMM's name says which operands are transposed (in a training
// step: NT the forward, NN the input gradient, TN the weight gradient).
const char* gemm_name(const char* const (&names)[4], bool ta, bool tb) {
  return names[(ta ? 2 : 0) + (tb ? 1 : 0)];
}
constexpr const char* kGemmBatched[4] = {"gemm_batched NN", "gemm_batched NT", "gemm_batched TN",
                                         "gemm_batched TT"};
constexpr const char* kGemmRagged[4] = {"gemm_ragged NN", "gemm_ragged NT", "gemm_ragged TN",
                                        "gemm_ragged TT"};
constexpr const char* kGemmWeightGrad = "gemm_tn_small_k";
// The weight-gradient kernel (kernels_weight_grad.cu) takes inner dimensions up to this: a local
// batch; larger ones are compute-bound and go to cuBLAS.
constexpr int kSmallK = 256;
constexpr const char* kGemmShared[4] = {"gemm_shared NN", "gemm_shared NT", "gemm_shared TN",
                                        "gemm_shared TT"};

}  // namespace

// ---- per-op timing (FEDSIM_CUDA_OP_TIMING=1) ----------------------------------------------------

struct CudaBackend::OpTiming {
  static constexpr size_t kFlushEvery = 4096;
  cudaStream_t stream = nullptr;
  cudaEvent_t last = nullptr;  // the most recent event already accounted
  std::vector<std::pair<const char*, cudaEvent_t>> pending;
  std::vector<cudaEvent_t> pool;
  std::map<std::string, std::pair<double, int64_t>> totals;  // op -> (ms, calls)

  cudaEvent_t take() {
    cudaEvent_t e = nullptr;
    if (!pool.empty()) {
      e = pool.back();
      pool.pop_back();
    } else {
      CUDA_CHECK_THROW(cudaEventCreate(&e));
    }
    return e;
  }
  void mark(const char* op) {
    cudaEvent_t e = take();
    CUDA_CHECK_THROW(cudaEventRecord(e, stream));
    pending.emplace_back(op, e);
    if (pending.size() >= kFlushEvery) flush();
  }
  void flush() {
    if (pending.empty()) return;
    CUDA_CHECK_THROW(cudaEventSynchronize(pending.back().second));
    for (auto& [op, e] : pending) {
      float ms = 0.0f;
      CUDA_CHECK_THROW(cudaEventElapsedTime(&ms, last, e));
      auto& t = totals[op];
      t.first += ms;
      ++t.second;
      pool.push_back(last);
      last = e;
    }
    pending.clear();
  }
  void report() const {
    double all = 0.0;
    for (const auto& [op, t] : totals) all += t.first;
    std::vector<std::pair<double, std::string>> rows;
    for (const auto& [op, t] : totals) rows.emplace_back(t.first, op);
    std::sort(rows.rbegin(), rows.rend());
    std::fprintf(stderr,
                 "fedsim cuda op timing (GPU time between consecutive ops; a gap waiting for the "
                 "host is charged to the op after it): %.1f ms in all\n",
                 all);
    for (const auto& [ms, op] : rows)
      std::fprintf(stderr, "  %-24s %9lld calls %11.2f ms %6.1f%%\n", op.c_str(),
                   (long long)totals.at(op).second, ms, all > 0 ? 100.0 * ms / all : 0.0);
  }
  ~OpTiming() {
    for (auto& [op, e] : pending) CUDA_CHECK_LOG(cudaEventDestroy(e));
    for (cudaEvent_t e : pool) CUDA_CHECK_LOG(cudaEventDestroy(e));
    if (last) CUDA_CHECK_LOG(cudaEventDestroy(last));
  }
};

void CudaBackend::OpTimingDeleter::operator()(OpTiming* t) const noexcept {
  delete t;
}

// ---- pinned staging (FEDSIM_CUDA_EXPERIMENTAL=1)
// --------------------------------------------------

struct CudaBackend::PinnedRing {
  static constexpr int kSlots = 8;
  static constexpr size_t kSlotBytes = size_t(8) << 20;
  void* base = nullptr;
  cudaEvent_t done[kSlots] = {};
  bool used[kSlots] = {};
  int next = 0;
  ~PinnedRing() {
    for (cudaEvent_t e : done)
      if (e) CUDA_CHECK_LOG(cudaEventDestroy(e));
    if (base) CUDA_CHECK_LOG(cudaFreeHost(base));
  }
};

void CudaBackend::PinnedRingDeleter::operator()(PinnedRing* r) const noexcept {
  delete r;
}

bool cuda_compiled_in() {
  return true;
}

std::unique_ptr<Backend> make_cuda_backend() {
  return std::make_unique<CudaBackend>();
}

// ---- set-up and teardown ----------------------------------------------------------------------

void CudaBackend::StreamDeleter::operator()(CUstream_st* s) const noexcept {
  CUDA_CHECK_LOG(cudaStreamDestroy(s));
}
void CudaBackend::CublasDeleter::operator()(cublasContext* h) const noexcept {
  const cublasStatus_t st = cublasDestroy(h);
  if (st != CUBLAS_STATUS_SUCCESS)
    std::fprintf(stderr, "fedsim cuda: cublasDestroy: %s\n", cublasGetStatusString(st));
}
void CudaBackend::DeviceFree::operator()(void* p) const noexcept {
  CUDA_CHECK_LOG(cudaFree(p));
}

CudaBackend::CudaBackend() {
  const std::string reason = no_device_reason();
  if (!reason.empty())
    throw BackendError("backend 'cuda': no CUDA device available (" + reason + ")");
  CUDA_CHECK_THROW(cudaSetDevice(0));
  cudaDeviceProp prop{};
  CUDA_CHECK_THROW(cudaGetDeviceProperties(&prop, 0));
  int runtime = 0;
  CUDA_CHECK_THROW(cudaRuntimeGetVersion(&runtime));
  device_ = std::string(prop.name) + ", " +
            std::to_string(std::lround(double(prop.totalGlobalMem) / double(1ull << 30))) +
            " GiB, CUDA " + std::to_string(runtime / 1000) + "." +
            std::to_string(runtime % 1000 / 10);

  cudaStream_t stream = nullptr;
  CUDA_CHECK_THROW(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  stream_.reset(stream);

  void* ws = nullptr;
  CUDA_CHECK_THROW(cudaMalloc(&ws, kCublasWorkspaceBytes));
  cublas_workspace_.reset(ws);
  scratch(scratch_f32_, kScratchEntries * sizeof(float));
  scratch(scratch_u32_, kScratchEntries * sizeof(uint32_t));
  scratch(scratch_f64_, kScratchEntries * sizeof(double));
  scratch(scratch_ptr_, 3 * kScratchEntries * sizeof(void*));
  scratch(plan_order_, kScratchEntries * sizeof(int));
  scratch(rows_dev_, kScratchEntries * sizeof(int));

  cublasHandle_t handle = nullptr;
  CUBLAS_CHECK_THROW(cublasCreate(&handle));
  cublas_.reset(handle);
  CUBLAS_CHECK_THROW(cublasSetStream(handle, stream));
  // After cublasSetStream (which resets the workspace to cuBLAS' own pool): our buffer, so
  // cuBLAS never allocates inside the training loop.
  CUBLAS_CHECK_THROW(cublasSetWorkspace(handle, ws, kCublasWorkspaceBytes));
  CUBLAS_CHECK_THROW(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));  // FP32, no TF32
  CUBLAS_CHECK_THROW(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST));
  CUBLAS_CHECK_THROW(cublasSetAtomicsMode(handle, CUBLAS_ATOMICS_NOT_ALLOWED));

  size_t free_bytes = 0, total_bytes = 0;
  CUDA_CHECK_THROW(cudaMemGetInfo(&free_bytes, &total_bytes));
  chunk_bytes_ = size_t(double(free_bytes) * kChunkFraction);

  const char* sync = std::getenv("FEDSIM_CUDA_SYNC");
  sync_every_op_ = sync && *sync && std::strcmp(sync, "0") != 0;
  try {
    experimental_ = parse_cuda_experimental(std::getenv("FEDSIM_CUDA_EXPERIMENTAL"));
  } catch (const std::invalid_argument& e) {
    throw BackendError(std::string("backend 'cuda': ") + e.what());
  }
  if (experimental_.pinned) {
    auto ring = std::unique_ptr<PinnedRing, PinnedRingDeleter>(new PinnedRing);
    CUDA_CHECK_THROW(cudaHostAlloc(&ring->base, PinnedRing::kSlots * PinnedRing::kSlotBytes,
                                   cudaHostAllocDefault));
    for (cudaEvent_t& e : ring->done)
      CUDA_CHECK_THROW(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    pinned_ = std::move(ring);
  }
  const char* timing = std::getenv("FEDSIM_CUDA_OP_TIMING");
  if (timing && *timing && std::strcmp(timing, "0") != 0) {
    timing_.reset(new OpTiming);
    timing_->stream = stream;
    CUDA_CHECK_THROW(cudaEventCreate(&timing_->last));
    CUDA_CHECK_THROW(cudaEventRecord(timing_->last, stream));
  }
  CUDA_CHECK_THROW(cudaStreamSynchronize(stream));
}

CudaBackend::~CudaBackend() {
  if (stream_) CUDA_CHECK_LOG(cudaStreamSynchronize(stream_.get()));
  if (timing_) {
    try {
      timing_->flush();
      timing_->report();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fedsim cuda: op timing: %s\n", e.what());
    }
  }
  // members: the cuBLAS handle, then scratch and workspace, then the stream (declaration order)
}

void* CudaBackend::scratch(Scratch& s, size_t bytes) {
  if (bytes > s.bytes) {
    const size_t grown = std::max(bytes, 2 * s.bytes);
    if (stream_) CUDA_CHECK_THROW(cudaStreamSynchronize(stream_.get()));  // queued ops may read it
    s.mem.reset();
    s.bytes = 0;
    void* p = nullptr;
    CUDA_CHECK_THROW(cudaMalloc(&p, grown));
    s.mem.reset(p);
    s.bytes = grown;
  }
  return s.mem.get();
}

template <typename T>
const T* CudaBackend::stage(Scratch& s, const T* host, size_t n) {
  T* dev = static_cast<T*>(scratch(s, n * sizeof(T)));
  upload(dev, host, n * sizeof(T));
  return dev;
}

void CudaBackend::upload(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  if (pinned_ && bytes <= PinnedRing::kSlotBytes) {
    cudaPointerAttributes a{};
    const cudaError_t e = cudaPointerGetAttributes(&a, src);
    if (e != cudaSuccess) (void)cudaGetLastError();
    if (e == cudaSuccess && a.type == cudaMemoryTypeUnregistered) {
      PinnedRing& r = *pinned_;
      const int slot = r.next;
      r.next = (r.next + 1) % PinnedRing::kSlots;
      // the slot's previous copy must have left it before it is overwritten
      if (r.used[slot]) CUDA_CHECK_THROW(cudaEventSynchronize(r.done[slot]));
      char* staging = static_cast<char*>(r.base) + size_t(slot) * PinnedRing::kSlotBytes;
      std::memcpy(staging, src, bytes);
      CUDA_CHECK_THROW(cudaMemcpyAsync(dst, staging, bytes, cudaMemcpyHostToDevice, stream_.get()));
      CUDA_CHECK_THROW(cudaEventRecord(r.done[slot], stream_.get()));
      r.used[slot] = true;
      return;
    }
  }
  CUDA_CHECK_THROW(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_.get()));
  // Pageable memory (cudaMemoryTypeUnregistered) was copied to the driver's staging buffer before
  // cudaMemcpyAsync returned. Pinned or managed memory is read later by the DMA engine: wait, so
  // the caller may overwrite it as soon as we return (the Backend contract).
  cudaPointerAttributes attr{};
  const cudaError_t err = cudaPointerGetAttributes(&attr, src);
  if (err != cudaSuccess) (void)cudaGetLastError();
  if (err != cudaSuccess || attr.type != cudaMemoryTypeUnregistered)
    CUDA_CHECK_THROW(cudaStreamSynchronize(stream_.get()));
}

void CudaBackend::after_op(const char* op) {
  if (timing_) timing_->mark(op);
  if (!sync_every_op_) return;
  const cudaError_t err = cudaStreamSynchronize(stream_.get());
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    throw BackendError(std::string("cuda: ") + op + " failed on the device: " +
                       cudaGetErrorName(err) + ": " + cudaGetErrorString(err));
  }
}

// ---- memory -----------------------------------------------------------------------------------

void* CudaBackend::alloc_bytes(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, bytes);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
    throw BackendError("cuda: cannot allocate " + std::to_string(bytes) +
                       " bytes of device memory (" + std::to_string(free_b >> 20) +
                       " MiB free of " + std::to_string(total_b >> 20) +
                       " MiB): " + cudaGetErrorString(err));
  }
  // Zeroed like the CPU twin's memory: never stale or NaN bits, even in padding.
  const cudaError_t set = cudaMemsetAsync(p, 0, bytes, stream_.get());
  if (set != cudaSuccess) {
    (void)cudaGetLastError();
    CUDA_CHECK_LOG(cudaFree(p));
    throw BackendError(std::string("cuda: cudaMemsetAsync of a new allocation: ") +
                       cudaGetErrorString(set));
  }
  return p;
}

void CudaBackend::free_bytes(void* p) noexcept {
  if (p) CUDA_CHECK_LOG(cudaFree(p));  // cudaFree waits for the work queued on the device
}

void CudaBackend::to_device(void* dst, const void* src, size_t bytes) {
  upload(dst, src, bytes);
  after_op("to_device");
}

void CudaBackend::to_host(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK_THROW(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_.get()));
  CUDA_CHECK_THROW(cudaStreamSynchronize(stream_.get()));  // the host reads dst next
}

void CudaBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK_THROW(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_.get()));
  after_op("copy");
}

void CudaBackend::fill(float* x, float value, size_t n) {
  cuda::fill(x, value, n, stream_.get());
  after_op("fill");
}

void CudaBackend::synchronize() {
  CUDA_CHECK_THROW(cudaStreamSynchronize(stream_.get()));
}

// ---- dense algebra ----------------------------------------------------------------------------

void CudaBackend::gemm_batched(bool trans_a,
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
                               int batch) {
  if (experimental_.shared_weights &&
      stacked_over_shared_b(trans_a, m, lda, stride_a, stride_b, ldc, stride_c,
                            batch)) {  // one GEMM over all rows
    cuda::gemm_strided_batched(cublas_.get(), stream_.get(), trans_a, trans_b, m * batch, n, k,
                               alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
    after_op(gemm_name(kGemmShared, trans_a, trans_b));
    return;
  }
  if (experimental_.weight_grad && trans_a && !trans_b && k <= kSmallK) {  // a weight gradient
    cuda::gemm_tn_small_k(m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                          stride_c, batch, nullptr, stream_.get());
    after_op(kGemmWeightGrad);
    return;
  }
  cuda::gemm_strided_batched(cublas_.get(), stream_.get(), trans_a, trans_b, m, n, k, alpha, a, lda,
                             stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch);
  after_op(gemm_name(kGemmBatched, trans_a, trans_b));
}

const int* CudaBackend::rows_on_device(const int* rows_host, int batch) {
  if (rows_sent_.size() != size_t(batch) ||
      !std::equal(rows_sent_.begin(), rows_sent_.end(), rows_host)) {
    rows_sent_.assign(rows_host, rows_host + batch);
    // queued after the kernels that read the previous counts
    upload(scratch(rows_dev_, size_t(batch) * sizeof(int)), rows_host, size_t(batch) * sizeof(int));
  }
  return static_cast<const int*>(rows_dev_.mem.get());
}

const RaggedBuckets& CudaBackend::ragged_plan(const int* rows_host,
                                              int batch,
                                              int full,
                                              bool drop_empty) {
  bool fresh = false;
  const RaggedBuckets& rb = plan_.plan(rows_host, batch, full, drop_empty, &fresh);
  if (fresh && rb.buckets() > 1) {  // queued after the GEMMs that read the previous order
    void* dev = scratch(plan_order_, rb.order.size() * sizeof(int));
    upload(dev, rb.order.data(), rb.order.size() * sizeof(int));
  }
  return rb;
}

// Clients whose ragged dimension differs are grouped into a few buckets by their count
// (sim/backend/ragged_buckets.h); each bucket is one batched GEMM over its largest count, as
// backend.h allows: which = M computes rows of C past m_b (left unspecified); which = K adds the
// products of the padding rows, which callers keep at zero and finite (so they add exact zeros).
// When every client has the same count (one bucket), one strided-batched GEMM does it all.
void CudaBackend::gemm_ragged(Ragged which,
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
                              int batch) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  const bool ragged_m = which == Ragged::M;
  if (experimental_.shared_weights && ragged_m &&
      stacked_over_shared_b(trans_a, m, lda, stride_a, stride_b, ldc, stride_c, batch)) {
    // One GEMM over every client's padded rows (rows past m_b are unspecified): more rows than the
    // buckets compute, but one large GEMM instead of several small batched ones.
    cuda::gemm_strided_batched(cublas_.get(), stream_.get(), trans_a, trans_b, m * batch, n, k,
                               alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
    after_op(gemm_name(kGemmShared, trans_a, trans_b));
    return;
  }
  if (experimental_.weight_grad && !ragged_m && trans_a && !trans_b &&
      k <= kSmallK) {  // DP's weight gradient
    cuda::gemm_tn_small_k(m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                          stride_c, batch, rows_on_device(rows_host, batch), stream_.get());
    after_op(kGemmWeightGrad);
    return;
  }
  RaggedBuckets fresh;
  if (!experimental_.ragged_plans)
    fresh = ragged_buckets(rows_host, batch, ragged_m ? m : k, ragged_m);
  const RaggedBuckets& rb = experimental_.ragged_plans
                                ? ragged_plan(rows_host, batch, ragged_m ? m : k, ragged_m)
                                : fresh;
  if (rb.buckets() == 0) {  // ragged M with no rows anywhere: nothing to compute
    after_op(gemm_name(kGemmRagged, trans_a, trans_b));
    return;
  }
  if (rb.buckets() == 1) {  // one count for all (a K of 0 included: then C = beta C)
    const int used = rb.size[0];
    if (ragged_m)
      cuda::gemm_strided_batched(cublas_.get(), stream_.get(), trans_a, trans_b, used, n, k, alpha,
                                 a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch);
    else
      cuda::gemm_strided_batched(cublas_.get(), stream_.get(), trans_a, trans_b, m, n, used, alpha,
                                 a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch);
    after_op(gemm_name(kGemmRagged, trans_a, trans_b));
    return;
  }
  // Pointer arrays [A of each client in bucket order | B | C]: written on the device from the
  // plan's uploaded order, or built here and staged in one upload.
  const int total = int(rb.order.size());
  const size_t bytes = size_t(3) * total * sizeof(const float*);
  auto* dev = static_cast<const float**>(scratch(scratch_ptr_, bytes));
  if (experimental_.ragged_plans) {
    cuda::ragged_pointers(dev, static_cast<const int*>(plan_order_.mem.get()), total, a, stride_a,
                          b, stride_b, c, stride_c, stream_.get());
  } else {
    ptr_host_.resize(size_t(3) * total);
    for (int j = 0; j < total; ++j) {
      const int64_t i = rb.order[j];
      ptr_host_[j] = a + i * stride_a;
      ptr_host_[total + j] = b + i * stride_b;
      ptr_host_[2 * total + j] = c + i * stride_c;
    }
    upload(dev, ptr_host_.data(), bytes);
  }
  for (int q = 0; q < rb.buckets(); ++q) {
    const int first = rb.begin[q], count = rb.begin[q + 1] - rb.begin[q], used = rb.size[q];
    if (count == 0) continue;
    // A K of 0 cannot occur here: ragged_buckets puts empty clients in the smallest positive
    // bucket unless all are empty (one bucket, handled above).
    cuda::gemm_pointer_batched(cublas_.get(), trans_a, trans_b, ragged_m ? used : m, n,
                               ragged_m ? k : used, alpha, dev + first, lda, dev + total + first,
                               ldb, beta, const_cast<float* const*>(dev + 2 * total + first), ldc,
                               count);
  }
  after_op(gemm_name(kGemmRagged, trans_a, trans_b));
}

// ---- layers -----------------------------------------------------------------------------------

void CudaBackend::gather_rows(float* x_out,
                              int32_t* y_out,
                              const float* x,
                              const int32_t* y,
                              const int64_t* idx,
                              int64_t rows,
                              int d) {
  cuda::gather_rows(x_out, y_out, x, y, idx, rows, d, stream_.get());
  after_op("gather_rows");
}

void CudaBackend::bias_act_forward(float* z,
                                   const float* params,
                                   int64_t param_stride,
                                   int64_t b_offset,
                                   int K,
                                   int B,
                                   int n,
                                   bool relu,
                                   const int* rows_host) {
  cuda::bias_act_forward(z, params, param_stride, b_offset, K, B, n, relu, row_bounds(rows_host, K),
                         stream_.get());
  after_op("bias_act_forward");
}

void CudaBackend::relu_backward(
    float* da, const float* a, int K, int B, int n, const int* rows_host) {
  cuda::relu_backward(da, a, K, B, n, row_bounds(rows_host, K), stream_.get());
  after_op("relu_backward");
}

void CudaBackend::softmax_xent_backward(float* dlogits,
                                        float* loss_acc,
                                        const float* logits,
                                        const int32_t* labels,
                                        const float* w,
                                        const float* scale,
                                        int K,
                                        int B,
                                        int C) {
  cuda::softmax_xent_backward(dlogits, loss_acc, logits, labels, w, scale, K, B, C, stream_.get());
  after_op("softmax_xent_backward");
}

void CudaBackend::bias_grad(float* grad,
                            int64_t param_stride,
                            int64_t b_offset,
                            const float* dz,
                            int K,
                            int B,
                            int n,
                            float alpha,
                            float beta) {
  cuda::bias_grad(grad, param_stride, b_offset, dz, K, B, n, alpha, beta, stream_.get());
  after_op("bias_grad");
}

// ---- sample-level DP-SGD ----------------------------------------------------------------------

void CudaBackend::ghost_sqnorm(float* n2,
                               const float* delta,
                               const float* a,
                               int K,
                               int B,
                               int out,
                               int in,
                               bool accumulate,
                               const int* rows_host) {
  cuda::ghost_sqnorm(n2, delta, a, K, B, out, in, accumulate, row_bounds(rows_host, K),
                     stream_.get());
  after_op("ghost_sqnorm");
}

void CudaBackend::clip_factors(
    float* c, float* clipped_acc, const float* n2, const float* w, float clip, int K, int B) {
  cuda::clip_factors(c, clipped_acc, n2, w, clip, K, B, stream_.get());
  after_op("clip_factors");
}

void CudaBackend::scale_rows(float* x, const float* c, int64_t rows, int n) {
  cuda::scale_rows(x, c, rows, n, stream_.get());
  after_op("scale_rows");
}

void CudaBackend::add_noise_and_scale(float* g,
                                      int K,
                                      int64_t P,
                                      float stddev,
                                      const float* scale_host,
                                      uint64_t seed,
                                      uint32_t purpose,
                                      uint32_t round,
                                      const uint32_t* client_ids_host,
                                      uint32_t step) {
  if (K <= 0 || P <= 0) return;
  const float* scale = stage(scratch_f32_, scale_host, size_t(K));
  const uint32_t* ids = stddev == 0.0f ? nullptr : stage(scratch_u32_, client_ids_host, size_t(K));
  cuda::add_noise_and_scale(g, K, P, stddev, scale, noise_key(seed, purpose), round, ids, step,
                            stream_.get());
  after_op("add_noise_and_scale");
}

void CudaBackend::noisy_sgd_step(float* params,
                                 const float* grad,
                                 int K,
                                 int64_t P,
                                 float stddev,
                                 const float* lr_scale_host,
                                 uint64_t seed,
                                 uint32_t purpose,
                                 uint32_t round,
                                 const uint32_t* client_ids_host,
                                 uint32_t step) {
  if (K <= 0 || P <= 0) return;
  const float* lr_scale = stage(scratch_f32_, lr_scale_host, size_t(K));
  const uint32_t* ids = stage(scratch_u32_, client_ids_host, size_t(K));
  cuda::noisy_sgd_step(params, grad, K, P, stddev, lr_scale, noise_key(seed, purpose), round, ids,
                       step, stream_.get());
  after_op("noisy_sgd_step");
}

void CudaBackend::noisy_layer_step(const int* rows_host,
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
                                   uint32_t step) {
  if (K <= 0 || out <= 0 || in <= 0) return;
  const int* rows = rows_on_device(rows_host, K);
  const float* lr_scale = stage(scratch_f32_, lr_scale_host, size_t(K));
  const uint32_t* ids = stage(scratch_u32_, client_ids_host, size_t(K));
  cuda::noisy_layer_step(rows, K, B, out, in, dz, row_scale, a, params, param_stride, w_offset,
                         b_offset, stddev, lr_scale, noise_key(seed, purpose), round, ids, step,
                         stream_.get());
  after_op("noisy_layer_step");
}

// ---- client updates ---------------------------------------------------------------------------

void CudaBackend::sgd_update(float* params,
                             const float* grad,
                             float* velocity,
                             const float* global,
                             const SgdParams& p,
                             int K,
                             int64_t P) {
  cuda::sgd_update(params, grad, velocity, global, p, K, P, stream_.get());
  after_op("sgd_update");
}

void CudaBackend::broadcast_rows(float* rows, const float* src, int K, int64_t P) {
  cuda::broadcast_rows(rows, src, K, P, stream_.get());
  after_op("broadcast_rows");
}

void CudaBackend::subtract_row(float* rows, const float* src, int K, int64_t P) {
  cuda::subtract_row(rows, src, K, P, stream_.get());
  after_op("subtract_row");
}

void CudaBackend::row_sqnorms(
    double* out_host, const float* rows, const float* sub, int K, int64_t P) {
  if (K <= 0) return;
  double* out = static_cast<double*>(scratch(scratch_f64_, size_t(K) * sizeof(double)));
  cuda::row_sqnorms(out, rows, sub, K, P, stream_.get());
  CUDA_CHECK_THROW(cudaMemcpyAsync(out_host, out, size_t(K) * sizeof(double),
                                   cudaMemcpyDeviceToHost, stream_.get()));
  CUDA_CHECK_THROW(cudaStreamSynchronize(stream_.get()));  // the host reads out_host next
}

void CudaBackend::weighted_row_sum(float* out,
                                   const float* rows,
                                   const float* sub,
                                   const float* w_host,
                                   int K,
                                   int64_t P,
                                   float beta) {
  const float* w = K > 0 ? stage(scratch_f32_, w_host, size_t(K)) : nullptr;
  cuda::weighted_row_sum(out, rows, sub, w, K, P, beta, stream_.get());
  after_op("weighted_row_sum");
}

// ---- server and evaluation --------------------------------------------------------------------

void CudaBackend::server_update(
    float* x, const float* delta, float* m, float* v, const ServerParams& p, int64_t P) {
  cuda::server_update(x, delta, m, v, p, P, stream_.get());
  after_op("server_update");
}

void CudaBackend::softmax_eval(float* loss,
                               int32_t* pred,
                               float* p1,
                               const float* logits,
                               const int32_t* labels,
                               int64_t n,
                               int C) {
  cuda::softmax_eval(loss, pred, p1, logits, labels, n, C, stream_.get());
  after_op("softmax_eval");
}

// ---- secure aggregation ----------------------------------------------------------------------

void CudaBackend::add_philox_masks(uint32_t* acc,
                                   size_t n,
                                   const PhiloxMaskKey* keys_host,
                                   const uint8_t* subtract_host,
                                   int count) {
  if (n == 0 || count <= 0) return;
  // One staged array: [count][5] key words, then [count] subtract flags.
  std::vector<uint32_t> packed(size_t(6) * count);
  for (int t = 0; t < count; ++t) {
    const PhiloxMaskKey& k = keys_host[t];
    uint32_t* w = packed.data() + 5 * size_t(t);
    w[0] = k.k0;
    w[1] = k.k1;
    w[2] = k.c0;
    w[3] = k.c1;
    w[4] = k.c2;
    packed[5 * size_t(count) + t] = subtract_host[t] ? 1u : 0u;
  }
  const uint32_t* dev = stage(scratch_u32_, packed.data(), packed.size());
  cuda::add_philox_masks(acc, n, dev, dev + 5 * size_t(count), count, stream_.get());
  after_op("add_philox_masks");
}

}  // namespace fedsim
