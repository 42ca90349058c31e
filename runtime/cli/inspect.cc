// `ctvrt info` (what the runtime detected on this host, like `docker info`'s cgroup lines) and
// `ctvrt stats ID` (a container's cgroup figures, like `docker stats --no-stream`), both JSON.
// They show what ctvrt itself reads, so a test on a new kernel can compare it with the kernel's
// own files.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/cgroup/manager.h"
#include "runtime/cli/commands.h"
#include "runtime/launch.h"
#include "runtime/lifecycle.h"

namespace ctv::rtcli {
namespace {

using nlohmann::json;

int Info() {
  auto mounts = runtime::HostCgroupMounts();
  if (!mounts) return PrintError(mounts.error());
  const cgroup::CgroupMounts& m = **mounts;
  json v1 = json::object();
  for (const auto& [controller, mount_point] : m.v1_mounts) v1[controller] = mount_point;
  // What NewManager picks (v2 only on a pure v2 host) and how a container joins it.
  std::string backend = m.mode == "v2" ? "v2" : m.v1_mounts.empty() ? "none" : "v1";
  std::string join = backend == "v2" ? "clone_into_cgroup" : backend == "v1" ? "self_join" : "";
  json j = {{"cgroup",
             {{"mode", m.mode},
              {"backend", backend},
              {"join", join},
              {"parent", cgroup::kParentName},
              {"v2_mount", m.v2_mount},
              {"v1_mounts", v1},
              {"controllers", m.controllers}}}};
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

int Stats(const Globals& g, const std::string& who) {
  auto id = runtime::ResolveContainer(g.state_root, who);
  if (!id) return PrintError(id.error());
  // At its linux.cgroupsPath when it was created with one.
  auto mgr = runtime::ContainerCgroup(g.state_root, *id);
  if (!mgr) return PrintError(mgr.error());
  // The cgroup lives until `rm`: a stopped container still has its figures (peak, OOM kills).
  // On v1, Paths() names every hierarchy; the container has directories in those it uses.
  std::vector<std::string> paths;
  for (const std::string& d : (*mgr)->Paths())
    if (::access(d.c_str(), F_OK) == 0) paths.push_back(d);
  if (paths.empty())
    return PrintError(MakeError("read cgroup of container", *id,
                                "it has no cgroup (removed, or run without one)"));
  auto s = (*mgr)->ReadStats();
  if (!s) return PrintError(s.error());
  json j = {{"id", *id},
            {"cgroup_version", (*mgr)->Version()},
            {"cgroup_paths", paths},
            {"memory_usage_bytes", s->memory_usage},
            {"memory_peak_bytes", s->memory_peak ? json(*s->memory_peak) : json(nullptr)},
            {"oom_events", s->oom_events},
            {"oom_kills", s->oom_kills},
            {"memory_high_events", s->memory_high_events},
            {"cpu_usage_ns", s->cpu_usage_ns},
            {"cpu_throttled_ns", s->cpu_throttled_ns},
            {"cpu_nr_throttled", s->cpu_nr_throttled},
            {"pids_current", s->pids_current}};
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace

std::vector<Command> RegisterInspect(CLI::App& root, Globals& g) {
  std::vector<Command> out;
  auto* info = root.add_subcommand("info", "what ctvrt detected on this host (cgroups), as JSON");
  out.push_back({info, [] { return Info(); }});
  auto* stats = root.add_subcommand(
      "stats", "a container's cgroup figures (memory, peak, OOM kills, CPU, pids), as JSON");
  auto id = std::make_shared<std::string>();
  stats->add_option("id", *id)->required();
  out.push_back({stats, [&g, id] { return Stats(g, *id); }});
  return out;
}

}  // namespace ctv::rtcli
