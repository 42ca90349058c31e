#include "bench/suites/density_suite.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/suites/driver_result.h"
#include "bench/suites/host_memory.h"
#include "bench/suites/instances.h"
#include "core/clock.h"
#include "core/interrupt.h"
#include "runtime/cgroup/manager.h"

namespace ctv::bench {
namespace {

constexpr int kMaxContainers = 1000;
constexpr int kMaxVms = 64;
constexpr double kDefaultRampSeconds = 30;
constexpr double kReserveFraction = 0.10;  // of MemTotal: never go below

Result<int64_t> WholeParam(const std::map<std::string, std::string>& p, const std::string& key,
                           int64_t lo, int64_t hi) {
  std::string v = Param(p, key);
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || x < lo || x > hi)
    return MakeError("suite parameter", "--" + key + " " + v,
                     fmt::format("expected a whole number from {} to {}", lo, hi));
  return x;
}

Result<uint64_t> ByteSize(const std::string& v) {
  auto b = cgroup::ParseBytes(v);
  if (!b || *b <= 0)
    return MakeError("suite parameter", "--budget " + v, "expected a size, e.g. 8GiB, 512m, 1g");
  return static_cast<uint64_t>(*b);
}

Result<double> SecondsParam(const std::string& v) {
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  std::string unit = end ? end : "";
  double f = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (v.empty() || end == v.c_str() || f < 0 || x < 0)
    return MakeError("suite parameter", "--ramp-time " + v,
                     "expected seconds, e.g. 30, 90s, 5m (0 = no time limit)");
  return x * f;
}

// What one driver's ramp saw.
struct Ramp {
  std::vector<std::unique_ptr<Instance>> running;
  std::vector<double> launch_ms, parallel_ms;
  nlohmann::json steps = nlohmann::json::array();
  std::string stopped_by;
  uint64_t drop_kib = 0, pss_kib = 0;  // at the end, all instances together
};

class DensitySuite final : public Suite {
 public:
  std::string Name() const override { return "density"; }
  std::string Description() const override {
    return "ramp idle instances of each driver (1, 2, 4, ...) until --max, the memory budget, "
           "the host's reserve or the time limit: how many fit, memory per instance, launch time "
           "against N";
  }
  std::vector<SuiteParam> Parameters() const override {
    return {{"max", "N", "stop the ramp at N instances (default 1000; 64 for VMs)"},
            {"budget", "BYTES",
             "host memory the instances may take, e.g. 8GiB (default: half of MemAvailable)"},
            {"parallel", "P", "start P instances at once per step of the ramp (default 1)"},
            {"ramp-time", "SECONDS",
             "stop each driver's ramp after this long, e.g. 30, 5m (default 30 s; 0 = none)"}};
  }
  Status ValidateParameters(const std::map<std::string, std::string>& p) const override {
    if (p.count("max")) CTV_TRY(WholeParam(p, "max", 1, 100000));
    if (p.count("parallel")) CTV_TRY(WholeParam(p, "parallel", 1, 1000));
    if (p.count("budget")) CTV_TRY(ByteSize(p.at("budget")));
    if (p.count("ramp-time")) CTV_TRY(SecondsParam(p.at("ramp-time")));
    return Ok();
  }

  Result<results::SuiteResult> Run(const SuiteOptions& o) override {
    results::SuiteResult out;
    out.name = Name();
    out.repetitions = 1;  // one ramp per driver: the figures are its steps, not repetitions
    out.warmup = 0;
    RaiseOpenFileLimit();
    RunEachDriver(o, out, [&](Driver& d, int left) { return RunDriver(d, o, left); });
    return out;
  }

 private:
  // A thousand instances hold a few thousand descriptors (pipes, pidfds) in this process.
  static void RaiseOpenFileLimit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
      r.rlim_cur = r.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &r);
    }
  }

  results::DriverResult RunDriver(Driver& d, const SuiteOptions& o, int drivers_left) {
    const std::map<std::string, std::string> options = UserOptions(o, d);
    results::DriverResult r = NewResult(d, options);
    if (std::string why = CheckAndPrepare(d, r); !why.empty()) {
      r.skipped = why;
      return r;
    }
    auto ramp = RampUp(d, o, options, drivers_left, r);
    if (!ramp) {
      r.skipped = ramp.error().ToString();
      return r;
    }
    Ramp& x = *ramp;
    int n = static_cast<int>(x.running.size());
    for (const auto& inst : x.running) RecordFacts(inst->Facts(), r);
    StopAll(x.running);
    r.details["stopped_by"] = x.stopped_by;
    r.details["steps"] = x.steps;
    if (n == 0) {
      r.skipped = "no instance started: " + x.stopped_by;
      return r;
    }
    r.metrics.push_back(results::MakeMetric(
        "density.instances", "instances",
        "idle instances running at once when the ramp stopped (" + x.stopped_by + ")",
        {static_cast<double>(n)}, /*lower_is_better=*/false));
    r.metrics.push_back(results::MakeMetric(
        "density.launch_ms", "ms",
        "launch call -> ready marker of each instance of the ramp, with the others still running",
        x.launch_ms));
    r.metrics.push_back(results::MakeMetric(
        "density.memavailable_drop_kib", "KiB",
        fmt::format("host MemAvailable drop per instance with {} running (host-wide)", n),
        {static_cast<double>(x.drop_kib) / n}));
    r.metrics.push_back(results::MakeMetric(
        "density.pss_kib", "KiB",
        fmt::format("PSS of the instances' host processes per instance with {} running", n),
        {static_cast<double>(x.pss_kib) / n}));
    if (!x.parallel_ms.empty())
      r.metrics.push_back(results::MakeMetric(
          "density.parallel_start_ms", "ms",
          fmt::format("first start call -> all {} of a group ready, {} started at once",
                      Param(o.params, "parallel"), Param(o.params, "parallel")),
          x.parallel_ms));
    return r;
  }

  Result<Ramp> RampUp(Driver& d, const SuiteOptions& o,
                      const std::map<std::string, std::string>& options, int drivers_left,
                      results::DriverResult& r) {
    const bool vm = d.Kind() == DriverKind::kVm;
    const int max = o.params.count("max") ? static_cast<int>(*WholeParam(o.params, "max", 1, 100000))
                                          : (vm ? kMaxVms : kMaxContainers);
    const int parallel =
        o.params.count("parallel") ? static_cast<int>(*WholeParam(o.params, "parallel", 1, 1000))
                                   : 1;
    const double ramp_s = o.params.count("ramp-time") ? *SecondsParam(o.params.at("ramp-time"))
                                                      : kDefaultRampSeconds;
    const MemInfo m0 = CTV_TRY(ReadMemInfo());
    const uint64_t budget_kib = o.params.count("budget")
                                    ? *ByteSize(o.params.at("budget")) / 1024
                                    : m0.available_kib / 2;
    const uint64_t reserve_kib = static_cast<uint64_t>(m0.total_kib * kReserveFraction);
    const uint64_t oom0 = ReadVmstat("oom_kill"), swap0 = ReadVmstat("pswpout");
    r.details["max"] = max;
    r.details["parallel"] = parallel;
    r.details["ramp_time_s"] = ramp_s;
    r.details["budget_kib"] = budget_kib;
    r.details["reserve_kib"] = reserve_kib;
    r.details["memavailable_start_kib"] = m0.available_kib;

    Ramp x;
    const int64_t t0 = MonotonicNs();
    // --budget-time: this driver's equal share of the time left (bench/suites/suite.h).
    const int64_t share_end =
        o.deadline_ns ? t0 + (o.deadline_ns - t0) / std::max(1, drivers_left) : 0;
    int next_step = 1;
    auto cost_so_far = [&](uint64_t drop, uint64_t pss) {
      size_t n = x.running.size();
      return n == 0 ? 0 : std::max(drop, pss) / n;
    };
    // PSS is read exactly at each step (reading every instance after every launch would make a
    // ramp of N cost N^2 reads); in between it is extrapolated from the last step at its cost
    // per instance, which only falls as more share the image: the budget is never overrun.
    uint64_t drop = 0, pss = 0, pss_step = 0;
    int n_step = 0;
    auto record_step = [&] {
      int n = static_cast<int>(x.running.size());
      pss = pss_step = SumPss(x.running);
      n_step = n;
      x.steps.push_back({{"n", n},
                         {"memavailable_drop_kib_per_instance", static_cast<double>(drop) / n},
                         {"pss_kib_per_instance", static_cast<double>(pss) / n},
                         {"launch_ms", x.launch_ms.empty() ? 0.0 : x.launch_ms.back()},
                         {"seconds", static_cast<double>(MonotonicNs() - t0) / 1e9}});
    };
    for (int group = 0;; ++group) {
      int n = static_cast<int>(x.running.size());
      int want = std::min(parallel, max - n);
      uint64_t per = cost_so_far(drop, pss);
      MemInfo now = CTV_TRY(ReadMemInfo());
      if (Interrupted()) {
        x.stopped_by = "interrupt: Ctrl-C";
      } else if (want <= 0) {
        x.stopped_by = fmt::format("max: --max {} reached", max);
      } else if (ramp_s > 0 && MonotonicNs() - t0 > static_cast<int64_t>(ramp_s * 1e9)) {
        x.stopped_by = fmt::format("time: --ramp-time {:g} s spent", ramp_s);
      } else if (share_end && n > 0 && MonotonicNs() > share_end) {
        x.stopped_by = "time: this driver's share of --budget-time spent";
      } else if (std::max(drop, pss) + per * want > budget_kib) {
        x.stopped_by = fmt::format(
            "budget: {} more at ~{} KiB each would pass the budget of {} KiB", want, per,
            budget_kib);
      } else if (now.available_kib < reserve_kib + per * want) {
        x.stopped_by = fmt::format("reserve: MemAvailable {} KiB, {} more would go below 10% of "
                                   "MemTotal ({} KiB)",
                                   now.available_kib, want, reserve_kib);
      } else if (ReadVmstat("pswpout") > swap0) {
        x.stopped_by = "swap: the host started swapping (pswpout grew)";
      } else if (ReadVmstat("oom_kill") > oom0) {
        x.stopped_by = "oom: the kernel's OOM killer killed a process (oom_kill grew)";
      }
      if (!x.stopped_by.empty()) break;
      if (o.progress) o.progress({d.Name(), n, max, false});

      std::vector<std::string> names;
      for (int i = 0; i < want; ++i)
        names.push_back(fmt::format("ctv-dn-{}-{}-{}", d.Name(), ::getpid(), n + i));
      Status failed;
      if (want == 1) {
        auto inst = StartIdle(d, names[0], options);
        if (inst) {
          x.launch_ms.push_back(LaunchToReadyMs(**inst));
          x.running.push_back(std::move(inst).value());
        } else {
          failed = std::move(inst).error();
        }
      } else {
        GroupStart g = StartIdleGroup(d, names, options);
        if (g.failures.empty()) x.parallel_ms.push_back(g.wall_ms);
        for (double ms : g.launch_ms) x.launch_ms.push_back(ms);
        for (auto& inst : g.started) x.running.push_back(std::move(inst));
        if (!g.failures.empty()) failed = g.failures.front();
      }
      MemInfo after = CTV_TRY(ReadMemInfo());
      drop = m0.available_kib - std::min(m0.available_kib, after.available_kib);
      n = static_cast<int>(x.running.size());
      if (n > 0 && (n >= next_step || !failed)) {
        record_step();
        while (next_step <= n) next_step *= 2;
      } else if (n_step > 0) {
        pss = pss_step * static_cast<uint64_t>(n) / static_cast<uint64_t>(n_step);
      }
      if (!failed) {
        // A launch cut short by Ctrl-C is the interrupt, not a failure of the driver.
        x.stopped_by = Interrupted() ? "interrupt: Ctrl-C" : "failure: " + failed.error().ToString();
        break;
      }
    }
    // The final state, when the last step was not recorded at the very end.
    int n = static_cast<int>(x.running.size());
    if (n > 0 && (x.steps.empty() || x.steps.back()["n"] != n)) record_step();
    if (o.progress) o.progress({d.Name(), max, max, false});
    x.drop_kib = drop;
    x.pss_kib = pss;
    r.details["ramp_seconds"] = static_cast<double>(MonotonicNs() - t0) / 1e9;
    return x;
  }

  // PSS of every host process of every instance, in KiB (gone processes count nothing).
  static uint64_t SumPss(const std::vector<std::unique_ptr<Instance>>& running) {
    uint64_t sum = 0;
    for (const auto& inst : running)
      for (pid_t p : inst->HostPids())
        if (auto m = ReadProcessMemory(p)) sum += m->pss_kib;
    return sum;
  }
};

}  // namespace

std::unique_ptr<Suite> MakeDensitySuite() { return std::make_unique<DensitySuite>(); }

}  // namespace ctv::bench
