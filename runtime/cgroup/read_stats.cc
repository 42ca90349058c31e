// ReadStatsOf: the accounting of cgroup directories known only by path (an instance's groups,
// made by whichever runtime: ctvrt, runc, crun, podman...), read with the same per-controller
// readers the managers use, so v1 and v2 are read one way everywhere.
#include <string>

#include "runtime/cgroup/manager.h"

namespace ctv::cgroup {
namespace {

bool Below(const std::string& dir, const std::string& mount) {
  return !mount.empty() && dir.size() > mount.size() && dir.compare(0, mount.size(), mount) == 0 &&
         dir[mount.size()] == '/';
}

}  // namespace

PathStats ReadStatsOf(const CgroupMounts& mounts, const std::vector<std::string>& dirs) {
  PathStats out;
  // A hybrid host's cgroup2 mount holds no controllers: only a pure v2 host is read as v2.
  if (mounts.mode == "v2") {
    for (const std::string& d : dirs) {
      if (!Below(d, mounts.v2_mount)) continue;
      controller::ReadMemoryV2(d, &out.stats);
      controller::ReadCpuV2(d, &out.stats);
      controller::ReadPids(d, &out.stats);
      out.version = "v2";
      out.read.push_back(d);
      break;
    }
    return out;
  }
  std::string cpu, acct;
  for (const std::string& d : dirs) {
    for (const auto& [controller, mount] : mounts.v1_mounts) {
      if (!Below(d, mount)) continue;
      bool used = true;
      if (controller == "memory")
        controller::ReadMemoryV1(d, &out.stats);
      else if (controller == "pids")
        controller::ReadPids(d, &out.stats);
      else if (controller == "cpu")
        cpu = d;
      else if (controller == "cpuacct")
        acct = d;
      else
        used = false;
      if (used && (out.read.empty() || out.read.back() != d)) out.read.push_back(d);
    }
  }
  if (!cpu.empty() || !acct.empty())
    controller::ReadCpuV1(cpu.empty() ? acct : cpu, acct.empty() ? cpu : acct, &out.stats);
  if (!out.read.empty()) out.version = "v1";
  return out;
}

}  // namespace ctv::cgroup
