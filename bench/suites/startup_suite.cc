#include "bench/suites/startup_suite.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "bench/suites/driver_result.h"
#include "bench/suites/instances.h"
#include "core/interrupt.h"

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

// "net=none|net=bridge|net=bridge+ports=18099:80" -> one option set per variant.
Result<std::vector<std::map<std::string, std::string>>> ParseVariants(const std::string& text) {
  std::vector<std::map<std::string, std::string>> out;
  auto bad = [&](const std::string& why) {
    return MakeError("invalid value for --variants", text,
                     why +
                         " (expected KEY=VALUE[+KEY=VALUE...][|...], e.g. "
                         "'net=none|net=bridge|net=bridge+ports=18099:80')");
  };
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find('|', i);
    if (j == std::string::npos) j = text.size();
    std::map<std::string, std::string> v;
    std::string part = text.substr(i, j - i);
    size_t a = 0;
    while (a <= part.size()) {
      size_t b = part.find('+', a);
      if (b == std::string::npos) b = part.size();
      std::string kv = part.substr(a, b - a);
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) return bad("'" + kv + "' is not KEY=VALUE");
      v[kv.substr(0, eq)] = kv.substr(eq + 1);
      a = b + 1;
    }
    out.push_back(std::move(v));
    i = j + 1;
  }
  if (out.size() < 2) return bad("give at least two variants");
  return out;
}

class StartupSuite final : public Suite {
 public:
  std::string Name() const override { return "startup"; }
  std::string Description() const override {
    return "launch call -> workload ready (ctv-probe ready), with the phases each driver reports";
  }
  std::vector<SuiteParam> Parameters() const override {
    return {{"variants", "K=V[+K=V]|...",
             "option sets measured interleaved, one row each, for every driver that accepts "
             "them all (e.g. 'net=none|net=bridge|net=bridge+ports=18099:80' for ctvrt)"}};
  }
  Status ValidateParameters(const std::map<std::string, std::string>& p) const override {
    if (p.count("variants")) CTV_TRY(ParseVariants(p.at("variants")));
    return Ok();
  }

  Result<results::SuiteResult> Run(const SuiteOptions& o) override {
    results::SuiteResult out;
    out.name = Name();
    out.repetitions = o.repetitions;
    out.warmup = o.warmup;
    for (size_t k = 0; k < o.drivers.size(); ++k) {
      Driver* d = o.drivers[k];
      for (auto& r : CTV_TRY(RunDriver(*d, o, static_cast<int>(o.drivers.size() - k))))
        out.results.push_back(std::move(r));
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
  // One row: an option set of a driver and its samples.
  struct Row {
    std::map<std::string, std::string> options;
    results::DriverResult r;
    std::vector<double> totals;
    std::vector<std::string> phase_order;
    std::map<std::string, std::vector<double>> phases;
    bool failed = false;
  };

  // The option sets of `d`: the user's, or with --variants one per variant (merged over the
  // user's) when the driver accepts every one of them.
  std::vector<std::map<std::string, std::string>> OptionSets(const SuiteOptions& o,
                                                             const Driver& d) {
    std::map<std::string, std::string> user = UserOptions(o, d);
    std::string text = Param(o.params, "variants");
    if (text.empty()) return {user};
    auto variants = ParseVariants(text);
    if (!variants) return {user};
    std::vector<std::map<std::string, std::string>> sets;
    for (const auto& v : *variants) {
      auto merged = user;
      for (const auto& [k, val] : v) merged[k] = val;
      if (!d.ValidateOptions(merged)) return {user};  // not this driver's options
      sets.push_back(std::move(merged));
    }
    return sets;
  }

  // Repetitions interleaved across the option sets (set 1, set 2, ..., set 1, ...), so a drift of
  // the machine's load hits every row alike and their ratio holds.
  Result<std::vector<results::DriverResult>> RunDriver(Driver& d, const SuiteOptions& o,
                                                       int drivers_left) {
    std::vector<Row> rows;
    for (auto& opts : OptionSets(o, d)) rows.push_back(Row{opts, NewResult(d, opts)});
    if (std::string why = CheckAndPrepare(d, rows[0].r); !why.empty()) {
      std::vector<results::DriverResult> out;
      for (auto& row : rows) {
        row.r.accelerator = rows[0].r.accelerator;
        row.r.skipped = why;
        out.push_back(std::move(row.r));
      }
      return out;
    }
    for (auto& row : rows) row.r.accelerator = rows[0].r.accelerator;
    if (rows.size() > 1)
      for (auto& row : rows) row.r.details["interleaved_with"] = static_cast<int>(rows.size() - 1);
    int total = o.warmup + o.repetitions;
    const int64_t start = MonotonicNs();
    for (int i = 0; i < total; ++i) {
      if (Interrupted()) break;
      if (OutOfBudget(o, start, i, static_cast<int>(rows[0].totals.size()), drivers_left)) {
        for (auto& row : rows)
          row.r.details["budget"] = BudgetNote(static_cast<int>(row.totals.size()), o.repetitions);
        break;
      }
      bool warm = i < o.warmup;
      if (o.progress) o.progress({d.Name(), i, total, warm});
      for (size_t v = 0; v < rows.size(); ++v) {
        Row& row = rows[v];
        if (row.failed) continue;
        std::string name = rows.size() > 1
                               ? fmt::format("ctv-startup-{}-{}-{}v{}", d.Name(), ::getpid(), i, v)
                               : fmt::format("ctv-startup-{}-{}-{}", d.Name(), ::getpid(), i);
        auto one = StartOnce(d, name, row.options);
        if (!one) {
          if (Interrupted()) break;
          row.r.skipped = fmt::format("repetition {} failed: {}", i + 1, one.error().ToString());
          row.r.metrics.clear();
          row.failed = true;
          continue;
        }
        // What the instance really ran with overrides the driver's expectation (Check): e.g. a
        // remote libvirt host's KVM is only known once a guest was started there.
        RecordFacts(one->facts, row.r);
        if (warm) continue;
        // In time order: a driver may report a step of its own and one of the instance's late
        // (ctvrt's child stamps "mounts" while the harness attaches the network), so each phase
        // is the time since the mark just before it.
        std::vector<Mark> m = one->marks;
        std::stable_sort(m.begin(), m.end(),
                         [](const Mark& a, const Mark& b) { return a.t_ns < b.t_ns; });
        auto ready =
            std::find_if(m.begin(), m.end(), [](const Mark& x) { return x.name == "ready"; });
        if (m.empty() || m.front().name != "launch" || ready == m.end())
          return MakeError("run suite startup", d.Name(),
                           "driver reported no launch or ready mark (a driver bug)");
        row.totals.push_back(static_cast<double>(ready->t_ns - m.front().t_ns) / 1e6);
        for (size_t k = 1; k < m.size(); ++k) {
          if (!row.phases.count(m[k].name)) row.phase_order.push_back(m[k].name);
          row.phases[m[k].name].push_back(static_cast<double>(m[k].t_ns - m[k - 1].t_ns) / 1e6);
        }
      }
    }
    if (o.progress) o.progress({d.Name(), total, total, false});
    std::vector<results::DriverResult> out;
    for (auto& row : rows) {
      results::DriverResult& r = row.r;
      if (row.failed) {
        out.push_back(std::move(r));
        continue;
      }
      if (row.totals.empty()) {  // interrupted during the warm-up
        r.skipped = "interrupted before the first measured repetition";
        out.push_back(std::move(r));
        continue;
      }
      r.metrics.push_back(results::MakeMetric(
          "startup.total", "ms", "launch call -> ready marker seen by the host", row.totals));
      for (const auto& name : row.phase_order) {
        const auto& v = row.phases[name];
        if (v.size() != row.totals.size()) continue;  // a phase not seen in every repetition
        r.metrics.push_back(results::MakeMetric(
            "startup.phase." + name, "ms",
            "previous mark (in time order) -> '" + name + "' seen by the host", v));
      }
      out.push_back(std::move(r));
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Suite> MakeStartupSuite() { return std::make_unique<StartupSuite>(); }

}  // namespace ctv::bench
