// The footprint suite's view: one distribution chart per metric, whatever the suite names them,
// and the "containers are lighter than VMs" claim from any memory metric measured for both a
// container and a VM driver. Reads metric names from the data, so new footprint metrics show up
// without touching this file.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

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
        c.series.push_back({"", color, m->samples, {}, {}, {}});
        medians.push_back(m->stats.median);
        ns.push_back(m->stats.n);
        ds.push_back(&d);
        unit = m->unit;
        interval = m->interval;
      }
      if (c.series.empty()) continue;
      std::vector<std::string> labels = ShortLabels(ds, "\n");
      for (size_t i = 0; i < c.series.size(); ++i) c.series[i].label = labels[i];
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
    std::vector<ClaimCheck> out;
    if (auto c = Lighter(*s)) out.push_back(*c);
    if (auto c = LayersShared(*s)) out.push_back(*c);
    return out;
  }

 private:
  // Median of `name` per driver of the kinds `pick` accepts, in MiB (memory units only).
  static std::vector<std::pair<const DriverResult*, double>> MediansMiB(
      const SuiteResult& s, const std::string& name, bool (*pick)(const DriverResult&)) {
    std::vector<std::pair<const DriverResult*, double>> out;
    for (const auto& d : s.results) {
      const Metric* m = d.skipped || !pick(d) ? nullptr : FindMetric(d, name);
      if (m && m->stats.n > 0 && ToMiB(m->unit) > 0)
        out.push_back({&d, m->stats.median * ToMiB(m->unit)});
    }
    return out;
  }

  // "Containers are lighter": the PSS of an idle instance's host processes, the heaviest
  // container against the lightest VM, with the MemAvailable drop beside it.
  static std::optional<ClaimCheck> Lighter(const SuiteResult& s) {
    auto containers = MediansMiB(s, "footprint.pss_kib", IsContainerDriver);
    auto vms = MediansMiB(s, "footprint.pss_kib", IsVmDriver);
    if (containers.empty() || vms.empty())
      return ClaimCheck{"footprint.lighter", ClaimVerdict::kNotMeasured, "-",
                        fmt::format("The footprint results hold no {} driver that was measured: "
                                    "the claim compares both.",
                                    containers.empty() ? "container" : "VM")};
    auto by_mib = [](const auto& a, const auto& b) { return a.second < b.second; };
    auto heavy = *std::max_element(containers.begin(), containers.end(), by_mib);
    auto light = *std::min_element(containers.begin(), containers.end(), by_mib);
    auto vm = *std::min_element(vms.begin(), vms.end(), by_mib);
    ClaimCheck c{"footprint.lighter", ClaimVerdict::kHolds, "", ""};
    auto ratio = [&](double container_mib) {
      return fmt::format("{:.0f}x", vm.second / std::max(container_mib, 1e-9));
    };
    c.measured =
        light.first == heavy.first
            ? fmt::format("PSS of one idle instance's host processes (median): {} {} MiB vs the "
                          "lightest VM {} {} MiB: {} lighter",
                          light.first->driver, Num(light.second), ShortLabels({vm.first})[0],
                          Num(vm.second), ratio(light.second))
            : fmt::format("PSS of one idle instance's host processes (median): containers from "
                          "{} {} MiB to {} {} MiB vs the lightest VM {} {} MiB: {} to {} lighter",
                          light.first->driver, Num(light.second), heavy.first->driver,
                          Num(heavy.second), ShortLabels({vm.first})[0], Num(vm.second),
                          ratio(heavy.second), ratio(light.second));
    auto drops_c = MediansMiB(s, "footprint.memavailable_drop_kib", IsContainerDriver);
    auto drops_v = MediansMiB(s, "footprint.memavailable_drop_kib", IsVmDriver);
    if (!drops_c.empty() && !drops_v.empty()) {
      auto dc = *std::max_element(drops_c.begin(), drops_c.end(), by_mib);
      auto dv = *std::min_element(drops_v.begin(), drops_v.end(), by_mib);
      c.measured += fmt::format("; host MemAvailable drop per instance (noisy, host-wide): {} {} "
                                "MiB vs {} {} MiB",
                                dc.first->driver, Num(dc.second), dv.first->driver,
                                Num(dv.second));
    }
    if (heavy.second < vm.second) {
      c.explanation =
          "Even the heaviest container needs less host memory than the lightest VM: a container "
          "is its processes (plus, for some runtimes, a monitor process); a VM adds a guest "
          "kernel, guest RAM it touches and the VMM.";
    } else if (light.second < vm.second) {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation = "Some containers are lighter than every VM, but not all of them: the "
                      "runtime's own processes (monitor, engine) can outweigh a small guest.";
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "Here a VM needed no more host memory than the containers.";
    }
    return c;
  }

  // "Layers are shared": with K instances of one image, how much of the image's resident pages
  // are shared (footprint.image_shared_pct) and how thin each writable layer is; VMs beside it.
  static std::optional<ClaimCheck> LayersShared(const SuiteResult& s) {
    struct Row {
      const DriverResult* d;
      double shared_pct;
      double ceiling_pct;
      std::optional<double> upper_bytes;
    };
    std::vector<Row> containers, vms;
    for (const auto& d : s.results) {
      const Metric* m = d.skipped ? nullptr : FindMetric(d, "footprint.image_shared_pct");
      if (!m || m->stats.n == 0) continue;
      int k = d.details.value("batch", 0);
      Row r{&d, m->stats.median, k > 1 ? 100.0 * (k - 1) / k : 100.0, std::nullopt};
      if (const Metric* u = FindMetric(d, "footprint.upper_dir_bytes"); u && u->stats.n > 0)
        r.upper_bytes = u->stats.median;
      if (IsContainerDriver(d)) containers.push_back(r);
      if (IsVmDriver(d)) vms.push_back(r);
    }
    if (containers.empty()) return std::nullopt;
    ClaimCheck c{"footprint.layers_shared", ClaimVerdict::kHolds, "", ""};
    int shared = 0, thin = 0;
    for (const Row& r : containers) {
      bool is_shared = r.shared_pct >= 0.5 * r.ceiling_pct;
      bool is_thin = r.upper_bytes && *r.upper_bytes <= 1024 * 1024;
      shared += is_shared;
      thin += is_thin;
      c.measured += fmt::format(
          "{}{} {:.0f}% of the image's resident pages shared (all {} = {:.0f}%), writable layer "
          "{}",
          c.measured.empty() ? "" : "; ", r.d->driver, r.shared_pct,
          r.d->details.value("batch", 0), r.ceiling_pct,
          r.upper_bytes ? fmt::format("{:.0f} KiB", *r.upper_bytes / 1024) : "not seen");
    }
    for (const Row& r : vms)
      c.measured += fmt::format("; VM {}: {:.0f}% of its guest RAM shared (each guest holds its "
                                "own kernel and initramfs)",
                                ShortLabels({r.d})[0], r.shared_pct);
    const int n = static_cast<int>(containers.size());
    if (shared == n && thin == n) {
      c.explanation =
          "Containers of one image map the same files: their pages are in the page cache once "
          "and shared, and each container adds only its writable layer, a few KiB here.";
    } else if (shared > 0 || thin > 0) {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation = "Sharing or a thin writable layer holds for some container drivers, not "
                      "all (an engine may copy the image, or its overlay is not readable).";
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "Here the containers' image pages were not shared.";
    }
    return c;
  }
};

}  // namespace

std::unique_ptr<SuiteView> MakeFootprintView() { return std::make_unique<FootprintView>(); }

}  // namespace ctv::reports
