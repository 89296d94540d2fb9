// Frame times of the dashboard while it trains (fedsim-ui --frame-stats): the interface thread's
// time to build a frame (ImGui::NewFrame through ImGui::Render: the panels, charts and snapshots,
// excluding OpenGL drawing and the swap), as wall and as thread CPU time, and the whole frame
// (events, build, OpenGL drawing, swap). Only frames during which a run was training count.
#pragma once

#include <cstdio>
#include <vector>

namespace fedsim::ui {

class FrameStats {
 public:
  // Per frame: the three durations in milliseconds.
  void add(double build_ms, double build_cpu_ms, double frame_ms);
  // Frames counted, then median, 95th percentile and max of each series.
  void print(std::FILE* out) const;
  // The interface thread's CPU time so far, in milliseconds (CLOCK_THREAD_CPUTIME_ID).
  static double thread_cpu_ms();

 private:
  std::vector<double> build_, build_cpu_, frame_;
};

}  // namespace fedsim::ui
