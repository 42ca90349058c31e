#include "runtime/gc.h"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/manager.h"
#include "runtime/launch.h"
#include "runtime/lifecycle.h"
#include "runtime/state.h"

namespace ctv::runtime {
namespace {


bool OlderThan(const std::string& path, int seconds) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return true;
  return ::time(nullptr) - st.st_mtime > seconds;
}

}  // namespace

Status CollectGarbage(const std::string& state_root, std::vector<std::string>* removed) {
  return CollectGarbage(state_root, removed, GcOptions{});
}

Status CollectGarbage(const std::string& root_arg, std::vector<std::string>* removed,
                      const GcOptions& options) {
  // Accept the ctvbench state dir too ("/run/ctvbench"): its containers live in containers/.
  // Never treat its other subdirs (net/, vm/, cache/) as containers.
  std::string state_root = root_arg;
  while (state_root.size() > 1 && state_root.back() == '/') state_root.pop_back();
  if (!state_root.ends_with("/containers") && fs::Exists(state_root + "/containers"))
    state_root += "/containers";
  Status first;
  auto note = [&](Status s) {
    if (!s && first) first = s;
  };
  std::vector<std::string> ids = CTV_TRY(ListContainers(state_root));
  for (const std::string& id : ids) {
    std::string dir = StateDir(state_root, id);
    auto st = LoadState(state_root, id);
    bool orphan;
    if (st) {
      orphan = !ProcessAlive(st->monitor_pid, st->monitor_start);
    } else {
      // A crash between mkdir and the first state write; give a concurrent creator time. Only
      // generated ids ("ctv...") qualify: a dir without state.json may be anything else.
      orphan = id.rfind("ctv", 0) == 0 && OlderThan(dir, 5);
    }
    if (!orphan) continue;
    Status s = DeleteContainer(state_root, id, /*force=*/true);
    note(s);
    if (s && removed) removed->push_back("container " + id + " (" + dir + ")");
  }
  // Logs of shims killed before their container dir existed (".<id>.<pid>.log", pid dead).
  if (auto names = fs::ListDir(state_root)) {
    for (const std::string& n : *names) {
      if (n.size() < 6 || n[0] != '.' || !n.ends_with(".log")) continue;
      std::string stem = n.substr(1, n.size() - 5);  // "<id>.<pid>"
      size_t dot = stem.rfind('.');
      if (dot == std::string::npos || dot == 0) continue;
      RemoveShimTempLogs(state_root, stem.substr(0, dot), removed);
    }
  }
  if (!options.sweep_orphan_cgroups) return first;
  const cgroup::CgroupMounts* mounts = CTV_TRY(HostCgroupMounts());
  for (const std::string& cg : cgroup::ListContainerCgroups(*mounts)) {
    std::string name = cg.substr(cg.rfind('/') + 1);
    if (fs::Exists(StateDir(state_root, name))) continue;
    // Only empty ones: a ctvrt container always has its state dir before its cgroup (so a
    // populated cgroup without one belongs to another runtime or another state root, e.g. the
    // runc/crun peers, and is not ours to kill).
    if (!cgroup::OrEmpty(ReadFile(cg + "/cgroup.procs")).empty()) continue;
    // A young empty cgroup is removed too: sparing those for 30 s (a concurrent launch from
    // another state root makes its cgroup just before its process joins) left the cgroup of a
    // container that a SIGKILLed run was deleting (DeleteContainer's rmdir met its dying process)
    // to the next gc, so a gc right after a crash did not reclaim everything. That narrow race
    // with another state root's launch is accepted (its launch then fails and says so).
    if (::rmdir(cg.c_str()) == 0 && removed) removed->push_back("cgroup " + cg);
  }
  cgroup::RemoveEmptyParents(*mounts, removed);
  return first;
}

}  // namespace ctv::runtime
