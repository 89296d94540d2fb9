// Per-sample clipped gradient sums for DP-SGD, without materialising per-sample gradients.
//
// Abadi et al. 2016, "Deep Learning with Differential Privacy", Alg. 1: each sample's gradient is
// clipped to L2 norm <= C (flat over all parameters) before summing. The per-sample norms come from
// ghost norms (Goodfellow 2015): for a dense layer, sample i's gradient is delta_i a_i^T (+ delta_i
// for the bias), whose squared norm is ||delta_i||^2 (||a_i||^2 + 1). Then every layer's delta is
// scaled by the sample's clip factor and the clipped sum is one GEMM per layer.
#pragma once

#include <vector>

#include "sim/backend/backend.h"
#include "sim/model/model_layout.h"
#include "sim/train/model_ops.h"

namespace fedsim {

// Per-layer output gradients and per-sample norms for up to `rows` rows.
struct DpBuffers {
  std::vector<DeviceBuffer<float>> dz;  // [L - 1] hidden layers' dZ [rows, out_l] (the last layer's
                                        // dZ is the dlogits kept in place of the logits)
  DeviceBuffer<float> n2, c;            // [rows] squared norms, clip factors
  DpBuffers() = default;
  DpBuffers(Backend& be, const ModelLayout& layout, int64_t rows);
};

// DP-SGD's noise and plain SGD step taken inside clipped_gradient_sum, layer by layer
// (Backend::noisy_layer_step), instead of leaving the clipped sum in `grad`: per-client arrays
// are indexed like the others (from client 0 of the buffers; k0 is applied inside).
struct FusedNoisyStep {
  float* params;  // [K, P]: the clients' weights, updated in place
  float stddev;   // sigma * C
  const float* lr_scale_host;
  uint64_t seed;
  uint32_t purpose, round, step;
  const uint32_t* client_ids_host;
};

// Given per-sample dlogits (weight w, no batch normalisation) in place of acts[L]:
//   grad_k = beta * grad_k + sum_i c_i g_i,  c_i = w_i min(1, C / ||g_i||)
// where g_i is sample i's full gradient. Counts clipped samples into clipped_acc [K].
// Client k's weights are params + k * param_stride (0: one model shared by all, e.g. the global
// model at a round's first step); grad is [K, P] with P = layout.num_params.
// rows_host (host [K], optional): client k's rows past rows_host[k] are padding (w = 0) and are
// skipped by the GEMMs. k0: the clients are k0 .. k0 + K - 1 of every buffer and array (params,
// acts, dp, w, clipped_acc, grad, rows_host). With `fused` (rows_host required), the clipped sum
// plus noise updates fused->params directly and grad is not touched.
void clipped_gradient_sum(Backend& be, const ModelLayout& layout, const float* params,
                          int64_t param_stride, int K, int B, ActivationBuffers& acts,
                          DpBuffers& dp, const float* w, float clip, float* clipped_acc,
                          float* grad, float beta, const int* rows_host = nullptr, int k0 = 0,
                          const FusedNoisyStep* fused = nullptr);

}  // namespace fedsim
