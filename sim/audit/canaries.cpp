// Canaries for the one-run audit (see canaries.h).
#include "sim/audit/canaries.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/backend/cpu_backend.h"
#include "sim/train/evaluator.h"
#include "sim/util/rng.h"

namespace fedsim::audit {

namespace {
constexpr uint32_t kCanaryStream = 0xCA1A;
}

RecordCanaries make_record_canaries(int m, const Federation& fed, uint64_t seed) {
  RecordCanaries c;
  c.m = m;
  c.d = fed.train.d;
  Stream rng(seed, RngPurpose::Analytics, kCanaryStream, 1);
  c.x.resize(size_t(m) * size_t(c.d));
  for (float& v : c.x) v = float(5.0 * rng.normal());
  c.y.resize(size_t(m));
  c.included.resize(size_t(m));
  c.client.assign(size_t(m), -1);
  for (int i = 0; i < m; ++i) {
    c.y[size_t(i)] = int32_t(rng.below(uint64_t(fed.train.classes)));
    c.included[size_t(i)] = int8_t(rng.below(2));
    if (c.included[size_t(i)]) c.client[size_t(i)] = int(rng.below(uint64_t(fed.num_clients())));
  }
  return c;
}

Federation with_record_canaries(const Federation& fed, const RecordCanaries& c) {
  Federation out = fed;
  const int C = fed.num_clients();
  const size_t d = size_t(fed.train.d);
  std::vector<std::vector<int>> per_client(static_cast<size_t>(C));
  for (int i = 0; i < c.m; ++i)
    if (c.included[size_t(i)]) per_client[size_t(c.client[size_t(i)])].push_back(i);
  Dataset& t = out.train;
  t.x.clear();
  t.y.clear();
  t.group.clear();
  for (auto& a : t.attributes) a.code.clear();
  out.offsets.assign(1, 0);
  for (int k = 0; k < C; ++k) {
    for (int64_t r = fed.offsets[size_t(k)]; r < fed.offsets[size_t(k) + 1]; ++r) {
      t.x.insert(t.x.end(), fed.train.x.begin() + r * int64_t(d),
                 fed.train.x.begin() + (r + 1) * int64_t(d));
      t.y.push_back(fed.train.y[size_t(r)]);
      if (!fed.train.group.empty()) t.group.push_back(fed.train.group[size_t(r)]);
      for (size_t a = 0; a < t.attributes.size(); ++a)
        t.attributes[a].code.push_back(fed.train.attributes[a].code[size_t(r)]);
    }
    const bool has_rows = fed.offsets[size_t(k)] < fed.offsets[size_t(k) + 1];
    const int32_t grp = has_rows && !fed.train.group.empty()
                            ? fed.train.group[size_t(fed.offsets[size_t(k)])]
                            : int32_t(k);
    for (int i : per_client[size_t(k)]) {
      t.x.insert(t.x.end(), c.x.begin() + int64_t(i) * int64_t(d),
                 c.x.begin() + int64_t(i + 1) * int64_t(d));
      t.y.push_back(c.y[size_t(i)]);
      if (!fed.train.group.empty()) t.group.push_back(grp);
      for (auto& a : t.attributes) a.code.push_back(0);
    }
    out.offsets.push_back(int64_t(t.y.size()));
  }
  t.n = int64_t(t.y.size());
  return out;
}

std::vector<double> cpu_losses(const ModelLayout& layout, const std::vector<float>& w,
                               const std::vector<float>& x, const std::vector<int32_t>& y,
                               int64_t n) {
  CpuBackend be;
  Evaluator ev(be, layout);
  DeviceBuffer<float> xd(be, x.size()), wd(be, w.size());
  DeviceBuffer<int32_t> yd(be, y.size());
  xd.upload(x.data(), x.size());
  yd.upload(y.data(), y.size());
  wd.upload(w.data(), w.size());
  const PerSampleEval e = ev.run(wd.get(), xd.get(), yd.get(), n);
  return std::vector<double>(e.loss.begin(), e.loss.end());
}

std::vector<double> record_scores(const RecordCanaries& c, const ModelLayout& layout,
                                  const std::vector<float>& w0, const std::vector<float>& wT) {
  const std::vector<double> before = cpu_losses(layout, w0, c.x, c.y, c.m),
                            after = cpu_losses(layout, wT, c.x, c.y, c.m);
  std::vector<double> s(before.size());
  for (size_t i = 0; i < s.size(); ++i) s[i] = before[i] - after[i];
  return s;
}

ClientCanaries make_client_canaries(int m, int64_t P, uint64_t seed) {
  ClientCanaries c;
  c.m = m;
  c.P = P;
  Stream rng(seed, RngPurpose::Analytics, kCanaryStream, 2);
  c.directions.resize(size_t(m) * size_t(P));
  c.included.resize(size_t(m));
  for (int i = 0; i < m; ++i) {
    float* u = c.directions.data() + size_t(i) * size_t(P);
    double n2 = 0;
    for (int64_t j = 0; j < P; ++j) {
      u[j] = float(rng.normal());
      n2 += double(u[j]) * u[j];
    }
    const double inv = 1 / std::sqrt(n2);
    for (int64_t j = 0; j < P; ++j) u[j] = float(u[j] * inv);
    c.included[size_t(i)] = int8_t(rng.below(2));
  }
  return c;
}

Federation with_client_canaries(const Federation& fed, ClientCanaries& c) {
  Federation out = fed;
  c.first_client = fed.num_clients();
  for (int i = 0; i < c.m; ++i)
    if (c.included[size_t(i)]) out.offsets.push_back(out.offsets.back());  // no rows
  return out;
}

std::vector<float> included_directions(const ClientCanaries& c) {
  std::vector<float> out;
  for (int i = 0; i < c.m; ++i)
    if (c.included[size_t(i)])
      out.insert(out.end(), c.directions.begin() + int64_t(i) * c.P,
                 c.directions.begin() + int64_t(i + 1) * c.P);
  return out;
}

std::vector<double> client_scores(const ClientCanaries& c, const std::vector<float>& w0,
                                  const std::vector<float>& wT) {
  std::vector<double> s(size_t(c.m), 0.0);
  for (int i = 0; i < c.m; ++i) {
    const float* u = c.directions.data() + size_t(i) * size_t(c.P);
    double dot = 0;
    for (int64_t j = 0; j < c.P; ++j) dot += (double(wT[size_t(j)]) - w0[size_t(j)]) * u[j];
    s[size_t(i)] = dot;
  }
  return s;
}

Guesses guess_extremes(const std::vector<double>& scores, const std::vector<int8_t>& included,
                       int k) {
  Guesses g;
  const int m = int(scores.size());
  g.guess.assign(size_t(m), 0);
  std::vector<int> order(static_cast<size_t>(m));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return scores[size_t(a)] > scores[size_t(b)]; });
  k = std::min(k, m / 2);
  for (int i = 0; i < k; ++i) {
    g.guess[size_t(order[size_t(i)])] = 1;
    g.guess[size_t(order[size_t(m - 1 - i)])] = -1;
  }
  for (int i = 0; i < m; ++i) {
    if (g.guess[size_t(i)] == 0) continue;
    (g.guess[size_t(i)] > 0 ? g.in : g.out) += 1;
    g.correct += (g.guess[size_t(i)] > 0) == (included[size_t(i)] != 0);
  }
  return g;
}

}  // namespace fedsim::audit
