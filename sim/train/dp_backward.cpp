// Clipped per-sample gradient sums by ghost norms (see dp_backward.h).
#include "sim/train/dp_backward.h"

namespace fedsim {

DpBuffers::DpBuffers(Backend& be, const ModelLayout& layout, int64_t rows)
    : n2(be, rows), c(be, rows) {
  for (size_t li = 0; li + 1 < layout.layers.size(); ++li)
    dz.emplace_back(be, size_t(rows) * layout.layers[li].out);
}

void clipped_gradient_sum(Backend& be, const ModelLayout& layout, const float* params,
                          int64_t param_stride, int K, int B, ActivationBuffers& acts,
                          DpBuffers& dp, const float* w, float clip, float* clipped_acc,
                          float* grad, float beta, const int* rows_host, int k0,
                          const FusedNoisyStep* fused) {
  if (fused && !rows_host)
    throw BackendError("clipped_gradient_sum: a fused step needs row counts");
  const int64_t row0 = int64_t(k0) * B;
  const int64_t P = layout.num_params;
  params += k0 * param_stride;
  grad += k0 * P;
  w += row0;
  clipped_acc += k0;
  if (rows_host) rows_host += k0;
  float* const n2 = dp.n2.get() + row0;
  float* const cf = dp.c.get() + row0;
  auto act = [&](int li) { return acts.acts[li].get() + row0 * layout.layers[li].in; };
  // Batched GEMMs over all B rows, or ragged ones that skip each client's padding.
  auto gemm = [&](Backend::Ragged which, bool ta, int m, int n, int k, const float* a, int lda,
                  int64_t sa, const float* b, int ldb, int64_t sb, float bt, float* c, int ldc,
                  int64_t sc) {
    if (rows_host)
      be.gemm_ragged(which, rows_host, ta, false, m, n, k, 1.0f, a, lda, sa, b, ldb, sb, bt, c, ldc,
                     sc, K);
    else
      be.gemm_batched(ta, false, m, n, k, 1.0f, a, lda, sa, b, ldb, sb, bt, c, ldc, sc, K);
  };
  const int L = int(layout.layers.size());
  const int Br = rows_to_touch(K, B, rows_host);  // row-wise ops: these rows of each client
  const int64_t rows = int64_t(K) * Br;
  auto dz_of = [&](int li) {
    const int64_t off = row0 * layout.layers[li].out;
    return (li == L - 1 ? acts.acts.back().get() : dp.dz[li].get()) + off;
  };

  // 1. Back-propagate per-sample output gradients through every layer (unclipped).
  for (int li = L - 1; li >= 1; --li) {
    const DenseLayer& l = layout.layers[li];
    float* below = dz_of(li - 1);
    gemm(Backend::Ragged::M, false, B, l.in, l.out, dz_of(li), l.out, int64_t(B) * l.out,
         params + l.w_offset, l.in, param_stride, 0.0f, below, l.in, int64_t(B) * l.in);
    be.relu_backward(below, act(li), K, B, l.in, rows_host);
  }
  // 2. Ghost norms: ||g_i||^2 = sum_l ||dz_l,i||^2 (||a_l,i||^2 + 1)   (Goodfellow 2015).
  for (int li = 0; li < L; ++li) {
    const DenseLayer& l = layout.layers[li];
    be.ghost_sqnorm(n2, dz_of(li), act(li), K, B, l.out, l.in, li > 0, rows_host);
  }
  // 3. Clip factors c_i = w_i min(1, C / ||g_i||)   (Abadi et al. 2016, Alg. 1).
  be.clip_factors(cf, clipped_acc, n2, w, clip, K, Br);
  // 4. The clipped sum: scale each sample's deltas, then one GEMM per layer (or, fused, the
  // layer's noisy SGD step; each layer's deltas were computed with the weights before any update).
  for (int li = 0; li < L; ++li) {
    const DenseLayer& l = layout.layers[li];
    float* dz = dz_of(li);
    if (fused) {  // the clip factors are applied inside, as scale_rows would
      be.noisy_layer_step(rows_host, K, B, l.out, l.in, dz, cf, act(li), fused->params + k0 * P, P,
                          l.w_offset, l.b_offset, fused->stddev, fused->lr_scale_host + k0,
                          fused->seed, fused->purpose, fused->round, fused->client_ids_host + k0,
                          fused->step);
      continue;
    }
    be.scale_rows(dz, cf, rows, l.out);
    gemm(Backend::Ragged::K, true, l.out, l.in, B, dz, l.out, int64_t(B) * l.out, act(li), l.in,
         int64_t(B) * l.in, beta, grad + l.w_offset, l.in, P);
    be.bias_grad(grad, P, l.b_offset, dz, K, Br, l.out, 1.0f, beta);
  }
}

}  // namespace fedsim
