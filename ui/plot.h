// One compact chart component on ImGui's ImDrawList, used by every chart of the dashboard (Debian
// packages no ImPlot): lines and/or markers per series, optional error bars, linear or log axes
// with 1-2-5 / decade ticks, a legend, a highlighted polyline (e.g. a Pareto frontier), a hover
// read-out of the nearest point as a tooltip, and click detection. A run keeps one colour and one
// marker everywhere: palette(i) and marker(i) (Okabe-Ito, colour-blind safe).
//
// The arithmetic (ticks, labels, mapping, fitting, hit testing) is in plot_math.h and is
// unit-tested without a window; plot() itself only lays out and draws.
#pragma once

#include <imgui.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ui/plot_math.h"

namespace fedsim::ui {

enum class Marker { None, Circle, Square, Triangle, Diamond, Cross, TriangleDown, Plus };

// Okabe-Ito colour i (cycling over 8: orange, sky blue, bluish green, yellow, blue, vermillion,
// reddish purple, grey in place of black, which vanishes on the dark theme).
ImU32 palette(int i);
// Marker shape i (cycling over 7 filled/outline shapes, never None). 7 and 8 are coprime, so the
// pair (palette(i), marker(i)) is distinct for the first 56 runs.
Marker marker(int i);

struct PlotSeries {
  std::string label;           // legend and tooltip; empty: not in the legend
  std::vector<double> x, y;    // x empty: 0, 1, 2, ...; points with a NaN/Inf (or <= 0 on a
                               // log axis) coordinate are skipped and break the line
  std::vector<double> err_lo;  // optional error bars: the ABSOLUTE lower and upper ends at each
  std::vector<double> err_hi;  // point (e.g. mean -/+ sd, or min and max over seeds), not offsets
  std::vector<std::string> notes;  // optional, one per point: extra tooltip lines (run settings)
  ImU32 color = IM_COL32(230, 159, 0, 255);
  Marker marker = Marker::Circle;  // Marker::None: line only
  bool line = true;                // connect the points in order
  float line_width = 1.5f;
  float marker_size = 3.5f;  // radius in pixels
};

struct PlotAxis {
  std::string label;  // with its unit, e.g. "round" or "test accuracy"
  bool log = false;
  std::optional<double> min, max;  // unset: fitted to the data with a small margin
};

enum class LegendPos { Auto, TopLeft, TopRight, BottomLeft, BottomRight, None };

struct PlotOptions {
  // Drawn under the series as a thick translucent line, e.g. the Pareto frontier.
  const std::vector<std::pair<double, double>>* highlight_polyline = nullptr;
  ImU32 highlight_color = 0;           // 0: the text colour at 35% opacity
  LegendPos legend = LegendPos::Auto;  // Auto: the corner that hides the fewest points
  float hover_radius = 6.0f;           // pixels from a point that count as hovering it
};

struct PlotResult {
  int hovered_series = -1, hovered_point = -1;  // the point under the mouse (tooltip shown)
  int clicked_series = -1, clicked_point = -1;  // that point, clicked this frame (left button)
  bool hovered = false;                         // the mouse is over the plot area
  double mouse_x = 0.0, mouse_y = 0.0;          // its data coordinates, when hovered
  ImVec2 frame_min, frame_max;                  // the whole chart on screen (for PNG export)
};

// Draws a chart as one ImGui item of `size` (a component <= 0: the available width/height plus
// that component, as ImGui widgets do). `id` must be unique in the current window.
PlotResult plot(const char* id, ImVec2 size, const PlotAxis& x, const PlotAxis& y,
                const std::vector<PlotSeries>& series, const PlotOptions& options);
PlotResult plot(const char* id, ImVec2 size, const PlotAxis& x, const PlotAxis& y,
                const std::vector<PlotSeries>& series,
                const std::vector<std::pair<double, double>>* highlight_polyline = nullptr);

// Draws marker shape `m` of radius `r` at `c` (also for tables and legends elsewhere).
void draw_marker(ImDrawList* dl, ImVec2 c, float r, Marker m, ImU32 color);

}  // namespace fedsim::ui
