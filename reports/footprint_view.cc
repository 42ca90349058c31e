// The footprint suite's view: one distribution chart per metric, whatever the suite names them,
// and the "containers are lighter than VMs" claim from any memory metric measured for both a
// container and a VM driver. Reads metric names from the data, so new footprint metrics show up
// without touching this file.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "reports/format.h"
#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using results::DriverResult;
using results::Metric;
using results::RunResults;
using results::SuiteResult;

constexpr const char* kSuite = "footprint";

// Factor to MiB for a memory unit; 0 when `unit` is not a memory unit.
double ToMiB(const std::string& unit) {
  if (unit == "MiB" || unit == "MB") return 1;
  if (unit == "KiB" || unit == "kB" || unit == "KB") return 1.0 / 1024;
  if (unit == "GiB" || unit == "GB") return 1024;
  if (unit == "bytes" || unit == "B") return 1.0 / (1024 * 1024);
  return 0;
}

std::string Slug(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '-';
  return out;
}

class FootprintView : public SuiteView {
 public:
  std::string Suite() const override { return kSuite; }
  std::string Title() const override { return "Footprint: memory per instance"; }

  std::vector<ChartSpec> Charts(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    std::vector<std::string> names;
    for (const auto& d : s->results)
      if (!d.skipped)
        for (const auto& m : d.metrics)
          if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
    std::vector<ChartSpec> charts;
    for (const auto& name : names) {
      ChartSpec c;
      c.id = "footprint-" + Slug(name);
      c.kind = ChartKind::kBox;
      std::vector<double> medians;
      std::vector<size_t> ns;
      std::vector<const DriverResult*> ds;
      std::string unit, interval;
      for (const auto& d : s->results) {
        if (d.skipped) continue;
        const Metric* m = FindMetric(d, name);
        if (!m || m->samples.empty()) continue;
        std::string color = DriverColor(d);
        c.series.push_back({SeriesLabel(d, "\n"), color, m->samples, {}, {}, {}});
        medians.push_back(m->stats.median);
        ns.push_back(m->stats.n);
        ds.push_back(&d);
        unit = m->unit;
        interval = m->interval;
      }
      if (c.series.empty()) continue;
      auto [lo, hi] = std::minmax_element(ns.begin(), ns.end());
      c.unit = unit;
      c.log_y = SpansDecades(medians, 1.0);
      // What was measured leads the title when it fits on a slide line.
      std::string what = interval.size() <= 70 ? interval + ": " : "";
      c.title = fmt::format(
          "{}{} ({}), {}\naccelerator: {}", what, name, unit,
          *lo == *hi ? fmt::format("n={} per driver", *lo) : fmt::format("n={}..{}", *lo, *hi),
          AcceleratorSummary(ds));
      c.y_label = fmt::format("{} ({}{})", name, unit, c.log_y ? ", log scale" : "");
      c.caption =
          fmt::format("Measured: {}. Box: quartiles and median; dots: every sample.{}", interval,
                      c.log_y ? " Logarithmic axis: medians differ by more than an "
                                "order of magnitude."
                              : "");
      charts.push_back(std::move(c));
    }
    return charts;
  }

  std::vector<ClaimCheck> Claims(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    // For each memory metric measured for at least one container and one VM: the heaviest
    // container against the lightest VM.
    ClaimCheck c{"footprint.lighter", ClaimVerdict::kHolds, "", ""};
    int compared = 0, lighter = 0;
    std::vector<std::string> names;
    for (const auto& d : s->results)
      for (const auto& m : d.metrics)
        if (ToMiB(m.unit) > 0 && m.lower_is_better &&
            std::find(names.begin(), names.end(), m.name) == names.end())
          names.push_back(m.name);
    for (const auto& name : names) {
      const DriverResult *heavy = nullptr, *light = nullptr;
      double heavy_mib = 0, light_mib = 0;
      for (const auto& d : s->results) {
        const Metric* m = d.skipped ? nullptr : FindMetric(d, name);
        if (!m || m->stats.n == 0) continue;
        double mib = m->stats.median * ToMiB(m->unit);
        if (IsContainerDriver(d) && (!heavy || mib > heavy_mib)) {
          heavy = &d;
          heavy_mib = mib;
        }
        if (IsVmDriver(d) && (!light || mib < light_mib)) {
          light = &d;
          light_mib = mib;
        }
      }
      if (!heavy || !light) continue;
      ++compared;
      if (heavy_mib < light_mib) ++lighter;
      c.measured += fmt::format("{}{}: heaviest container {} {} MiB vs lightest VM {} {} MiB",
                                c.measured.empty() ? "" : "; ", name, heavy->driver, Num(heavy_mib),
                                SeriesLabel(*light), Num(light_mib));
    }
    if (!compared) return {};
    if (lighter == compared) {
      c.explanation =
          "On every memory metric measured for both, the heaviest container needs "
          "less than the lightest VM: no guest kernel, no guest RAM to fill.";
    } else if (lighter > 0) {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation = "Containers are lighter on some memory metrics but not all of them.";
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "On these metrics a VM needed no more memory than a container.";
    }
    return {c};
  }
};

}  // namespace

std::unique_ptr<SuiteView> MakeFootprintView() { return std::make_unique<FootprintView>(); }

}  // namespace ctv::reports
