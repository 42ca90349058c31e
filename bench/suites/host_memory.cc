#include "bench/suites/host_memory.h"

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/manager.h"

namespace ctv::bench {
namespace {

std::string ProcPath(const std::string& proc, pid_t pid, const char* file) {
  return fmt::format("{}/{}/{}", proc, pid, file);
}

// "Rss:     1234 kB" -> 1234 when `line` starts with `key`.
bool KibField(const std::string& line, const char* key, uint64_t* out) {
  size_t n = std::char_traits<char>::length(key);
  if (line.compare(0, n, key) != 0 || line.size() <= n || line[n] != ':') return false;
  *out = std::strtoull(line.c_str() + n + 1, nullptr, 10);
  return true;
}

// A smaps header: "start-end perms offset dev inode [path]".
bool MappingHeader(const std::string& line, std::string* path) {
  size_t dash = line.find('-');
  if (dash == std::string::npos || dash == 0 || line.find(':') < dash) return false;
  for (size_t i = 0; i < dash; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(line[i]))) return false;
  std::istringstream in(line);
  std::string range, perms, offset, dev, inode;
  in >> range >> perms >> offset >> dev >> inode;
  std::getline(in, *path);
  path->erase(0, path->find_first_not_of(' '));
  return true;
}

}  // namespace

Result<MemoryFigures> ReadProcessMemory(pid_t pid, const std::string& proc) {
  std::string path = ProcPath(proc, pid, "smaps_rollup");
  std::string text = CTV_TRY(ReadFile(path));
  MemoryFigures m;
  uint64_t clean = 0, dirty = 0;
  bool seen = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    seen |= KibField(line, "Rss", &m.rss_kib);
    KibField(line, "Pss", &m.pss_kib);
    KibField(line, "Private_Clean", &clean);
    KibField(line, "Private_Dirty", &dirty);
  }
  if (!seen) return MakeError("read", path, "no Rss line (a kernel thread, or not smaps_rollup)");
  m.uss_kib = clean + dirty;
  return m;
}

Result<MemoryFigures> ReadProcessesMemory(const std::vector<pid_t>& pids, const std::string& proc) {
  MemoryFigures sum;
  for (pid_t p : pids) sum += CTV_TRY(ReadProcessMemory(p, proc));
  return sum;
}

Result<std::vector<Mapping>> ReadMappings(pid_t pid, const std::string& proc) {
  std::string text = CTV_TRY(ReadFile(ProcPath(proc, pid, "smaps")));
  std::vector<Mapping> maps;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::string path;
    if (MappingHeader(line, &path)) {
      maps.push_back(Mapping{path, 0, 0, 0});
      continue;
    }
    if (maps.empty()) continue;
    Mapping& m = maps.back();
    KibField(line, "Size", &m.size_kib) || KibField(line, "Rss", &m.rss_kib) ||
        KibField(line, "Pss", &m.pss_kib);
  }
  return maps;
}

MemoryFigures FileBackedMemory(const std::vector<Mapping>& maps) {
  MemoryFigures f;
  for (const Mapping& m : maps)
    if (m.FileBacked()) {
      f.rss_kib += m.rss_kib;
      f.pss_kib += m.pss_kib;
    }
  return f;
}

std::optional<Mapping> GuestRamMapping(const std::vector<Mapping>& maps, uint64_t guest_kib) {
  std::optional<Mapping> best;
  for (const Mapping& m : maps)
    if (m.path.empty() && m.size_kib >= guest_kib && m.size_kib <= guest_kib + 8 * 1024 &&
        (!best || m.size_kib > best->size_kib))
      best = m;
  return best;
}

Result<MemInfo> ReadMemInfo(const std::string& proc) {
  std::string path = proc + "/meminfo";
  std::string text = CTV_TRY(ReadFile(path));
  MemInfo mi;
  bool total = false, available = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    total |= KibField(line, "MemTotal", &mi.total_kib);
    available |= KibField(line, "MemAvailable", &mi.available_kib);
    KibField(line, "SwapTotal", &mi.swap_total_kib);
    KibField(line, "SwapFree", &mi.swap_free_kib);
  }
  if (!total || !available)
    return MakeError("read", path, "no MemTotal or MemAvailable line (kernel older than 3.14?)");
  return mi;
}

uint64_t ReadVmstat(const std::string& key, const std::string& proc) {
  auto v = cgroup::ReadKey(proc + "/vmstat", key);
  return v && *v > 0 ? static_cast<uint64_t>(*v) : 0;
}

std::optional<CgroupMemory> InstanceCgroupMemory(const std::vector<pid_t>& pids,
                                                 const cgroup::CgroupMounts& mounts,
                                                 std::string* why_none, const std::string& proc,
                                                 const std::string& root_prefix) {
  auto say = [&](std::string why) {
    if (why_none) *why_none = std::move(why);
    return std::nullopt;
  };
  // v1: the "memory" controller's hierarchy; v2 (pure): the unified one. A hybrid host's
  // cgroup2 mount carries no memory controller, so it says nothing about memory.
  std::string mount;
  bool v2 = false;
  for (const auto& [ctrl, mp] : mounts.v1_mounts)
    if (ctrl == "memory") mount = mp;
  if (mount.empty() && mounts.mode == "v2") {
    mount = mounts.v2_mount;
    v2 = true;
  }
  if (mount.empty()) return say("no memory controller mounted (cgroup mode " + mounts.mode + ")");
  std::set<std::string> rels;
  for (pid_t p : pids) {
    auto text = ReadFile(ProcPath(proc, p, "cgroup"));
    if (!text) continue;  // gone: its cgroup is not counted
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);) {
      // "ID:CONTROLLERS:PATH"; v2's line is "0::PATH".
      size_t a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      std::string ctrls = "," + line.substr(a + 1, b - a - 1) + ",";
      if (v2 ? line.compare(0, 3, "0::") == 0 : ctrls.find(",memory,") != std::string::npos)
        rels.insert(line.substr(b + 1));
    }
  }
  if (rels.empty()) return say("its processes' memory cgroup could not be read");
  std::set<pid_t> mine(pids.begin(), pids.end());
  CgroupMemory out;
  std::string shared;
  for (const std::string& rel : rels) {
    std::string dir = root_prefix + mount + (rel == "/" ? "" : rel);
    // Processes of the whole subtree (v1 memory accounting is hierarchical).
    bool exclusive = rel != "/";
    std::vector<std::string> todo{dir};
    while (exclusive && !todo.empty()) {
      std::string d = todo.back();
      todo.pop_back();
      std::istringstream procs(cgroup::OrEmpty(ReadFile(d + "/cgroup.procs")));
      for (pid_t p; procs >> p;) exclusive &= mine.count(p) > 0;
      auto names = fs::ListDir(d);
      if (!names) continue;
      for (const std::string& name : *names)
        if (fs::Exists(d + "/" + name + "/cgroup.procs")) todo.push_back(d + "/" + name);
    }
    if (!exclusive) {
      shared += (shared.empty() ? "" : ", ") + rel;
      continue;
    }
    auto usage = cgroup::ReadInt(dir + (v2 ? "/memory.current" : "/memory.usage_in_bytes"));
    if (!usage) continue;
    out.usage_kib += static_cast<uint64_t>(*usage) / 1024;
    std::optional<int64_t> kernel;
    if (v2)
      kernel = cgroup::ReadKey(dir + "/memory.stat", "kernel");
    else if (auto k = cgroup::ReadInt(dir + "/memory.kmem.usage_in_bytes"))
      kernel = *k;
    if (kernel && *kernel >= 0)
      out.kernel_kib = out.kernel_kib.value_or(0) + static_cast<uint64_t>(*kernel) / 1024;
    out.dirs.push_back(dir);
  }
  if (out.dirs.empty())
    return say("no memory cgroup of its own (its processes share " + shared +
               " with other processes)");
  return out;
}

Result<std::string> OverlayUpperDir(pid_t pid, const std::string& proc) {
  std::string path = ProcPath(proc, pid, "mountinfo");
  std::string text = CTV_TRY(ReadFile(path));
  std::istringstream in(text);
  std::string found;
  // "id parent maj:min root mountpoint options [optional...] - fstype source superoptions"; the
  // last mount at "/" is the one the process sees.
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mp;
    f >> id >> parent >> dev >> root >> mp;
    if (mp != "/") continue;
    size_t sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::istringstream tail(line.substr(sep + 3));
    std::string fstype, source, opts;
    tail >> fstype >> source >> opts;
    found = fstype == "overlay" ? opts : "";
  }
  if (found.empty()) return MakeError("find the writable layer of", path, "its root is no overlay");
  for (size_t at = 0; at < found.size();) {
    size_t comma = found.find(',', at);
    std::string opt = found.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (opt.rfind("upperdir=", 0) == 0) {
      std::string dir = fs::UnescapeMountinfo(opt.substr(9));
      if (dir.empty() || dir[0] != '/')
        return MakeError("find the writable layer of", path,
                         "upperdir `" + dir + "` is relative to the mounting process's directory");
      return dir;
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return MakeError("find the writable layer of", path, "its overlay root has no upperdir");
}

std::optional<KsmState> ReadKsm(const std::string& sys) {
  auto run = cgroup::ReadInt(sys + "/kernel/mm/ksm/run");
  if (!run) return std::nullopt;
  KsmState k;
  k.running = *run == 1;
  if (auto sharing = cgroup::ReadInt(sys + "/kernel/mm/ksm/pages_sharing"))
    k.pages_sharing = static_cast<uint64_t>(*sharing);
  return k;
}

}  // namespace ctv::bench
