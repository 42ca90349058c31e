#include "bench/suites/footprint_suite.h"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "bench/suites/driver_result.h"
#include "bench/suites/host_memory.h"
#include "bench/suites/instances.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/interrupt.h"
#include "runtime/cgroup/manager.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kDefaultBatch = 10;
constexpr const char* kKsmRun = "/sys/kernel/mm/ksm/run";

// After the ready marker a guest kernel still settles (deferred work, its page cache) for a
// moment; a process does not. Measured once this much later.
std::chrono::milliseconds SettleTime(DriverKind kind) {
  return kind == DriverKind::kVm ? 1000ms : 200ms;
}

// --ksm on|off: KSM's `run` switched for the suite and put back as it was (RAII), so a run never
// leaves the host's memory policy changed.
class KsmSwitch {
 public:
  KsmSwitch() = default;
  KsmSwitch(const KsmSwitch&) = delete;
  KsmSwitch& operator=(const KsmSwitch&) = delete;
  Status Set(bool on) {
    auto before = ReadFile(kKsmRun);
    if (!before) return MakeError("switch KSM", kKsmRun, "this kernel has no KSM");
    if (!restore_) restore_ = before->substr(0, 1);
    return cgroup::WriteValue(kKsmRun, on ? "1" : "0");
  }
  ~KsmSwitch() {
    if (restore_) (void)cgroup::WriteValue(kKsmRun, *restore_);
  }

 private:
  std::optional<std::string> restore_;
};

// What one ready instance costs, read from the host.
struct Reading {
  MemoryFigures total;
  std::optional<CgroupMemory> cgroup;
  std::string cgroup_why_none;
  std::optional<uint64_t> guest_ram_kib;             // VMs: configured
  std::optional<Mapping> guest_ram;                  // VMs: the mapping holding it
  MemoryFigures image;                               // the pages of its image (see header)
  std::optional<uint64_t> upper_bytes;               // containers: writable layer on disk
  std::string upper_why_none;
};

Result<Reading> Read(const Instance& inst, const cgroup::CgroupMounts& mounts) {
  Reading r;
  std::vector<pid_t> pids = inst.HostPids();
  if (pids.empty()) return MakeError("measure", "instance", "it reports no host process");
  r.total = CTV_TRY(ReadProcessesMemory(pids));
  r.cgroup = InstanceCgroupMemory(pids, mounts, &r.cgroup_why_none);
  auto facts = inst.Facts();
  if (auto it = facts.find(fact::kGuestRamMib); it != facts.end())
    r.guest_ram_kib = std::strtoull(it->second.c_str(), nullptr, 10) * 1024;
  for (pid_t p : pids) {
    auto maps = ReadMappings(p);
    if (!maps) continue;
    if (r.guest_ram_kib) {
      if (auto g = GuestRamMapping(*maps, *r.guest_ram_kib)) {
        r.guest_ram = g;
        r.image += MemoryFigures{g->rss_kib, g->pss_kib, 0};
      }
    } else {
      r.image += FileBackedMemory(*maps);
    }
  }
  for (pid_t p : pids) {
    auto upper = OverlayUpperDir(p);
    if (!upper) {
      r.upper_why_none = upper.error().ToString();
      continue;
    }
    auto bytes = fs::DiskUsage(*upper);
    if (bytes) {
      r.upper_bytes = *bytes;
      break;
    }
    r.upper_why_none = bytes.error().ToString();
  }
  return r;
}

std::string InstanceName(const Driver& d, const char* part, int i) {
  return fmt::format("ctv-fp-{}-{}-{}-{}", d.Name(), ::getpid(), part, i);
}

class FootprintSuite final : public Suite {
 public:
  std::string Name() const override { return "footprint"; }
  std::string Description() const override {
    return "memory one idle instance costs the host: PSS of its host processes, its cgroup, the "
           "MemAvailable drop per instance over a batch, VM overhead, layers shared";
  }
  std::vector<SuiteParam> Parameters() const override {
    return {{"batch", "K",
             "instances started together for the MemAvailable drop and the sharing figures "
             "(default 10)"},
            {"ksm", "on|off",
             "KSM page merging during the run (restored after; default: as the host has it)"}};
  }
  Status ValidateParameters(const std::map<std::string, std::string>& p) const override {
    if (auto it = p.find("batch"); it != p.end()) {
      char* end = nullptr;
      long k = std::strtol(it->second.c_str(), &end, 10);
      if (it->second.empty() || *end || k < 2 || k > 1000)
        return MakeError("suite parameter", "--batch " + it->second,
                         "expected a whole number from 2 to 1000");
    }
    if (auto it = p.find("ksm"); it != p.end() && it->second != "on" && it->second != "off")
      return MakeError("suite parameter", "--ksm " + it->second, "expected on or off");
    return Ok();
  }

  Result<results::SuiteResult> Run(const SuiteOptions& o) override {
    results::SuiteResult out;
    out.name = Name();
    out.repetitions = o.repetitions;
    out.warmup = o.warmup;
    KsmSwitch ksm;
    if (std::string want = Param(o.params, "ksm"); !want.empty())
      CTV_CHECK(ksm.Set(want == "on"));
    auto mounts = CTV_TRY(cgroup::DetectCgroups());
    int batch = std::atoi(Param(o.params, "batch", std::to_string(kDefaultBatch)).c_str());
    RunEachDriver(o, out,
                  [&](Driver& d, int left) { return RunDriver(d, o, mounts, batch, left); });
    return out;
  }

 private:
  results::DriverResult RunDriver(Driver& d, const SuiteOptions& o,
                                  const cgroup::CgroupMounts& mounts, int batch,
                                  int drivers_left) {
    const std::map<std::string, std::string> options = UserOptions(o, d);
    results::DriverResult r = NewResult(d, options);
    if (std::string why = CheckAndPrepare(d, r); !why.empty()) {
      r.skipped = why;
      return r;
    }
    r.details["cgroup_mode"] = mounts.mode;
    if (auto k = ReadKsm()) r.details["ksm_running"] = k->running;
    if (Status s = MeasureSingles(d, o, options, mounts, drivers_left, r); !s) {
      r.skipped = s.error().ToString();
      r.metrics.clear();
      return r;
    }
    if (Interrupted()) return r;
    if (Status s = MeasureBatch(d, o, options, mounts, batch, r); !s)
      r.details["batch_error"] = s.error().ToString();
    return r;
  }

  // Part 1: n single instances.
  Status MeasureSingles(Driver& d, const SuiteOptions& o,
                        const std::map<std::string, std::string>& options,
                        const cgroup::CgroupMounts& mounts, int drivers_left,
                        results::DriverResult& r) {
    std::map<std::string, std::vector<double>> v;
    std::string cgroup_why_none;
    int total = o.warmup + o.repetitions + 1;  // +1: the batch, as one step of progress
    const int64_t start = MonotonicNs();
    int measured = 0;
    for (int i = 0; i < o.warmup + o.repetitions; ++i) {
      if (Interrupted()) break;
      if (OutOfBudget(o, start, i, measured, drivers_left)) {
        r.details["budget"] = BudgetNote(measured, o.repetitions);
        break;
      }
      bool warm = i < o.warmup;
      if (o.progress) o.progress({d.Name(), i, total, warm});
      auto inst = StartIdle(d, InstanceName(d, "one", i), options);
      if (!inst) return MakeError("repetition " + std::to_string(i + 1), d.Name(),
                                  inst.error().ToString());
      std::this_thread::sleep_for(SettleTime(d.Kind()));
      auto reading = Read(**inst, mounts);
      RecordFacts((*inst)->Facts(), r);
      (void)(*inst)->Stop(kIdleStopTimeout);
      inst->reset();
      if (!reading) return std::move(reading).error();
      if (warm) continue;
      ++measured;
      const Reading& x = *reading;
      v["pss"].push_back(x.total.pss_kib);
      v["rss"].push_back(x.total.rss_kib);
      v["uss"].push_back(x.total.uss_kib);
      if (x.cgroup) {
        v["cgroup"].push_back(x.cgroup->usage_kib);
        if (x.cgroup->kernel_kib) v["cgroup_kernel"].push_back(*x.cgroup->kernel_kib);
        r.details["cgroup_dirs"] = x.cgroup->dirs;
      } else {
        cgroup_why_none = x.cgroup_why_none;
      }
      if (x.guest_ram_kib) {
        v["guest_ram"].push_back(*x.guest_ram_kib);
        if (x.guest_ram) {
          v["touched"].push_back(x.guest_ram->rss_kib);
          v["overhead"].push_back(x.total.pss_kib - std::min(x.total.pss_kib, x.guest_ram->pss_kib));
        }
      }
    }
    if (o.progress) o.progress({d.Name(), o.warmup + o.repetitions, total, false});
    if (v["pss"].empty()) return MakeError("measure", d.Name(), "interrupted before a sample");
    r.details["host_processes"] =
        "PSS/RSS/USS sum every host process the instance needs (Instance::HostPids: the workload, "
        "and its shim, conmon, gVisor sentry and gofer, or QEMU); daemons the instances share "
        "(libvirt's, podman's none) are not counted";
    auto add = [&](const char* key, const char* name, const char* unit, std::string interval) {
      if (!v[key].empty())
        r.metrics.push_back(results::MakeMetric(name, unit, std::move(interval), v[key]));
    };
    add("pss", "footprint.pss_kib", "KiB",
        "PSS of the instance's host processes, one idle instance, ready + settled");
    add("rss", "footprint.rss_kib", "KiB",
        "RSS of the instance's host processes (shared pages counted whole), one idle instance");
    add("uss", "footprint.uss_kib", "KiB",
        "USS (pages no other process maps) of the instance's host processes, one idle instance");
    add("cgroup", "footprint.cgroup_kib", "KiB",
        mounts.mode == "v2" ? "memory.current of the instance's own cgroup(s), one idle instance"
                            : "memory.usage_in_bytes of the instance's own memory cgroup(s) (v1), "
                              "one idle instance");
    add("cgroup_kernel", "footprint.cgroup_kernel_kib", "KiB",
        "kernel memory charged to the instance's cgroup (v1 memory.kmem.usage_in_bytes, v2 "
        "memory.stat kernel)");
    if (v["cgroup"].empty() && !cgroup_why_none.empty()) r.details["cgroup_none"] = cgroup_why_none;
    add("guest_ram", "footprint.vm_guest_ram_kib", "KiB", "guest RAM configured for the VM");
    add("touched", "footprint.vm_touched_kib", "KiB",
        "host-resident part of the guest-RAM mapping in the VMM: RAM the guest really touched");
    add("overhead", "footprint.vm_overhead_kib", "KiB",
        "the VMM's own memory: its PSS minus the PSS of its guest-RAM mapping");
    return Ok();
  }

  // Part 2: K instances kept running together.
  Status MeasureBatch(Driver& d, const SuiteOptions& o,
                      const std::map<std::string, std::string>& options,
                      const cgroup::CgroupMounts& mounts, int batch, results::DriverResult& r) {
    int total = o.warmup + o.repetitions + 1;
    if (o.progress) o.progress({d.Name(), total - 1, total, false});
    std::vector<std::unique_ptr<Instance>> running;
    std::vector<double> drops;
    auto ksm_before = ReadKsm();
    MemInfo last = CTV_TRY(ReadMemInfo());
    const uint64_t available0 = last.available_kib;
    Status failed;
    for (int i = 0; i < batch && !Interrupted(); ++i) {
      auto inst = StartIdle(d, InstanceName(d, "batch", i), options);
      if (!inst) {
        failed = std::move(inst).error();
        break;
      }
      running.push_back(std::move(inst).value());
      std::this_thread::sleep_for(SettleTime(d.Kind()));
      MemInfo now = CTV_TRY(ReadMemInfo());
      drops.push_back(static_cast<double>(last.available_kib) -
                      static_cast<double>(now.available_kib));
      last = now;
    }
    std::vector<double> pss, shared, upper;
    for (const auto& inst : running) {
      auto x = Read(*inst, mounts);
      if (!x) continue;
      pss.push_back(x->total.pss_kib);
      if (x->image.rss_kib > 0)
        shared.push_back(100.0 * static_cast<double>(x->image.rss_kib - std::min(x->image.rss_kib, x->image.pss_kib)) /
                         static_cast<double>(x->image.rss_kib));
      if (x->upper_bytes)
        upper.push_back(static_cast<double>(*x->upper_bytes));
      else if (!x->upper_why_none.empty())
        r.details["upper_dir_none"] = x->upper_why_none;
    }
    auto ksm_after = ReadKsm();
    int k = static_cast<int>(running.size());
    StopAll(running);
    if (o.progress) o.progress({d.Name(), total, total, false});
    if (!failed) {
      if (k < 2) return failed;
      r.details["batch_error"] = failed.error().ToString();
    }
    if (k < 2) return MakeError("batch", d.Name(), "interrupted before 2 instances ran");
    r.details["batch"] = k;
    r.details["batch_memavailable_drop_kib"] = available0 - std::min(available0, last.available_kib);
    if (ksm_before && ksm_after)
      r.details["ksm_pages_sharing_change"] =
          static_cast<int64_t>(ksm_after->pages_sharing) - static_cast<int64_t>(ksm_before->pages_sharing);
    r.metrics.push_back(results::MakeMetric(
        "footprint.memavailable_drop_kib", "KiB",
        fmt::format("host MemAvailable drop per instance, {} started one after another and kept "
                    "running (kernel objects included; host-wide: other activity counts too)",
                    k),
        drops));
    r.metrics.push_back(results::MakeMetric(
        "footprint.pss_at_k_kib", "KiB",
        fmt::format("PSS of each instance's host processes while {} of them run", k), pss));
    if (!shared.empty())
      r.metrics.push_back(results::MakeMetric(
          "footprint.image_shared_pct", "%",
          fmt::format("share of the resident pages of the instance's image (containers: its "
                      "files' mappings; VMs: guest RAM, which holds its own kernel and initramfs) "
                      "that other processes map too, (RSS-PSS)/RSS with {} running; shared by "
                      "all {} = {:.0f}%",
                      k, k, 100.0 * (k - 1) / k),
          shared, /*lower_is_better=*/false));
    if (!upper.empty())
      r.metrics.push_back(results::MakeMetric(
          "footprint.upper_dir_bytes", "bytes",
          "disk bytes of the instance's writable layer (overlay upperdir), idle instance", upper));
    return Ok();
  }
};

}  // namespace

std::unique_ptr<Suite> MakeFootprintSuite() { return std::make_unique<FootprintSuite>(); }

}  // namespace ctv::bench
