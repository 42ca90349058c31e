// ChartSpec: what a chart shows, independent of how it is drawn. Suite views build these; the
// gnuplot renderer (chart.cc) turns one into a PNG. Neither knows about HTML.
//
// Every chart must say what was measured, its unit, n and the accelerator: views put that into
// `title` (and the x tick labels carry n per series), so a PNG pasted alone on a slide is still
// honest.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "results/results.h"

namespace ctv::reports {

enum class ChartKind {
  kBox,          // one box per series: its `values` are raw samples
  kStackedBars,  // one bar per series: `values[i]` is the segment named stack_labels[i]
  kTrend,        // one line per series over x_labels: `values[i]` = median at x i (NaN = none)
};

struct Series {
  std::string label;  // tick label (box, bars; may hold \n) or legend entry (trend)
  std::string color;  // "#rrggbb"; empty = automatic
  std::vector<double> values;
  // kTrend only, parallel to values: min/max whiskers and regression marks.
  std::vector<double> low, high;
  std::vector<bool> marked;
};

struct ChartSpec {
  std::string id;       // file stem, [a-z0-9-]: "startup-total"
  std::string title;    // what, unit, n, accelerator
  std::string caption;  // one or two plain sentences for the HTML page
  ChartKind kind = ChartKind::kBox;
  std::string y_label;  // includes the unit: "startup time (ms)"
  std::string unit;     // printed next to value labels (medians, bar totals)
  std::string x_label;
  bool log_y = false;
  std::vector<std::string> stack_labels;  // kStackedBars
  std::vector<std::string> x_labels;      // kTrend
  std::vector<Series> series;
};

// Slide size: readable when projected.
inline constexpr int kChartWidth = 1600;
inline constexpr int kChartHeight = 900;
// The plot's own width within kChartWidth (the left margin holds the y axis), the part a stacked
// chart's key (outside, right) takes from it, the width of a tick character per point of font
// size, and the smallest tick font a chart falls back to when many series share the axis.
inline constexpr int kPlotWidthPx = 1300;
inline constexpr int kStackKeyPx = 400;
inline constexpr double kTickCharEm = 0.72;
inline constexpr int kSmallestTickFont = 8;

// The tick font (points) at which the longest line of any of `labels` (lines split at '\n') fits
// its column when the ticks share `plot_px` equally: `largest` when it fits, smaller when
// not, never below kSmallestTickFont. Many series (a startup run with boot-mode variants: 12
// boxes) overran each other's names at the fixed size.
int TickFontFor(const std::vector<std::string>& labels, int largest, int plot_px = kPlotWidthPx);

// True when the positive values span more than `decades` orders of magnitude: a linear axis
// would flatten the small ones to nothing.
bool SpansDecades(const std::vector<double>& values, double decades = 1.5);

// The gnuplot script drawing `spec` into `png_path` (data inline as datablocks).
std::string GnuplotScript(const ChartSpec& spec, const std::string& png_path);

// Writes DIR/<id>.gp, runs gnuplot on it, returns the path of DIR/<id>.png.
Result<std::string> RenderChart(const ChartSpec& spec, const std::string& dir);

// A stable colour per driver, so it looks the same on every chart: the kind picks the family
// (grey host floor, blues and greens for containers, purples for sandboxes, warm colours for
// VMs), the name a shade within it; a TCG figure gets a shade of its own, so emulated figures
// never look like hardware-assisted ones.
std::string DriverColor(const results::DriverResult& d);
// The i-th colour of the general palette (series that must differ from each other).
std::string PaletteColor(size_t i);

}  // namespace ctv::reports
