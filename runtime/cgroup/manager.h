// One cgroup manager interface over cgroup v1 and v2; the backend is picked at run time from the
// host's mounts (detect.h). Every container gets "<parent>/<id>" (parent "ctvbench") in each
// hierarchy it uses: on v2 one directory, on v1 one per controller mount.
//
// Contract: paths are built from a root prefix (tests pass a fixture tree in a temp dir, the
// runtime passes ""); Create() makes the directories and writes the limits; Destroy() kills what
// is left inside and removes the directories, and is idempotent (absent directories are fine).
// Writes of limits for controllers the host lacks fail with an Error naming the file, except
// best-effort ones documented per controller file.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/cgroup/detect.h"

namespace ctv::cgroup {

inline constexpr const char* kParentName = "ctvbench";

struct IoThrottle {
  std::string device;  // "MAJ:MIN"
  std::optional<uint64_t> read_bps, write_bps, read_iops, write_iops;
};

// One device cgroup rule (OCI linux.resources.devices[]): type 'a', 'c' or 'b'; -1 = any number.
struct DeviceRule {
  bool allow = false;
  char type = 'a';
  int64_t major = -1, minor = -1;
  std::string access = "rwm";
  // "c 1:3 rwm", "a *:* rwm": the v1 devices.allow/devices.deny syntax.
  std::string ToString() const {
    auto n = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
    return std::string(1, type) + " " + n(major) + ":" + n(minor) + " " + access;
  }
};

struct Limits {
  std::optional<int64_t> memory_bytes;
  std::optional<int64_t> memory_swap_bytes;  // memory + swap (docker's --memory-swap); -1 = no cap
  // OCI memory.reservation: v1 memory.soft_limit_in_bytes, v2 memory.low; -1 = none.
  std::optional<int64_t> memory_reservation_bytes;
  // OCI memory.kernel: v1 memory.kmem.limit_in_bytes where the kernel still takes it; otherwise
  // (and on v2) skipped with a warning, as runc does (kernel memory is charged to the memory
  // limit since 5.x; the file is gone or refuses writes on recent kernels).
  std::optional<int64_t> memory_kernel_bytes;
  std::optional<uint64_t> memory_swappiness;  // v1 memory.swappiness; v2: warned, skipped (runc)
  // v1 memory.oom_control = 1; v2 has no switch: warned and skipped, as runc does.
  bool memory_disable_oom_killer = false;
  std::optional<double> cpus;                // 0.5 = half a core (quota/period)
  int64_t cpu_period_us = 100000;
  // OCI cpu.period without a quota: the period is still written (runc does), quota unlimited.
  bool cpu_period_given = false;
  std::optional<uint64_t> cpu_shares;  // v1 shares; converted to v2 weight
  // v1 cpu.rt_period_us / cpu.rt_runtime_us (CONFIG_RT_GROUP_SCHED); v2 refuses them.
  std::optional<int64_t> cpu_rt_runtime_us;
  std::optional<uint64_t> cpu_rt_period_us;
  // v1 net_cls.classid / net_prio.ifpriomap ("IFACE PRIO" lines); v2 refuses (no controllers).
  std::optional<uint32_t> net_cls_classid;
  std::vector<std::pair<std::string, uint32_t>> net_prio_ifpriomap;
  // OCI hugepageLimits: page size as the kernel's files name it ("2MB", "1GB") -> bytes. v1
  // hugetlb.<size>.limit_in_bytes, v2 hugetlb.<size>.max, plus the .rsvd. twin where it exists.
  std::vector<std::pair<std::string, uint64_t>> hugetlb;
  std::optional<std::string> cpuset_cpus, cpuset_mems;
  std::optional<int64_t> pids;
  std::optional<uint16_t> io_weight;  // 10..1000 (v1 blkio.weight is 10..1000 too)
  std::vector<IoThrottle> io_throttle;
  // Device cgroup: when `devices` is set, everything is denied, then these rules apply in order
  // (the caller appends the devices the container needs, as runc does). v1: devices.deny/allow;
  // v2: an eBPF program built from the rules (devices_bpf.h).
  bool devices = false;
  std::vector<DeviceRule> device_rules;
  // OCI linux.resources.unified: cgroup v2 file -> value ("memory.high" -> "67108864"), written
  // as given after every structured limit above (runc's order), so a key overrides the field it
  // shares a file with. v2 only: on v1 the container is refused, as runc does. A key must name a
  // file of a controller ("memory.high"), never a path; a file the kernel does not have is an
  // error naming the key.
  std::map<std::string, std::string> unified;
};

struct Stats {
  int64_t memory_usage = 0;  // bytes
  // bytes; nullopt when the kernel does not track it (v2 before 5.19 has no memory.peak).
  std::optional<int64_t> memory_peak;
  int64_t oom_kills = 0;   // processes killed by the OOM killer in this cgroup
  int64_t oom_events = 0;  // times the limit was hit hard enough to invoke OOM
  // v2 memory.events "high": times usage went over memory.high and the kernel throttled the
  // group (reclaim, then a sleep on return to user space). v1 has no memory.high: 0.
  int64_t memory_high_events = 0;
  int64_t cpu_usage_ns = 0;
  int64_t cpu_throttled_ns = 0;
  int64_t cpu_nr_throttled = 0;
  int64_t pids_current = 0;
};

class Manager {
 public:
  virtual ~Manager() = default;
  virtual std::string Version() const = 0;  // "v1" or "v2"
  virtual Status Create(const Limits& limits) = 0;
  // Moves `pid` into the container's cgroup(s).
  virtual Status AddProcess(pid_t pid) = 0;
  // Files a single-threaded process writes "0" to in order to move ITSELF (v1 `tasks` files).
  // Why: writing another process's pid to cgroup.procs takes cgroup_threadgroup_rwsem for
  // writing, whose percpu_down_write waits for an RCU grace period (~10 ms, the biggest single
  // cost of a launch); moving the current thread alone skips that lock. Empty on v2, which uses
  // clone3(CLONE_INTO_CGROUP) with the directory from CloneIntoDir() instead.
  virtual std::vector<std::string> SelfJoinFiles() const = 0;
  virtual std::string CloneIntoDir() const = 0;
  virtual Result<Stats> ReadStats() const = 0;
  // Processes in the cgroup (the pids hierarchy on v1, or the first one present).
  virtual Result<std::vector<pid_t>> Procs() const = 0;
  // SIGKILLs everything inside, then removes the directories. Idempotent.
  virtual Status Destroy() = 0;
  // Every directory of this container (for gc and leak checks).
  virtual std::vector<std::string> Paths() const = 0;
  // At a linux.cgroupsPath: the directories Create made itself (mkdir succeeded), ancestors
  // before descendants. `delete` removes these and only these: a pre-existing cgroup (the path
  // itself or a parent) is someone else's.
  virtual std::vector<std::string> Created() const { return {}; }
};

// An OCI linux.cgroupsPath resolved against one hierarchy, with runc's rules: an absolute path is
// below the hierarchy's root; a relative one is below the caller's own cgroup in that hierarchy
// (`proc_self_cgroup` is /proc/self/cgroup's text; v1: the line naming `controller`; v2, empty
// controller: the PARENT of the "0::" cgroup, as runc's fs2 does, since the caller's own cgroup
// may not have children next to its processes). The result has no leading '/' ("" = the root).
// The systemd form "slice:prefix:name" and `..` components are refused, naming the field.
Result<std::string> ResolveCgroupsPath(const std::string& cgroups_path,
                                       const std::string& proc_self_cgroup,
                                       const std::string& controller);

// Picks v2 on a pure v2 host, v1 otherwise (hybrid hosts keep their controllers on v1).
// `name` is the container's cgroup name under "ctvbench/".
Result<std::unique_ptr<Manager>> NewManager(const CgroupMounts& mounts, const std::string& name,
                                            const std::string& root_prefix = "");
// With a non-empty `cgroups_path` (OCI) the cgroup is there (ResolveCgroupsPath) instead of
// "ctvbench/<name>".
Result<std::unique_ptr<Manager>> NewManagerAt(const CgroupMounts& mounts,
                                              const std::string& cgroups_path,
                                              const std::string& proc_self_cgroup,
                                              const std::string& root_prefix = "");
// The manager of a container whose directories are `dirs` (recorded at create from Paths(), for
// a linux.cgroupsPath): `stats` and `exec` find the cgroup where it is.
Result<std::unique_ptr<Manager>> NewManagerForPaths(const CgroupMounts& mounts,
                                                    const std::vector<std::string>& dirs,
                                                    const std::string& root_prefix = "");
// `rel` (v1): controller -> directory relative to its hierarchy root; empty = "ctvbench/<name>".
std::unique_ptr<Manager> NewV1Manager(
    const CgroupMounts& mounts, const std::string& name, const std::string& root_prefix = "",
    std::vector<std::pair<std::string, std::string>> rel = {});
// `rel` (v2): the directory relative to the root; empty = "ctvbench/<name>".
std::unique_ptr<Manager> NewV2Manager(const std::string& v2_root, const std::string& name,
                                      const std::string& rel = "");

// Every "ctvbench/<name>" directory on this host (all hierarchies), for gc.
std::vector<std::string> ListContainerCgroups(const CgroupMounts& mounts,
                                              const std::string& root_prefix = "");
// Removes the shared "ctvbench" parent in every hierarchy where it is empty (EBUSY, i.e. still in
// use by other containers, is not an error). Appends a line per removed directory to `removed`.
void RemoveEmptyParents(const CgroupMounts& mounts, std::vector<std::string>* removed = nullptr,
                        const std::string& root_prefix = "");
// Kills the processes of one cgroup directory and removes it (gc of an unknown container).
Status KillAndRemove(const std::string& dir);

// The accounting of existing directories known only by path (an instance's groups, whichever
// runtime made them): each is read as the hierarchy it lies in says (v1: memory, cpu, cpuacct,
// pids by their mounts; a pure v2 host: the unified files). Directories in no known hierarchy,
// and a hybrid host's controller-less cgroup2 mount, are left out. `version` is "v1", "v2", or
// "" when nothing was read; `read` lists the directories read.
struct PathStats {
  Stats stats;
  std::string version;
  std::vector<std::string> read;
};
PathStats ReadStatsOf(const CgroupMounts& mounts, const std::vector<std::string>& dirs);

// The huge page sizes this kernel has ("2MB", "1GB"), from /sys/kernel/mm/hugepages, sorted.
std::vector<std::string> HugePageSizes(const std::string& sysfs_dir = "/sys/kernel/mm/hugepages");
// Whether `s` has the form of a page size name: digits then KB, MB, GB or TB ("2MB").
bool ValidPageSizeName(const std::string& s);

// Parses "256m", "1g", "1048576", "512k", "8GiB", "2TB" (docker's suffixes and their KiB/KB
// spellings, all base 1024). Error names the form.
Result<int64_t> ParseBytes(const std::string& s);

// Controller files (one per controller): limits and stats for each hierarchy version.
namespace controller {
Status ApplyMemoryV1(const std::string& dir, const Limits& l);
Status ApplyMemoryV2(const std::string& dir, const Limits& l);
void ReadMemoryV1(const std::string& dir, Stats* s);
void ReadMemoryV2(const std::string& dir, Stats* s);
Status ApplyCpuV1(const std::string& dir, const Limits& l);
Status ApplyCpuV2(const std::string& dir, const Limits& l);
void ReadCpuV1(const std::string& cpu_dir, const std::string& cpuacct_dir, Stats* s);
void ReadCpuV2(const std::string& dir, Stats* s);
Status ApplyPids(const std::string& dir, const Limits& l);  // same files on v1 and v2
void ReadPids(const std::string& dir, Stats* s);
// v1 cpuset needs cpus/mems filled in at every level before a task may join (copied from the
// parent when not set); v2 inherits effective values.
Status PrepareCpusetV1(const std::string& dir);
Status ApplyCpuset(const std::string& dir, const Limits& l, bool v1);
Status ApplyIoV1(const std::string& dir, const Limits& l);
Status ApplyIoV2(const std::string& dir, const Limits& l);
Status ApplyDevicesV1(const std::string& dir, const Limits& l);
Status ApplyNetV1(const std::string& cls_dir, const std::string& prio_dir, const Limits& l);
// hugetlb (hugetlb.cc): a size the kernel has no file for is refused naming the field and value.
Status ApplyHugetlbV1(const std::string& dir, const Limits& l);
Status ApplyHugetlbV2(const std::string& dir, const Limits& l);
// linux.resources.unified (v2): each key checked (a controller's file name, no path) and written.
Status ApplyUnified(const std::string& dir, const Limits& l);
// The controller a unified key belongs to ("memory.high" -> "memory"; "cgroup.*" -> "").
std::string UnifiedController(const std::string& key);
// Shares [2, 262144] -> cpu.weight [1, 10000], the conversion runc and crun use.
uint64_t SharesToWeight(uint64_t shares);
}  // namespace controller

// Small file helpers shared by the backends (tests use them on fixtures).
Result<int64_t> ReadInt(const std::string& path);
// "key value" lines (memory.stat, cpu.stat, memory.events): the value of `key`, or nullopt.
std::optional<int64_t> ReadKey(const std::string& path, const std::string& key);
Status WriteValue(const std::string& path, const std::string& value);
inline std::string OrEmpty(Result<std::string> r) {
  return r ? std::move(r).value() : std::string();
}

}  // namespace ctv::cgroup
