#include "vm/gc.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <set>

#include "core/clock.h"
#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/log.h"
#include "runtime/cgroup/detect.h"
#include "vm/libvirt/conn.h"
#include "vm/state.h"

namespace ctv::vm {
namespace {

std::string Cmdline(pid_t pid) {
  auto c = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!c) return "";
  for (char& ch : *c)
    if (ch == '\0') ch = ' ';
  return *c;
}

bool IsQemu(const std::string& cmdline) {
  std::string argv0 = cmdline.substr(0, cmdline.find(' '));
  return argv0.find("qemu-system-") != std::string::npos;
}

// SIGKILL, then wait for the process to disappear (it is not our child: init reaps it).
void KillAndWait(pid_t pid) {
  ::kill(pid, SIGKILL);
  int64_t deadline = MonotonicNs() + 3'000'000'000LL;
  while (MonotonicNs() < deadline) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return;
    // A zombie (reaped later by its parent) no longer holds resources.
    auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return;
    size_t close = stat->rfind(')');
    if (close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] == 'Z') return;
    ::usleep(10000);
  }
}

// rmdir of a cgroup directory and its sub-groups, deepest first (cgroup directories hold only
// control files, which go with the directory). False when any is busy or not there.
bool RemoveCgroupTree(const std::string& dir) {
  auto names = ctv::fs::ListDir(dir);
  if (!names) return false;
  for (const std::string& n : *names) {
    struct stat st;
    std::string sub = dir + "/" + n;
    if (::lstat(sub.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) RemoveCgroupTree(sub);
  }
  return ::rmdir(dir.c_str()) == 0;
}

// "<prefix><id>-ctv<...>.libvirt-qemu": a domain of ours (names start with ctv) of this embedded
// root (the prefix carries its hash).
bool IsOurMachineGroup(const std::string& name, const std::string& prefix) {
  const std::string suffix = ".libvirt-qemu";
  if (name.rfind(prefix, 0) != 0 || name.size() <= prefix.size() + suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  size_t id_end = name.find_first_not_of("0123456789", prefix.size());
  return id_end > prefix.size() && id_end != std::string::npos &&
         name.compare(id_end, 4, "-ctv") == 0;
}

}  // namespace

std::string MachineGroupPrefix(const std::string& embed_root) {
  // libvirt's virDomainDriverGenerateRootHash: "qemu-embed-" + the first 8 hex digits of the
  // SHA-256 of the root string exactly as given in the URI.
  return "qemu-embed-" + Sha256Oci(embed_root).substr(7, 8) + "-";
}

void RemoveLibvirtMachineCgroups(const std::string& embed_root, std::vector<std::string>* removed) {
  if (embed_root.empty()) return;
  const std::string prefix = MachineGroupPrefix(embed_root);
  auto mounts = cgroup::DetectCgroups();
  if (!mounts) return;
  std::set<std::string> hierarchies;
  for (const auto& [controller, mount_point] : mounts->v1_mounts) hierarchies.insert(mount_point);
  if (!mounts->v2_mount.empty()) hierarchies.insert(mounts->v2_mount);
  for (const std::string& h : hierarchies) {
    std::string machine = h + "/machine";
    auto names = ctv::fs::ListDir(machine);
    if (!names || names->empty()) continue;
    for (const std::string& n : *names)
      if (IsOurMachineGroup(n, prefix) && RemoveCgroupTree(machine + "/" + n) && removed)
        removed->push_back("cgroup " + machine + "/" + n);
    // Only succeeds when nothing else (another libvirt's domains) is in it.
    if (::rmdir(machine.c_str()) == 0 && removed) removed->push_back("cgroup " + machine);
  }
}

Status CollectGarbage(const std::string& state_root, std::vector<std::string>* removed) {
  std::vector<std::string> sink;
  if (!removed) removed = &sink;
  std::string inst_root = state_root + "/inst";
  std::vector<std::string> dead_dirs;
  bool live_owner = false;
  for (const std::string& name : CTV_TRY(ctv::fs::ListDir(inst_root))) {
    std::string dir = inst_root + "/" + name;
    auto owner = ReadFile(dir + "/owner");
    if (owner && OwnerAlive(*owner)) {
      live_owner = true;
      continue;
    }
    dead_dirs.push_back(dir);
  }

  // 1. QEMUs of dead instances: by pidfile, then any QEMU naming a dead path or, when no run is
  //    alive, any QEMU naming the state root at all.
  for (const std::string& dir : dead_dirs) {
    auto pid_text = ReadFile(dir + "/qemu.pid");
    if (!pid_text) continue;
    pid_t pid = std::atoi(pid_text->c_str());
    if (pid > 0 && IsQemu(Cmdline(pid)) && Cmdline(pid).find(dir) != std::string::npos) {
      KillAndWait(pid);
      removed->push_back("qemu pid " + std::to_string(pid));
    }
  }
  for (const std::string& entry : CTV_TRY(ctv::fs::ListDir("/proc"))) {
    pid_t pid = std::atoi(entry.c_str());
    if (pid <= 0) continue;
    std::string cmd = Cmdline(pid);
    if (!IsQemu(cmd) || cmd.find(state_root + "/") == std::string::npos) continue;
    bool dead = !live_owner;
    for (const std::string& dir : dead_dirs)
      if (cmd.find(dir + "/") != std::string::npos) dead = true;
    if (!dead) continue;
    KillAndWait(pid);
    removed->push_back("qemu pid " + std::to_string(pid));
  }

  // 2. The embedded libvirt's leftovers. Only when no run is alive: two processes must not drive
  //    the same embedded root at once.
  std::string embed_root = state_root + "/libvirt";
  struct stat st;
  if (!live_owner && ::stat(embed_root.c_str(), &st) == 0) {
    auto conn = lv::Connection::Open(lv::EmbedUri(state_root));
    if (!conn) {
      Log(LogLevel::kWarn, "gc: {}", conn.error().ToString());
    } else {
      virDomainPtr* doms = nullptr;
      int n = virConnectListAllDomains(conn->Get(), &doms, 0);
      for (int i = 0; i < n; ++i) {
        lv::Domain d(doms[i]);
        std::string name = d.Name();
        if (name.rfind("ctv", 0) != 0) continue;
        if (d.Active()) virDomainDestroy(d.Get());
        if (virDomainIsPersistent(d.Get()) == 1) virDomainUndefine(d.Get());
        removed->push_back("domain " + name);
      }
      free(doms);
    }
    RemoveLibvirtMachineCgroups(lv::EmbedRootOf(lv::EmbedUri(state_root)), removed);
    // Per-domain QEMU logs of the embedded driver (ctv* names only).
    std::string logs = embed_root + "/log/qemu";
    for (const std::string& f : CTV_TRY(ctv::fs::ListDir(logs)))
      if (f.rfind("ctv", 0) == 0 && ::unlink((logs + "/" + f).c_str()) == 0)
        removed->push_back(logs + "/" + f);
  }

  // 3. Instance directories (sockets, logs, pidfiles).
  for (const std::string& dir : dead_dirs) {
    CTV_CHECK(ctv::fs::RemoveTree(dir));
    removed->push_back(dir);
  }
  return Ok();
}

}  // namespace ctv::vm
