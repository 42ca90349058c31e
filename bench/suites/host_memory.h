// What an instance costs the host in memory, read from /proc and the cgroup files the way the
// kernel reports it: the one reader the footprint and density suites share. Every function takes
// its roots (`proc`, usually "/proc"; the cgroup mounts) as parameters, so unit tests run on
// fixture trees.
//
// Words (smaps(5)): RSS counts every resident page a process maps; PSS divides each page by the
// number of processes mapping it (a page shared by 10 counts 1/10 in each), so PSS summed over
// processes is the memory they really hold together; USS counts only pages no other process maps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/cgroup/detect.h"

namespace ctv::bench {

struct MemoryFigures {
  uint64_t rss_kib = 0, pss_kib = 0, uss_kib = 0;
  MemoryFigures& operator+=(const MemoryFigures& o) {
    rss_kib += o.rss_kib;
    pss_kib += o.pss_kib;
    uss_kib += o.uss_kib;
    return *this;
  }
};

// One process: /proc/PID/smaps_rollup (Rss, Pss, Private_Clean + Private_Dirty).
Result<MemoryFigures> ReadProcessMemory(pid_t pid, const std::string& proc = "/proc");
// Summed over `pids`; a pid that has gone is an error naming it (the instance lost a process).
Result<MemoryFigures> ReadProcessesMemory(const std::vector<pid_t>& pids,
                                          const std::string& proc = "/proc");

// One mapping of /proc/PID/smaps.
struct Mapping {
  std::string path;  // "" for anonymous memory; "[heap]", "/usr/bin/qemu-system-x86_64"...
  uint64_t size_kib = 0, rss_kib = 0, pss_kib = 0;
  bool FileBacked() const { return !path.empty() && path[0] == '/' && path.rfind("/memfd:", 0); }
};
Result<std::vector<Mapping>> ReadMappings(pid_t pid, const std::string& proc = "/proc");
// RSS/PSS of the mappings of files (a program and its libraries: the pages an image's files put in
// the page cache, shared by every process mapping the same file).
MemoryFigures FileBackedMemory(const std::vector<Mapping>& maps);
// The anonymous mapping holding a guest's RAM in its VMM: the largest one at least `guest_kib`
// and at most 8 MiB larger (QEMU aligns its RAM block); nullopt when none fits.
std::optional<Mapping> GuestRamMapping(const std::vector<Mapping>& maps, uint64_t guest_kib);

// /proc/meminfo fields in KiB.
struct MemInfo {
  uint64_t total_kib = 0, available_kib = 0, swap_total_kib = 0, swap_free_kib = 0;
};
Result<MemInfo> ReadMemInfo(const std::string& proc = "/proc");
// A counter of /proc/vmstat ("oom_kill", "pswpout"); 0 when the kernel does not have it.
uint64_t ReadVmstat(const std::string& key, const std::string& proc = "/proc");

// The memory cgroup usage (v1 memory.usage_in_bytes, v2 memory.current) of the cgroups that
// belong to the instance alone: the memory cgroups of `pids` whose every process is one of
// `pids`. A cgroup shared with other processes (a plain host process sits in the harness's own
// cgroup) is not counted; `why_none` says why when nothing was counted.
struct CgroupMemory {
  uint64_t usage_kib = 0;
  std::optional<uint64_t> kernel_kib;  // v1 memory.kmem.usage_in_bytes; v2 memory.stat kernel
  std::vector<std::string> dirs;       // what was read
};
std::optional<CgroupMemory> InstanceCgroupMemory(const std::vector<pid_t>& pids,
                                                 const cgroup::CgroupMounts& mounts,
                                                 std::string* why_none,
                                                 const std::string& proc = "/proc",
                                                 const std::string& root_prefix = "");

// The upper (writable) directory of the overlay mounted as `pid`'s root, as its mountinfo names
// it; an error says why there is none (not an overlay root, a relative path...).
Result<std::string> OverlayUpperDir(pid_t pid, const std::string& proc = "/proc");

// KSM (kernel samepage merging) as /sys/kernel/mm/ksm reports it; nullopt: no KSM.
struct KsmState {
  bool running = false;
  uint64_t pages_sharing = 0;  // pages of processes that point at a merged page
};
std::optional<KsmState> ReadKsm(const std::string& sys = "/sys");

}  // namespace ctv::bench
