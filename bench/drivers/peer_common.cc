#include "bench/drivers/peer_common.h"

#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/detect.h"
#include "runtime/cgroup/manager.h"
#include "runtime/state.h"

namespace ctv::bench::peers {
namespace {

struct MountEntry {
  std::string point, fstype;
};

std::vector<MountEntry> ReadMounts(const std::string& mountinfo) {
  std::vector<MountEntry> out;
  auto text = ReadFile(mountinfo);
  if (!text) return out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    if (!(f >> id >> parent >> dev >> root >> point)) continue;
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    MountEntry e;
    e.point = fs::UnescapeMountinfo(point);
    rest >> e.fstype;
    out.push_back(std::move(e));
  }
  return out;
}

bool IsAtOrBelow(const std::string& path, const std::string& dir) {
  if (path.compare(0, dir.size(), dir) != 0) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

// Subdirectories of `dir`, recursively, deepest first, then `dir` itself.
void CollectTree(const std::string& dir, std::vector<std::string>& out) {
  if (auto names = fs::ListDir(dir)) {
    for (const std::string& n : *names) {
      std::string sub = dir + "/" + n;
      struct stat st;
      if (::lstat(sub.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) CollectTree(sub, out);
    }
  }
  out.push_back(dir);
}

}  // namespace

std::string PeersDir(const std::string& state_dir) {
  return (state_dir.empty() ? std::string(kDefaultStateDir) : state_dir) + "/peers";
}

std::string DriverDir(const std::string& state_dir, const std::string& driver) {
  return PeersDir(state_dir) + "/" + driver;
}

std::string ContainerId(const std::string& name) {
  std::string id;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    id += ok ? c : '-';
  }
  if (id.rfind("ctv", 0) != 0) id = "ctv-" + id;
  constexpr size_t kMax = 64;
  if (id.size() > kMax) id = id.substr(0, kMax - 13) + "-" + Sha256Oci(name).substr(7, 12);
  return id;
}

Status WriteOwner(const std::string& dir) {
  pid_t self = ::getpid();
  return WriteFile(dir + "/owner", std::to_string(self) + " " +
                                       std::to_string(runtime::ProcessStartTime(self)) + "\n");
}

bool OwnerAlive(const std::string& dir) {
  auto text = ReadFile(dir + "/owner");
  long long pid = 0, start = 0;
  if (!text || std::sscanf(text->c_str(), "%lld %lld", &pid, &start) != 2) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return false;
    return ::time(nullptr) - st.st_mtime <= 5;
  }
  return runtime::ProcessAlive(static_cast<pid_t>(pid), start);
}

std::vector<std::string> CgroupMountPoints(const std::string& mountinfo) {
  std::vector<std::string> out;
  for (const MountEntry& m : ReadMounts(mountinfo))
    if ((m.fstype == "cgroup" || m.fstype == "cgroup2") &&
        std::find(out.begin(), out.end(), m.point) == out.end())
      out.push_back(m.point);
  return out;
}

std::vector<std::string> InstanceCgroupDirs(const std::string& id, const std::string& mountinfo) {
  std::vector<std::string> out;
  for (const std::string& mp : CgroupMountPoints(mountinfo)) {
    std::string dir = mp + "/" + kCgroupParent + "/" + id;
    if (fs::Exists(dir)) out.push_back(dir);
  }
  return out;
}

std::vector<pid_t> InstanceCgroupPids(const std::string& id, const std::string& mountinfo) {
  std::vector<pid_t> out;
  for (const std::string& top : InstanceCgroupDirs(id, mountinfo)) {
    std::vector<std::string> tree;
    CollectTree(top, tree);
    for (const std::string& d : tree) {
      std::istringstream in(cgroup::OrEmpty(ReadFile(d + "/cgroup.procs")));
      pid_t p;
      while (in >> p)
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
  }
  return out;
}

std::vector<pid_t> InstanceHostPids(pid_t cli_pid, const std::string& id) {
  std::vector<pid_t> pids;
  if (cli_pid > 0) pids.push_back(cli_pid);
  for (pid_t p : InstanceCgroupPids(id))
    if (std::find(pids.begin(), pids.end(), p) == pids.end()) pids.push_back(p);
  return pids;
}

Status RemoveInstanceCgroups(const std::string& id, std::vector<std::string>* removed,
                             const std::string& mountinfo) {
  Status first;
  for (const std::string& top : InstanceCgroupDirs(id, mountinfo)) {
    std::vector<std::string> tree;
    CollectTree(top, tree);
    for (const std::string& d : tree) {
      Status s = cgroup::KillAndRemove(d);
      if (!s && first) first = s;
      if (s && removed) removed->push_back("cgroup " + d);
    }
  }
  return first;
}

void RemoveEmptyCgroupParents(std::vector<std::string>* removed, const std::string& mountinfo) {
  for (const std::string& mp : CgroupMountPoints(mountinfo)) {
    std::string parent = mp + "/" + kCgroupParent;
    if (::rmdir(parent.c_str()) == 0 && removed) removed->push_back("cgroup " + parent);
  }
}

std::vector<std::string> MountsUnder(const std::string& dir, const std::string& mountinfo) {
  std::vector<std::string> out;
  for (const MountEntry& m : ReadMounts(mountinfo))
    if (IsAtOrBelow(m.point, dir) && std::find(out.begin(), out.end(), m.point) == out.end())
      out.push_back(m.point);
  // Deepest first: a mount below another must go before it.
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
  return out;
}

Status UnmountUnder(const std::string& dir, std::vector<std::string>* removed,
                    const std::string& mountinfo) {
  Status first;
  // A path may be mounted more than once (stacked): go on while something is left.
  for (int round = 0; round < 8; ++round) {
    std::vector<std::string> points = MountsUnder(dir, mountinfo);
    if (points.empty()) break;
    for (const std::string& p : points) {
      if (::umount2(p.c_str(), 0) != 0 && ::umount2(p.c_str(), MNT_DETACH) != 0 &&
          errno != EINVAL && errno != ENOENT) {
        if (first) first = ErrnoError("unmount", p);
        continue;
      }
      if (removed) removed->push_back("mount " + p);
    }
  }
  return first;
}

void KillProcessesMentioning(const std::string& path, std::vector<std::string>* removed) {
  DIR* proc = ::opendir("/proc");
  if (!proc) return;
  pid_t self = ::getpid();
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self) continue;
    auto cmdline = ReadFile("/proc/" + std::string(e->d_name) + "/cmdline");
    if (!cmdline) continue;
    bool match = false;
    for (size_t at = cmdline->find(path); at != std::string::npos && !match;
         at = cmdline->find(path, at + 1)) {
      size_t after = at + path.size();
      match = after == cmdline->size() || (*cmdline)[after] == '\0' || (*cmdline)[after] == '/';
    }
    if (!match) continue;
    if (::kill(static_cast<pid_t>(pid), SIGKILL) != 0) continue;
    std::string comm = cgroup::OrEmpty(ReadFile("/proc/" + std::string(e->d_name) + "/comm"));
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (removed) removed->push_back("process " + std::to_string(pid) + " (" + comm + ")");
  }
  ::closedir(proc);
}

std::string HybridUnifiedMount() {
  auto m = cgroup::DetectCgroups();
  if (!m || m->mode != "hybrid") return "";
  return m->v2_mount;
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t'))
    line.pop_back();
  return line;
}

std::string TailOfFile(const std::string& path, size_t max) {
  auto text = ReadFile(path);
  if (!text) return "";
  std::string s = text->size() > max ? text->substr(text->size() - max) : *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s;
}

}  // namespace ctv::bench::peers
