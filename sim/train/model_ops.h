// Forward and backward passes of a dense model over a cohort, written once over the Backend ops.
//
// Shapes: K clients, B rows each. acts[0] is the input X [K, B, d]; acts[l + 1] is the output of
// layer l, [K, B, out_l] (after ReLU for hidden layers; logits for the last). Client k's parameters
// are params + k * param_stride (param_stride = 0 shares one model across the batch, e.g.
// evaluation).
#pragma once

#include <vector>

#include "sim/backend/backend.h"
#include "sim/model/model_layout.h"

namespace fedsim {

// Activation buffers for up to K_max x B_max rows, allocated once and reused every step.
struct ActivationBuffers {
  std::vector<DeviceBuffer<float>> acts;  // [L + 1], acts[l]: [K_max, B_max, width_l]
  DeviceBuffer<float> scratch[2];         // [K_max, B_max, scratch_width]: backward ping-pong
  int scratch_width = 0;                  // the widest layer input or output
  ActivationBuffers() = default;
  ActivationBuffers(Backend& be, const ModelLayout& layout, int64_t rows);
};

// Rows per client that the row-wise ops (bias, activations, norms, softmax) must cover: all B, or
// for a single client with ragged rows (a CPU tile) only its real rows, rows_host[0]; its padding
// then needs no zeroing, since the ragged GEMMs never read it.
inline int rows_to_touch(int K, int B, const int* rows_host) {
  return K == 1 && rows_host ? rows_host[0] : B;
}

// Fills acts[1..L] from acts[0] for clients k0 .. k0 + K - 1 of the buffers (params and
// rows_host are indexed by those clients too). rows_host (host, optional): client k's rows past
// rows_host[k] are padding and are not computed (their outputs are stale).
void forward(Backend& be, const ModelLayout& layout, const float* params, int64_t param_stride,
             int K, int B, ActivationBuffers& buf, const int* rows_host = nullptr, int k0 = 0);

// Where backward() puts the gradient G of client k: out_k = beta * out_k + alpha * G_k with
// out_k = out + k * stride. {grad, P, 1, 0} writes gradients; {params, P, -lr, 1} is a fused plain
// SGD step applied in place (each layer's input gradient is computed before its weights change).
struct GradientSink {
  float* out;
  int64_t stride;
  float alpha = 1.0f;
  float beta = 0.0f;
};

// Given dlogits [K, B, C] (stored in place of acts[L]), back-propagates through every layer into
// `sink`, for clients k0 .. k0 + K - 1 of the buffers, params and sink. Overwrites those clients'
// rows of the scratch buffers.
void backward(Backend& be, const ModelLayout& layout, const float* params, int64_t param_stride,
              int K, int B, ActivationBuffers& buf, const GradientSink& sink, int k0 = 0);

// FLOPs of one forward + backward over `rows` rows (the GEMMs only), for benchmarks.
double train_step_flops(const ModelLayout& layout, int64_t rows);

}  // namespace fedsim
