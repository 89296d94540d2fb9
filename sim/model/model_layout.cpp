// Model layouts (logistic regression, MLP) and their deterministic initialisation.
#include "sim/model/model_layout.h"

#include <algorithm>
#include <cmath>

#include "sim/util/rng.h"

namespace fedsim {

int ModelLayout::max_width() const {
  int w = 0;
  for (const auto& l : layers) w = std::max(w, l.out);
  return w;
}

ModelLayout make_layout(const ModelConfig& cfg, int inputs, int classes) {
  std::vector<int> widths = {inputs};
  if (cfg.kind == ModelKind::Mlp)
    for (int h : cfg.hidden) widths.push_back(h);
  widths.push_back(classes);

  ModelLayout layout;
  int64_t offset = 0;
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    DenseLayer l;
    l.name = "dense" + std::to_string(i);
    l.in = widths[i];
    l.out = widths[i + 1];
    l.w_offset = offset;
    offset += int64_t(l.in) * l.out;
    l.b_offset = offset;
    offset += l.out;
    l.activation = i + 2 < widths.size();  // ReLU on every layer but the output
    layout.layers.push_back(l);
  }
  layout.num_params = offset;
  return layout;
}

std::vector<float> init_parameters(const ModelLayout& layout, uint64_t seed) {
  std::vector<float> p(layout.num_params, 0.0f);
  for (size_t li = 0; li < layout.layers.size(); ++li) {
    const DenseLayer& l = layout.layers[li];
    // He-uniform: U(-a, a) with a = sqrt(6 / fan_in) (Glorot-like scale for the linear output).
    const double a = std::sqrt((l.activation ? 6.0 : 3.0) / l.in);
    Stream rng(seed, RngPurpose::ModelInit, static_cast<uint32_t>(li));
    for (int64_t i = 0; i < int64_t(l.in) * l.out; ++i)
      p[l.w_offset + i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * a);
  }
  return p;
}

}  // namespace fedsim
