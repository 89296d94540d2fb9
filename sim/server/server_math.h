// Per-element server optimizer rules, shared by the CPU loop and the CUDA kernel.
//
// Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2 (no bias correction; v starts
// at tau^2). delta is the aggregated client update (weighted mean of client weights minus global).
//   FedAvg:     x += lr * delta
//   FedAvgM:    m = momentum * m + delta;                        x += lr * m
//   FedAdagrad: m = b1 m + (1-b1) delta; v = v + delta^2;        x += lr * m / (sqrt(v) + tau)
//   FedYogi:    m as above; v = v - (1-b2) delta^2 sign(v - delta^2); x += lr * m / (sqrt(v) + tau)
//   FedAdam:    m as above; v = b2 v + (1-b2) delta^2;           x += lr * m / (sqrt(v) + tau)
#pragma once

#include <cmath>

#include "sim/backend/backend.h"
#include "sim/util/host_device.h"

namespace fedsim {

FEDSIM_HD inline void server_update_element(float& x, float delta, float& m, float& v,
                                            const ServerParams& p) {
  switch (p.rule) {
    case ServerRule::FedAvg:
      x += p.lr * delta;
      return;
    case ServerRule::FedAvgM:
      m = p.momentum * m + delta;
      x += p.lr * m;
      return;
    default:
      break;
  }
  m = p.beta1 * m + (1.0f - p.beta1) * delta;
  const float d2 = delta * delta;
  if (p.rule == ServerRule::FedAdagrad) {
    v = v + d2;
  } else if (p.rule == ServerRule::FedYogi) {
    const float s = (v - d2 > 0.0f) ? 1.0f : ((v - d2 < 0.0f) ? -1.0f : 0.0f);
    v = v - (1.0f - p.beta2) * d2 * s;
  } else {  // FedAdam
    v = p.beta2 * v + (1.0f - p.beta2) * d2;
  }
  x += p.lr * m / (sqrtf(v) + p.tau);
}

// Local SGD step for one parameter (see Backend::sgd_update).
FEDSIM_HD inline void sgd_update_element(float& w, float grad, float& vel, float global,
                                         const SgdParams& p) {
  const float g = grad + p.weight_decay * w + p.prox_mu * (w - global);
  if (p.momentum > 0.0f) {
    vel = p.momentum * vel + g;
    w -= p.lr * vel;
  } else {
    w -= p.lr * g;
  }
}

}  // namespace fedsim
