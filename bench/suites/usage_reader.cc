#include "bench/suites/usage_reader.h"

#include <fmt/format.h>

#include <cstdlib>

#include "core/clock.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/detect.h"

namespace ctv::bench {

int64_t ProcessCpuNs(const std::vector<pid_t>& pids) {
  int64_t sum = 0;
  for (pid_t p : pids) {
    std::string task_dir = fmt::format("/proc/{}/task", p);
    auto tasks = fs::ListDir(task_dir);
    if (!tasks) continue;
    for (const std::string& t : *tasks) {
      auto text = ReadFile(task_dir + "/" + t + "/schedstat");  // "run_ns wait_ns slices"
      if (text) sum += std::strtoll(text->c_str(), nullptr, 10);
    }
  }
  return sum;
}

Result<Usage> ReadCgroupUsage(const std::vector<std::string>& dirs) {
  // Mounts do not change during a run: detected once.
  static const Result<cgroup::CgroupMounts> mounts = cgroup::DetectCgroups();
  if (!mounts) return mounts.error();
  Usage u;
  cgroup::PathStats ps = cgroup::ReadStatsOf(*mounts, dirs);
  u.t_ns = MonotonicNs();
  if (ps.version.empty())
    return MakeError("read the cgroup accounting of", dirs.empty() ? "(no directory)" : dirs[0],
                     "in no cgroup hierarchy with controllers (mode " + mounts->mode + ")");
  u.stats = ps.stats;
  u.from_cgroup = true;
  u.cgroup_version = ps.version;
  for (const auto& d : ps.read) u.source += (u.source.empty() ? "" : " ") + d;
  return u;
}

Result<Usage> ReadUsage(const Instance& inst) {
  std::vector<std::string> dirs = inst.CgroupPaths();
  if (!dirs.empty())
    if (auto u = ReadCgroupUsage(dirs)) return u;
  Usage u;
  std::vector<pid_t> pids = inst.HostPids();
  if (pids.empty())
    return MakeError("read the usage of an instance", dirs.empty() ? "" : dirs[0],
                     "no cgroup directory of its own and no live host process");
  u.stats.cpu_usage_ns = ProcessCpuNs(pids);
  u.t_ns = MonotonicNs();
  u.source = "/proc schedstat of host pids";
  for (pid_t p : pids) u.source += " " + std::to_string(p);
  return u;
}

}  // namespace ctv::bench
