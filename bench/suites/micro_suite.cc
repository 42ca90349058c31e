#include "bench/suites/micro_suite.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "bench/suites/driver_result.h"
#include "core/clock.h"
#include "core/interrupt.h"
#include "core/process.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

constexpr double kDefaultMinTime = 0.05;  // s per repetition of one benchmark
constexpr double kFloorMinTime = 0.01;    // the least a budget may lower it to
// Google Benchmark's own overhead per repetition (set-up, the iteration-count search) on top of
// min_time, as measured on this project's CI host: used only to fit a budget.
constexpr double kOverheadFactor = 1.6;

std::string MicroBinary() { return SelfDir() + "/ctv-micro"; }

Result<double> ParseMinTime(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || !(v > 0) || v > 60)
    return MakeError("invalid value for --micro-min-time", text,
                     "expected seconds per repetition, 0 < S <= 60 (e.g. 0.05)");
  return v;
}

class MicroSuite final : public Suite {
 public:
  std::string Name() const override { return "micro"; }
  std::string Description() const override {
    return "Google Benchmark micro-benchmarks of each launch-path primitive (clone per namespace, "
           "overlay, cgroup, seccomp, veth, nftables) on the host";
  }
  std::vector<SuiteParam> Parameters() const override {
    return {{"micro-filter", "REGEX", "only the benchmarks matching REGEX (default: all)"},
            {"micro-min-time", "SECONDS",
             "minimum time per repetition of each benchmark (default 0.05)"}};
  }
  Status ValidateParameters(const std::map<std::string, std::string>& p) const override {
    if (p.count("micro-min-time")) CTV_TRY(ParseMinTime(p.at("micro-min-time")));
    if (p.count("micro-filter") && p.at("micro-filter").empty())
      return MakeError("invalid value for --micro-filter", "", "expected a regular expression");
    return Ok();
  }

  Result<results::SuiteResult> Run(const SuiteOptions& o) override {
    results::SuiteResult out;
    out.name = Name();
    out.repetitions = o.repetitions;
    out.warmup = o.warmup;
    RunEachDriver(o, out, [&](Driver& d, int) {
      results::DriverResult r = NewResult(d, UserOptions(o, d));
      r.accelerator = d.Check().accelerator;  // the host's: "none"
      if (d.Kind() != DriverKind::kHost) {
        r.skipped = "micro-benchmarks measure the host's launch primitives: they run as the host "
                    "driver's row only";
        return r;
      }
      if (Status s = RunMicro(o, r); !s) {
        r.metrics.clear();
        r.skipped = s.error().ToString();
      }
      return r;
    });
    return out;
  }

 private:
  Status RunMicro(const SuiteOptions& o, results::DriverResult& r) {
    const std::string bin = MicroBinary();
    if (::access(bin.c_str(), X_OK) != 0)
      return MakeError("run micro-benchmarks", bin, "ctv-micro is not built next to ctvbench");
    std::vector<std::string> filter;
    if (std::string f = Param(o.params, "micro-filter"); !f.empty())
      filter.push_back("--benchmark_filter=" + f);
    double min_time = kDefaultMinTime;
    if (std::string t = Param(o.params, "micro-min-time"); !t.empty())
      min_time = CTV_TRY(ParseMinTime(t));

    std::vector<std::string> list = {bin, "--benchmark_list_tests=true"};
    list.insert(list.end(), filter.begin(), filter.end());
    CommandOutput listed = CTV_TRY(RunCommand(list, 30s));
    if (!listed.status.Success())
      return MakeError("list micro-benchmarks", bin,
                       fmt::format("{}: {}", listed.status.ToString(), listed.err));
    int count = static_cast<int>(std::count(listed.out.begin(), listed.out.end(), '\n'));
    if (count == 0) return MakeError("run micro-benchmarks", bin, "no benchmark matches the filter");

    int warmup = o.warmup, reps = o.repetitions;
    if (o.deadline_ns != 0) {
      // Fit the budget: a shorter minimum time first, then fewer repetitions (never below 3).
      double left_s = std::max(0.0, (o.deadline_ns - MonotonicNs()) / 1e9);
      auto cost = [&](double mt, int n) { return count * n * mt * kOverheadFactor; };
      while (min_time > kFloorMinTime && cost(min_time, warmup + reps) > left_s)
        min_time = std::max(kFloorMinTime, min_time / 2);
      int fit = static_cast<int>(left_s / cost(min_time, 1));
      if (fit < warmup + reps) {
        warmup = std::min(warmup, std::max(0, fit - kMinRepetitions));
        int measured = std::max(kMinRepetitions, fit - warmup);
        if (measured < reps) r.details["budget"] = BudgetNote(measured, reps);
        reps = std::min(reps, measured);
      }
    }
    std::vector<std::string> argv = {bin, "--benchmark_format=json",
                                     fmt::format("--benchmark_repetitions={}", warmup + reps),
                                     fmt::format("--benchmark_min_time={}", min_time)};
    argv.insert(argv.end(), filter.begin(), filter.end());
    // Generous: min_time is a floor, a slow primitive (a TCG-slow host, a loaded machine) takes
    // longer per iteration; a hung binary is an error, not a sample.
    auto timeout = std::chrono::milliseconds(
        static_cast<int64_t>(count * (warmup + reps) * (min_time * 10 + 2) * 1000) + 60000);
    CommandOutput run = CTV_TRY(RunCommand(argv, timeout));
    if (Interrupted()) return MakeError("run micro-benchmarks", bin, "interrupted");
    if (!run.status.Success())
      return MakeError("run micro-benchmarks", bin,
                       fmt::format("{}; stderr: {}", run.status.ToString(),
                                   run.err.substr(0, std::min<size_t>(run.err.size(), 400))));
    r.details["min_time_s"] = min_time;
    r.details["command"] = fmt::format("{} ... --benchmark_repetitions={} ({} dropped as warm-up)",
                                       bin, warmup + reps, warmup);
    CTV_CHECK(MergeBenchmarkJson(run.out, warmup, bin, r));
    if (r.metrics.empty())
      return MakeError("run micro-benchmarks", bin,
                       "every benchmark was skipped (details.skipped says why)");
    return Ok();
  }
};

}  // namespace

Status MergeBenchmarkJson(const std::string& text, int warmup, const std::string& source,
                          results::DriverResult& r) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("benchmarks") ||
      !j["benchmarks"].is_array())
    return MakeError("read micro-benchmark results", source,
                     "not Google Benchmark JSON (no \"benchmarks\" array)");
  if (j.contains("context") && j["context"].is_object()) {
    const auto& c = j["context"];
    for (const char* k : {"library_version", "cpu_scaling_enabled", "library_build_type"})
      if (c.contains(k)) r.details["context"][k] = c[k];
  }
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> samples;
  std::map<std::string, std::string> units;
  for (const auto& b : j["benchmarks"]) {
    std::string name = b.value("run_name", b.value("name", ""));
    if (name.empty()) continue;
    if (b.value("error_occurred", false)) {
      r.details["skipped"][name] = b.value("error_message", "skipped");
      continue;
    }
    if (b.value("run_type", "iteration") != "iteration") continue;  // mean/median/BigO rows
    if (b.value("repetition_index", 0) < warmup) continue;
    if (!b.contains("real_time") || !b["real_time"].is_number()) continue;
    if (!samples.count(name)) order.push_back(name);
    samples[name].push_back(b["real_time"].get<double>());
    units[name] = b.value("time_unit", "ns");
    r.details["iterations"][name] = b.value("iterations", int64_t{0});
  }
  for (const auto& name : order)
    r.metrics.push_back(results::MakeMetric(
        "micro." + name, units[name],
        "mean wall-clock time per iteration over one repetition (Google Benchmark real_time); "
        "one sample per repetition",
        samples[name]));
  return Ok();
}

std::unique_ptr<Suite> MakeMicroSuite() { return std::make_unique<MicroSuite>(); }

}  // namespace ctv::bench
