// Dense-model forward/backward over Backend ops (see model_ops.h for shapes).
#include "sim/train/model_ops.h"

namespace fedsim {

ActivationBuffers::ActivationBuffers(Backend& be, const ModelLayout& layout, int64_t rows) {
  acts.emplace_back(be, size_t(rows) * layout.inputs());
  for (const auto& l : layout.layers) acts.emplace_back(be, size_t(rows) * l.out);
  int widest = layout.max_width();
  for (const auto& l : layout.layers) widest = std::max(widest, l.in);
  for (auto& s : scratch) s = DeviceBuffer<float>(be, size_t(rows) * widest);
  scratch_width = widest;
}

void forward(Backend& be, const ModelLayout& layout, const float* params, int64_t param_stride,
             int K, int B, ActivationBuffers& buf, const int* rows_host, int k0) {
  const int64_t row0 = int64_t(k0) * B;
  params += k0 * param_stride;
  if (rows_host) rows_host += k0;
  for (size_t li = 0; li < layout.layers.size(); ++li) {
    const DenseLayer& l = layout.layers[li];
    const float* a_in = buf.acts[li].get() + row0 * l.in;
    float* z = buf.acts[li + 1].get() + row0 * l.out;
    // Z[k] = A[k] (B x in) * W[k]^T (in x out)
    if (rows_host)
      be.gemm_ragged(Backend::Ragged::M, rows_host, false, true, B, l.out, l.in, 1.0f, a_in, l.in,
                     int64_t(B) * l.in, params + l.w_offset, l.in, param_stride, 0.0f, z, l.out,
                     int64_t(B) * l.out, K);
    else
      be.gemm_batched(false, true, B, l.out, l.in, 1.0f, a_in, l.in, int64_t(B) * l.in,
                      params + l.w_offset, l.in, param_stride, 0.0f, z, l.out, int64_t(B) * l.out,
                      K);
    be.bias_act_forward(z, params, param_stride, l.b_offset, K, B, l.out, l.activation, rows_host);
  }
}

void backward(Backend& be, const ModelLayout& layout, const float* params, int64_t param_stride,
              int K, int B, ActivationBuffers& buf, const GradientSink& sink_all, int k0) {
  const int64_t row0 = int64_t(k0) * B;
  params += k0 * param_stride;
  GradientSink sink = sink_all;
  sink.out += k0 * sink.stride;
  float* dz = buf.acts.back().get() + row0 * layout.layers.back().out;  // dlogits, for the logits
  int next_scratch = 0;
  for (int li = int(layout.layers.size()) - 1; li >= 0; --li) {
    const DenseLayer& l = layout.layers[li];
    const float* a_in = buf.acts[li].get() + row0 * l.in;
    float* da = nullptr;
    if (li > 0) {
      // dA[k] = dZ[k] (B x out) * W[k] (out x in), with W before any in-place update. A client's
      // scratch rows start at row0 * scratch_width whatever the layer, so tiles never overlap.
      da = buf.scratch[next_scratch].get() + row0 * buf.scratch_width;
      next_scratch ^= 1;
      be.gemm_batched(false, false, B, l.in, l.out, 1.0f, dz, l.out, int64_t(B) * l.out,
                      params + l.w_offset, l.in, param_stride, 0.0f, da, l.in, int64_t(B) * l.in,
                      K);
    }
    // dW[k] = dZ[k]^T (out x B) * A[k] (B x in), into the sink.
    be.gemm_batched(true, false, l.out, l.in, B, sink.alpha, dz, l.out, int64_t(B) * l.out, a_in,
                    l.in, int64_t(B) * l.in, sink.beta, sink.out + l.w_offset, l.in, sink.stride,
                    K);
    be.bias_grad(sink.out, sink.stride, l.b_offset, dz, K, B, l.out, sink.alpha, sink.beta);
    if (!da) break;
    be.relu_backward(da, a_in, K, B, l.in, nullptr);  // through the ReLU of the layer below
    dz = da;
  }
}

double train_step_flops(const ModelLayout& layout, int64_t rows) {
  double flops = 0.0;
  for (size_t li = 0; li < layout.layers.size(); ++li) {
    const auto& l = layout.layers[li];
    const double gemm = 2.0 * double(rows) * l.in * l.out;
    flops += gemm * (li == 0 ? 2.0 : 3.0);  // forward, dW, and dA except for the input layer
  }
  return flops;
}

}  // namespace fedsim
