// Test helper: a small random federation with a learnable label, for whole-simulation tests.
#pragma once

#include <cstdint>
#include <random>

#include "sim/data/dataset.h"

// n samples (train and test alike), d features, 2 classes (the sign of a weighted feature sum plus
// noise), `clients` equal contiguous clients.
inline fedsim::Federation small_federation(int n, int d, int clients, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd;
  fedsim::Federation f;
  for (fedsim::Dataset* ds : {&f.train, &f.test}) {
    ds->n = n;
    ds->d = d;
    ds->classes = 2;
    ds->x.resize(size_t(n) * d);
    ds->y.resize(n);
    for (int i = 0; i < n; ++i) {
      double s = 0;
      for (int j = 0; j < d; ++j) s += (ds->x[size_t(i) * d + j] = nd(gen)) * (j + 1);
      ds->y[i] = s + 0.5 * nd(gen) > 0 ? 1 : 0;
    }
  }
  for (int c = 0; c <= clients; ++c) f.offsets.push_back(int64_t(n) * c / clients);
  return f;
}
