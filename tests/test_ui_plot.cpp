// The dashboard's chart component without a window: ticks, tick labels, axis mapping, range
// fitting and hover search (ui/plot_math.h), PNG encoding (ui/png_export.h), and plot() inside a
// headless ImGui frame (vertices emitted, hover and click on a known point).
#include <gtest/gtest.h>
#include <imgui.h>
#include <stb_image.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "ui/plot.h"
#include "ui/plot_math.h"
#include "ui/png_export.h"

namespace fedsim::ui {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

std::vector<double> values(const std::vector<Tick>& ticks, TickKind kind) {
  std::vector<double> v;
  for (const Tick& t : ticks) {
    if (t.kind == kind) v.push_back(t.value);
  }
  return v;
}
std::vector<std::string> labels(const std::vector<Tick>& ticks) {
  std::vector<std::string> v;
  for (const Tick& t : ticks) {
    if (!t.label.empty()) v.push_back(t.label);
  }
  return v;
}

// ---- linear ticks -----------------------------------------------------------------------------

TEST(UiPlotTicks, LinearTenthsWithCleanLabels) {
  auto ticks = linear_ticks(0.0, 0.73, 8);
  EXPECT_EQ(labels(ticks),
            (std::vector<std::string>{"0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"}));
  ASSERT_EQ(ticks.size(), 8u);
  EXPECT_EQ(ticks[3].value, 0.3);  // the double nearest 0.3, not 3 * 0.1
  EXPECT_EQ(ticks[7].value, 0.7);
}

TEST(UiPlotTicks, LinearSkipsToTwentiesWhenTensAreTooMany) {
  EXPECT_EQ(nice_step(3.0, 97.0, 8), 20.0);
  auto ticks = linear_ticks(3.0, 97.0, 8);
  EXPECT_EQ(values(ticks, TickKind::Major), (std::vector<double>{20, 40, 60, 80}));
  // With room for more ticks the step is 10.
  EXPECT_EQ(nice_step(3.0, 97.0, 10), 10.0);
}

TEST(UiPlotTicks, LinearStepsAreOneTwoFive) {
  for (double hi : {0.011, 0.37, 1.0, 7.3, 42.0, 999.0, 12345.0}) {
    for (int max_ticks : {3, 5, 8, 12}) {
      double step = nice_step(0.0, hi, max_ticks);
      double m = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
      EXPECT_TRUE(std::abs(m - 1) < 1e-9 || std::abs(m - 2) < 1e-9 || std::abs(m - 5) < 1e-9)
          << hi << " " << max_ticks << " " << step;
      auto ticks = linear_ticks(0.0, hi, max_ticks);
      EXPECT_LE(static_cast<int>(ticks.size()), max_ticks);
      EXPECT_GE(ticks.size(), 2u) << hi << " " << max_ticks;
    }
  }
}

TEST(UiPlotTicks, LinearNegativeAndOffsetRanges) {
  auto ticks = linear_ticks(-1.05, 1.05, 5);
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"-1.0", "-0.5", "0.0", "0.5", "1.0"}));
  for (const Tick& t : ticks) EXPECT_FALSE(std::signbit(t.value) && t.value == 0.0);
  // A narrow range far from zero (accuracy between 0.7312 and 0.7318).
  ticks = linear_ticks(0.7312, 0.7318, 4);
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"0.7312", "0.7314", "0.7316", "0.7318"}));
  // An axis reaching 1e6 labels every tick in scientific notation.
  ticks = linear_ticks(0.0, 2.2e6, 5);
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"0", "5e5", "1.0e6", "1.5e6", "2.0e6"}));
}

// ---- log ticks --------------------------------------------------------------------------------

TEST(UiPlotTicks, LogShortRangeLabelsTwoAndFive) {
  auto ticks = log_ticks(0.39, 29.0, 8);
  EXPECT_EQ(values(ticks, TickKind::Major), (std::vector<double>{1, 10}));
  EXPECT_EQ(values(ticks, TickKind::LabelledMinor), (std::vector<double>{0.5, 2, 5, 20}));
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"0.5", "1", "2", "5", "10", "20"}));
  // Plain minor ticks at the other multiples, inside the range only.
  auto minor = values(ticks, TickKind::Minor);
  EXPECT_EQ(minor.front(), 0.4);
  EXPECT_EQ(minor.back(), 9.0);  // 30 > 29
  for (size_t i = 1; i < ticks.size(); ++i) EXPECT_LT(ticks[i - 1].value, ticks[i].value);
}

TEST(UiPlotTicks, LogLongRangeDecadesOnly) {
  auto ticks = log_ticks(0.1, 100.0, 8);
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"0.1", "1", "10", "100"}));
  EXPECT_TRUE(values(ticks, TickKind::LabelledMinor).empty());
  EXPECT_FALSE(values(ticks, TickKind::Minor).empty());
}

TEST(UiPlotTicks, LogManyDecadesSkipsDecades) {
  auto ticks = log_ticks(1e-9, 1e9, 5);  // 19 decades, at most 5 labels: every 4th, aligned at 1
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"1e-8", "1e-4", "1", "1e4", "1e8"}));
  EXPECT_TRUE(values(ticks, TickKind::Minor).empty());
  // Fixed-point labels within [1e-3, 1e3], scientific on every label beyond.
  EXPECT_EQ(labels(log_ticks(0.001, 1000.0, 8)),
            (std::vector<std::string>{"0.001", "0.01", "0.1", "1", "10", "100", "1000"}));
  EXPECT_EQ(labels(log_ticks(0.9, 5e4, 8)),
            (std::vector<std::string>{"1", "1e1", "1e2", "1e3", "1e4"}));
  EXPECT_EQ(
      labels(log_ticks(1.1e-5, 9e-5, 8)),
      (std::vector<std::string>{"2e-5", "3e-5", "4e-5", "5e-5", "6e-5", "7e-5", "8e-5", "9e-5"}));
}

TEST(UiPlotTicks, LogInsideOneDecade) {
  // No decade inside: every integer multiple is labelled.
  auto ticks = log_ticks(2.5, 8.5, 8);
  EXPECT_EQ(labels(ticks), (std::vector<std::string>{"3", "4", "5", "6", "7", "8"}));
  // Not even two multiples: linear ticks, still inside the range.
  ticks = log_ticks(3.1, 3.9, 6);
  ASSERT_GE(labels(ticks).size(), 2u);
  for (const Tick& t : ticks) {
    EXPECT_GE(t.value, 3.1);
    EXPECT_LE(t.value, 3.9);
  }
}

// ---- labels -----------------------------------------------------------------------------------

TEST(UiPlotTicks, TickLabelPrecision) {
  EXPECT_EQ(format_tick(0.1 + 0.2, 0.1), "0.3");
  EXPECT_EQ(format_tick(3 * 0.1, 0.1), "0.3");
  EXPECT_EQ(format_tick(20.0, 20.0), "20");
  EXPECT_EQ(format_tick(0.05, 0.05), "0.05");
  EXPECT_EQ(format_tick(0.25, 0.25), "0.25");
  EXPECT_EQ(format_tick(1e-17, 0.1), "0.0");
  EXPECT_EQ(format_tick(-1e-17, 0.1), "0.0");
  EXPECT_EQ(format_tick(0.0, 20.0), "0");
  EXPECT_EQ(format_tick(0.0, 1e-5), "0");
  EXPECT_EQ(format_tick(-0.5, 0.5), "-0.5");
  EXPECT_EQ(format_tick(2e-5, 1e-5), "2e-5");
  EXPECT_EQ(format_tick(1.5e6, 5e5), "1.5e6");
  EXPECT_EQ(format_tick(1e6, 1e6), "1e6");
  EXPECT_EQ(format_tick(1200.0, 200.0), "1200");
  EXPECT_EQ(format_tick(kNaN, 1.0), "nan");
}

TEST(UiPlotTicks, ReadoutValues) {
  EXPECT_EQ(format_value(0.73164), "0.7316");
  EXPECT_EQ(format_value(200.0), "200");
  EXPECT_EQ(format_value(57.0), "57");
  EXPECT_EQ(format_value(3.0200001), "3.02");
  EXPECT_EQ(format_value(1.2e-6), "1.2e-6");
  EXPECT_EQ(format_value(-2.5e7), "-2.5e7");
  EXPECT_EQ(format_value(0.0), "0");
  EXPECT_EQ(format_value(kInf), "inf");
}

// ---- mapping ----------------------------------------------------------------------------------

TEST(UiPlotMapping, LinearAndInverse) {
  AxisMap x{0.0, 10.0, false, 100.0, 600.0};
  EXPECT_DOUBLE_EQ(x.to_pixel(0.0), 100.0);
  EXPECT_DOUBLE_EQ(x.to_pixel(10.0), 600.0);
  EXPECT_DOUBLE_EQ(x.to_pixel(2.5), 225.0);
  AxisMap y{0.5, 1.0, false, 400.0, 0.0};  // y grows upwards on screen
  EXPECT_DOUBLE_EQ(y.to_pixel(0.75), 200.0);
  for (double v : {0.5, 0.61, 0.9, 1.0}) EXPECT_NEAR(y.to_value(y.to_pixel(v)), v, 1e-12);
}

TEST(UiPlotMapping, LogAndInverse) {
  AxisMap x{0.1, 100.0, true, 0.0, 300.0};  // 3 decades over 300 pixels
  EXPECT_NEAR(x.to_pixel(0.1), 0.0, 1e-9);
  EXPECT_NEAR(x.to_pixel(1.0), 100.0, 1e-9);
  EXPECT_NEAR(x.to_pixel(10.0), 200.0, 1e-9);
  EXPECT_NEAR(x.to_pixel(std::sqrt(10.0)), 150.0, 1e-9);
  for (double v : {0.1, 0.37, 3.02, 99.0}) EXPECT_NEAR(x.to_value(x.to_pixel(v)), v, 1e-12 * v);
  EXPECT_NEAR(x.to_value(250.0), std::pow(10.0, 1.5), 1e-9);
}

// ---- range fitting ----------------------------------------------------------------------------

TEST(UiPlotRange, FitsFiniteValuesWithMargin) {
  Range r;
  EXPECT_TRUE(r.empty());
  std::vector<double> v = {0.5, kNaN, 0.9, kInf, -kInf, 0.7};
  extend_range(r, v, false);
  EXPECT_EQ(r.lo, 0.5);
  EXPECT_EQ(r.hi, 0.9);
  Range f = fit_range(r, false);
  EXPECT_NEAR(f.lo, 0.48, 1e-12);
  EXPECT_NEAR(f.hi, 0.92, 1e-12);
  // A fixed side stays exact; the other keeps its margin.
  f = fit_range(r, false, 0.0, std::nullopt);
  EXPECT_EQ(f.lo, 0.0);
  EXPECT_NEAR(f.hi, 0.92, 1e-12);
  f = fit_range(r, false, 0.0, 1.0);
  EXPECT_EQ(f.lo, 0.0);
  EXPECT_EQ(f.hi, 1.0);
}

TEST(UiPlotRange, LogSkipsNonPositiveAndPadsInDecades) {
  Range r;
  std::vector<double> v = {-1.0, 0.0, 0.5, kNaN, 50.0};
  extend_range(r, v, true);
  EXPECT_EQ(r.lo, 0.5);
  EXPECT_EQ(r.hi, 50.0);
  Range f = fit_range(r, true);  // 2 decades, 5% = 0.1 decade each side
  EXPECT_NEAR(std::log10(f.lo), std::log10(0.5) - 0.1, 1e-12);
  EXPECT_NEAR(std::log10(f.hi), std::log10(50.0) + 0.1, 1e-12);
  // A non-positive min is ignored on a log axis.
  f = fit_range(r, true, 0.0, std::nullopt);
  EXPECT_GT(f.lo, 0.0);
}

TEST(UiPlotRange, EmptyAndDegenerate) {
  Range none;
  std::vector<double> bad = {kNaN, kInf};
  extend_range(none, bad, false);
  EXPECT_TRUE(none.empty());
  Range f = fit_range(none, false);
  EXPECT_EQ(f.lo, 0.0);
  EXPECT_EQ(f.hi, 1.0);
  f = fit_range(none, true);
  EXPECT_EQ(f.lo, 1.0);
  EXPECT_EQ(f.hi, 10.0);
  Range one{3.0, 3.0};
  f = fit_range(one, false);
  EXPECT_LT(f.lo, 3.0);
  EXPECT_GT(f.hi, 3.0);
  f = fit_range(one, true);
  EXPECT_DOUBLE_EQ(f.lo, 1.5);
  EXPECT_DOUBLE_EQ(f.hi, 6.0);
  Range zero{0.0, 0.0};
  f = fit_range(zero, false);
  EXPECT_LT(f.lo, 0.0);
  EXPECT_GT(f.hi, 0.0);
  // A min beyond the data still gives lo < hi.
  f = fit_range(Range{0.2, 0.4}, false, 0.5, std::nullopt);
  EXPECT_EQ(f.lo, 0.5);
  EXPECT_GT(f.hi, 0.5);
}

// ---- hover search -----------------------------------------------------------------------------

TEST(UiPlotHover, NearestWithinRadius) {
  std::vector<PixelPoint> pts = {{10, 10, 0, 0}, {20, 10, 0, 1}, {14, 13, 1, 0}, {100, 100, 1, 1}};
  const PixelPoint* p = nearest_point(pts, 13, 12, 6);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->series, 1);
  EXPECT_EQ(p->index, 0);
  p = nearest_point(pts, 19, 10, 6);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->index, 1);
  EXPECT_EQ(nearest_point(pts, 50, 50, 6), nullptr);
  EXPECT_EQ(nearest_point(std::span<const PixelPoint>(), 0, 0, 6), nullptr);
  // Ties go to the later point (drawn on top).
  std::vector<PixelPoint> same = {{5, 5, 0, 0}, {5, 5, 2, 7}};
  p = nearest_point(same, 5, 5, 1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->series, 2);
}

// ---- palette ----------------------------------------------------------------------------------

TEST(UiPlotPalette, OkabeItoAndMarkersCycle) {
  EXPECT_EQ(palette(0), IM_COL32(230, 159, 0, 255));   // orange
  EXPECT_EQ(palette(1), IM_COL32(86, 180, 233, 255));  // sky blue
  EXPECT_EQ(palette(8), palette(0));
  EXPECT_EQ(palette(-1), palette(7));
  EXPECT_EQ(marker(7), marker(0));
  for (int i = 0; i < 20; ++i) EXPECT_NE(marker(i), Marker::None);
  // (colour, marker) pairs are distinct for 56 runs.
  for (int i = 0; i < 56; ++i) {
    for (int j = i + 1; j < 56; ++j) {
      EXPECT_FALSE(palette(i) == palette(j) && marker(i) == marker(j)) << i << " " << j;
    }
  }
}

// ---- PNG --------------------------------------------------------------------------------------

// A 3 x 2 RGBA image, rows bottom-up when `bottom_up`: top row red, bottom row blue.
std::vector<unsigned char> test_image(bool bottom_up) {
  std::vector<unsigned char> px(3 * 2 * 4);
  for (int row = 0; row < 2; ++row) {
    bool top = bottom_up ? row == 1 : row == 0;
    for (int col = 0; col < 3; ++col) {
      unsigned char* p = &px[static_cast<size_t>((row * 3 + col) * 4)];
      p[0] = top ? 255 : 0;
      p[1] = static_cast<unsigned char>(col * 40);
      p[2] = top ? 0 : 255;
      p[3] = 255;
    }
  }
  return px;
}

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

TEST(UiPlotPng, EncodesSignatureSizeAndPixels) {
  for (bool flip : {false, true}) {
    auto img = test_image(flip);
    std::vector<unsigned char> png = encode_png_rgba(img.data(), 3, 2, flip);
    ASSERT_GT(png.size(), 33u);
    const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    EXPECT_TRUE(std::equal(sig, sig + 8, png.begin()));
    EXPECT_EQ(std::string(png.begin() + 12, png.begin() + 16), "IHDR");
    EXPECT_EQ(be32(&png[16]), 3u);  // width
    EXPECT_EQ(be32(&png[20]), 2u);  // height
    // Decoded (stb_image, also in libstb), the top row is red whatever the buffer order.
    int w = 0, h = 0, comp = 0;
    unsigned char* back =
        stbi_load_from_memory(png.data(), static_cast<int>(png.size()), &w, &h, &comp, 4);
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(w, 3);
    EXPECT_EQ(h, 2);
    EXPECT_EQ(back[0], 255);  // top-left red
    EXPECT_EQ(back[2], 0);
    EXPECT_EQ(back[12 + 2], 255);  // bottom-left blue
    EXPECT_EQ(back[12 + 4 + 1], 40);
    stbi_image_free(back);
  }
}

TEST(UiPlotPng, WritesFileAndReportsErrors) {
  auto img = test_image(false);
  auto path = std::filesystem::temp_directory_path() / "fedsim_test_ui_plot.png";
  write_png_rgba(path.string(), img.data(), 3, 2);
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(bytes, encode_png_rgba(img.data(), 3, 2));
  std::filesystem::remove(path);
  EXPECT_THROW(write_png_rgba("/nonexistent-dir/x.png", img.data(), 3, 2), std::runtime_error);
  EXPECT_THROW(encode_png_rgba(img.data(), 0, 2), std::runtime_error);
}

TEST(UiPlotPng, FramebufferRectFlipsAndScales) {
  // A 1280 x 800 window: the chart at (100, 50)-(400, 250) is rows 550..749 from the bottom.
  FramebufferRect r = framebuffer_rect(100, 50, 400, 250, 1280, 800);
  EXPECT_EQ(r.x, 100);
  EXPECT_EQ(r.y, 550);
  EXPECT_EQ(r.w, 300);
  EXPECT_EQ(r.h, 200);
  r = framebuffer_rect(100.5f, 50, 400, 250, 1280, 800, 2, 2);  // HiDPI: twice the pixels
  EXPECT_EQ(r.x, 201);
  EXPECT_EQ(r.y, 1100);
  EXPECT_EQ(r.w, 599);
  EXPECT_EQ(r.h, 400);
  r = framebuffer_rect(1200, 700, 1400, 900, 1280, 800);  // clipped at the window's edge
  EXPECT_EQ(r.x, 1200);
  EXPECT_EQ(r.y, 0);
  EXPECT_EQ(r.w, 80);
  EXPECT_EQ(r.h, 100);
  r = framebuffer_rect(2000, 0, 2100, 10, 1280, 800);
  EXPECT_EQ(r.w, 0);
}

// ---- plot() in a headless ImGui frame ---------------------------------------------------------

// An ImGui context with no window and no renderer: frames are built and tessellated, never drawn.
class HeadlessImGui : public ::testing::Test {
 protected:
  void SetUp() override {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(800, 600);
    io.DeltaTime = 1.0f / 60.0f;
    io.IniFilename = nullptr;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
  }
  void TearDown() override { ImGui::DestroyContext(); }

  // One frame with a full-screen window holding one 600 x 400 chart at its top-left.
  PlotResult frame(const std::vector<PlotSeries>& series, const PlotAxis& x, const PlotAxis& y,
                   int* vertices = nullptr) {
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(800, 600));
    ImGui::Begin("chart", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove);
    PlotResult r = plot("##plot", ImVec2(600, 400), x, y, series);
    ImGui::End();
    ImGui::Render();
    if (vertices) *vertices = ImGui::GetDrawData()->TotalVtxCount;
    return r;
  }
};

TEST_F(HeadlessImGui, DrawsAndReportsHoverAndClick) {
  PlotSeries a;
  a.label = "run 1";
  a.x = {1, 2, 3, 4};
  a.y = {0.5, kNaN, 0.7, 0.8};  // the NaN point is skipped
  a.color = palette(0);
  a.marker = marker(0);
  PlotSeries b;
  b.label = "run 2";
  b.x = {0.5, 1, 2, 5};
  b.y = {0.2, 0.4, 0.6, 0.65};
  b.err_lo = {0.1, 0.3, 0.5, 0.6};
  b.err_hi = {0.3, 0.5, 0.7, 0.7};
  b.color = palette(1);
  b.marker = marker(1);
  b.line = false;
  std::vector<PlotSeries> series = {a, b};
  PlotAxis x{"epsilon", true, std::nullopt, std::nullopt};
  PlotAxis y{"test accuracy", false, 0.0, 1.0};

  ImGuiIO& io = ImGui::GetIO();
  io.MousePos = ImVec2(-1000, -1000);
  int vertices = 0;
  PlotResult r = frame(series, x, y, &vertices);
  EXPECT_GT(vertices, 500);  // grid, labels, lines, markers, legend
  EXPECT_EQ(r.hovered_series, -1);
  EXPECT_GT(r.frame_max.x - r.frame_min.x, 599.0f);

  // Recompute where run 1's point (3, 0.7) lands with the same layout, from the mouse read-out:
  // hover the plot centre, read back its data coordinates, and map by the axes' inverse.
  io.MousePos = ImVec2(300, 200);
  r = frame(series, x, y);
  ASSERT_TRUE(r.hovered);
  double mx0 = r.mouse_x, my0 = r.mouse_y;
  io.MousePos = ImVec2(400, 300);
  r = frame(series, x, y);
  ASSERT_TRUE(r.hovered);
  double mx1 = r.mouse_x, my1 = r.mouse_y;
  // x is log: pixels are linear in log10(x); y linear.
  double px = 300 + 100 * (std::log10(3.0) - std::log10(mx0)) / (std::log10(mx1) - std::log10(mx0));
  double py = 200 + 100 * (0.7 - my0) / (my1 - my0);

  io.MousePos = ImVec2(static_cast<float>(px) + 2.0f, static_cast<float>(py) - 2.0f);
  r = frame(series, x, y);
  EXPECT_EQ(r.hovered_series, 0);
  EXPECT_EQ(r.hovered_point, 2);
  EXPECT_EQ(r.clicked_series, -1);

  io.MouseDown[0] = true;  // press: a click this frame
  r = frame(series, x, y);
  EXPECT_EQ(r.clicked_series, 0);
  EXPECT_EQ(r.clicked_point, 2);
  io.MouseDown[0] = false;
  frame(series, x, y);

  // Far from every point: nothing hovered.
  io.MousePos = ImVec2(static_cast<float>(px) + 40.0f, static_cast<float>(py) + 60.0f);
  r = frame(series, x, y);
  EXPECT_EQ(r.hovered_series, -1);
}

TEST_F(HeadlessImGui, SurvivesEmptyAndDegenerateData) {
  PlotSeries empty;
  PlotSeries bad;
  bad.y = {kNaN, kInf, -1.0};
  PlotAxis lin{"round", false, std::nullopt, std::nullopt};
  PlotAxis log{"epsilon", true, std::nullopt, std::nullopt};
  int vertices = 0;
  frame({}, lin, log, &vertices);
  EXPECT_GT(vertices, 0);  // axes and grid still drawn
  frame({empty, bad}, log, log, &vertices);
  EXPECT_GT(vertices, 0);
}

}  // namespace
}  // namespace fedsim::ui
