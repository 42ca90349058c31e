// SuiteView: the one interface through which a suite contributes to reports. A view turns the
// suite's results into chart specs, tables and claim checks; the report assembles them and the
// HTML writer lays them out without knowing any suite.
//
// Adding a suite view (docs/reports.md): implement SuiteView in reports/<suite>_view.cc, declare
// its Make*View() below, add one line to the list in suite_view.cc. A suite without a view still
// gets the statistics table (ViewFor falls back to it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "reports/chart.h"
#include "reports/claims.h"
#include "reports/html_writer.h"
#include "results/results.h"

namespace ctv::reports {

class SuiteView {
 public:
  virtual ~SuiteView() = default;
  // The suite name as in results ("startup").
  virtual std::string Suite() const = 0;
  // Section heading.
  virtual std::string Title() const { return "Suite: " + Suite(); }
  // Charts from this suite's results in `run` (empty when it has none).
  virtual std::vector<ChartSpec> Charts(const results::RunResults& run) const = 0;
  // Tables; the default is the statistics table of every metric of the suite.
  virtual std::vector<Table> Tables(const results::RunResults& run) const;
  // Judgements of catalogue claims (claims.h) this suite's data can speak to. May read other
  // suites' results in `run` too.
  virtual std::vector<ClaimCheck> Claims(const results::RunResults& /*run*/) const { return {}; }
};

// The registered views, in report order.
const std::vector<const SuiteView*>& SuiteViews();
// The registered view of `suite`, or a statistics-only view for it.
std::unique_ptr<SuiteView> ViewFor(const std::string& suite);

std::unique_ptr<SuiteView> MakeStartupView();
std::unique_ptr<SuiteView> MakeFootprintView();
std::unique_ptr<SuiteView> MakeDensityView();
std::unique_ptr<SuiteView> MakeDevicesView();
std::unique_ptr<SuiteView> MakeNetworkView();
std::unique_ptr<SuiteView> MakeIsolationView();
std::unique_ptr<SuiteView> MakeSyscallView();
std::unique_ptr<SuiteView> MakeCgroupView();
std::unique_ptr<SuiteView> MakeSecurityView();
std::unique_ptr<SuiteView> MakeMicroView();

// Helpers for views.
const results::SuiteResult* FindSuite(const results::RunResults& run, const std::string& name);
const results::Metric* FindMetric(const results::DriverResult& d, const std::string& name);
// median, p95, min-max, n, CV and warnings of every metric of `suite`; skipped results say why.
Table StatsTable(const results::SuiteResult& suite);
// "none (host, ctvrt); tcg (vm)": which accelerator each driver really used.
std::string AcceleratorSummary(const std::vector<const results::DriverResult*>& results);
// By the kind each result carries (results/results.h), never by driver name. A sandbox (gVisor)
// is neither a container nor a VM: claims about either leave it out, charts show it as its own.
bool IsHostBaseline(const results::DriverResult& d);  // kind "host"
bool IsContainerDriver(const results::DriverResult& d);  // kind "container"
bool IsSandboxDriver(const results::DriverResult& d);    // kind "sandbox"
bool IsVmDriver(const results::DriverResult& d);         // kind "vm"

}  // namespace ctv::reports
