// Evaluator: blocked forward passes + per-sample softmax metrics (see evaluator.h).
#include "sim/train/evaluator.h"

#include <algorithm>

namespace fedsim {

Evaluator::Evaluator(Backend& be, const ModelLayout& layout, int64_t block_rows)
    : be_(be),
      layout_(layout),
      block_(block_rows),
      acts_(be, layout, block_rows),
      loss_(be, block_rows),
      p1_(be, block_rows),
      pred_(be, block_rows) {}

PerSampleEval Evaluator::run(const float* params, const float* x, const int32_t* y, int64_t n) {
  PerSampleEval out;
  out.loss.resize(n);
  out.pred.resize(n);
  out.p1.resize(n);
  const int d = layout_.inputs(), C = layout_.outputs();
  for (int64_t r0 = 0; r0 < n; r0 += block_) {
    const int64_t rows = std::min(block_, n - r0);
    be_.copy(acts_.acts[0].get(), x + r0 * d, sizeof(float) * rows * d);
    forward(be_, layout_, params, 0, 1, int(rows), acts_);
    be_.softmax_eval(loss_.get(), pred_.get(), p1_.get(), acts_.acts.back().get(), y + r0, rows, C);
    loss_.download(out.loss.data() + r0, rows);
    pred_.download(out.pred.data() + r0, rows);
    p1_.download(out.p1.data() + r0, rows);
  }
  return out;
}

}  // namespace fedsim
