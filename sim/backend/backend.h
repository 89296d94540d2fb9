// Backend: the cohort-batched ops the training loop is written over, with a CPU and a CUDA twin.
//
// The simulation loop (sim/train, sim/simulation.cpp) is written once over this interface. Pointers
// passed to ops are *backend memory* (host memory for the CPU backend, device memory for CUDA): the
// engine allocates it through alloc_bytes, moves data with to_device/to_host, does pointer
// arithmetic on it, and never dereferences it. All matrices are row-major. Ops over a cohort take K
// (clients in the batch) and per-client strides; client k's parameters are params + k *
// param_stride.
//
// Every op must give results that do not depend on thread count (fixed reduction orders).
// This header has no CUDA types; the CUDA backend implements it in cuda/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "sim/util/function_ref.h"
#include "sim/util/philox_mask.h"

namespace fedsim {

class BackendError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Hyper-parameters of the per-element local SGD update.
struct SgdParams {
  float lr = 0.0f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;
  float prox_mu = 0.0f;  // FedProx: adds mu * (w - global) to the gradient
};

// Hyper-parameters of the server step (Reddi et al. 2021, "Adaptive Federated Optimization", Alg.
// 2).
enum class ServerRule : int { FedAvg = 0, FedAvgM = 1, FedAdam = 2, FedYogi = 3, FedAdagrad = 4 };
struct ServerParams {
  ServerRule rule = ServerRule::FedAvg;
  float lr = 1.0f;
  float momentum = 0.9f;  // FedAvgM
  float beta1 = 0.9f;
  float beta2 = 0.99f;
  float tau = 1e-3f;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;    // "cpu" | "cuda"
  virtual std::string device() const = 0;  // human-readable description of the device
  // Memory budget for the per-client buffers of one cohort chunk: large on a GPU (fill the device),
  // cache-sized on a CPU (lockstep ops sweep every client of the chunk once per op).
  virtual size_t chunk_bytes() const = 0;

  // Runs body(k0, k1) over client ranges that cover [0, K), each once; body touches only the
  // clients k0 <= k < k1 of its buffers. A device backend makes one call for the whole range (its
  // ops are batched over clients); the CPU backend hands whole clients to its threads in turn, so a
  // client's step (forward, clipping, noise) stays in that core's cache, and the ops inside run on
  // that thread alone. The results are the same either way.
  virtual void for_client_tiles(int K, FunctionRef<void(int, int)> body) { body(0, K); }

  // Whether the local trainer should read the global model directly (weight stride 0) in a round's
  // first local step, where every client's weights still equal it, instead of the per-client
  // copies: a backend that turns a batched GEMM over one shared weight matrix and stacked rows into
  // one large GEMM says yes. The values are the same either way (the copies are exact).
  virtual bool prefers_shared_weights() const { return false; }

  // ---- memory -------------------------------------------------------------------------------
  virtual void* alloc_bytes(size_t bytes) = 0;
  virtual void free_bytes(void* p) noexcept = 0;
  virtual void to_device(void* dst, const void* src, size_t bytes) = 0;
  virtual void to_host(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;  // backend -> backend
  virtual void fill(float* x, float value, size_t n) = 0;
  virtual void synchronize() = 0;

  // ---- dense algebra --------------------------------------------------------------------------
  // For b in 0..batch-1: C_b = alpha * op(A_b) * op(B_b) + beta * C_b, row-major, where
  // op(A_b) is [m, k], op(B_b) is [k, n], C_b is [m, n]; X_b = X + b * stride_x.
  virtual void gemm_batched(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                            const float* a, int lda, int64_t stride_a, const float* b, int ldb,
                            int64_t stride_b, float beta, float* c, int ldc, int64_t stride_c,
                            int batch) = 0;

  // As gemm_batched, but ragged: batch b needs only the first rows_host[b] rows of one dimension
  // (which = M: m_b = rows_host[b], the rows of op(A_b) and C_b; rows of C_b past m_b are
  // unspecified afterwards. which = K: k_b = rows_host[b]; k_b = 0 gives C_b = beta C_b).
  // Lets cohorts with different batch sizes skip their padding rows. An implementation may also
  // compute the padding (the full m or k): callers keep the padding rows of a K-ragged operand at
  // zero and finite. rows_host: host [batch].
  enum class Ragged { M, K };
  virtual void gemm_ragged(Ragged which, const int* rows_host, bool trans_a, bool trans_b, int m,
                           int n, int k, float alpha, const float* a, int lda, int64_t stride_a,
                           const float* b, int ldb, int64_t stride_b, float beta, float* c, int ldc,
                           int64_t stride_c, int batch) = 0;

  // ---- layers ---------------------------------------------------------------------------------
  // rows r in 0..rows-1: x_out[r, :] = x[idx[r], :], y_out[r] = y[idx[r]]; idx[r] < 0 gives a zero
  // row and label 0 (padding; its sample weight is 0).
  // x: [N, d]  y: [N]  idx: [rows]  x_out: [rows, d]  y_out: [rows]
  virtual void gather_rows(float* x_out, int32_t* y_out, const float* x, const int32_t* y,
                           const int64_t* idx, int64_t rows, int d) = 0;

  // Row bounds of the row-wise ops below: rows_host (host [K], optional; null: all B) says that
  // client k's rows past rows_host[k] are padding (a ragged Poisson batch). A backend may skip
  // them (they are left unspecified) or compute them like the others.

  // z: [K, B, n] (in place): z[k,i,:] += bias_k ; then ReLU if relu.
  // bias_k = params + k * param_stride + b_offset
  virtual void bias_act_forward(float* z, const float* params, int64_t param_stride,
                                int64_t b_offset, int K, int B, int n, bool relu,
                                const int* rows_host) = 0;

  // da: [K, B, n] (in place): da *= (a > 0), the ReLU derivative read from its output a.
  virtual void relu_backward(float* da, const float* a, int K, int B, int n,
                             const int* rows_host) = 0;

  // Softmax cross-entropy over logits [K, B, C] with labels [K, B] and sample weights w [K, B]:
  //   dlogits[k,i,:] = w[k,i] * scale[k] * (softmax(logits[k,i,:]) - onehot(label))
  //   loss_acc[k] += sum_i w[k,i] * xent(k,i)           (unscaled: a running sum over the round)
  // dlogits may alias logits.
  virtual void softmax_xent_backward(float* dlogits, float* loss_acc, const float* logits,
                                     const int32_t* labels, const float* w, const float* scale,
                                     int K, int B, int C) = 0;

  // g = grad + k * param_stride + b_offset: g[j] = beta * g[j] + alpha * sum_i dz[k, i, j], the
  // bias gradient of a layer (alpha = 1, beta = 0), or a fused SGD step on the bias itself
  // (alpha = -lr, beta = 1).  dz: [K, B, n]
  virtual void bias_grad(float* grad, int64_t param_stride, int64_t b_offset, const float* dz,
                         int K, int B, int n, float alpha, float beta) = 0;

  // ---- sample-level DP-SGD (ghost norms, clipping, noise) ------------------------------------
  // Ghost norm of one dense layer (Goodfellow 2015, "Efficient per-example gradient computations"):
  // sample r's weight+bias gradient is delta_r a_r^T and delta_r, so its squared norm is
  // ||delta_r||^2 * (||a_r||^2 + 1).  n2[r] = (accumulate ? n2[r] : 0) + that, for the rows r
  // of the K clients' B rows each (row bounds as above).
  // delta: [K, B, out]  a: [K, B, in]  n2: [K, B]
  virtual void ghost_sqnorm(float* n2, const float* delta, const float* a, int K, int B, int out,
                            int in, bool accumulate, const int* rows_host) = 0;

  // Per-sample clip factors for flat L2 clipping to `clip` (Abadi et al. 2016, Alg. 1):
  // c[k,i] = w[k,i] * min(1, clip / sqrt(n2[k,i])); clipped_acc[k] += #{i : w > 0, n2 > clip^2}.
  // n2, w, c: [K, B]  clipped_acc: [K]
  virtual void clip_factors(float* c, float* clipped_acc, const float* n2, const float* w,
                            float clip, int K, int B) = 0;

  // x[r, :] *= c[r], and exactly 0 where c[r] == 0 (padding rows hold stale values).
  // x: [rows, n]  c: [rows]
  virtual void scale_rows(float* x, const float* c, int64_t rows, int n) = 0;

  // g[k, :] = (g[k, :] + stddev * z_k) * scale_host[k], z_k ~ N(0, I) drawn by gaussian_at with
  // key (seed, purpose) and counter (round, client_ids_host[k], step, element).  g: [K, P]
  virtual void add_noise_and_scale(float* g, int K, int64_t P, float stddev,
                                   const float* scale_host, uint64_t seed, uint32_t purpose,
                                   uint32_t round, const uint32_t* client_ids_host,
                                   uint32_t step) = 0;

  // A plain SGD step on a noisy gradient sum, in one pass (add_noise_and_scale + sgd_update when
  // there is no momentum, weight decay or proximal term):
  // params[k, :] -= lr_scale_host[k] * (grad[k, :] + stddev * z_k), z_k as in add_noise_and_scale.
  virtual void noisy_sgd_step(float* params, const float* grad, int K, int64_t P, float stddev,
                              const float* lr_scale_host, uint64_t seed, uint32_t purpose,
                              uint32_t round, const uint32_t* client_ids_host, uint32_t step) = 0;

  // DP-SGD's plain SGD step on one dense layer, gradient sum and noise in one pass: for z < K,
  // with s_z = -lr_scale_host[z] and k_z = rows_host[z] (clamped to [0, B]),
  //   W_z[i, j] += s_z * (sum_{r < k_z} dz_z[r, i] a_z[r, j] + stddev * n_z(w_offset + i * in + j))
  //   b_z[i]    += s_z * (sum_{r < k_z} dz_z[r, i]             + stddev * n_z(b_offset + i))
  // where W_z = params + z * param_stride + w_offset [out, in], b_z = ... + b_offset [out],
  // dz_z = dz + z * B * out [B, out] (per-sample deltas), each row r first multiplied by
  // row_scale[z * B + r] exactly as scale_rows does (row_scale: backend memory [K, B], the clip
  // factors; null: dz is used as it is), a_z = a + z * B * in [B, in], and n_z(e) =
  // gaussian_at(noise_key(seed, purpose), round, client_ids_host[z], step, e): what scaling the
  // rows, writing the clipped sum into a gradient row and calling noisy_sgd_step does to these
  // elements, without the scaled deltas' and the gradient's round trips through memory.
  virtual void noisy_layer_step(const int* rows_host, int K, int B, int out, int in,
                                const float* dz, const float* row_scale, const float* a,
                                float* params, int64_t param_stride, int64_t w_offset,
                                int64_t b_offset, float stddev, const float* lr_scale_host,
                                uint64_t seed, uint32_t purpose, uint32_t round,
                                const uint32_t* client_ids_host, uint32_t step) = 0;
  // Whether the DP trainer should use noisy_layer_step (plain SGD, one micro-batch) instead of a
  // gradient buffer and noisy_sgd_step: a backend whose memory traffic it saves says yes.
  virtual bool prefers_noisy_layer_step() const { return false; }

  // ---- client updates -------------------------------------------------------------------------
  // For k < K: g = grad_k + wd * w_k + mu * (w_k - global); v_k = momentum * v_k + g (if momentum
  // > 0, else v unused); w_k -= lr * (momentum > 0 ? v_k : g).  params/grad/velocity: [K, P]
  virtual void sgd_update(float* params, const float* grad, float* velocity, const float* global,
                          const SgdParams& p, int K, int64_t P) = 0;

  // rows[k, :] = src[:] for k < K.   rows: [K, P]
  virtual void broadcast_rows(float* rows, const float* src, int K, int64_t P) = 0;

  // rows[k, :] -= src[:] (turns client weights into client deltas).
  virtual void subtract_row(float* rows, const float* src, int K, int64_t P) = 0;

  // out[k] = ||d_k||^2 (accumulated in double), d_k = rows[k, :] - sub[:] rounded to float (sub
  // null: d_k = rows[k, :]): with sub, the same values as subtract_row and then no sub, without
  // writing the deltas (client deltas are read from the weights and the global model).
  virtual void row_sqnorms(double* out_host, const float* rows, const float* sub, int K,
                           int64_t P) = 0;

  // out[:] = beta * out[:] + sum_k w[k] * d_k, d_k as in row_sqnorms; w is host memory [K].
  virtual void weighted_row_sum(float* out, const float* rows, const float* sub,
                                const float* w_host, int K, int64_t P, float beta) = 0;

  // ---- server ---------------------------------------------------------------------------------
  // One server step on the global model x [P] with the aggregated update delta [P]
  // (mean client weights minus global) and optimizer state m, v [P] (v starts at tau^2).
  virtual void server_update(float* x, const float* delta, float* m, float* v,
                             const ServerParams& p, int64_t P) = 0;

  // ---- evaluation -----------------------------------------------------------------------------
  // Per sample of logits [n, C] with labels [n]: loss[i] = cross-entropy, pred[i] = argmax,
  // p1[i] = softmax probability of class 1 (for ROC AUC; 0 when C < 2). Outputs are backend memory.
  virtual void softmax_eval(float* loss, int32_t* pred, float* p1, const float* logits,
                            const int32_t* labels, int64_t n, int C) = 0;

  // ---- secure aggregation, fast mode ----------------------------------------------------------
  // acc[i] += sum_t (subtract_host[t] ? -m_t[i] : m_t[i])  (mod 2^32) for i < n, where m_t[i] =
  // fast_mask_word(keys_host[t], i) (sim/util/philox_mask.h): the server's removal of every mask
  // left in a SecAgg sum, in fast mode. acc: [n] on this backend; keys, subtract: host [count].
  virtual void add_philox_masks(uint32_t* acc, size_t n, const PhiloxMaskKey* keys_host,
                                const uint8_t* subtract_host, int count) = 0;
};

// RAII backend memory of n elements of T.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(Backend& be, size_t n)
      : be_(&be), n_(n), p_(n ? static_cast<T*>(be.alloc_bytes(n * sizeof(T))) : nullptr) {}
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept { swap(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    swap(o);
    return *this;
  }
  ~DeviceBuffer() {
    if (p_) be_->free_bytes(p_);
  }
  T* get() const { return p_; }
  size_t size() const { return n_; }
  void upload(const T* src, size_t n) { be_->to_device(p_, src, n * sizeof(T)); }
  void download(T* dst, size_t n) const { be_->to_host(dst, p_, n * sizeof(T)); }

 private:
  void swap(DeviceBuffer& o) noexcept {
    std::swap(be_, o.be_);
    std::swap(n_, o.n_);
    std::swap(p_, o.p_);
  }
  Backend* be_ = nullptr;
  size_t n_ = 0;
  T* p_ = nullptr;
};

// "auto" picks CUDA when it was compiled in and a device exists, else the CPU.
// Throws BackendError with a clear reason for "cuda" when it was compiled out or no device exists.
std::unique_ptr<Backend> make_backend(const std::string& kind);

// Filled in by the CUDA library when it is compiled in (cuda/cuda_backend.cu).
std::unique_ptr<Backend> make_cuda_backend();  // throws BackendError if no device
bool cuda_compiled_in();
// Whether "auto" may pick CUDA: false until the CUDA backend has passed tools/gpu-check.sh on a
// GPU.
bool cuda_auto_enabled();

}  // namespace fedsim
