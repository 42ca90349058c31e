#include "reports/chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/fd.h"
#include "core/stats.h"
#include "reports/format.h"
#include "reports/gnuplot.h"

namespace ctv::reports {

bool SpansDecades(const std::vector<double>& values, double decades) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (double v : values)
    if (v > 0 && std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  return hi > 0 && std::log10(hi / lo) > decades;
}

std::string DriverColor(const results::DriverResult& d) {
  static const std::vector<const char*> kHost = {"#555555"};
  static const std::vector<const char*> kContainer = {"#1f77b4", "#2ca02c", "#17becf",
                                                      "#3b5ba5", "#6baed6", "#31a354"};
  static const std::vector<const char*> kSandbox = {"#9467bd", "#c5b0d5", "#7b4173"};
  static const std::vector<const char*> kVm = {"#ff7f0e", "#d62728", "#e6550d", "#fd8d3c"};
  static const std::vector<const char*> kVmTcg = {"#8c564b", "#bd6b3c", "#a0522d", "#c49c94"};
  const std::vector<const char*>& family = d.kind == "host"        ? kHost
                                           : d.kind == "container" ? kContainer
                                           : d.kind == "sandbox"   ? kSandbox
                                           : d.accelerator == "tcg" ? kVmTcg
                                                                    : kVm;
  // The drivers this project ships get a shade each, so that no two of them ever share a colour
  // on one chart (a hash of the name put runc and crun on the same cyan); a driver added later
  // gets a hashed shade of its family.
  static const std::map<std::string, size_t> kShade = {
      {"ctvrt", 1}, {"runc", 0}, {"crun", 2}, {"podman", 3}, {"runsc", 0}, {"vm", 0}, {"qemu", 1}};
  auto known = kShade.find(d.driver);
  size_t h = 0;
  for (char c : d.driver) h = h * 31 + static_cast<unsigned char>(c);
  return family[(known != kShade.end() ? known->second : h) % family.size()];
}

namespace {

const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

}  // namespace

std::string PaletteColor(size_t i) { return kPalette[i % 10]; }

namespace {

std::string ColorOf(const Series& s, size_t i) {
  return s.color.empty() ? kPalette[i % 10] : s.color;
}

// Finite numbers only: gnuplot reads "NaN" inconsistently, so missing points are written as "?"
// (its missing-data marker, set below).
std::string Val(double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : "?"; }

std::string Preamble(const ChartSpec& s, const std::string& png) {
  std::string g;
  g += fmt::format(
      "set terminal pngcairo size {},{} noenhanced font \"DejaVu Sans,18\" linewidth 2\n",
      kChartWidth, kChartHeight);
  g += "set output " + GnuplotQuote(png) + "\n";
  g += "set encoding utf8\nset datafile missing \"?\"\n";
  g += "set title " + GnuplotQuote(s.title) + " font \",22\"\n";
  g += "set ylabel " + GnuplotQuote(s.y_label) + "\n";
  if (!s.x_label.empty()) g += "set xlabel " + GnuplotQuote(s.x_label) + "\n";
  g += "set grid ytics mytics lc rgb \"#cccccc\"\nset border 3\nset tics nomirror\n";
  g += "set lmargin 14\nset bmargin 6\n";
  if (s.log_y) g += "set logscale y 10\nset format y \"%g\"\n";
  return g;
}

}  // namespace

int TickFontFor(const std::vector<std::string>& labels, int largest, int plot_px) {
  if (labels.empty()) return largest;
  size_t longest = 1;
  for (const std::string& l : labels) {
    size_t start = 0;
    while (start <= l.size()) {
      size_t nl = l.find('\n', start);
      if (nl == std::string::npos) nl = l.size();
      longest = std::max(longest, nl - start);
      start = nl + 1;
    }
  }
  // pngcairo draws DejaVu Sans at ~0.7 px per point per character (measured on its PNGs: "median
  // 17838 ms" at 12 pt spans 124 px); a column is the plot width over the ticks.
  double column_px = static_cast<double>(plot_px) / static_cast<double>(labels.size());
  int fit = static_cast<int>(column_px / (kTickCharEm * static_cast<double>(longest)));
  return std::clamp(fit, kSmallestTickFont, largest);
}

namespace {

// Boxes drawn from quartiles computed here (core/stats: numpy's linear interpolation, the same
// as the results' statistics), as candlesticks: gnuplot's own boxplot style draws nothing for a
// series of 3 samples and then drops the next series (seen with gnuplot 5.4 and n=3).
std::string BoxScript(const ChartSpec& s) {
  std::string g;
  g += "set style fill transparent solid 0.3 border -1\n";
  g += "set boxwidth 0.5\nunset key\n";
  g += fmt::format("set xrange [0.4:{}]\n", static_cast<double>(s.series.size()) + 0.6);
  for (size_t i = 0; i < s.series.size(); ++i) {
    g += fmt::format("$d{} << EOD\n", i);
    for (double v : s.series[i].values)
      if (std::isfinite(v) && (!s.log_y || v > 0)) g += Val(v) + "\n";
    g += "EOD\n";
  }
  // Per series: x, q1, whisker low, whisker high, q3, median (whiskers: the most extreme samples
  // within 1.5 IQR of the box). The median, the number a reader quotes, is printed under its
  // series' name: beside the box it ran into the next box when medians were close.
  std::string boxes, tics;
  std::vector<std::string> tick_texts;
  for (size_t i = 0; i < s.series.size(); ++i) {
    std::vector<double> v;
    for (double x : s.series[i].values)
      if (std::isfinite(x) && (!s.log_y || x > 0)) v.push_back(x);
    if (v.empty()) {
      tick_texts.push_back(fmt::format("{}\nn=0", s.series[i].label));
      tics += (tics.empty() ? "" : ", ") + GnuplotTicLabel(tick_texts.back()) +
              fmt::format(" {}", i + 1);
      continue;
    }
    std::sort(v.begin(), v.end());
    double q1 = PercentileSorted(v, 25), med = PercentileSorted(v, 50), q3 = PercentileSorted(v, 75);
    double iqr = q3 - q1, lo = q1, hi = q3;
    for (double x : v) {
      if (x >= q1 - 1.5 * iqr) lo = std::min(lo, x);
      if (x <= q3 + 1.5 * iqr) hi = std::max(hi, x);
    }
    // The colour as a number for `lc rgb variable` (gnuplot 5.4 has no rgbcolor()).
    std::string hex = ColorOf(s.series[i], i);
    long rgb = hex.size() == 7 && hex[0] == '#' ? std::strtol(hex.c_str() + 1, nullptr, 16) : 0;
    boxes += fmt::format("{} {} {} {} {} {} {}\n", i + 1, Val(q1), Val(lo), Val(hi), Val(q3),
                         Val(med), rgb);
    tick_texts.push_back(
        fmt::format("{}\nn={}\nmedian {} {}", s.series[i].label, v.size(), Num(med), s.unit));
    tics += (tics.empty() ? "" : ", ") + GnuplotTicLabel(tick_texts.back()) +
            fmt::format(" {}", i + 1);
  }
  // Room below the axis for the tallest tick (name, parameters one per line, n, median).
  size_t lines = 1;
  for (const std::string& t : tick_texts)
    lines = std::max(lines, 1 + static_cast<size_t>(std::count(t.begin(), t.end(), '\n')));
  g += fmt::format("set bmargin {}\nset xtics font \",{}\" (", std::max<size_t>(9, lines + 4),
                   TickFontFor(tick_texts, 15, kPlotWidthPx)) +
       tics + ")\n";
  g += "$box << EOD\n" + boxes + "EOD\nplot ";
  for (size_t i = 0; i < s.series.size(); ++i) {
    if (s.series[i].values.empty()) continue;
    // Every sample as a jittered dot beside its box: n and the shape stay visible even when
    // the box collapses to a line.
    g += fmt::format(
        "$d{0} using ({1} + 0.3 * (rand(0) - 0.5)):1 with points pt 7 ps 0.7 "
        "lc rgb \"{2}\" notitle, ",
        i, i + 1, ColorOf(s.series[i], i));
  }
  g += "$box using 1:2:3:4:5:(0.5):7 with candlesticks whiskerbars lc rgb variable "
       "fs transparent solid 0.3 border lc rgb \"black\" notitle, ";
  g += "$box using 1:6:6:6:6:(0.5) with candlesticks lc rgb \"black\" lw 2 notitle\n";
  return g;
}

std::string StackedScript(const ChartSpec& s) {
  std::string g;
  g += "set style data histograms\nset style histogram rowstacked\n";
  g += "set style fill solid 0.85 border -1\nset boxwidth 0.6\n";
  g += "set key outside right top vertical title \"phase\"\nset xtics norotate\n";
  g += "set yrange [0:*]\nset offsets 0, 0, graph 0.08, 0\n";
  size_t k = s.stack_labels.size();
  g += "$d << EOD\n";
  for (const auto& ser : s.series) {
    double total = 0;
    std::string row = GnuplotQuote(ser.label);
    for (size_t i = 0; i < k; ++i) {
      double v = i < ser.values.size() && std::isfinite(ser.values[i]) ? ser.values[i] : 0;
      total += v;
      row += " " + Val(v);
    }
    g += row + fmt::format(" {} {}\n", Val(total), GnuplotQuote(Num(total) + " " + s.unit));
  }
  g += "EOD\n";
  // Tick labels set explicitly, after the data block (inside it they would be data): data-file
  // strings cannot hold line breaks.
  std::string tics;
  std::vector<std::string> tick_texts;
  size_t lines = 1;
  for (size_t i = 0; i < s.series.size(); ++i) {
    tics += (i ? ", " : "") + GnuplotTicLabel(s.series[i].label) + fmt::format(" {}", i);
    tick_texts.push_back(s.series[i].label);
    lines = std::max(lines, 1 + static_cast<size_t>(std::count(s.series[i].label.begin(),
                                                               s.series[i].label.end(), '\n')));
  }
  g += fmt::format("set bmargin {}\nset xtics font \",{}\" (", std::max<size_t>(6, lines + 3),
                   TickFontFor(tick_texts, 18, kPlotWidthPx - kStackKeyPx)) +
       tics + ")\n";
  g += "plot ";
  for (size_t i = 0; i < k; ++i) {
    g += fmt::format("$d using {} title {} lc rgb \"{}\", ", i + 2, GnuplotQuote(s.stack_labels[i]),
                     kPalette[i % 10]);
  }
  g += fmt::format("$d using 0:{}:{} with labels offset 0,1 font \",16\" notitle\n", k + 2, k + 3);
  return g;
}

std::string TrendScript(const ChartSpec& s) {
  std::string g;
  // The legend above the plot: below it, it covered the x axis title.
  g += "set key outside top center horizontal\nset pointsize 1.5\nset bmargin 9\n";
  g += "set xlabel offset 0,-1.5\n";  // below the two-line tick labels
  // Few points: two-line labels (timestamp, revision) read horizontally; more than fit side by
  // side without touching: one line each, rotated.
  bool rotate = s.x_labels.size() > 5;
  std::string tics;
  for (size_t i = 0; i < s.x_labels.size(); ++i) {
    if (i) tics += ", ";
    std::string label = s.x_labels[i];
    if (rotate) std::replace(label.begin(), label.end(), '\n', ' ');
    tics += GnuplotTicLabel(label) + fmt::format(" {}", i);
  }
  if (!tics.empty())
    g += std::string("set xtics ") + (rotate ? "rotate by 90 right " : "") + "(" + tics + ")\n";
  g += fmt::format("set xrange [-0.5:{}]\n", static_cast<double>(s.x_labels.size()) - 0.5);
  bool any_mark = false;
  for (size_t i = 0; i < s.series.size(); ++i) {
    const Series& ser = s.series[i];
    g += fmt::format("$d{} << EOD\n", i);
    for (size_t x = 0; x < ser.values.size(); ++x) {
      double lo = x < ser.low.size() ? ser.low[x] : ser.values[x];
      double hi = x < ser.high.size() ? ser.high[x] : ser.values[x];
      bool mark = x < ser.marked.size() && ser.marked[x];
      any_mark = any_mark || mark;
      if (!std::isfinite(ser.values[x])) continue;
      g += fmt::format("{} {} {} {} {}\n", x, Val(ser.values[x]), Val(lo), Val(hi), mark ? 1 : 0);
    }
    g += "EOD\n";
  }
  g += "plot ";
  // Whiskers (and the words for them) only for series that carry a spread; a single value per
  // point (density's ramp) is a plain line.
  for (size_t i = 0; i < s.series.size(); ++i) {
    bool spread = !s.series[i].low.empty() || !s.series[i].high.empty();
    g += fmt::format("$d{} using 1:2{} with {} lc rgb \"{}\" pt 7 title {}, ", i,
                     spread ? ":3:4" : "", spread ? "yerrorlines" : "linespoints",
                     ColorOf(s.series[i], i),
                     GnuplotQuote(s.series[i].label + (spread ? " (median, min-max)" : "")));
  }
  if (any_mark) {
    for (size_t i = 0; i < s.series.size(); ++i)
      g += fmt::format(
          "$d{} using 1:($5 > 0 ? $2 : 1/0) with points pt 6 ps 5 lw 3 lc rgb "
          "\"#d62728\" {}, ",
          i, i == 0 ? "title \"regression vs previous point\"" : "notitle");
  }
  g += "1/0 notitle\n";
  return g;
}

}  // namespace

std::string GnuplotScript(const ChartSpec& spec, const std::string& png_path) {
  std::string g = "# Generated by ctvbench report: " + spec.id + "\n" + Preamble(spec, png_path);
  switch (spec.kind) {
    case ChartKind::kBox:
      g += BoxScript(spec);
      break;
    case ChartKind::kStackedBars:
      g += StackedScript(spec);
      break;
    case ChartKind::kTrend:
      g += TrendScript(spec);
      break;
  }
  return g;
}

Result<std::string> RenderChart(const ChartSpec& spec, const std::string& dir) {
  std::string png = dir + "/" + spec.id + ".png";
  std::string script = dir + "/" + spec.id + ".gp";
  CTV_CHECK(WriteFile(script, GnuplotScript(spec, png)));
  CTV_CHECK(RunGnuplot(script, png));
  return png;
}

}  // namespace ctv::reports
