// Which cgroup hierarchy a host runs, read from a mountinfo file (a parameter, so unit tests use
// fixtures): "v2" (one cgroup2 mount, the unified hierarchy), "v1" (only v1 controller
// hierarchies), "hybrid" (v1 controllers plus a cgroup2 mount, systemd's "unified" layout, as on
// this project's CI host), or "none".
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::cgroup {

struct CgroupMounts {
  std::string mode;  // "v1", "v2", "hybrid", "none"
  std::string v2_mount;  // mount point of the cgroup2 hierarchy, "" when none
  // v1: controller -> mount point ("memory" -> "/sys/fs/cgroup/memory"). Named hierarchies
  // (name=systemd) are not controllers and are left out.
  std::vector<std::pair<std::string, std::string>> v1_mounts;
  // Controllers that can limit a container: v1 controllers with a hierarchy, plus on a v2-only
  // host those listed in cgroup.controllers of the v2 root (read by the caller, see below).
  std::vector<std::string> controllers;
};

// Parses /proc/self/mountinfo-formatted text.
CgroupMounts ParseCgroupMounts(const std::string& mountinfo);
// Reads `mountinfo_path`, and for a v2 or hybrid host the v2 root's cgroup.controllers (found
// under `root_prefix` + v2_mount, so tests can point it at a fixture tree).
Result<CgroupMounts> DetectCgroups(const std::string& mountinfo_path = "/proc/self/mountinfo",
                                   const std::string& root_prefix = "");

}  // namespace ctv::cgroup
