// Evaluator: forward passes of the global model over a resident data set, in large row blocks.
#pragma once

#include <vector>

#include "sim/backend/backend.h"
#include "sim/model/model_layout.h"
#include "sim/train/model_ops.h"

namespace fedsim {

struct PerSampleEval {
  std::vector<float> loss;    // [n] cross-entropy
  std::vector<int32_t> pred;  // [n] argmax class
  std::vector<float> p1;      // [n] probability of class 1
};

class Evaluator {
 public:
  Evaluator(Backend& be, const ModelLayout& layout, int64_t block_rows = 8192);
  // Evaluates params [P] on x [n, d] / y [n] (backend memory); results on the host.
  PerSampleEval run(const float* params, const float* x, const int32_t* y, int64_t n);

 private:
  Backend& be_;
  ModelLayout layout_;
  int64_t block_;
  ActivationBuffers acts_;
  DeviceBuffer<float> loss_, p1_;
  DeviceBuffer<int32_t> pred_;
};

}  // namespace fedsim
