// CpuBackend: the reference implementation of every Backend op (OpenBLAS + OpenMP).
//
// Plain loops, parallel over clients (or fixed-size blocks of rows/elements), so each output
// element is computed by exactly one thread in a fixed order: results do not depend on the thread
// count. OpenBLAS itself runs single-threaded inside each call. The local trainer's steps run in
// client tiles (for_client_tiles): each thread takes one client through a whole step.
#pragma once

#include "sim/backend/backend.h"

namespace fedsim {

class CpuBackend final : public Backend {
 public:
  // client_tiles = false: for_client_tiles makes one call for all clients, as a device backend
  // does (every op then sweeps the whole chunk); tests and benchmarks compare the two.
  // shared_weights, noisy_layer_steps: prefers_shared_weights(), prefers_noisy_layer_step() (the
  // CUDA backend's experimental paths, run on the CPU by the tests; no faster here, where a tile
  // keeps a client's gradient in cache anyway).
  explicit CpuBackend(bool client_tiles = true, bool shared_weights = false,
                      bool noisy_layer_steps = false);
  std::string name() const override { return "cpu"; }
  std::string device() const override;
  size_t chunk_bytes() const override { return size_t(32) << 20; }  // measured: bench_training
  void for_client_tiles(int K, FunctionRef<void(int, int)> body) override;
  bool prefers_shared_weights() const override { return shared_weights_; }

  void* alloc_bytes(size_t bytes) override;
  void free_bytes(void* p) noexcept override;
  void to_device(void* dst, const void* src, size_t bytes) override;
  void to_host(void* dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void fill(float* x, float value, size_t n) override;
  void synchronize() override {}

  void gemm_batched(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a,
                    int lda, int64_t stride_a, const float* b, int ldb, int64_t stride_b,
                    float beta, float* c, int ldc, int64_t stride_c, int batch) override;
  void gemm_ragged(Ragged which, const int* rows_host, bool trans_a, bool trans_b, int m, int n,
                   int k, float alpha, const float* a, int lda, int64_t stride_a, const float* b,
                   int ldb, int64_t stride_b, float beta, float* c, int ldc, int64_t stride_c,
                   int batch) override;
  void gather_rows(float* x_out, int32_t* y_out, const float* x, const int32_t* y,
                   const int64_t* idx, int64_t rows, int d) override;
  void bias_act_forward(float* z, const float* params, int64_t param_stride, int64_t b_offset,
                        int K, int B, int n, bool relu, const int* rows_host) override;
  void relu_backward(float* da, const float* a, int K, int B, int n, const int* rows_host) override;
  void softmax_xent_backward(float* dlogits, float* loss_acc, const float* logits,
                             const int32_t* labels, const float* w, const float* scale, int K,
                             int B, int C) override;
  void bias_grad(float* grad, int64_t param_stride, int64_t b_offset, const float* dz, int K, int B,
                 int n, float alpha, float beta) override;
  void ghost_sqnorm(float* n2, const float* delta, const float* a, int K, int B, int out, int in,
                    bool accumulate, const int* rows_host) override;
  void clip_factors(float* c, float* clipped_acc, const float* n2, const float* w, float clip,
                    int K, int B) override;
  void scale_rows(float* x, const float* c, int64_t rows, int n) override;
  void add_noise_and_scale(float* g, int K, int64_t P, float stddev, const float* scale_host,
                           uint64_t seed, uint32_t purpose, uint32_t round,
                           const uint32_t* client_ids_host, uint32_t step) override;
  void noisy_sgd_step(float* params, const float* grad, int K, int64_t P, float stddev,
                      const float* lr_scale_host, uint64_t seed, uint32_t purpose, uint32_t round,
                      const uint32_t* client_ids_host, uint32_t step) override;
  void noisy_layer_step(const int* rows_host, int K, int B, int out, int in, const float* dz,
                        const float* row_scale, const float* a, float* params, int64_t param_stride,
                        int64_t w_offset, int64_t b_offset, float stddev,
                        const float* lr_scale_host, uint64_t seed, uint32_t purpose, uint32_t round,
                        const uint32_t* client_ids_host, uint32_t step) override;
  bool prefers_noisy_layer_step() const override { return noisy_layer_steps_; }
  void sgd_update(float* params, const float* grad, float* velocity, const float* global,
                  const SgdParams& p, int K, int64_t P) override;
  void broadcast_rows(float* rows, const float* src, int K, int64_t P) override;
  void subtract_row(float* rows, const float* src, int K, int64_t P) override;
  void row_sqnorms(double* out_host, const float* rows, const float* sub, int K,
                   int64_t P) override;
  void weighted_row_sum(float* out, const float* rows, const float* sub, const float* w_host, int K,
                        int64_t P, float beta) override;
  void server_update(float* x, const float* delta, float* m, float* v, const ServerParams& p,
                     int64_t P) override;
  void softmax_eval(float* loss, int32_t* pred, float* p1, const float* logits,
                    const int32_t* labels, int64_t n, int C) override;
  void add_philox_masks(uint32_t* acc, size_t n, const PhiloxMaskKey* keys_host,
                        const uint8_t* subtract_host, int count) override;

 private:
  bool client_tiles_;
  bool shared_weights_;
  bool noisy_layer_steps_;
};

}  // namespace fedsim
