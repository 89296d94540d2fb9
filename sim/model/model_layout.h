// ModelLayout: the dense layers of a model and where each one's parameters sit in the flat buffer.
//
// Every model is a stack of dense layers (logistic regression is one layer; an MLP adds hidden
// layers with an activation between them) with softmax cross-entropy on top. All parameters live in
// one flat float32 buffer of num_params floats: for each layer, its weight W [out, in] row-major,
// then its bias b [out]. The same layout is used on every backend, in checkpoints and in result
// files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace fedsim {

struct DenseLayer {
  std::string name;  // "dense0", "dense1", ...
  int in = 0;
  int out = 0;
  int64_t w_offset = 0;     // W [out, in]
  int64_t b_offset = 0;     // b [out]
  bool activation = false;  // true: ReLU after this layer (all but the last)
};

struct ModelLayout {
  std::vector<DenseLayer> layers;
  int64_t num_params = 0;
  int inputs() const { return layers.front().in; }
  int outputs() const { return layers.back().out; }
  int max_width() const;  // largest layer output
};

ModelLayout make_layout(const ModelConfig& cfg, int inputs, int classes);

// Deterministic initialisation (He-uniform weights, zero biases) from the scenario seed.
std::vector<float> init_parameters(const ModelLayout& layout, uint64_t seed);

}  // namespace fedsim
