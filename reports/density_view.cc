// The density suite's view: per-instance memory and next-launch time against N (one line per
// driver over the ramp's steps), how far each driver got and why it stopped, and the "more
// containers than VMs fit" claim.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "reports/format.h"
#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using results::DriverResult;
using results::RunResults;
using results::SuiteResult;

constexpr const char* kSuite = "density";

// Below this many instances the host-wide MemAvailable drop is mostly other activity (page cache,
// a compiler next door: 300 MiB swings were seen for one instance), so it does not count.
constexpr int kMinInstancesForDrop = 10;

// Memory one more instance costs, KiB: the larger of the MemAvailable drop and the PSS per
// instance at the last step (the drop sees kernel objects, PSS is steadier); PSS alone when the
// step had fewer than kMinInstancesForDrop instances.
double CostKib(const DriverResult& d) {
  const auto& steps = d.details.value("steps", nlohmann::json::array());
  if (steps.empty()) return 0;
  const auto& last = steps.back();
  double pss = last.value("pss_kib_per_instance", 0.0);
  if (last.value("n", 0) < kMinInstancesForDrop) return pss;
  return std::max(last.value("memavailable_drop_kib_per_instance", 0.0), pss);
}

int Reached(const DriverResult& d) {
  const results::Metric* m = FindMetric(d, "density.instances");
  return m && m->stats.n ? static_cast<int>(m->stats.median) : 0;
}

class DensityView : public SuiteView {
 public:
  std::string Suite() const override { return kSuite; }
  std::string Title() const override { return "Density: how many idle instances fit"; }

  std::vector<ChartSpec> Charts(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    std::vector<const DriverResult*> ds;
    std::set<int> ns;
    for (const auto& d : s->results) {
      if (d.skipped || !d.details.contains("steps")) continue;
      ds.push_back(&d);
      for (const auto& st : d.details["steps"]) ns.insert(st.value("n", 0));
    }
    if (ds.empty()) return {};
    std::vector<std::string> x;
    for (int n : ns) x.push_back(std::to_string(n));
    auto chart = [&](const char* id, const char* key, const char* what, const char* unit) {
      ChartSpec c;
      c.id = id;
      c.kind = ChartKind::kTrend;
      c.x_labels = x;
      c.x_label = "instances running (N)";
      c.unit = unit;
      std::vector<double> all;
      std::vector<std::string> labels = ShortLabels(ds);
      for (size_t k = 0; k < ds.size(); ++k) {
        const DriverResult* d = ds[k];
        Series se{labels[k], DriverColor(*d), {}, {}, {}, {}};
        for (int n : ns) {
          double v = std::numeric_limits<double>::quiet_NaN();
          for (const auto& st : d->details["steps"])
            if (st.value("n", 0) == n) v = st.value(key, v);
          se.values.push_back(v);
          if (!std::isnan(v)) all.push_back(v);
        }
        c.series.push_back(std::move(se));
      }
      c.log_y = SpansDecades(all, 1.5);
      c.title = fmt::format("{} against N, one ramp per driver\naccelerator: {}", what,
                            AcceleratorSummary(ds));
      c.y_label = fmt::format("{} ({}{})", what, unit, c.log_y ? ", log scale" : "");
      c.caption = fmt::format(
          "Each point: the value at the step where N instances were running (one ramp, n=1 per "
          "point). {}",
          c.log_y ? "Logarithmic axis: drivers differ by orders of magnitude." : "");
      return c;
    };
    return {chart("density-pss-per-instance", "pss_kib_per_instance",
                  "PSS per instance of its host processes", "KiB"),
            chart("density-memavailable-per-instance", "memavailable_drop_kib_per_instance",
                  "host MemAvailable drop per instance", "KiB"),
            chart("density-launch", "launch_ms", "launch -> ready of the instance started last",
                  "ms")};
  }

  std::vector<Table> Tables(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    Table t;
    t.caption = "How far each driver's ramp got and why it stopped. \"Fit in the budget\" "
                "divides the memory budget by the cost per instance at the last step (the larger "
                "of the MemAvailable drop and the PSS per instance; PSS alone below 10 instances, where "
                "the host-wide drop is mostly noise): a projection, not a count.";
    t.header = {"driver", "accelerator", "instances reached", "stopped by", "ramp time",
                "cost per instance", "budget", "fit in the budget"};
    for (const auto& d : s->results) {
      if (d.skipped) {
        t.rows.push_back({d.driver, d.accelerator, "", Cell("skipped: " + *d.skipped, "muted"),
                          "", "", "", ""});
        continue;
      }
      double cost = CostKib(d), budget = d.details.value("budget_kib", 0.0);
      t.rows.push_back({d.driver, d.accelerator, std::to_string(Reached(d)),
                        d.details.value("stopped_by", ""),
                        Num(d.details.value("ramp_seconds", 0.0)) + " s",
                        fmt::format("{:.0f} KiB", cost), Num(budget / 1024 / 1024) + " GiB",
                        cost > 0 ? fmt::format("{:.0f}", std::floor(budget / cost)) : "-"});
    }
    std::vector<Table> out{t};
    out.push_back(StatsTable(*s));
    return out;
  }

  std::vector<ClaimCheck> Claims(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    const DriverResult *best_c = nullptr, *best_v = nullptr;
    double fit_c = 0, fit_v = 0;
    for (const auto& d : s->results) {
      double cost = d.skipped ? 0 : CostKib(d);
      if (cost <= 0) continue;
      double fit = d.details.value("budget_kib", 0.0) / cost;
      if (IsContainerDriver(d) && (!best_c || fit < fit_c)) {  // the least dense container
        best_c = &d;
        fit_c = fit;
      }
      if (IsVmDriver(d) && (!best_v || fit > fit_v)) {  // the densest VM
        best_v = &d;
        fit_v = fit;
      }
    }
    ClaimCheck c{"density.more_instances", ClaimVerdict::kHolds, "", ""};
    if (!best_c || !best_v) {
      c.verdict = ClaimVerdict::kNotMeasured;
      c.measured = "-";
      c.explanation = fmt::format("The density results hold no {} driver that started an "
                                  "instance: the claim compares both.",
                                  best_c ? "VM" : best_v ? "container" : "container or VM");
      return {c};
    }
    c.measured = fmt::format(
        "least dense container {}: {} running ({}), {:.0f} KiB each -> ~{:.0f} fit in the "
        "budget; densest VM {}: {} running ({}), {:.0f} KiB each -> ~{:.0f}",
        best_c->driver, Reached(*best_c), best_c->details.value("stopped_by", ""),
        CostKib(*best_c), std::floor(fit_c), ShortLabels({best_v})[0], Reached(*best_v),
        best_v->details.value("stopped_by", ""), CostKib(*best_v), std::floor(fit_v));
    if (fit_c > fit_v) {
      c.explanation = fmt::format(
          "Per instance, even the least dense container costs {:.0f}x less memory than the "
          "densest VM, so about that many times more fit in the same budget (a projection from "
          "the measured cost; the counts reached are beside it).",
          fit_c / std::max(fit_v, 1e-9));
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "Here a VM cost no more memory per instance than a container.";
    }
    return {c};
  }
};

}  // namespace

std::unique_ptr<SuiteView> MakeDensityView() { return std::make_unique<DensityView>(); }

}  // namespace ctv::reports
