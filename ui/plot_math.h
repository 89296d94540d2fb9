// The pure arithmetic behind the dashboard's charts (ui/plot.h): axis ticks, tick labels, the
// data <-> pixel mapping on linear and log axes, auto-fitted ranges and the nearest-point search
// for the hover read-out. No ImGui and no OpenGL here, so all of it is unit-tested without a
// window (tests/test_ui_plot.cpp).
#pragma once

#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fedsim::ui {

// A closed data interval [lo, hi]. Empty (lo > hi) until a finite value is added.
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  bool empty() const { return !(lo <= hi); }
};

// Whether `v` can be placed on an axis: finite, and > 0 on a log axis.
bool plottable(double v, bool log);

// Grows `r` to hold every plottable value of `values` (NaN/Inf skipped; <= 0 skipped when `log`).
void extend_range(Range& r, std::span<const double> values, bool log);

// The displayed range for data range `data`: `min`/`max` (when set) fix a side exactly, unset sides
// get `margin` (a fraction of the span; in decades on a log axis) beyond the data. An empty data
// range gives [0, 1] (linear) or [1, 10] (log); a zero-width one is widened around its value.
// On a log axis a non-positive `min`/`max` is ignored. The result always has lo < hi (and lo > 0
// on a log axis).
Range fit_range(const Range& data, bool log, std::optional<double> min = std::nullopt,
                std::optional<double> max = std::nullopt, double margin = 0.05);

// One axis tick: major ticks are labelled and get a grid line; labelled minor ticks (2 and 5 on a
// short log axis) get a label; plain minor ticks only a short mark.
enum class TickKind { Major, LabelledMinor, Minor };
struct Tick {
  double value = 0.0;
  TickKind kind = TickKind::Major;
  std::string label;  // empty for TickKind::Minor
};

// The 1-2-5 step for a linear axis over [lo, hi]: the smallest step 1, 2 or 5 x 10^k such that at
// most `max_ticks` (>= 2) multiples of it fall inside [lo, hi].
double nice_step(double lo, double hi, int max_ticks);

// Linear ticks: every multiple of nice_step() inside [lo, hi] (with a tolerance of 1e-9 steps),
// labelled by format_tick(). Values are k * step computed exactly as k * step, with -0 made 0.
std::vector<Tick> linear_ticks(double lo, double hi, int max_ticks);

// Log ticks over [lo, hi] (0 < lo < hi): major ticks at decades 10^k (every 2nd, 3rd, ... decade
// when more than `max_major` decades would show), minor ticks at 2..9 x 10^k while every decade is
// shown, with 2 and 5 labelled when the range spans at most `short_decades` decades. Labels are
// fixed-point ("0.5", "20") inside [1e-3, 1e3] and scientific ("1e-4", "2e5", "1") on every tick
// when the range reaches beyond. When no decade falls inside the range, every minor tick is
// labelled, and when even that gives fewer than two labels, linear ticks are used instead (placed
// on the log axis).
std::vector<Tick> log_ticks(double lo, double hi, int max_major, double short_decades = 2.5);

// A tick label for `v` on a grid of spacing `step`: fixed-point with just enough decimals for the
// step ("0.3", not "0.30000000000000004"; "20"; "0.05"), or scientific ("2e-5", "1.5e6") when the
// step is below 1e-4 or |v| reaches 1e6. Values within 1e-9 steps of zero print as zero with the
// grid's decimals ("0.0" beside "0.5"; never "-0.0").
std::string format_tick(double v, double step);

// A value for the hover read-out: `digits` significant digits, trailing zeros trimmed, scientific
// for very large or small magnitudes ("0.7316", "1.2e-6", "200").
std::string format_value(double v, int digits = 4);

// Maps data values on one axis to pixels: `lo` lands on pixel `p_lo` and `hi` on `p_hi` (for a y
// axis p_lo is the bottom, so p_hi < p_lo); a log axis is linear in log10(v). lo < hi, and on a log
// axis lo > 0 (as fit_range returns).
struct AxisMap {
  double lo = 0.0, hi = 1.0;
  bool log = false;
  double p_lo = 0.0, p_hi = 1.0;

  double to_pixel(double v) const;
  double to_value(double pixel) const;  // the inverse of to_pixel
};

// A data point placed on screen, for the hover search.
struct PixelPoint {
  double x = 0.0, y = 0.0;  // pixels
  int series = -1, index = -1;
};

// The point nearest (Euclidean, in pixels) to (mx, my) within `radius` pixels, or nullptr. Ties go
// to the later point in `points` (drawn later, so on top).
const PixelPoint* nearest_point(std::span<const PixelPoint> points, double mx, double my,
                                double radius);

}  // namespace fedsim::ui
