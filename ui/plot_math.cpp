// Axis ticks, tick labels, axis mapping, range fitting and hit testing for the dashboard's charts
// (declared and documented in plot_math.h). Pure functions: no ImGui, no OpenGL.
#include "ui/plot_math.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace fedsim::ui {

namespace {

// 10^k as the double nearest to it (pow's result for negative k can be one ulp off; 1 / 10^-k is
// a correctly rounded division of two exact values).
double pow10i(int k) {
  return k >= 0 ? std::pow(10.0, k) : 1.0 / std::pow(10.0, -k);
}

// m x 10^k as the double nearest to the decimal value (so 3 x 10^-1 is 0.3, not
// 0.30000000000000004).
double scaled(double m, int k) {
  return k >= 0 ? m * std::pow(10.0, k) : m / std::pow(10.0, -k);
}

// A 1-2-5 step: mantissa x 10^exponent.
struct Step {
  int mantissa = 1;
  int exponent = 0;
  double value() const { return scaled(mantissa, exponent); }
};

// Multiples of `step` inside [lo, hi], with a tolerance of 1e-9 steps at both ends.
int64_t first_multiple(double lo, double step) {
  return static_cast<int64_t>(std::ceil(lo / step - 1e-9));
}
int64_t last_multiple(double hi, double step) {
  return static_cast<int64_t>(std::floor(hi / step + 1e-9));
}

Step nice_step_parts(double lo, double hi, int max_ticks) {
  max_ticks = std::max(2, max_ticks);
  double span = hi - lo;
  if (!(span > 0.0) || !std::isfinite(span))
    span = lo != 0.0 && std::isfinite(lo) ? std::abs(lo) : 1.0;
  // Start a decade below span / max_ticks and walk up 1, 2, 5, 10, 20, ...
  int e = static_cast<int>(std::floor(std::log10(span / max_ticks))) - 1;
  for (;; ++e) {
    for (int m : {1, 2, 5}) {
      Step s{m, e};
      double step = s.value();
      if (last_multiple(hi, step) - first_multiple(lo, step) + 1 <= max_ticks) return s;
    }
  }
}

// Decimals that print `step` exactly (0 for 20, 1 for 0.5, 2 for 0.25), at most 15.
int decimals_for(double step) {
  double a = std::abs(step);
  for (int d = 0; d < 15; ++d) {
    double scaled_step = a * std::pow(10.0, d);
    if (std::abs(scaled_step - std::round(scaled_step)) <= 1e-6 * scaled_step) return d;
  }
  return 15;
}

// "1.5e+06" -> "1.5e6", "2e-05" -> "2e-5".
std::string tidy_exponent(const char* s) {
  std::string out(s);
  size_t e = out.find('e');
  if (e == std::string::npos) return out;
  std::string mant = out.substr(0, e);
  std::string exp = out.substr(e + 1);
  bool neg = !exp.empty() && exp[0] == '-';
  if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) exp.erase(0, 1);
  exp.erase(0, std::min(exp.find_first_not_of('0'), exp.size() - 1));
  return mant + "e" + (neg ? "-" : "") + exp;
}

// Removes trailing zeros after a decimal point, and the point itself when nothing follows.
std::string trim_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  size_t end = s.find_last_not_of('0');
  if (s[end] == '.') --end;
  return s.substr(0, end + 1);
}

std::string format_tick_as(double v, double step, bool force_sci);

std::string non_finite(double v) {
  if (std::isnan(v)) return "nan";
  return v > 0 ? "inf" : "-inf";
}

// The label of m x 10^k on a log axis: fixed-point, or "m e k" when `sci` ("2e-5", "1e8", "1").
std::string log_label(int m, int k, bool sci) {
  if (!sci) return format_tick(scaled(m, k), pow10i(k));
  if (k == 0) return std::to_string(m);
  return std::to_string(m) + "e" + std::to_string(k);
}

int count_labelled(const std::vector<Tick>& ticks) {
  return static_cast<int>(std::count_if(ticks.begin(), ticks.end(),
                                        [](const Tick& t) { return t.kind != TickKind::Minor; }));
}

}  // namespace

bool plottable(double v, bool log) {
  return std::isfinite(v) && (!log || v > 0.0);
}

void extend_range(Range& r, std::span<const double> values, bool log) {
  for (double v : values) {
    if (!plottable(v, log)) continue;
    r.lo = std::min(r.lo, v);
    r.hi = std::max(r.hi, v);
  }
}

Range fit_range(const Range& data, bool log, std::optional<double> min, std::optional<double> max,
                double margin) {
  bool has_min = min && plottable(*min, log);
  bool has_max = max && plottable(*max, log);
  Range r = data;
  if (r.empty()) {
    r = log ? Range{1.0, 10.0} : Range{0.0, 1.0};
  } else if (r.lo == r.hi) {
    // One value: a band around it (a factor 2 on a log axis).
    double d = r.lo != 0.0 ? std::abs(r.lo) * 0.1 : 0.5;
    r = log ? Range{r.lo / 2.0, r.hi * 2.0} : Range{r.lo - d, r.hi + d};
  } else if (log) {
    double pad = std::pow(10.0, margin * std::log10(r.hi / r.lo));
    r = {r.lo / pad, r.hi * pad};
  } else {
    double pad = margin * (r.hi - r.lo);
    r = {r.lo - pad, r.hi + pad};
  }
  if (has_min) r.lo = *min;
  if (has_max) r.hi = *max;
  if (!(r.lo < r.hi)) {  // a fixed side beyond the data (or min >= max): one unit / decade wide
    if (has_max && !has_min) {
      r.lo = log ? r.hi / 10.0 : r.hi - 1.0;
    } else {
      r.hi = log ? r.lo * 10.0 : r.lo + 1.0;
    }
  }
  return r;
}

double nice_step(double lo, double hi, int max_ticks) {
  return nice_step_parts(lo, hi, max_ticks).value();
}

std::vector<Tick> linear_ticks(double lo, double hi, int max_ticks) {
  std::vector<Tick> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo <= hi)) return ticks;
  Step s = nice_step_parts(lo, hi, max_ticks);
  double step = s.value();
  const bool sci = std::max(std::abs(lo), std::abs(hi)) >= 1e6 || step < 1e-4;  // on every label
  for (int64_t k = first_multiple(lo, step), last = last_multiple(hi, step); k <= last; ++k) {
    double v = scaled(static_cast<double>(k) * s.mantissa, s.exponent);
    if (v == 0.0) v = 0.0;  // no "-0"
    ticks.push_back({v, TickKind::Major, format_tick_as(v, step, sci)});
  }
  return ticks;
}

std::vector<Tick> log_ticks(double lo, double hi, int max_major, double short_decades) {
  if (!(lo > 0.0) || !(lo < hi) || !std::isfinite(hi)) return linear_ticks(lo, hi, max_major);
  max_major = std::max(1, max_major);
  const double l0 = std::log10(lo), l1 = std::log10(hi);
  const int k0 = static_cast<int>(std::ceil(l0 - 1e-9));
  const int k1 = static_cast<int>(std::floor(l1 + 1e-9));
  const int decades = std::max(0, k1 - k0 + 1);
  const int stride = std::max(1, (decades + max_major - 1) / max_major);
  const bool label_2_5 = l1 - l0 <= short_decades;
  const double tol_lo = lo * (1.0 - 1e-9), tol_hi = hi * (1.0 + 1e-9);
  // Scientific labels on every tick once the axis reaches below 1e-3 or above 1e3, so that a long
  // axis reads "1e-4, 1, 1e4" rather than "0.0001, 1, 10000".
  const bool sci = l0 < -3.0 - 1e-9 || l1 > 3.0 + 1e-9;

  std::vector<Tick> ticks;
  for (int k = k0; k <= k1; ++k) {
    if (((k % stride) + stride) % stride != 0) continue;  // every stride-th decade, aligned to 0
    ticks.push_back({pow10i(k), TickKind::Major, log_label(1, k, sci)});
  }
  if (stride == 1) {
    for (int k = k0 - 1; k <= k1; ++k) {
      for (int m = 2; m <= 9; ++m) {
        double v = scaled(m, k);
        if (v < tol_lo || v > tol_hi) continue;
        bool labelled = label_2_5 && (m == 2 || m == 5);
        ticks.push_back({v, labelled ? TickKind::LabelledMinor : TickKind::Minor,
                         labelled ? log_label(m, k, sci) : std::string()});
      }
    }
  }
  if (decades == 0) {  // inside one decade: label every minor tick
    for (Tick& t : ticks) {
      if (t.kind != TickKind::Minor) continue;
      int k = static_cast<int>(std::floor(std::log10(t.value) + 1e-9));
      t.kind = TickKind::LabelledMinor;
      t.label = log_label(static_cast<int>(std::lround(t.value / pow10i(k))), k, sci);
    }
  }
  if (count_labelled(ticks) < 2) return linear_ticks(lo, hi, std::max(2, max_major));
  std::sort(ticks.begin(), ticks.end(),
            [](const Tick& a, const Tick& b) { return a.value < b.value; });
  return ticks;
}

std::string format_tick(double v, double step) {
  return format_tick_as(v, step, false);
}

namespace {

// format_tick(), scientific also when `force_sci` (every label of an axis that reaches 1e6).
std::string format_tick_as(double v, double step, bool force_sci) {
  if (!std::isfinite(v)) return non_finite(v);
  if (!(step > 0.0) || !std::isfinite(step)) step = v != 0.0 ? std::abs(v) : 1.0;
  if (std::abs(v) < step * 1e-9) v = 0.0;  // also no "-0.0"
  char buf[64];
  const bool sci = force_sci || step < 1e-4 || std::abs(v) >= 1e6;
  if (v == 0.0 && sci) return "0";
  if (sci) {
    // Significant digits: from the value's leading digit down to the step's.
    int sig = static_cast<int>(std::floor(std::log10(std::abs(v)) + 1e-9) -
                               std::floor(std::log10(step) + 1e-9)) +
              1;
    sig = std::clamp(sig, 1, 15);
    std::snprintf(buf, sizeof buf, "%.*e", sig - 1, v);
    return tidy_exponent(buf);
  }
  std::snprintf(buf, sizeof buf, "%.*f", decimals_for(step), v);
  return buf;
}

}  // namespace

std::string format_value(double v, int digits) {
  if (!std::isfinite(v)) return non_finite(v);
  if (v == 0.0) return "0";
  digits = std::clamp(digits, 1, 17);
  char buf[64];
  double a = std::abs(v);
  if (a >= 1e6 || a < 1e-4) {
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
    std::string s(buf);
    size_t e = s.find('e');
    return tidy_exponent((trim_zeros(s.substr(0, e)) + s.substr(e)).c_str());
  }
  int decimals = std::max(0, digits - 1 - static_cast<int>(std::floor(std::log10(a))));
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return trim_zeros(buf);
}

double AxisMap::to_pixel(double v) const {
  double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                 : (v - lo) / (hi - lo);
  return p_lo + t * (p_hi - p_lo);
}

double AxisMap::to_value(double pixel) const {
  double t = (pixel - p_lo) / (p_hi - p_lo);
  if (log) return std::pow(10.0, std::log10(lo) + t * (std::log10(hi) - std::log10(lo)));
  return lo + t * (hi - lo);
}

const PixelPoint* nearest_point(std::span<const PixelPoint> points, double mx, double my,
                                double radius) {
  const PixelPoint* best = nullptr;
  double best_d2 = radius * radius;
  for (const PixelPoint& p : points) {
    double dx = p.x - mx, dy = p.y - my;
    double d2 = dx * dx + dy * dy;
    if (d2 <= best_d2) {
      best_d2 = d2;
      best = &p;
    }
  }
  return best;
}

}  // namespace fedsim::ui
