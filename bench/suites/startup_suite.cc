#include "bench/suites/startup_suite.h"

#include <unistd.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/interrupt.h"
#include "bench/suites/driver_result.h"
#include "bench/suites/instances.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

constexpr auto kStopTimeout = 30s;

struct OneStart {
  std::vector<Mark> marks;
  std::map<std::string, std::string> facts;  // Instance::Facts(): what it really ran with
};

Result<OneStart> StartOnce(Driver& d, const std::string& name,
                           const std::map<std::string, std::string>& options) {
  std::unique_ptr<Instance> inst = CTV_TRY(StartIdle(d, name, options));
  CTV_CHECK(inst->Stop(kStopTimeout));
  // Marks after "ready" (a VM's teardown) are kept: the suite tells them apart. `inst` is
  // destroyed here: everything it held is released.
  return OneStart{inst->Marks(), inst->Facts()};
}

class StartupSuite final : public Suite {
 public:
  std::string Name() const override { return "startup"; }
  std::string Description() const override {
    return "launch call -> workload ready (ctv-probe ready), with the phases each driver reports";
  }

  Result<results::SuiteResult> Run(const SuiteOptions& o) override {
    results::SuiteResult out;
    out.name = Name();
    out.repetitions = o.repetitions;
    out.warmup = o.warmup;
    for (size_t k = 0; k < o.drivers.size(); ++k) {
      Driver* d = o.drivers[k];
      out.results.push_back(CTV_TRY(RunDriver(*d, o, static_cast<int>(o.drivers.size() - k))));
      // Ctrl-C: what was measured so far is kept (the driver's samples until then), the rest
      // of the drivers are not started.
      if (Interrupted()) {
        out.interrupted = true;
        break;
      }
    }
    return out;
  }

 private:
  Result<results::DriverResult> RunDriver(Driver& d, const SuiteOptions& o, int drivers_left) {
    const std::map<std::string, std::string> options = UserOptions(o, d);
    results::DriverResult r = NewResult(d, options);
    if (std::string why = CheckAndPrepare(d, r); !why.empty()) {
      r.skipped = why;
      return r;
    }
    std::vector<double> totals;
    std::vector<std::string> phase_order;
    std::map<std::string, std::vector<double>> phases;
    int total = o.warmup + o.repetitions;
    const int64_t start = MonotonicNs();
    for (int i = 0; i < total; ++i) {
      if (Interrupted()) break;
      if (OutOfBudget(o, start, i, static_cast<int>(totals.size()), drivers_left)) {
        r.details["budget"] = BudgetNote(static_cast<int>(totals.size()), o.repetitions);
        break;
      }
      bool warm = i < o.warmup;
      if (o.progress) o.progress({d.Name(), i, total, warm});
      auto one =
          StartOnce(d, fmt::format("ctv-startup-{}-{}-{}", d.Name(), ::getpid(), i), options);
      if (!one) {
        if (Interrupted()) break;
        r.skipped = fmt::format("repetition {} failed: {}", i + 1, one.error().ToString());
        r.metrics.clear();
        return r;
      }
      // What the instance really ran with overrides the driver's expectation (Check): e.g. a
      // remote libvirt host's KVM is only known once a guest was started there.
      RecordFacts(one->facts, r);
      if (warm) continue;
      const auto& m = one->marks;
      auto ready = std::find_if(m.begin(), m.end(), [](const Mark& x) { return x.name == "ready"; });
      if (m.empty() || m.front().name != "launch" || ready == m.end())
        return MakeError("run suite startup", d.Name(),
                         "driver reported no launch or ready mark (a driver bug)");
      totals.push_back(static_cast<double>(ready->t_ns - m.front().t_ns) / 1e6);
      for (size_t k = 1; k < m.size(); ++k) {
        if (!phases.count(m[k].name)) phase_order.push_back(m[k].name);
        phases[m[k].name].push_back(static_cast<double>(m[k].t_ns - m[k - 1].t_ns) / 1e6);
      }
    }
    if (o.progress) o.progress({d.Name(), total, total, false});
    if (totals.empty()) {  // interrupted during the warm-up
      r.skipped = "interrupted before the first measured repetition";
      return r;
    }
    r.metrics.push_back(results::MakeMetric(
        "startup.total", "ms", "launch call -> ready marker seen by the host", totals));
    for (const auto& name : phase_order) {
      const auto& v = phases[name];
      if (v.size() != totals.size()) continue;  // a phase not seen in every repetition
      r.metrics.push_back(results::MakeMetric(
          "startup.phase." + name, "ms", "previous phase end -> '" + name + "' seen by the host",
          v));
    }
    return r;
  }
};

}  // namespace

std::unique_ptr<Suite> MakeStartupSuite() { return std::make_unique<StartupSuite>(); }

}  // namespace ctv::bench
