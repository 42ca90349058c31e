#include "bench/suites/cgroup_suite.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/suites/driver_result.h"
#include "bench/suites/probe_json.h"
#include "bench/suites/usage_reader.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/interrupt.h"
#include "core/owned_dir.h"
#include "runtime/cgroup/detect.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

constexpr auto kTimeout = 180s;  // a TCG boot plus the case: seconds; a hang is an error
constexpr uint64_t kMemLimitMib = 64;
constexpr int kTouchMib = 2 * kMemLimitMib;
// memory_high: the mark, and how long the probe may try to touch twice that (throttled, it gets
// nowhere near; unthrottled, 128 MiB take well under a second here).
constexpr uint64_t kHighMib = 64;
constexpr int kHighSeconds = 3;
constexpr double kQuotas[] = {0.25, 0.5, 1.0, 1.5};
constexpr int kSpinThreads = 2;  // enough to use 1.5 cores on this 2-CPU host
// The accounting window: after the spinner's ready marker, settle, then read twice kWindowMs
// apart; the spin outlasts the window by ~0.4 s so a late reading still sees it spinning.
constexpr int kSettleMs = 150, kWindowMs = 500, kSpinMs = 1000;
constexpr int kSharesSpinMs = 1600;  // the second instance may start ~1 s after the first
constexpr uint64_t kSharesLow = 512, kSharesHigh = 1024;
constexpr const char* kCpuset = "0";
constexpr int kPidsLimit = 32, kBombMax = 256;
// io: a fresh file on a host directory mounted as a volume, read with O_DIRECT under a read limit
// on the disk that holds it: 8 MiB at 4 MiB/s, ~2 s.
constexpr uint64_t kIoLimitMibS = 4;
constexpr int kIoReadMib = 8;
constexpr const char* kIoVolume = "/ctv-cgroup-io";
// A VM's memory "limit" is its guest RAM: the probe touches this many times what the guest has.
constexpr int kGuestRamTimes = 2;

std::string QuotaCase(double q) {
  // "cpu_quota_0.25", "cpu_quota_0.5", "cpu_quota_1.0", "cpu_quota_1.5": stable metric names.
  return q == std::floor(q) ? fmt::format("cpu_quota_{:.1f}", q) : fmt::format("cpu_quota_{:g}", q);
}

struct Row {
  results::DriverResult r;
  std::map<std::string, std::string> options;
  std::map<std::string, std::vector<double>> samples;  // metric -> samples
  std::map<std::string, std::string> case_skipped;     // case -> why
  std::map<std::string, std::string> notes;            // case -> evidence worth keeping
  std::string version, source;                         // where the accounting came from
};

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

void NoteSource(Row& row, const Usage& u) {
  if (!u.cgroup_version.empty()) row.version = u.cgroup_version;
  row.source = u.from_cgroup ? "cgroup " + u.cgroup_version + ": " + u.source : u.source;
}

// Two readings to subtract must come from the same accounting (a group that vanished between
// them would mix a cgroup's counter with a process's).
Status SameSource(const Usage& a, const Usage& b) {
  if (a.from_cgroup == b.from_cgroup) return Ok();
  return MakeError("read CPU usage twice from", a.source,
                   "the second reading came from elsewhere: " + b.source);
}

Result<std::unique_ptr<Instance>> Launch(Driver& d, InstanceSpec spec) {
  std::unique_ptr<Instance> inst = CTV_TRY(d.Create(spec));
  CTV_CHECK(inst->Start());
  return inst;
}

// The probe's JSON summary of a finished instance (its last JSON line of `mode`).
Result<nlohmann::json> Summary(Instance& inst, const std::string& name, const std::string& mode) {
  WorkloadExit e = CTV_TRY(inst.WaitExit(kTimeout));
  nlohmann::json last;
  for (auto& j : ProbeJsonLines(e.output))
    if (j.value("mode", "") == mode) last = j;
  if (!e.status.Success() || !last.is_object())
    return MakeError("run ctv-probe " + mode + " in", name,
                     e.status.ToString() + ", output: " + e.output.substr(0, 300));
  return last;
}

// The highest memory figures of an instance's groups while it lives: a runtime may remove its
// groups as soon as the workload dies, so a thread polls every 5 ms and Stop() adds a last read
// of what is still there.
class MemoryPoller {
 public:
  explicit MemoryPoller(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {
    thread_ = std::thread([this] {
      while (!stop_ && !dirs_.empty()) {
        if (auto u = ReadCgroupUsage(dirs_)) Take(*u);
        Sleep(5);
      }
    });
  }
  ~MemoryPoller() { Stop(); }
  const Usage& Stop() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
      if (!dirs_.empty())
        if (auto u = ReadCgroupUsage(dirs_)) Take(*u);
    }
    return best_;
  }

 private:
  void Take(const Usage& u) {
    cgroup::Stats& b = best_.stats;
    b.memory_usage = std::max(b.memory_usage, u.stats.memory_usage);
    b.memory_peak = std::max(b.memory_peak.value_or(0), u.stats.memory_peak.value_or(0));
    b.oom_kills = std::max(b.oom_kills, u.stats.oom_kills);
    b.memory_high_events = std::max(b.memory_high_events, u.stats.memory_high_events);
    best_.cgroup_version = u.cgroup_version;
    best_.source = u.source;
    best_.from_cgroup = true;
  }
  const std::vector<std::string> dirs_;
  std::atomic<bool> stop_{false};
  Usage best_;
  std::thread thread_;
};

double PeakMib(const Usage& u) {
  return static_cast<double>(std::max<int64_t>(u.stats.memory_usage,
                                               u.stats.memory_peak.value_or(0))) /
         (1 << 20);
}

bool KilledBySigkill(const ExitStatus& st) {
  // An OCI runtime or podman reports a SIGKILLed workload as exit 137 (128 + 9).
  return (st.signaled && st.code == SIGKILL) || (!st.signaled && st.code == 128 + SIGKILL);
}

// memory: the probe touches twice the limit; the kernel should kill it.
Status MemoryCase(Driver& d, Row& row, const std::string& name, bool measure) {
  InstanceSpec spec{
      name, {"memtouch", "--mib", std::to_string(kTouchMib), "--ready", "1"}, {}, row.options};
  spec.limits.memory_bytes = kMemLimitMib << 20;
  std::unique_ptr<Instance> inst = CTV_TRY(Launch(d, spec));
  CTV_CHECK(inst->WaitReady(kTimeout));
  const int64_t ready = MonotonicNs();
  MemoryPoller poller(inst->CgroupPaths());
  auto exit = inst->WaitExit(kTimeout);
  const int64_t ended = MonotonicNs();
  const Usage& best = poller.Stop();
  if (!exit) return std::move(exit).error();
  const ExitStatus& st = exit->status;
  bool killed = KilledBySigkill(st);
  if (!killed && !st.Success())
    return MakeError("run ctv-probe memtouch in", name,
                     st.ToString() + " (neither done nor killed by SIGKILL), output: " +
                         exit->output.substr(0, 300));
  if (best.from_cgroup) NoteSource(row, best);
  row.notes["memory"] = "last exit: " + st.ToString();
  if (!measure) return Ok();
  row.samples["cgroup.memory.oom_killed"].push_back(killed ? 1 : 0);
  if (killed) row.samples["cgroup.memory.time_to_kill_ms"].push_back((ended - ready) / 1e6);
  if (best.from_cgroup) {
    row.samples["cgroup.memory.oom_kill_events"].push_back(
        static_cast<double>(best.stats.oom_kills));
    row.samples["cgroup.memory.peak_mib"].push_back(PeakMib(best));
  }
  return Ok();
}

// Why this host cannot set memory.high, or "" when it can (a pure cgroup v2 host).
std::string MemoryHighMissing() {
  static const Result<cgroup::CgroupMounts> mounts = cgroup::DetectCgroups();
  if (!mounts) return "cannot read this host's cgroup mounts: " + mounts.error().ToString();
  if (mounts->mode == "v2") return "";
  return "memory.high is a cgroup v2 file and this host's memory controller is on cgroup v1 "
         "(mode " + mounts->mode + "); ctvrt's memory.high is tested in a v2 guest "
         "(RuntimeCgroupV2InGuest)";
}

// memory_high (cgroup v2): above memory.high the kernel reclaims, then throttles the group (a
// sleep on each return to user space that grows with the overage) instead of killing it. The
// probe tries to touch twice the mark for at most kHighSeconds; with no swap nothing it touched
// can be reclaimed, so it should be held near the mark, alive.
Status MemoryHighCase(Driver& d, Row& row, const std::string& name, bool measure) {
  if (std::string why = MemoryHighMissing(); !why.empty())
    return MakeError("set memory.high for", name, why);
  InstanceSpec spec{name,
                    {"memtouch", "--mib", std::to_string(2 * kHighMib), "--seconds",
                     std::to_string(kHighSeconds), "--ready", "1"},
                    {},
                    row.options};
  spec.limits.memory_high_bytes = kHighMib << 20;
  std::unique_ptr<Instance> inst = CTV_TRY(Launch(d, spec));
  CTV_CHECK(inst->WaitReady(kTimeout));
  MemoryPoller poller(inst->CgroupPaths());
  auto exit = inst->WaitExit(kTimeout);
  const Usage& best = poller.Stop();
  if (!exit) return std::move(exit).error();
  const ExitStatus& st = exit->status;
  bool killed = KilledBySigkill(st);
  nlohmann::json last;
  for (auto& j : ProbeJsonLines(exit->output))
    if (j.value("mode", "") == "memtouch") last = j;
  if (!killed && (!st.Success() || !last.is_object()))
    return MakeError("run ctv-probe memtouch in", name,
                     st.ToString() + " (neither done nor killed by SIGKILL), output: " +
                         exit->output.substr(0, 300));
  if (!best.from_cgroup)
    return MakeError("read the memory accounting of", name,
                     "the instance has no cgroup of its own to read memory.events from");
  NoteSource(row, best);
  row.notes["memory_high"] = fmt::format(
      "last exit: {}; touched {} of {} MiB in at most {} s", st.ToString(),
      last.is_object() ? fmt::format("{:.1f}", last.value("touched_mib", 0.0)) : "?",
      2 * kHighMib, kHighSeconds);
  if (!measure) return Ok();
  row.samples["cgroup.memory_high.killed"].push_back(killed ? 1 : 0);
  row.samples["cgroup.memory_high.high_events"].push_back(
      static_cast<double>(best.stats.memory_high_events));
  row.samples["cgroup.memory_high.usage_peak_mib"].push_back(PeakMib(best));
  if (last.is_object())
    row.samples["cgroup.memory_high.touched_mib"].push_back(last.value("touched_mib", 0.0));
  return Ok();
}

// The VM analogue: no host limit, the guest's RAM is the limit; the probe touches twice what the
// guest has (MemTotal inside), and the guest kernel's OOM killer should end it (SIGKILL, reported
// by the guest's init). Nothing of the host is read: the guest's memory is not a host cgroup.
Status GuestMemoryCase(Driver& d, Row& row, const std::string& name, bool measure) {
  InstanceSpec spec{name,
                    {"memtouch", "--ram-times", std::to_string(kGuestRamTimes), "--ready", "1"},
                    {},
                    row.options};
  std::unique_ptr<Instance> inst = CTV_TRY(Launch(d, spec));
  CTV_CHECK(inst->WaitReady(kTimeout));
  const int64_t ready = MonotonicNs();
  WorkloadExit exit = CTV_TRY(inst->WaitExit(kTimeout));
  const int64_t ended = MonotonicNs();
  const ExitStatus& st = exit.status;
  bool killed = st.signaled && st.code == SIGKILL;
  if (!killed && !st.Success())
    return MakeError("run ctv-probe memtouch in", name,
                     st.ToString() + " (neither done nor killed by SIGKILL), output: " +
                         exit.output.substr(0, 300));
  auto facts = inst->Facts();
  std::string ram = facts.count(fact::kGuestRamMib) ? facts[fact::kGuestRamMib] + " MiB" : "?";
  row.notes["memory"] = fmt::format(
      "guest RAM {} (the VM's limit), the probe touched {}x its MemTotal: last exit {}{}", ram,
      kGuestRamTimes, st.ToString(), killed ? " (the guest kernel's OOM killer)" : "");
  if (!measure) return Ok();
  row.samples["cgroup.memory.guest_oom_killed"].push_back(killed ? 1 : 0);
  if (killed) row.samples["cgroup.memory.time_to_kill_ms"].push_back((ended - ready) / 1e6);
  return Ok();
}

// The whole disk that holds `dir`'s file system, "MAJ:MIN" (a partition's parent: the kernel
// throttles whole disks only), or why there is none.
Result<std::string> DiskOf(const std::string& dir) {
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return ErrnoError("stat", dir);
  std::string dev = fmt::format("{}:{}", major(st.st_dev), minor(st.st_dev));
  std::string sys = "/sys/dev/block/" + dev;
  char real[PATH_MAX];
  if (!::realpath(sys.c_str(), real))
    return MakeError("find the block device of", dir,
                     "its file system (device " + dev +
                         ") is on no block device (tmpfs, overlay, a network file system)");
  if (!fs::Exists(sys + "/partition")) return dev;
  std::string parent = real;
  parent = parent.substr(0, parent.rfind('/'));
  std::string whole = CTV_TRY(ReadFile(parent + "/dev"));
  while (!whole.empty() && (whole.back() == '\n' || whole.back() == ' ')) whole.pop_back();
  return whole;
}

// A fresh file of `mib` MiB, written through and dropped from the page cache.
Status WriteFreshFile(const std::string& path, int mib) {
  Fd fd = CTV_TRY(OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  std::string block(1 << 20, 'c');
  for (int i = 0; i < mib; ++i)
    if (::write(fd.Get(), block.data(), block.size()) != static_cast<ssize_t>(block.size()))
      return ErrnoError("write", path);
  if (::fdatasync(fd.Get()) != 0) return ErrnoError("fdatasync", path);
  ::posix_fadvise(fd.Get(), 0, 0, POSIX_FADV_DONTNEED);
  return Ok();
}

// io: a read limit on the disk under a host directory mounted as a volume; the probe reads a
// fresh file there with O_DIRECT, so the disk (not the page cache) serves every byte.
Status IoCase(Driver& d, Row& row, const std::string& name, bool measure) {
  // On /tmp (a disk, unlike the tmpfs a state dir often is), journaled (core/owned_dir.h):
  // `ctvbench gc` removes it if this run is killed.
  OwnedTempDir volume = CTV_TRY(OwnedTempDir::Create("/tmp", "ctvcg-io-"));
  std::string disk = CTV_TRY(DiskOf(volume.Path()));
  CTV_CHECK(WriteFreshFile(volume.Path() + "/data", kIoReadMib));
  InstanceSpec spec{name,
                    {"blkread", "--mib", std::to_string(kIoReadMib), "--path",
                     std::string(kIoVolume) + "/data"},
                    {},
                    row.options};
  spec.volumes = {{volume.Path(), kIoVolume}};
  spec.limits.io_read = Limits::IoRead{disk, kIoLimitMibS << 20};
  std::unique_ptr<Instance> inst = CTV_TRY(Launch(d, spec));
  nlohmann::json j = CTV_TRY(Summary(*inst, name, "blkread"));
  double got = j.value("mib_per_s", 0.0);
  row.notes["io"] = fmt::format("read limit on disk {} ({}); last read {:.2f} MiB/s", disk,
                                volume.Path().substr(0, 4), got);
  if (!measure) return Ok();
  row.samples["cgroup.io_read.obtained_mib_s"].push_back(got);
  row.samples["cgroup.io_read.error_pct"].push_back((got - kIoLimitMibS) / kIoLimitMibS * 100);
  return Ok();
}

// The CPU the running instance obtains over the window (cores), and its throttling then.
struct Window {
  double cores = 0;
  std::optional<int64_t> nr_throttled, throttled_ns;
};

Result<Window> MeasureWindow(Instance& inst, Row& row) {
  Sleep(kSettleMs);
  Usage a = CTV_TRY(ReadUsage(inst));
  Sleep(kWindowMs);
  Usage b = CTV_TRY(ReadUsage(inst));
  CTV_CHECK(SameSource(a, b));
  NoteSource(row, b);
  Window w;
  w.cores = static_cast<double>(b.stats.cpu_usage_ns - a.stats.cpu_usage_ns) / (b.t_ns - a.t_ns);
  if (b.from_cgroup) {
    w.nr_throttled = b.stats.cpu_nr_throttled - a.stats.cpu_nr_throttled;
    w.throttled_ns = b.stats.cpu_throttled_ns - a.stats.cpu_throttled_ns;
  }
  return w;
}

InstanceSpec SpinSpec(const std::string& name, const Row& row, int ms, int threads) {
  return InstanceSpec{
      name,
      {"cpuspin", "--ms", std::to_string(ms), "--threads", std::to_string(threads), "--ready", "1"},
      {},
      row.options};
}

Status QuotaCase(Driver& d, Row& row, const std::string& name, double q, bool measure) {
  InstanceSpec spec = SpinSpec(name, row, kSpinMs, kSpinThreads);
  spec.limits.cpus = q;
  std::unique_ptr<Instance> inst = CTV_TRY(Launch(d, spec));
  CTV_CHECK(inst->WaitReady(kTimeout));
  Window w = CTV_TRY(MeasureWindow(*inst, row));
  CTV_TRY(Summary(*inst, name, "cpuspin"));
  if (!measure) return Ok();
  std::string c = "cgroup." + QuotaCase(q);
  row.samples[c + ".obtained_cores"].push_back(w.cores);
  row.samples[c + ".error_pct"].push_back((w.cores - q) / q * 100);
  if (w.nr_throttled) {
    row.samples[c + ".nr_throttled"].push_back(static_cast<double>(*w.nr_throttled));
    row.samples[c + ".throttled_ms"].push_back(*w.throttled_ns / 1e6);
  }
  return Ok();
}

std::string Parent(const std::string& dir) { return dir.substr(0, dir.rfind('/')); }

// Two spinners on one CPU at shares 1:2; the same run checks the cpuset seen inside.
Status SharesCase(Driver& d, Row& row, const std::string& name, bool measure) {
  InstanceSpec low = SpinSpec(name + "-a", row, kSharesSpinMs, 1);
  InstanceSpec high = SpinSpec(name + "-b", row, kSharesSpinMs, 1);
  low.limits.cpuset = high.limits.cpuset = kCpuset;
  low.limits.cpu_shares = kSharesLow;
  high.limits.cpu_shares = kSharesHigh;
  std::unique_ptr<Instance> a = CTV_TRY(Launch(d, low));
  std::unique_ptr<Instance> b = CTV_TRY(Launch(d, high));
  CTV_CHECK(a->WaitReady(kTimeout));
  CTV_CHECK(b->WaitReady(kTimeout));
  Sleep(kSettleMs);
  Usage a0 = CTV_TRY(ReadUsage(*a)), b0 = CTV_TRY(ReadUsage(*b));
  Sleep(kWindowMs);
  Usage a1 = CTV_TRY(ReadUsage(*a)), b1 = CTV_TRY(ReadUsage(*b));
  CTV_CHECK(SameSource(a0, a1));
  CTV_CHECK(SameSource(b0, b1));
  NoteSource(row, b1);
  auto pa = a->CgroupPaths(), pb = b->CgroupPaths();
  nlohmann::json ja = CTV_TRY(Summary(*a, low.name, "cpuspin"));
  nlohmann::json jb = CTV_TRY(Summary(*b, high.name, "cpuspin"));
  // Shares divide CPU between sibling groups only; groups below parents of their own each
  // compete at their parent's (default) weight.
  if (!pa.empty() && !pb.empty() && Parent(pa[0]) != Parent(pb[0]))
    row.notes["cpu_shares_1_2"] = "the two instances' groups are not siblings (" + Parent(pa[0]) +
                                  ", " + Parent(pb[0]) +
                                  "): shares only divide CPU between siblings";
  std::string aff_a = ja.value("affinity", ""), aff_b = jb.value("affinity", "");
  row.notes["cpuset"] =
      fmt::format("affinity inside: {} and {} (requested {})", aff_a, aff_b, kCpuset);
  if (!measure) return Ok();
  double used_a = static_cast<double>(a1.stats.cpu_usage_ns - a0.stats.cpu_usage_ns);
  double used_b = static_cast<double>(b1.stats.cpu_usage_ns - b0.stats.cpu_usage_ns);
  if (used_a > 0) {
    double ratio = used_b / used_a, want = static_cast<double>(kSharesHigh) / kSharesLow;
    row.samples["cgroup.cpu_shares_1_2.obtained_ratio"].push_back(ratio);
    row.samples["cgroup.cpu_shares_1_2.error_pct"].push_back((ratio - want) / want * 100);
  }
  row.samples["cgroup.cpuset.affinity_match"].push_back(aff_a == kCpuset && aff_b == kCpuset);
  return Ok();
}

// Can the host still fork (the bomb was contained)?
bool HostForks() {
  pid_t p = ::fork();
  if (p == 0) _exit(0);
  int st = 0;
  return p > 0 && ::waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

Status PidsCase(Driver& d, Row& row, const std::string& name, bool measure) {
  InstanceSpec spec{name, {"forkbomb", "--max", std::to_string(kBombMax)}, {}, row.options};
  spec.limits.pids = kPidsLimit;
  std::unique_ptr<Instance> inst = CTV_TRY(Launch(d, spec));
  nlohmann::json j = CTV_TRY(Summary(*inst, name, "forkbomb"));
  bool host_ok = HostForks();
  row.notes["pids"] = fmt::format(
      "last bomb stopped by {}; host fork afterwards: {}",
      j["stopped_by"].is_null() ? "nothing (all forked)" : j["stopped_by"].get<std::string>(),
      host_ok ? "ok" : "FAILED");
  if (!measure) return Ok();
  double forked = j.value("forked", 0);
  row.samples["cgroup.pids.forked"].push_back(forked);
  // Obtained pids: the children plus the probe itself.
  row.samples["cgroup.pids.error_pct"].push_back((forked + 1 - kPidsLimit) / kPidsLimit * 100);
  row.samples["cgroup.pids.host_fork_ok"].push_back(host_ok);
  return Ok();
}

struct MetricDoc {
  const char* unit;
  const char* interval;
  bool lower_is_better;
};

// What each figure measured, by the end of its name.
MetricDoc DocFor(const std::string& metric) {
  auto ends = [&](const char* s) {
    std::string e = s;
    return metric.size() >= e.size() && metric.compare(metric.size() - e.size(), e.size(), e) == 0;
  };
  // memory_high first: its names share endings with the memory case's.
  if (ends(".memory_high.killed"))
    return {"count",
            "1 when the probe touching 2x memory.high ended by SIGKILL (memory.high should "
            "throttle, never kill), 0 when it finished",
            true};
  if (ends(".memory_high.high_events"))
    return {"count", "`high` in the cgroup's memory.events: times usage went over memory.high",
            false};
  if (ends(".memory_high.usage_peak_mib"))
    return {"MiB",
            "highest of memory.peak and of memory.current polled every 5 ms while the probe "
            "touches up to 2x a memory.high of 64 MiB for at most 3 s",
            true};
  if (ends(".memory_high.touched_mib"))
    return {"MiB",
            "what the probe touched in at most 3 s of trying to touch 128 MiB under a "
            "memory.high of 64 MiB (the probe's own count)",
            false};
  if (ends(".oom_killed"))
    return {"count",
            "1 when the probe touching 2x the memory limit ended by SIGKILL (exit 137 "
            "through an OCI runtime), 0 when it finished",
            false};
  if (ends(".time_to_kill_ms"))
    return {"ms",
            "host time from the probe's ready marker (just before its first touch) to the "
            "harness seeing it end",
            true};
  if (ends(".oom_kill_events"))
    return {"count", "oom_kill in the cgroup's memory.oom_control (v1) / memory.events (v2)",
            false};
  if (ends(".peak_mib"))
    return {"MiB",
            "highest of memory.max_usage_in_bytes / memory.peak and of usage polled every "
            "5 ms, against a 64 MiB limit",
            true};
  if (ends(".obtained_cores"))
    return {"cores",
            "the instance's CPU usage (cgroup cpuacct.usage / cpu.stat usage_usec; a VM "
            "without a group: its QEMU threads' schedstat) over a 500 ms host-clock "
            "window while a 2-thread spinner runs",
            false};
  if (ends(".error_pct")) return {"%", "(obtained - requested) / requested * 100", false};
  if (ends(".nr_throttled"))
    return {"count", "periods throttled during the window (cpu.stat nr_throttled)", false};
  if (ends(".throttled_ms"))
    return {"ms", "time throttled during the window (cpu.stat throttled_time / throttled_usec)",
            false};
  if (ends(".obtained_ratio"))
    return {"ratio",
            "CPU usage of the shares-1024 instance over the shares-512 one, both pinned "
            "to CPU 0 and spinning, over a 500 ms window (requested 2)",
            false};
  if (ends(".affinity_match"))
    return {"count", "1 when sched_getaffinity inside both instances equals the requested cpuset",
            false};
  if (ends(".guest_oom_killed"))
    return {"count",
            "1 when the probe touching 2x the guest's RAM (its MemTotal) inside a VM ended by "
            "SIGKILL (the guest kernel's OOM killer), 0 when it finished",
            false};
  if (ends(".obtained_mib_s"))
    return {"MiB/s",
            "the probe's O_DIRECT read of a fresh 8 MiB file on a volume, 1 MiB blocks, timed by "
            "its own clock, under a 4 MiB/s read limit on the volume's disk",
            false};
  if (ends(".forked"))
    return {"count",
            "children a fork bomb (up to 256) obtained under a pids limit of 32 (the "
            "probe itself is the 32nd)",
            true};
  if (ends(".host_fork_ok"))
    return {"count", "1 when the harness could fork right after the bomb", false};
  return {"", "", true};
}

class CgroupSuite final : public Suite {
 public:
  std::string Name() const override { return "cgroup"; }
  std::string Description() const override {
    return "limits requested vs obtained: memory 64 MiB (OOM kill), memory.high 64 MiB (v2: "
           "throttled, not killed), cpu quota 0.25-1.5 cores, "
           "cpu shares 1:2 on one CPU, cpuset, pids 32 against a fork bomb, io read 4 MiB/s on "
           "a volume's disk (VMs: 2x guest RAM -> guest OOM); error %";
  }
  // 2: each repetition boots every VM five times (memory and four quotas) and the io case reads
  // for 2 s per container; over 3 repetitions on this host the outcomes (OOM kill, pids at the
  // limit, io within 5% of the limit, the guest's OOM kill) were the same every time, so a third
  // repetition added time, not information (docs/suites/cgroup.md).
  std::optional<RepetitionDefaults> Defaults() const override { return RepetitionDefaults{2, 0}; }

  Result<results::SuiteResult> Run(const SuiteOptions& o) override {
    results::SuiteResult out;
    out.name = Name();
    out.repetitions = o.repetitions;
    out.warmup = o.warmup;
    RunEachDriver(o, out, [&](Driver& d, int left) { return RunDriver(d, o, left); });
    return out;
  }

 private:
  results::DriverResult RunDriver(Driver& d, const SuiteOptions& o, int drivers_left) {
    Row row;
    row.options = UserOptions(o, d);
    row.r = NewResult(d, row.options);
    Availability a = d.Check();
    row.r.accelerator = a.accelerator;
    if (!a.available) {
      row.r.skipped = a.reason;
      return row.r;
    }
    if (Status p = d.Prepare(); !p) {
      row.r.skipped = "preparation failed: " + p.error().ToString();
      return row.r;
    }
    struct Case {
      std::string id;
      std::function<Status(const std::string&, bool)> run;
    };
    std::vector<Case> cases;
    // A VM's memory is its guest's RAM (the `memory` option): the guest kernel, not a host cgroup,
    // kills inside it (a host-side cap below the guest's RAM would kill QEMU itself).
    if (d.Kind() == DriverKind::kVm)
      cases.push_back({"memory", [&](const std::string& n, bool m) {
                         return GuestMemoryCase(d, row, n, m);
                       }});
    else
      cases.push_back(
          {"memory", [&](const std::string& n, bool m) { return MemoryCase(d, row, n, m); }});
    // memory.high has no VM analogue (a guest's RAM is fixed at boot): the vm drivers refuse it.
    cases.push_back({"memory_high", [&](const std::string& n, bool m) {
                       return MemoryHighCase(d, row, n, m);
                     }});
    for (double q : kQuotas)
      cases.push_back({QuotaCase(q), [&, q](const std::string& n, bool m) {
                         return QuotaCase(d, row, n, q, m);
                       }});
    cases.push_back(
        {"cpu_shares_1_2", [&](const std::string& n, bool m) { return SharesCase(d, row, n, m); }});
    cases.push_back({"pids", [&](const std::string& n, bool m) { return PidsCase(d, row, n, m); }});
    cases.push_back({"io_read", [&](const std::string& n, bool m) { return IoCase(d, row, n, m); }});

    const int total = o.warmup + o.repetitions;
    const int64_t start = MonotonicNs();
    for (int i = 0; i < total && !Interrupted(); ++i) {
      int measured = std::max(0, i - o.warmup);
      if (OutOfBudget(o, start, i, measured, drivers_left)) {
        row.r.details["budget"] = BudgetNote(measured, o.repetitions);
        break;
      }
      if (o.progress) o.progress({d.Name(), i, total, i < o.warmup});
      for (size_t c = 0; c < cases.size() && !Interrupted(); ++c) {
        if (row.case_skipped.count(cases[c].id)) continue;
        std::string name = fmt::format("ctv-cg-{}-{}-{}-{}", d.Name(), c, ::getpid(), i);
        if (Status s = cases[c].run(name, i >= o.warmup); !s && !Interrupted())
          row.case_skipped[cases[c].id] =
              (i == 0 ? "" : fmt::format("repetition {}: ", i + 1)) + s.error().ToString();
      }
      if (row.case_skipped.size() == cases.size()) break;
    }
    if (o.progress) o.progress({d.Name(), total, total, false});
    Finish(row, cases.size());
    return row.r;
  }

  static void Finish(Row& row, size_t n_cases) {
    results::DriverResult& r = row.r;
    if (row.case_skipped.size() == n_cases) {
      // The same refusal for every case but the instance name in it: said once.
      auto unnamed = [](const std::string& s) {
        size_t a = s.find('`'), b = a == std::string::npos ? a : s.find('`', a + 1);
        if (b == std::string::npos) return s;
        std::string head = s.substr(0, a);
        while (!head.empty() && head.back() == ' ') head.pop_back();
        return head + s.substr(b + 1);
      };
      std::string why = row.case_skipped.begin()->second;
      size_t same = 0;
      for (const auto& [id, reason] : row.case_skipped) same += unnamed(reason) == unnamed(why);
      r.skipped = same == row.case_skipped.size()
                      ? unnamed(why)
                      : "every case failed or was refused (details: skipped_cases); first: " + why;
      r.details["skipped_cases"] = row.case_skipped;
      return;
    }
    if (row.samples.empty()) {
      r.skipped = "interrupted before the first measured repetition";
      return;
    }
    for (auto& [metric, samples] : row.samples) {
      MetricDoc doc = DocFor(metric);
      r.metrics.push_back(
          results::MakeMetric(metric, doc.unit, doc.interval, samples, doc.lower_is_better));
    }
    // Requested values, next to what was obtained, for the report's requested-vs-obtained chart.
    nlohmann::json req = {{"memory_limit_mib", kMemLimitMib},
                          {"memory_touched_mib", kTouchMib},
                          {"memory_high_mib", kHighMib},
                          {"memory_high_touch_mib", 2 * kHighMib},
                          {"memory_high_seconds", kHighSeconds},
                          {"cpu_shares", {kSharesLow, kSharesHigh}},
                          {"cpu_shares_ratio", static_cast<double>(kSharesHigh) / kSharesLow},
                          {"cpuset", kCpuset},
                          {"pids_limit", kPidsLimit},
                          {"fork_bomb_max", kBombMax},
                          {"spinner_threads", kSpinThreads},
                          {"io_read_limit_mib_s", kIoLimitMibS},
                          {"io_read_mib", kIoReadMib},
                          {"guest_ram_times", kGuestRamTimes}};
    for (double q : kQuotas) req[QuotaCase(q)] = q;
    r.details["requested"] = req;
    r.details["cgroup_version"] =
        row.version.empty() ? "none (host process accounting)" : row.version;
    r.details["accounting"] = row.source;
    // Obtained CPU is also what other load on the host left: the run says how busy it was.
    if (auto la = ReadFile("/proc/loadavg"))
      r.details["host_loadavg_at_end"] = la->substr(0, la->find(' '));
    if (!row.case_skipped.empty()) r.details["skipped_cases"] = row.case_skipped;
    if (!row.notes.empty()) r.details["notes"] = row.notes;
  }
};

}  // namespace

std::unique_ptr<Suite> MakeCgroupSuite() { return std::make_unique<CgroupSuite>(); }

}  // namespace ctv::bench
