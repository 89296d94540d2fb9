// The dashboard's chart component (plot.h): lays out a frame of axis labels, tick labels and a
// plot area, draws grid, series, error bars, markers and legend on the window's ImDrawList, and
// answers hover and click. All arithmetic comes from plot_math.h.
//
// [SECTION] palette and markers
// [SECTION] layout helpers
// [SECTION] plot()
#include "ui/plot.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace fedsim::ui {

// [SECTION] palette and markers ------------------------------------------------------------------

namespace {

// Okabe & Ito (2008), "Color Universal Design", with grey (#999999) in place of black.
constexpr ImU32 kOkabeIto[] = {IM_COL32(230, 159, 0, 255),   IM_COL32(86, 180, 233, 255),
                               IM_COL32(0, 158, 115, 255),   IM_COL32(240, 228, 66, 255),
                               IM_COL32(0, 114, 178, 255),   IM_COL32(213, 94, 0, 255),
                               IM_COL32(204, 121, 167, 255), IM_COL32(153, 153, 153, 255)};
constexpr Marker kMarkers[] = {Marker::Circle,  Marker::Square, Marker::Triangle,
                               Marker::Diamond, Marker::Cross,  Marker::TriangleDown,
                               Marker::Plus};

int wrap(int i, int n) {
  return ((i % n) + n) % n;
}

}  // namespace

ImU32 palette(int i) {
  return kOkabeIto[wrap(i, static_cast<int>(std::size(kOkabeIto)))];
}
Marker marker(int i) {
  return kMarkers[wrap(i, static_cast<int>(std::size(kMarkers)))];
}

void draw_marker(ImDrawList* dl, ImVec2 c, float r, Marker m, ImU32 color) {
  // Filled shapes are given clockwise on screen (y down), as ImGui's anti-aliasing expects.
  const float thick = std::max(1.5f, r * 0.5f);
  switch (m) {
    case Marker::None:
      break;
    case Marker::Circle:
      dl->AddCircleFilled(c, r, color, 12);
      break;
    case Marker::Square: {
      float h = r * 0.9f;
      dl->AddRectFilled(ImVec2(c.x - h, c.y - h), ImVec2(c.x + h, c.y + h), color);
      break;
    }
    case Marker::Triangle:
      dl->AddTriangleFilled(ImVec2(c.x, c.y - r * 1.15f), ImVec2(c.x + r, c.y + r * 0.6f),
                            ImVec2(c.x - r, c.y + r * 0.6f), color);
      break;
    case Marker::TriangleDown:
      dl->AddTriangleFilled(ImVec2(c.x, c.y + r * 1.15f), ImVec2(c.x - r, c.y - r * 0.6f),
                            ImVec2(c.x + r, c.y - r * 0.6f), color);
      break;
    case Marker::Diamond: {
      float h = r * 1.2f;
      dl->AddQuadFilled(ImVec2(c.x, c.y - h), ImVec2(c.x + h, c.y), ImVec2(c.x, c.y + h),
                        ImVec2(c.x - h, c.y), color);
      break;
    }
    case Marker::Cross: {
      float h = r * 0.9f;
      dl->AddLine(ImVec2(c.x - h, c.y - h), ImVec2(c.x + h, c.y + h), color, thick);
      dl->AddLine(ImVec2(c.x - h, c.y + h), ImVec2(c.x + h, c.y - h), color, thick);
      break;
    }
    case Marker::Plus: {
      float h = r * 1.1f;
      dl->AddLine(ImVec2(c.x - h, c.y), ImVec2(c.x + h, c.y), color, thick);
      dl->AddLine(ImVec2(c.x, c.y - h), ImVec2(c.x, c.y + h), color, thick);
      break;
    }
  }
}

// [SECTION] layout helpers -----------------------------------------------------------------------

namespace {

constexpr float kPad = 4.0f;      // frame edge to text
constexpr float kTickLen = 4.0f;  // major tick mark; minor ticks are half as long

size_t point_count(const PlotSeries& s) {
  return s.x.empty() ? s.y.size() : std::min(s.x.size(), s.y.size());
}
double x_at(const PlotSeries& s, size_t i) {
  return s.x.empty() ? static_cast<double>(i) : s.x[i];
}
bool has_error(const PlotSeries& s, size_t i) {
  return i < s.err_lo.size() && i < s.err_hi.size();
}

// Far-off points (a tiny value on a log axis) stay within float range for ImGui.
float clamp_px(double v) {
  return static_cast<float>(std::clamp(v, -1e6, 1e6));
}

bool overlaps(ImVec2 a0, ImVec2 a1, ImVec2 b0, ImVec2 b1) {
  return a0.x < b1.x && b0.x < a1.x && a0.y < b1.y && b0.y < a1.y;
}

// Ticks for one axis over `r`, about one per `spacing` pixels.
std::vector<Tick> axis_ticks(const PlotAxis& a, const Range& r, float pixels, float spacing) {
  int max_ticks = std::max(2, static_cast<int>(pixels / spacing));
  return a.log ? log_ticks(r.lo, r.hi, max_ticks) : linear_ticks(r.lo, r.hi, max_ticks);
}

float widest_label(const std::vector<Tick>& ticks) {
  float w = 0.0f;
  for (const Tick& t : ticks) {
    if (!t.label.empty()) w = std::max(w, ImGui::CalcTextSize(t.label.c_str()).x);
  }
  return w;
}

// Tick labels in priority order (major before labelled minor), each drawn only where it does not
// overlap one already drawn. `place` gives the label's top-left corner from its pixel and size.
template <class Place>
void draw_tick_labels(ImDrawList* dl, const std::vector<Tick>& ticks, const AxisMap& map,
                      ImU32 major_color, ImU32 minor_color, Place place) {
  std::vector<std::pair<ImVec2, ImVec2>> drawn;
  for (TickKind kind : {TickKind::Major, TickKind::LabelledMinor}) {
    for (const Tick& t : ticks) {
      if (t.kind != kind || t.label.empty()) continue;
      ImVec2 size = ImGui::CalcTextSize(t.label.c_str());
      ImVec2 p0 = place(static_cast<float>(map.to_pixel(t.value)), size);
      ImVec2 p1(p0.x + size.x, p0.y + size.y);
      ImVec2 q0(p0.x - 3.0f, p0.y - 1.0f), q1(p1.x + 3.0f, p1.y + 1.0f);  // a small gap
      bool clash = std::any_of(drawn.begin(), drawn.end(),
                               [&](const auto& d) { return overlaps(q0, q1, d.first, d.second); });
      if (clash) continue;
      drawn.emplace_back(p0, p1);
      dl->AddText(p0, kind == TickKind::Major ? major_color : minor_color, t.label.c_str());
    }
  }
}

// Legend rectangle size for the labelled series.
ImVec2 legend_size(const std::vector<PlotSeries>& series, float line_h) {
  float w = 0.0f;
  int n = 0;
  for (const PlotSeries& s : series) {
    if (s.label.empty()) continue;
    w = std::max(w, ImGui::CalcTextSize(s.label.c_str()).x);
    ++n;
  }
  if (n == 0) return ImVec2(0.0f, 0.0f);
  return ImVec2(w + 18.0f + 3.0f * kPad, static_cast<float>(n) * line_h + 2.0f * kPad);
}

// Top-left corner of the legend: the fixed corner, or under Auto the corner hiding the fewest
// points (ties in the order top-right, top-left, bottom-right, bottom-left).
ImVec2 legend_origin(LegendPos pos, ImVec2 a0, ImVec2 a1, ImVec2 size,
                     const std::vector<PixelPoint>& points) {
  const float m = 6.0f;
  const ImVec2 corners[] = {ImVec2(a1.x - m - size.x, a0.y + m), ImVec2(a0.x + m, a0.y + m),
                            ImVec2(a1.x - m - size.x, a1.y - m - size.y),
                            ImVec2(a0.x + m, a1.y - m - size.y)};
  switch (pos) {
    case LegendPos::TopRight:
      return corners[0];
    case LegendPos::TopLeft:
      return corners[1];
    case LegendPos::BottomRight:
      return corners[2];
    case LegendPos::BottomLeft:
      return corners[3];
    default:
      break;
  }
  int best = 0;
  size_t best_hidden = static_cast<size_t>(-1);
  for (int c = 0; c < 4; ++c) {
    ImVec2 p0 = corners[c], p1(p0.x + size.x, p0.y + size.y);
    size_t hidden =
        static_cast<size_t>(std::count_if(points.begin(), points.end(), [&](const PixelPoint& p) {
          return p.x >= p0.x && p.x <= p1.x && p.y >= p0.y && p.y <= p1.y;
        }));
    if (hidden < best_hidden) {
      best_hidden = hidden;
      best = c;
    }
  }
  return corners[best];
}

void draw_legend(ImDrawList* dl, const std::vector<PlotSeries>& series, ImVec2 origin, ImVec2 size,
                 float line_h) {
  dl->AddRectFilled(origin, ImVec2(origin.x + size.x, origin.y + size.y),
                    ImGui::GetColorU32(ImGuiCol_PopupBg, 0.85f));
  dl->AddRect(origin, ImVec2(origin.x + size.x, origin.y + size.y),
              ImGui::GetColorU32(ImGuiCol_Border));
  float y = origin.y + kPad;
  for (const PlotSeries& s : series) {
    if (s.label.empty()) continue;
    float cy = y + line_h * 0.5f, x0 = origin.x + kPad;
    if (s.line) dl->AddLine(ImVec2(x0, cy), ImVec2(x0 + 18.0f, cy), s.color, s.line_width);
    draw_marker(dl, ImVec2(x0 + 9.0f, cy), std::min(s.marker_size, line_h * 0.35f), s.marker,
                s.color);
    dl->AddText(ImVec2(x0 + 18.0f + kPad, y), ImGui::GetColorU32(ImGuiCol_Text), s.label.c_str());
    y += line_h;
  }
}

void draw_tooltip(const PlotSeries& s, int series_index, size_t i, const PlotAxis& xa,
                  const PlotAxis& ya) {
  ImGui::BeginTooltip();
  if (s.label.empty()) {
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(s.color), "series %d", series_index + 1);
  } else {
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(s.color), "%s", s.label.c_str());
  }
  ImGui::Text("%s: %s", xa.label.empty() ? "x" : xa.label.c_str(),
              format_value(x_at(s, i)).c_str());
  ImGui::Text("%s: %s", ya.label.empty() ? "y" : ya.label.c_str(), format_value(s.y[i]).c_str());
  if (has_error(s, i)) {
    ImGui::Text("range: %s to %s", format_value(s.err_lo[i]).c_str(),
                format_value(s.err_hi[i]).c_str());
  }
  if (i < s.notes.size() && !s.notes[i].empty()) ImGui::TextUnformatted(s.notes[i].c_str());
  ImGui::EndTooltip();
}

}  // namespace

// [SECTION] plot() -------------------------------------------------------------------------------

PlotResult plot(const char* id, ImVec2 size, const PlotAxis& xa, const PlotAxis& ya,
                const std::vector<PlotSeries>& series,
                const std::vector<std::pair<double, double>>* highlight_polyline) {
  PlotOptions options;
  options.highlight_polyline = highlight_polyline;
  return plot(id, size, xa, ya, series, options);
}

PlotResult plot(const char* id, ImVec2 size, const PlotAxis& xa, const PlotAxis& ya,
                const std::vector<PlotSeries>& series, const PlotOptions& opt) {
  PlotResult res;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (size.x <= 0.0f) size.x = std::max(avail.x + size.x, 80.0f);
  if (size.y <= 0.0f) size.y = std::max(avail.y + size.y, 60.0f);
  ImGui::InvisibleButton(id, size);
  const bool item_hovered = ImGui::IsItemHovered();
  const bool item_clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
  const ImVec2 f0 = ImGui::GetItemRectMin(), f1 = ImGui::GetItemRectMax();
  res.frame_min = f0;
  res.frame_max = f1;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float line_h = ImGui::GetTextLineHeight();
  const ImU32 col_text = ImGui::GetColorU32(ImGuiCol_Text);
  const ImU32 col_dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  const ImU32 col_border = ImGui::GetColorU32(ImGuiCol_Border);

  // Ranges: the points that will be drawn (both coordinates plottable), their error bars and the
  // highlighted polyline, fitted unless the axis fixes min/max.
  Range xd, yd;
  auto add = [&](double xv, double yv) {
    if (!plottable(xv, xa.log) || !plottable(yv, ya.log)) return;
    extend_range(xd, std::span<const double>(&xv, 1), xa.log);
    extend_range(yd, std::span<const double>(&yv, 1), ya.log);
  };
  for (const PlotSeries& s : series) {
    for (size_t i = 0, n = point_count(s); i < n; ++i) {
      add(x_at(s, i), s.y[i]);
      if (has_error(s, i)) {
        add(x_at(s, i), s.err_lo[i]);
        add(x_at(s, i), s.err_hi[i]);
      }
    }
  }
  if (opt.highlight_polyline) {
    for (const auto& [px, py] : *opt.highlight_polyline) add(px, py);
  }
  const Range xr = fit_range(xd, xa.log, xa.min, xa.max);
  const Range yr = fit_range(yd, ya.log, ya.min, ya.max);

  // Layout: y axis label above the plot area, x tick labels and axis label below it, y tick
  // labels to its left (their width decides the left edge).
  const float top = f0.y + kPad + (ya.label.empty() ? 0.0f : line_h + 2.0f);
  const float bottom = std::max(top + 10.0f, f1.y - kPad - line_h - kTickLen - 2.0f -
                                                 (xa.label.empty() ? 0.0f : line_h + 2.0f));
  const std::vector<Tick> yt = axis_ticks(ya, yr, bottom - top, line_h * 2.2f);
  const float left = std::min(f0.x + kPad + widest_label(yt) + kTickLen + 3.0f, f1.x - 20.0f);
  const float right = std::max(left + 10.0f, f1.x - kPad - 6.0f);
  std::vector<Tick> xt;
  for (float spacing = 60.0f; spacing < 2000.0f; spacing *= 1.5f) {  // fewer ticks while crowded
    xt = axis_ticks(xa, xr, right - left, spacing);
    int n = static_cast<int>(std::count_if(
        xt.begin(), xt.end(), [](const Tick& t) { return t.kind == TickKind::Major; }));
    if ((widest_label(xt) + 16.0f) * static_cast<float>(n) <= right - left) break;
  }
  const AxisMap mx{xr.lo, xr.hi, xa.log, left, right};
  const AxisMap my{yr.lo, yr.hi, ya.log, bottom, top};
  const ImVec2 a0(left, top), a1(right, bottom);

  // Background, grid lines (major and labelled minor), tick marks, tick and axis labels.
  dl->AddRectFilled(a0, a1, ImGui::GetColorU32(ImGuiCol_FrameBg));
  for (const Tick& t : xt) {
    float px = std::floor(static_cast<float>(mx.to_pixel(t.value))) + 0.5f;
    if (t.kind != TickKind::Minor) {
      dl->AddLine(ImVec2(px, top), ImVec2(px, bottom),
                  ImGui::GetColorU32(ImGuiCol_Border, t.kind == TickKind::Major ? 0.7f : 0.35f));
    }
    dl->AddLine(ImVec2(px, bottom),
                ImVec2(px, bottom + (t.kind == TickKind::Major ? kTickLen : kTickLen * 0.5f)),
                col_dim);
  }
  for (const Tick& t : yt) {
    float py = std::floor(static_cast<float>(my.to_pixel(t.value))) + 0.5f;
    if (t.kind != TickKind::Minor) {
      dl->AddLine(ImVec2(left, py), ImVec2(right, py),
                  ImGui::GetColorU32(ImGuiCol_Border, t.kind == TickKind::Major ? 0.7f : 0.35f));
    }
    dl->AddLine(ImVec2(left - (t.kind == TickKind::Major ? kTickLen : kTickLen * 0.5f), py),
                ImVec2(left, py), col_dim);
  }
  draw_tick_labels(dl, xt, mx, col_text, col_dim, [&](float px, ImVec2 sz) {
    return ImVec2(std::clamp(px - sz.x * 0.5f, f0.x, std::max(f0.x, f1.x - sz.x)),
                  bottom + kTickLen + 1.0f);
  });
  draw_tick_labels(dl, yt, my, col_text, col_dim, [&](float py, ImVec2 sz) {
    return ImVec2(left - kTickLen - 3.0f - sz.x,
                  std::clamp(py - sz.y * 0.5f, f0.y, std::max(f0.y, f1.y - sz.y)));
  });
  dl->AddRect(a0, a1, col_border);
  if (!ya.label.empty()) dl->AddText(ImVec2(f0.x + kPad, f0.y + kPad), col_text, ya.label.c_str());
  if (!xa.label.empty()) {
    float w = ImGui::CalcTextSize(xa.label.c_str()).x;
    dl->AddText(ImVec2(std::max(f0.x, (left + right - w) * 0.5f), f1.y - kPad - line_h), col_text,
                xa.label.c_str());
  }

  // Data, clipped to the plot area: the highlighted polyline first (underneath), then per series
  // its line, error bars and markers. Visible points are collected for hover and legend placement.
  dl->PushClipRect(a0, a1, true);
  std::vector<ImVec2> run;
  auto flush = [&](ImU32 color, float width) {
    if (run.size() >= 2)
      dl->AddPolyline(run.data(), static_cast<int>(run.size()), color, ImDrawFlags_None, width);
    run.clear();
  };
  if (opt.highlight_polyline) {
    ImU32 color =
        opt.highlight_color ? opt.highlight_color : ImGui::GetColorU32(ImGuiCol_Text, 0.35f);
    for (const auto& [px, py] : *opt.highlight_polyline) {
      if (plottable(px, xa.log) && plottable(py, ya.log)) {
        run.emplace_back(clamp_px(mx.to_pixel(px)), clamp_px(my.to_pixel(py)));
      } else {
        flush(color, 4.0f);
      }
    }
    flush(color, 4.0f);
  }
  std::vector<PixelPoint> visible;
  std::vector<ImVec2> pix;
  std::vector<char> ok;
  for (size_t si = 0; si < series.size(); ++si) {
    const PlotSeries& s = series[si];
    const size_t n = point_count(s);
    pix.assign(n, ImVec2(0.0f, 0.0f));
    ok.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
      double xv = x_at(s, i), yv = s.y[i];
      if (!plottable(xv, xa.log) || !plottable(yv, ya.log)) continue;
      ok[i] = 1;
      pix[i] = ImVec2(clamp_px(mx.to_pixel(xv)), clamp_px(my.to_pixel(yv)));
      if (pix[i].x >= left - 0.5f && pix[i].x <= right + 0.5f && pix[i].y >= top - 0.5f &&
          pix[i].y <= bottom + 0.5f) {
        visible.push_back({pix[i].x, pix[i].y, static_cast<int>(si), static_cast<int>(i)});
      }
    }
    if (s.line) {
      for (size_t i = 0; i < n; ++i) {
        if (ok[i]) {
          run.push_back(pix[i]);
        } else {
          flush(s.color, s.line_width);
        }
      }
      flush(s.color, s.line_width);
    }
    for (size_t i = 0; i < n; ++i) {
      if (!ok[i] || !has_error(s, i)) continue;
      if (!plottable(s.err_lo[i], ya.log) || !plottable(s.err_hi[i], ya.log)) continue;
      float x = pix[i].x, cap = std::max(2.5f, s.marker_size);
      float y0 = clamp_px(my.to_pixel(s.err_lo[i])), y1 = clamp_px(my.to_pixel(s.err_hi[i]));
      dl->AddLine(ImVec2(x, y0), ImVec2(x, y1), s.color, 1.0f);
      dl->AddLine(ImVec2(x - cap, y0), ImVec2(x + cap, y0), s.color, 1.0f);
      dl->AddLine(ImVec2(x - cap, y1), ImVec2(x + cap, y1), s.color, 1.0f);
    }
    for (size_t i = 0; i < n; ++i) {
      if (ok[i]) draw_marker(dl, pix[i], s.marker_size, s.marker, s.color);
    }
  }

  // Hover and click: the nearest visible point within the radius, ringed, with a tooltip.
  if (item_hovered) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    if (m.x >= left && m.x <= right && m.y >= top && m.y <= bottom) {
      res.hovered = true;
      res.mouse_x = mx.to_value(m.x);
      res.mouse_y = my.to_value(m.y);
    }
    if (const PixelPoint* hit = nearest_point(visible, m.x, m.y, opt.hover_radius)) {
      res.hovered_series = hit->series;
      res.hovered_point = hit->index;
      const PlotSeries& s = series[static_cast<size_t>(hit->series)];
      dl->AddCircle(ImVec2(static_cast<float>(hit->x), static_cast<float>(hit->y)),
                    s.marker_size + 3.0f, col_text, 16, 1.5f);
      if (item_clicked) {
        res.clicked_series = hit->series;
        res.clicked_point = hit->index;
      }
      draw_tooltip(s, hit->series, static_cast<size_t>(hit->index), xa, ya);
    }
  }
  dl->PopClipRect();

  if (opt.legend != LegendPos::None) {
    ImVec2 lsize = legend_size(series, line_h);
    if (lsize.x > 0.0f) {
      dl->PushClipRect(a0, a1, true);
      draw_legend(dl, series, legend_origin(opt.legend, a0, a1, lsize, visible), lsize, line_h);
      dl->PopClipRect();
    }
  }
  return res;
}

}  // namespace fedsim::ui
