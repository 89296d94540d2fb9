// The gradient-inversion demonstration (see inversion.h).
#include "sim/audit/inversion.h"

#include <cmath>
#include <stdexcept>

#include "sim/backend/cpu_backend.h"
#include "sim/model/model_layout.h"
#include "sim/train/local_trainer.h"
#include "sim/util/rng.h"

namespace fedsim::audit {

namespace {

// x = dW[j, :] / db[j] for the row j with the largest |db[j]|.
std::vector<float> invert(const ModelLayout& layout, const std::vector<float>& delta) {
  const DenseLayer& l = layout.layers.front();
  int best = 0;
  for (int j = 1; j < l.out; ++j)
    if (std::abs(delta[size_t(l.b_offset + j)]) > std::abs(delta[size_t(l.b_offset + best)]))
      best = j;
  const double db = delta[size_t(l.b_offset + best)];
  std::vector<float> x(static_cast<size_t>(l.in));
  for (int i = 0; i < l.in; ++i)
    x[size_t(i)] = float(delta[size_t(l.w_offset + int64_t(best) * l.in + i)] / db);
  return x;
}

double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    num += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
    den += double(want[i]) * want[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

}  // namespace

InversionDemo gradient_inversion_demo(const Scenario& s, const Federation& fed, double sigma,
                                      double clip, int clients) {
  if (clients < 2 || clients > fed.num_clients())
    throw std::invalid_argument("inversion demo: need 2 .. " + std::to_string(fed.num_clients()) +
                                " clients");
  const ModelLayout layout = make_layout(s.model, fed.train.d, fed.train.classes);
  const int64_t P = layout.num_params;
  const size_t d = size_t(fed.train.d);
  // A federation of `clients` one-record clients: the first record of each.
  Federation one = fed;
  one.train.x.clear();
  one.train.y.clear();
  one.train.group.clear();
  one.train.attributes.clear();
  one.offsets.assign(1, 0);
  for (int c = 0; c < clients; ++c) {
    const int64_t r = fed.offsets[size_t(c)];
    one.train.x.insert(one.train.x.end(), fed.train.x.begin() + r * int64_t(d),
                       fed.train.x.begin() + (r + 1) * int64_t(d));
    one.train.y.push_back(fed.train.y[size_t(r)]);
    one.offsets.push_back(c + 1);
  }
  one.train.n = clients;
  CpuBackend be;
  ClientConfig cc;
  cc.batch_size = 1;
  cc.local_steps = 1;
  cc.lr = s.client.lr;
  LocalTrainer trainer(be, layout, cc, clients, s.run.seed);
  const std::vector<float> init = init_parameters(layout, s.run.seed);
  DeviceBuffer<float> x(be, one.train.x.size()), global(be, init.size());
  DeviceBuffer<int32_t> y(be, one.train.y.size());
  x.upload(one.train.x.data(), one.train.x.size());
  y.upload(one.train.y.data(), one.train.y.size());
  global.upload(init.data(), init.size());
  std::vector<int> ids(static_cast<size_t>(clients));
  for (int c = 0; c < clients; ++c) ids[size_t(c)] = c;
  trainer.train(one, x.get(), y.get(), global.get(), ids.data(), clients, 1);
  std::vector<float> w(size_t(clients) * size_t(P));
  be.to_host(w.data(), trainer.params(), w.size() * sizeof(float));

  InversionDemo demo;
  demo.noise_multiplier = sigma;
  demo.clip = clip;
  demo.clients = clients;
  demo.record.assign(one.train.x.begin(), one.train.x.begin() + int64_t(d));
  std::vector<float> delta(static_cast<size_t>(P)), sum(static_cast<size_t>(P), 0.0f);
  for (int c = 0; c < clients; ++c)
    for (int64_t i = 0; i < P; ++i) {
      const float v = w[size_t(c) * size_t(P) + size_t(i)] - init[size_t(i)];
      if (c == 0) delta[size_t(i)] = v;
      sum[size_t(i)] += v;
    }
  demo.recovered = invert(layout, delta);
  demo.error_plain = relative_error(demo.recovered, demo.record);
  // User-level DP on this one update: clip to S, add N(0, (sigma S)^2) per coordinate.
  double n2 = 0;
  for (float v : delta) n2 += double(v) * v;
  const double f = std::min(1.0, clip / std::max(std::sqrt(n2), 1e-300));
  Stream rng(s.run.seed, RngPurpose::Noise, 0xA0D17u);
  std::vector<float> noisy(static_cast<size_t>(P));
  for (int64_t i = 0; i < P; ++i)
    noisy[size_t(i)] = float(delta[size_t(i)] * f + sigma * clip * rng.normal());
  demo.error_noisy = relative_error(invert(layout, noisy), demo.record);
  demo.error_sum = relative_error(invert(layout, sum), demo.record);
  return demo;
}

}  // namespace fedsim::audit
