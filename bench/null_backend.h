// NullBackend: a Backend whose ops do no arithmetic, for measuring the host's share of a round.
//
// A round on a GPU is the device's work plus whatever the host does that the device waits for
// (cohort sampling, Poisson batches, index arrays, ragged-GEMM planning, accounting, metrics). Run
// through this backend, Simulation::step_round takes only the host's time: every op returns at
// once, except that gemm_ragged plans its buckets and builds its pointer arrays on the host as the
// CUDA backend's default path does, and downloads return zeros. Memory is never touched: buffers
// are distinct fake addresses (the engine never dereferences backend memory on the host).
// bench_cuda --backend null uses it.
#pragma once

#include <cstring>
#include <vector>

#include "sim/backend/backend.h"
#include "sim/backend/ragged_buckets.h"

namespace fedsim {

class NullBackend final : public Backend {
 public:
  std::string name() const override { return "null"; }
  std::string device() const override { return "none (host work only)"; }
  size_t chunk_bytes() const override { return size_t(56) << 30; }  // an H200's chunk budget

  void* alloc_bytes(size_t bytes) override {
    if (bytes == 0) return nullptr;
    void* p = reinterpret_cast<void*>(next_);
    next_ += (bytes + 255) / 256 * 256;
    return p;
  }
  void free_bytes(void*) noexcept override {}
  void to_device(void*, const void*, size_t) override {}
  void to_host(void* dst, const void*, size_t bytes) override { std::memset(dst, 0, bytes); }
  void copy(void*, const void*, size_t) override {}
  void fill(float*, float, size_t) override {}
  void synchronize() override {}

  void gemm_batched(bool, bool, int, int, int, float, const float*, int, int64_t, const float*, int,
                    int64_t, float, float*, int, int64_t, int) override {}
  void gemm_ragged(Ragged which, const int* rows_host, bool, bool, int m, int, int k, float,
                   const float* a, int, int64_t stride_a, const float* b, int, int64_t stride_b,
                   float, float* c, int, int64_t stride_c, int batch) override {
    const RaggedBuckets rb =
        ragged_buckets(rows_host, batch, which == Ragged::M ? m : k, which == Ragged::M);
    const int total = int(rb.order.size());
    ptrs_.resize(size_t(3) * total);
    for (int j = 0; j < total; ++j) {
      const int64_t i = rb.order[j];
      ptrs_[j] = a + i * stride_a;
      ptrs_[total + j] = b + i * stride_b;
      ptrs_[2 * total + j] = c + i * stride_c;
    }
  }
  void gather_rows(float*, int32_t*, const float*, const int32_t*, const int64_t*, int64_t,
                   int) override {}
  void bias_act_forward(float*, const float*, int64_t, int64_t, int, int, int, bool,
                        const int*) override {}
  void relu_backward(float*, const float*, int, int, int, const int*) override {}
  void softmax_xent_backward(float*, float*, const float*, const int32_t*, const float*,
                             const float*, int, int, int) override {}
  void bias_grad(float*, int64_t, int64_t, const float*, int, int, int, float, float) override {}
  void ghost_sqnorm(float*, const float*, const float*, int, int, int, int, bool,
                    const int*) override {}
  void clip_factors(float*, float*, const float*, const float*, float, int, int) override {}
  void scale_rows(float*, const float*, int64_t, int) override {}
  void add_noise_and_scale(float*, int, int64_t, float, const float*, uint64_t, uint32_t, uint32_t,
                           const uint32_t*, uint32_t) override {}
  void noisy_sgd_step(float*, const float*, int, int64_t, float, const float*, uint64_t, uint32_t,
                      uint32_t, const uint32_t*, uint32_t) override {}
  void noisy_layer_step(const int*, int, int, int, int, const float*, const float*, const float*,
                        float*, int64_t, int64_t, int64_t, float, const float*, uint64_t, uint32_t,
                        uint32_t, const uint32_t*, uint32_t) override {}
  void sgd_update(float*, const float*, float*, const float*, const SgdParams&, int,
                  int64_t) override {}
  void broadcast_rows(float*, const float*, int, int64_t) override {}
  void subtract_row(float*, const float*, int, int64_t) override {}
  void row_sqnorms(double* out_host, const float*, const float*, int K, int64_t) override {
    std::memset(out_host, 0, sizeof(double) * size_t(K));
  }
  void weighted_row_sum(float*, const float*, const float*, const float*, int, int64_t,
                        float) override {}
  void server_update(float*, const float*, float*, float*, const ServerParams&, int64_t) override {}
  void softmax_eval(float*, int32_t*, float*, const float*, const int32_t*, int64_t, int) override {
  }
  void add_philox_masks(uint32_t*, size_t, const PhiloxMaskKey*, const uint8_t*, int) override {}

 private:
  uintptr_t next_ = uintptr_t(1) << 40;  // fake addresses, never dereferenced
  std::vector<const float*> ptrs_;
};

}  // namespace fedsim
