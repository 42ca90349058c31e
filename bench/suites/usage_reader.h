// What an instance is consuming, read on the host while it runs: the cgroup accounting of its
// groups (Instance::CgroupPaths(), through runtime/cgroup's one v1/v2 reader ReadStatsOf), or,
// for an instance without groups of ours (a VM run by QEMU alone), the CPU time of its host
// processes (the sum of /proc/PID/task/*/schedstat: ns, every thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/driver.h"
#include "runtime/cgroup/manager.h"

namespace ctv::bench {

struct Usage {
  int64_t t_ns = 0;     // host CLOCK_MONOTONIC of the reading
  cgroup::Stats stats;  // from the cgroup; only cpu_usage_ns from /proc otherwise
  bool from_cgroup = false;
  std::string cgroup_version;  // "v1", "v2"; "" when read from /proc
  std::string source;          // the directories or pids read, for the results' details
};

// Fails when neither source gives anything (no groups, no live host process).
Result<Usage> ReadUsage(const Instance& inst);
// The cgroup part alone, for directories taken from an instance earlier (a poller thread reads
// them while the suite's thread waits for the instance). Fails when none is in a known hierarchy.
Result<Usage> ReadCgroupUsage(const std::vector<std::string>& dirs);

// The CPU time (ns) of `pids` and all their threads, from /proc/PID/task/*/schedstat.
int64_t ProcessCpuNs(const std::vector<pid_t>& pids);

}  // namespace ctv::bench
