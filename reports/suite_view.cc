#include "reports/suite_view.h"

#include <fmt/format.h>

#include <algorithm>

#include "reports/format.h"

namespace ctv::reports {

using results::DriverResult;
using results::RunResults;
using results::SuiteResult;

const std::vector<const SuiteView*>& SuiteViews() {
  // One line per suite view. Leaked on purpose: lives for the whole process.
  static const std::vector<const SuiteView*>* views = new std::vector<const SuiteView*>{
      MakeStartupView().release(),
      MakeFootprintView().release(),
      MakeDensityView().release(),
      MakeNetworkView().release(),
      MakeDevicesView().release(),
      MakeIsolationView().release(),
      MakeSyscallView().release(),
      MakeCgroupView().release(),
      MakeSecurityView().release(),
      MakeMicroView().release(),
  };
  return *views;
}

namespace {

class StatsOnlyView : public SuiteView {
 public:
  explicit StatsOnlyView(std::string suite) : suite_(std::move(suite)) {}
  std::string Suite() const override { return suite_; }
  std::string Title() const override { return "Suite: " + suite_ + " (statistics)"; }
  std::vector<ChartSpec> Charts(const RunResults&) const override { return {}; }

 private:
  std::string suite_;
};

class Forward : public SuiteView {
 public:
  explicit Forward(const SuiteView* v) : v_(v) {}
  std::string Suite() const override { return v_->Suite(); }
  std::string Title() const override { return v_->Title(); }
  std::vector<ChartSpec> Charts(const RunResults& r) const override { return v_->Charts(r); }
  std::vector<Table> Tables(const RunResults& r) const override { return v_->Tables(r); }
  std::vector<ClaimCheck> Claims(const RunResults& r) const override { return v_->Claims(r); }

 private:
  const SuiteView* v_;
};

}  // namespace

std::unique_ptr<SuiteView> ViewFor(const std::string& suite) {
  for (const SuiteView* v : SuiteViews())
    if (v->Suite() == suite) return std::make_unique<Forward>(v);
  return std::make_unique<StatsOnlyView>(suite);
}

std::vector<Table> SuiteView::Tables(const RunResults& run) const {
  const SuiteResult* s = FindSuite(run, Suite());
  if (!s) return {};
  return {StatsTable(*s)};
}

const SuiteResult* FindSuite(const RunResults& run, const std::string& name) {
  for (const auto& s : run.suites)
    if (s.name == name) return &s;
  return nullptr;
}

const results::Metric* FindMetric(const DriverResult& d, const std::string& name) {
  for (const auto& m : d.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

Table StatsTable(const SuiteResult& suite) {
  Table t;
  t.caption = fmt::format(
      "Statistics of every metric of suite \"{}\" ({} repetitions after {} "
      "warm-up). Percentiles interpolate linearly; CV = stddev / mean.",
      suite.name, suite.repetitions, suite.warmup);
  t.header = {"driver",  "accelerator", "parameters", "metric", "unit", "n",
              "median",  "p95",         "min",        "max",    "CV",   "interval measured",
              "warnings"};
  for (const auto& d : suite.results) {
    if (d.skipped) {
      t.rows.push_back({d.driver, d.accelerator, ParamsString(d.parameters),
                        Cell("(skipped)", "muted"), "", "", "", "", "", "", "", "",
                        Cell("skipped: " + *d.skipped, "muted")});
      continue;
    }
    for (const auto& m : d.metrics) {
      std::string warn;
      for (const auto& w : m.warnings) warn += (warn.empty() ? "" : "; ") + w;
      const Summary& s = m.stats;
      t.rows.push_back({d.driver, d.accelerator, ParamsString(d.parameters), m.name, m.unit,
                        std::to_string(s.n), Num(s.median), Num(s.p95), Num(s.min), Num(s.max),
                        fmt::format("{:.1f}%", s.cv * 100), m.interval,
                        warn.empty() ? Cell("") : Cell(warn, "warn")});
    }
  }
  return t;
}

std::string AcceleratorSummary(const std::vector<const DriverResult*>& results) {
  std::vector<std::pair<std::string, std::string>> groups;  // accelerator -> drivers
  for (const DriverResult* d : results) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == d->accelerator; });
    if (it == groups.end()) {
      groups.push_back({d->accelerator, d->driver});
    } else if (it->second.find(d->driver) == std::string::npos) {
      it->second += ", " + d->driver;
    }
  }
  std::string out;
  for (const auto& [acc, drivers] : groups)
    out += (out.empty() ? "" : "; ") + acc + " (" + drivers + ")";
  return out;
}

bool IsHostBaseline(const DriverResult& d) { return d.kind == "host"; }
bool IsContainerDriver(const DriverResult& d) { return d.kind == "container"; }
bool IsSandboxDriver(const DriverResult& d) { return d.kind == "sandbox"; }
bool IsVmDriver(const DriverResult& d) { return d.kind == "vm"; }

}  // namespace ctv::reports
