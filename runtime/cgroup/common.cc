// File helpers and parsing shared by both cgroup backends.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "core/fd.h"
#include "runtime/cgroup/manager.h"

namespace ctv::cgroup {

Result<int64_t> ReadInt(const std::string& path) {
  std::string s = CTV_TRY(ReadFile(path));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s == "max") return int64_t{-1};
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str()) return MakeError("parse", path, "not an integer: " + s);
  return static_cast<int64_t>(v);
}

std::optional<int64_t> ReadKey(const std::string& path, const std::string& key) {
  auto text = ReadFile(path);
  if (!text) return std::nullopt;
  std::istringstream in(text.value());
  std::string k;
  long long v;
  while (in >> k >> v)
    if (k == key) return static_cast<int64_t>(v);
  return std::nullopt;
}

Status WriteValue(const std::string& path, const std::string& value) {
  // cgroup files want one write(2) with the whole value; O_TRUNC is ignored by cgroupfs but lets
  // the same code work on fixture files.
  Fd fd = CTV_TRY(OpenFile(path, O_WRONLY | O_TRUNC));
  ssize_t n = ::write(fd.Get(), value.data(), value.size());
  if (n < 0) return ErrnoError("write", path, "value `" + value + "`");
  return Ok();
}

Result<int64_t> ParseBytes(const std::string& s) {
  auto bad = [&] {
    return MakeError("parse size", s,
                     "expected a number with an optional unit b, k, m, g or t (also KiB, MB...: "
                     "base 1024), e.g. 256m, 1g, 8GiB, 1048576");
  };
  if (s.empty()) return bad();
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || v < 0) return bad();
  // k, m, g, t with an optional "b" or "ib", any case: 8g = 8G = 8GB = 8GiB (base 1024 always).
  std::string unit(end);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() == 3 && unit.ends_with("ib")) unit.resize(1);
  else if (unit.size() == 2 && unit.back() == 'b') unit.pop_back();
  int64_t mult = 1;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "k")
    mult = 1024;
  else if (unit == "m")
    mult = 1024 * 1024;
  else if (unit == "g")
    mult = 1024LL * 1024 * 1024;
  else if (unit == "t")
    mult = 1024LL * 1024 * 1024 * 1024;
  else
    return bad();
  // 99999999999999999t would overflow (undefined behaviour, found with tests/fuzz/fuzz_flags).
  if (v > INT64_MAX / mult) return bad();
  return static_cast<int64_t>(v) * mult;
}

namespace {
std::vector<pid_t> ReadProcs(const std::string& dir) {
  std::vector<pid_t> out;
  auto text = ReadFile(dir + "/cgroup.procs");
  if (!text) return out;
  std::istringstream in(text.value());
  pid_t p;
  while (in >> p) out.push_back(p);
  return out;
}
}  // namespace

Status KillAndRemove(const std::string& dir) {
  // Fast path (the common case on `delete` after PID 1 was reaped): already empty.
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return Ok();
  if (errno != EBUSY) return ErrnoError("remove cgroup", dir);
  // cgroup.kill (v2, 5.14+) kills atomically, including processes forking meanwhile.
  if (::access((dir + "/cgroup.kill").c_str(), F_OK) == 0)
    (void)WriteValue(dir + "/cgroup.kill", "1");
  // rmdir fails with EBUSY until the last task has exited (and, on v1, been reaped by its parent
  // or by init): retry for a while, killing whatever is still listed.
  for (int attempt = 0; attempt < 400; ++attempt) {
    for (pid_t p : ReadProcs(dir)) ::kill(p, SIGKILL);
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return Ok();
    if (errno != EBUSY) return ErrnoError("remove cgroup", dir);
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 20 ? 1 : 10));
  }
  return Error{EBUSY, "remove cgroup", dir, "processes still inside after SIGKILL"};
}

std::vector<pid_t> ProcsOf(const std::string& dir) { return ReadProcs(dir); }

void RemoveEmptyParents(const CgroupMounts& mounts, std::vector<std::string>* removed,
                        const std::string& root_prefix) {
  std::vector<std::string> parents;
  for (const auto& [c, mp] : mounts.v1_mounts) parents.push_back(root_prefix + mp + "/" + kParentName);
  if (!mounts.v2_mount.empty()) parents.push_back(root_prefix + mounts.v2_mount + "/" + kParentName);
  for (const std::string& p : parents)
    if (::rmdir(p.c_str()) == 0 && removed) removed->push_back("cgroup " + p);
}

std::vector<std::string> ListContainerCgroups(const CgroupMounts& mounts,
                                              const std::string& root_prefix) {
  std::vector<std::string> bases;
  for (auto& [c, mp] : mounts.v1_mounts) bases.push_back(root_prefix + mp);
  if (!mounts.v2_mount.empty()) bases.push_back(root_prefix + mounts.v2_mount);
  std::vector<std::string> out;
  std::vector<std::string> seen;
  for (auto& b : bases) {
    std::string parent = b + "/" + kParentName;
    bool dup = false;
    for (auto& s : seen) dup |= s == parent;
    if (dup) continue;
    seen.push_back(parent);
    DIR* d = ::opendir(parent.c_str());
    if (!d) continue;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (e->d_type == DT_DIR && n != "." && n != "..") out.push_back(parent + "/" + n);
    }
    ::closedir(d);
  }
  return out;
}

Result<std::string> ResolveCgroupsPath(const std::string& path, const std::string& self,
                                       const std::string& controller) {
  auto bad = [&](const std::string& why) {
    return MakeError("parse config.json", "linux.cgroupsPath", why + ": " + path);
  };
  if (path.find(':') != std::string::npos)
    return bad("the systemd form slice:prefix:name needs a systemd cgroup driver, which ctvrt "
               "does not have; give a path");
  std::vector<std::string> parts;
  std::string base;
  if (path[0] != '/') {
    // The caller's own cgroup in this hierarchy.
    std::istringstream in(self);
    std::string line;
    bool found = false;
    while (std::getline(in, line)) {
      size_t a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      std::string ctrls = line.substr(a + 1, b - a - 1), p = line.substr(b + 1);
      bool match = controller.empty() ? line.rfind("0::", 0) == 0 : false;
      std::istringstream cs(ctrls);
      for (std::string c; !controller.empty() && std::getline(cs, c, ',');) match |= c == controller;
      if (!match) continue;
      base = controller.empty() ? p.substr(0, p.rfind('/')) : p;
      found = true;
      break;
    }
    if (!found)
      return MakeError("resolve linux.cgroupsPath", path,
                       "no cgroup of ours for " + (controller.empty() ? "v2" : controller) +
                           " in /proc/self/cgroup");
  }
  std::string full = base + "/" + path, out;
  std::istringstream comps(full);
  for (std::string c; std::getline(comps, c, '/');) {
    if (c.empty() || c == ".") continue;
    if (c == "..") return bad("`..` is not allowed");
    out += (out.empty() ? "" : "/") + c;
  }
  if (out.empty()) return bad("names the root cgroup");
  return out;
}

Result<std::unique_ptr<Manager>> NewManagerAt(const CgroupMounts& mounts,
                                              const std::string& cgroups_path,
                                              const std::string& self,
                                              const std::string& root_prefix) {
  if (mounts.mode == "v2")
    return NewV2Manager(root_prefix + mounts.v2_mount, "",
                        CTV_TRY(ResolveCgroupsPath(cgroups_path, self, "")));
  std::vector<std::pair<std::string, std::string>> rel;
  for (auto& [c, mp] : mounts.v1_mounts)
    rel.emplace_back(c, CTV_TRY(ResolveCgroupsPath(cgroups_path, self, c)));
  if (rel.empty()) return MakeError("set up cgroups", "", "no cgroup hierarchy is mounted");
  return NewV1Manager(mounts, "", root_prefix, std::move(rel));
}

Result<std::unique_ptr<Manager>> NewManagerForPaths(const CgroupMounts& mounts,
                                                    const std::vector<std::string>& dirs,
                                                    const std::string& root_prefix) {
  auto below = [](const std::string& dir, const std::string& mp) -> std::optional<std::string> {
    if (dir.size() > mp.size() + 1 && dir.compare(0, mp.size(), mp) == 0 && dir[mp.size()] == '/')
      return dir.substr(mp.size() + 1);
    return std::nullopt;
  };
  if (mounts.mode == "v2") {
    std::string root = root_prefix + mounts.v2_mount;
    for (const std::string& d : dirs)
      if (auto rel = below(d, root)) return NewV2Manager(root, "", *rel);
  } else {
    std::vector<std::pair<std::string, std::string>> rel;
    for (auto& [c, mp] : mounts.v1_mounts)
      for (const std::string& d : dirs)
        if (auto r = below(d, root_prefix + mp)) {
          rel.emplace_back(c, *r);
          break;
        }
    if (!rel.empty()) return NewV1Manager(mounts, "", root_prefix, std::move(rel));
  }
  return MakeError("find the cgroup of a container", dirs.empty() ? "" : dirs[0],
                   "not below a cgroup hierarchy of this host");
}

Result<std::unique_ptr<Manager>> NewManager(const CgroupMounts& mounts, const std::string& name,
                                            const std::string& root_prefix) {
  if (mounts.mode == "v2") return NewV2Manager(root_prefix + mounts.v2_mount, name);
  if (!mounts.v1_mounts.empty()) return NewV1Manager(mounts, name, root_prefix);
  return MakeError("set up cgroups", "", "no cgroup hierarchy is mounted");
}

}  // namespace ctv::cgroup
