// FrameStats (frame_stats.h): percentiles of the frame times collected while training.
#include "ui/frame_stats.h"

#include <time.h>

#include <algorithm>
#include <cmath>

namespace fedsim::ui {

void FrameStats::add(double build_ms, double build_cpu_ms, double frame_ms) {
  build_.push_back(build_ms);
  build_cpu_.push_back(build_cpu_ms);
  frame_.push_back(frame_ms);
}

double FrameStats::thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}

// The q-quantile by nearest rank of a sorted copy (q = 0.5: the median).
static double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t k = size_t(std::ceil(q * double(v.size())));
  return v[std::clamp<size_t>(k, 1, v.size()) - 1];
}

void FrameStats::print(std::FILE* out) const {
  std::fprintf(out, "frame-stats: %zu frames while a run was training\n", frame_.size());
  const auto row = [&](const char* what, const std::vector<double>& v) {
    std::fprintf(out, "frame-stats: %-36s median %7.3f ms  p95 %7.3f ms  max %7.3f ms\n", what,
                 quantile(v, 0.5), quantile(v, 0.95), quantile(v, 1.0));
  };
  row("build (NewFrame..Render), wall", build_);
  row("build (NewFrame..Render), thread CPU", build_cpu_);
  row("whole frame (incl. GL draw + swap)", frame_);
  std::fflush(out);
}

}  // namespace fedsim::ui
