#include "bench/suites/security_suite.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bench/suites/driver_result.h"
#include "bench/suites/probe_json.h"
#include "core/fd.h"
#include "core/interrupt.h"
#include "core/text.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// ~25 forks and a 32 MiB write; a TCG guest boots in tens of seconds.
constexpr auto kExitTimeout = 300s;

class SecuritySuite final : public Suite {
 public:
  std::string Name() const override { return "security"; }
  std::string Description() const override {
    return "breakout attempts inside a default instance of each driver (mount, reboot, module "
           "load, sysrq, kcore, /dev/mem, the disk, mknod, hostname, clock, ptrace, raw socket, "
           "exe overwrite, leaked fd, user ns, keyctl, bpf, userfaultfd, perf, cgroup limits, "
           "disk fill): denied or allowed, with the errno";
  }
  std::optional<RepetitionDefaults> Defaults() const override { return RepetitionDefaults{1, 0}; }

  Result<results::SuiteResult> Run(const SuiteOptions& o) override {
    results::SuiteResult out;
    out.name = Name();
    // Evidence, not statistics: one instance per driver, never skipped for a time budget (which
    // cuts repetitions, and this suite has one).
    out.repetitions = 1;
    out.warmup = 0;
    auto host_boot = ReadFile("/proc/sys/kernel/random/boot_id");
    const std::string host_boot_id = host_boot ? Trim(*host_boot) : "";
    const int total = static_cast<int>(o.drivers.size());
    int done = 0;
    RunEachDriver(o, out, [&](Driver& d, int) {
      if (o.progress) o.progress({d.Name(), done, total, false});
      const std::map<std::string, std::string> options = UserOptions(o, d);
      results::DriverResult r = NewResult(d, options);
      if (std::string why = CheckAndPrepare(d, r); !why.empty()) {
        r.skipped = why;
      } else if (Status s = RunDriver(d, options, host_boot_id, r); !s) {
        r.skipped = "breakout attempts failed: " + s.error().ToString();
        r.metrics.clear();
      }
      ++done;
      return r;
    });
    if (o.progress) o.progress({"all drivers", total, total, false});
    return out;
  }

 private:
  static Status RunDriver(Driver& d, const std::map<std::string, std::string>& options,
                          const std::string& host_boot_id, results::DriverResult& r) {
    InstanceSpec spec;
    spec.name = fmt::format("ctvsec{}{}", d.Name(), ::getpid());
    spec.options = options;
    spec.probe_args = {"breakout", "--disk-mib", std::to_string(kBreakoutDiskMib)};
    std::unique_ptr<Instance> inst = CTV_TRY(d.Create(spec));
    CTV_CHECK(inst->Start());
    WorkloadExit exit = CTV_TRY(inst->WaitExit(kExitTimeout));
    RecordFacts(inst->Facts(), r);
    json report;
    for (auto& j : ProbeJsonLines(exit.output))
      if (j.value("mode", "") == "breakout" && j.contains("attempts")) report = std::move(j);
    if (report.is_null()) {
      size_t keep = std::min<size_t>(exit.output.size(), 400);
      return MakeError("run ctv-probe breakout in", spec.name,
                       fmt::format("{}, no report; output ends: {}", exit.status.ToString(),
                                   exit.output.substr(exit.output.size() - keep)));
    }
    const std::string boot = report.value("boot_id", "");
    r.details["own_kernel"] = !boot.empty() && !host_boot_id.empty() && boot != host_boot_id;
    r.details["breakout"] = {{"attempts", report["attempts"]},
                             {"disk_mib", report.value("disk_mib", 0)}};
    int denied = 0, allowed = 0;
    for (const json& a : report["attempts"]) {
      const std::string name = a.value("name", ""), result = a.value("result", "");
      if (result != "denied" && result != "allowed") continue;  // skipped: no metric
      const bool no = result == "denied";
      (no ? denied : allowed)++;
      r.metrics.push_back(results::MakeMetric(
          "breakout." + name, "denied",
          "1 when the attempt was denied inside the instance, 0 when it succeeded (ctv-probe "
          "breakout, one instance with the driver's defaults)",
          {no ? 1.0 : 0.0}, /*lower_is_better=*/false));
    }
    r.metrics.push_back(results::MakeMetric("breakout.denied", "count",
                                            "attempts denied inside the instance",
                                            {static_cast<double>(denied)}, false));
    r.metrics.push_back(results::MakeMetric("breakout.allowed", "count",
                                            "attempts that succeeded inside the instance",
                                            {static_cast<double>(allowed)}));
    return Ok();
  }
};

}  // namespace

const std::vector<std::string>& BreakoutAttempts() {
  static const std::vector<std::string> kAttempts = {
      "mount",         "remount_root_rw",     "reboot",
      "module_load",   "sysrq",               "proc_kcore",
      "dev_mem",       "host_block_device",   "mknod",
      "hostname",      "clock",               "ptrace_other_process",
      "raw_socket",    "proc_self_exe_write", "proc_pid_exe_write",
      "leaked_fd_or_cwd", "unshare_userns",   "keyctl",
      "bpf",           "userfaultfd",         "perf_event_open",
      "cgroup_write",  "disk_fill"};
  return kAttempts;
}

std::unique_ptr<Suite> MakeSecuritySuite() { return std::make_unique<SecuritySuite>(); }

}  // namespace ctv::bench
