#include "bench/suites/syscall_suite.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "bench/suites/driver_result.h"
#include "bench/suites/probe_json.h"
#include "core/interrupt.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

// Eight ops of ~100 ms each, plus a TCG boot: seconds. A hung instance is an error, not a sample.
constexpr auto kExitTimeout = 180s;
constexpr int kOpMs = 100;

std::string OpArg() {
  std::string s;
  for (const auto& op : SyscallOps()) s += (s.empty() ? "" : ",") + op;
  return s;
}

std::string Interval(const std::string& op) {
  static const std::map<std::string, std::string> kWhat = {
      {"getppid", "syscall(SYS_getppid): the bare system call"},
      {"clock", "clock_gettime(CLOCK_MONOTONIC): the vDSO, no system call"},
      {"pipe", "1-byte write + read on one pipe (two system calls, no context switch)"},
      {"openclose", "open + close of /dev/null"},
      {"stat", "stat(\"/\")"},
      {"fault", "first write to a fresh anonymous page (a page fault and a zeroed page)"},
      {"fork", "fork + the child's _exit + waitpid"},
      {"devwrite",
       "a 64-byte line written to stdout, drained when a tty: in a VM the guest's console device "
       "(leaves the guest), on the host and in containers a pipe to the harness"},
  };
  auto it = kWhat.find(op);
  return fmt::format(
      "ns per op, loop of N ops inside the instance ({}); N sized so the loop takes ~{} ms, timed "
      "by the instance's own CLOCK_MONOTONIC (a guest's clock in a VM); one sample per instance",
      it == kWhat.end() ? op : it->second, kOpMs);
}

struct Row {
  results::DriverResult r;
  std::map<std::string, std::string> options;
  std::map<std::string, std::vector<double>> samples;  // op -> ns per op
};

// One instance: every op once. Fills `row` (samples when `measure`).
Status RunOnce(Driver& d, const std::string& name, Row& row, bool measure) {
  InstanceSpec spec;
  spec.name = name;
  spec.options = row.options;
  spec.probe_args = {"syscall", "--op", OpArg(), "--ms", std::to_string(kOpMs)};
  std::unique_ptr<Instance> inst = CTV_TRY(d.Create(spec));
  CTV_CHECK(inst->Start());
  WorkloadExit exit = CTV_TRY(inst->WaitExit(kExitTimeout));
  RecordFacts(inst->Facts(), row.r);
  std::map<std::string, nlohmann::json> by_op;
  for (auto& j : ProbeJsonLines(exit.output))
    if (j.value("mode", "") == "syscall" && j.contains("ns_per_op")) by_op[j.value("op", "")] = j;
  auto tail = [&] {
    size_t keep = std::min<size_t>(exit.output.size(), 400);
    return exit.output.substr(exit.output.size() - keep);
  };
  if (!exit.status.Success() || by_op.size() != SyscallOps().size())
    return MakeError(
        "run ctv-probe syscall in", name,
        fmt::format("{}, {} of {} ops reported; output ends: {}", exit.status.ToString(),
                    by_op.size(), SyscallOps().size(), tail()));
  for (const auto& op : SyscallOps()) {
    const auto& j = by_op[op];
    row.r.details["loop_iters"][op] = j["iters"];
    if (measure) row.samples[op].push_back(j["ns_per_op"].get<double>());
  }
  return Ok();
}

class SyscallSuite final : public Suite {
 public:
  std::string Name() const override { return "syscall"; }
  std::string Description() const override {
    return "ns per op inside each instance (getppid, vDSO clock, pipe, open+close, stat, page "
           "fault, fork+wait, a console write that leaves a VM), ratio to the host process; "
           "container runtimes also with seccomp=0 (the filter's cost)";
  }
  std::optional<RepetitionDefaults> Defaults() const override { return RepetitionDefaults{3, 1}; }

  Result<results::SuiteResult> Run(const SuiteOptions& o) override {
    results::SuiteResult out;
    out.name = Name();
    out.repetitions = o.repetitions;
    out.warmup = o.warmup;
    for (size_t k = 0; k < o.drivers.size(); ++k) {
      auto rows = RunDriver(*o.drivers[k], o, static_cast<int>(o.drivers.size() - k));
      for (auto& r : rows) out.results.push_back(std::move(r));
      if (Interrupted()) {  // Ctrl-C: keep what was measured, start no other driver
        out.interrupted = true;
        break;
      }
    }
    AddRatios(out);
    return out;
  }

 private:
  std::vector<results::DriverResult> RunDriver(Driver& d, const SuiteOptions& o, int drivers_left) {
    std::map<std::string, std::string> base = UserOptions(o, d);
    std::vector<std::map<std::string, std::string>> variants = {base};
    // The filter's cost alone: the same driver with its seccomp filter off, unless the user chose.
    auto docs = d.Options();
    bool has_seccomp = std::any_of(docs.begin(), docs.end(),
                                   [](const OptionDoc& od) { return od.key == "seccomp"; });
    if (has_seccomp && !base.count("seccomp")) {
      variants[0]["seccomp"] = "1";
      variants.push_back(base);
      variants.back()["seccomp"] = "0";
    }
    Availability a = d.Check();
    std::string skip = a.available ? "" : a.reason;
    if (skip.empty())
      if (Status p = d.Prepare(); !p) skip = "preparation failed: " + p.error().ToString();
    std::vector<Row> rows;
    for (auto& v : variants) {
      Row row;
      row.options = v;
      row.r = NewResult(d, v);
      row.r.accelerator = a.accelerator;
      if (Status s = d.ValidateOptions(v); !s)
        row.r.skipped = s.error().ToString();
      else if (!skip.empty())
        row.r.skipped = skip;
      rows.push_back(std::move(row));
    }
    const int total = o.warmup + o.repetitions;
    const int64_t start = MonotonicNs();
    for (int i = 0; i < total && !Interrupted(); ++i) {
      int measured = std::max(0, i - o.warmup);
      if (OutOfBudget(o, start, i, measured, drivers_left)) {
        for (Row& row : rows) row.r.details["budget"] = BudgetNote(measured, o.repetitions);
        break;
      }
      bool warm = i < o.warmup;
      if (o.progress) o.progress({d.Name(), i, total, warm});
      for (size_t v = 0; v < rows.size(); ++v) {  // variants alternate within a repetition
        Row& row = rows[v];
        if (row.r.skipped || Interrupted()) continue;
        Status s =
            RunOnce(d, fmt::format("ctv-sc-{}-{}-{}-{}", d.Name(), v, ::getpid(), i), row, !warm);
        if (!s && !Interrupted())
          row.r.skipped = fmt::format("repetition {} failed: {}", i + 1, s.error().ToString());
      }
    }
    if (o.progress) o.progress({d.Name(), total, total, false});
    std::vector<results::DriverResult> out;
    for (Row& row : rows) {
      if (!row.r.skipped && row.samples.empty())
        row.r.skipped = "interrupted before the first measured repetition";
      if (!row.r.skipped) {
        for (const auto& op : SyscallOps())
          row.r.metrics.push_back(
              results::MakeMetric("syscall." + op + "_ns", "ns", Interval(op), row.samples[op]));
        row.r.details["op_ms"] = kOpMs;
      } else {
        row.r.details.erase("loop_iters");
      }
      out.push_back(std::move(row.r));
    }
    return out;
  }

  // ratio_to_host: each op's median over the host row's (the first measured host-kind row).
  static void AddRatios(results::SuiteResult& s) {
    const results::DriverResult* host = nullptr;
    for (const auto& r : s.results)
      if (r.kind == DriverKindName(DriverKind::kHost) && !r.skipped && !r.metrics.empty()) {
        host = &r;
        break;
      }
    if (!host) return;
    std::map<std::string, double> floor;
    for (const auto& m : host->metrics) floor[m.name] = m.stats.median;
    for (auto& r : s.results) {
      if (r.skipped) continue;
      for (const auto& m : r.metrics) {
        auto it = floor.find(m.name);
        if (it == floor.end() || it->second <= 0) continue;
        std::string op = m.name.substr(8, m.name.size() - 8 - 3);  // syscall.<op>_ns
        r.details["ratio_to_host"][op] = m.stats.median / it->second;
      }
    }
  }
};

}  // namespace

const std::vector<std::string>& SyscallOps() {
  static const std::vector<std::string> kOps = {"getppid", "clock", "pipe", "openclose",
                                                "stat",    "fault", "fork", "devwrite"};
  return kOps;
}

std::unique_ptr<Suite> MakeSyscallSuite() { return std::make_unique<SyscallSuite>(); }

}  // namespace ctv::bench
