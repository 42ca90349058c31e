// cgroup v1 backend: one directory per hierarchy the container uses. memory, cpu, cpuacct and
// pids are always joined (so every container is accounted and can be found and killed by gc);
// cpuset, blkio, devices, net_cls, net_prio and hugetlb only when a limit asks for them (each
// extra hierarchy costs launch time). Co-mounted controllers (Debian's `net_cls,net_prio`) share
// one directory.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "runtime/cgroup/manager.h"

namespace ctv::cgroup {
std::vector<pid_t> ProcsOf(const std::string& dir);

namespace {

class V1Manager : public Manager {
 public:
  V1Manager(const CgroupMounts& m, std::string name, std::string prefix,
            std::vector<std::pair<std::string, std::string>> rel)
      : mounts_(m), name_(std::move(name)), prefix_(std::move(prefix)), rel_(std::move(rel)) {}

  std::string Version() const override { return "v1"; }

  Status Create(const Limits& l) override {
    if (!l.unified.empty())
      return MakeError("set up cgroup", "linux.resources.unified[\"" + l.unified.begin()->first + "\"]",
                       "unified (cgroup v2) files cannot be set on a cgroup v1 host: this "
                       "host's controllers are mounted v1 (runc refuses the same)");
    std::vector<std::string> wanted = {"memory", "cpu", "cpuacct", "pids"};
    if (l.cpuset_cpus || l.cpuset_mems) wanted.push_back("cpuset");
    if (l.io_weight || !l.io_throttle.empty()) wanted.push_back("blkio");
    if (l.devices) wanted.push_back("devices");
    if (l.net_cls_classid) wanted.push_back("net_cls");
    if (!l.net_prio_ifpriomap.empty()) wanted.push_back("net_prio");
    if (!l.hugetlb.empty()) wanted.push_back("hugetlb");
    for (const std::string& c : wanted) {
      std::string mp = MountOf(c);
      if (mp.empty()) {
        if (c == "cpuacct") continue;  // usage stats only
        if (Asks(l, c))
          return MakeError("set up cgroup", c,
                           Field(c) + "the " + c + " controller is not mounted on this host");
        continue;
      }
      std::string dir = DirIn(c, mp);
      if (!rel_.empty() && std::find(dirs_.begin(), dirs_.end(), dir) == dirs_.end()) {
        // linux.cgroupsPath: mkdir -p below the hierarchy root.
        std::string rel = dir.substr(mp.size() + 1), at = mp;
        for (size_t i = 0; i <= rel.size();) {
          size_t j = rel.find('/', i);
          if (j == std::string::npos) j = rel.size();
          at += "/" + rel.substr(i, j - i);
          if (::mkdir(at.c_str(), 0755) == 0)
            created_.push_back(at);
          else if (errno != EEXIST)
            return ErrnoError("create cgroup", at);
          if (c == "cpuset") CTV_CHECK(controller::PrepareCpusetV1(at));
          i = j + 1;
        }
        dirs_.push_back(dir);
      } else if (std::find(dirs_.begin(), dirs_.end(), dir) == dirs_.end()) {
        std::string parent = mp + "/" + kParentName;
        // Retry: a concurrent gc may remove the (empty) parent between the two mkdirs.
        for (int attempt = 0;; ++attempt) {
          if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST)
            return ErrnoError("create cgroup", parent);
          if (c == "cpuset") CTV_CHECK(controller::PrepareCpusetV1(parent));
          if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) break;
          if (errno != ENOENT || attempt == 3) return ErrnoError("create cgroup", dir);
        }
        dirs_.push_back(dir);
      }
      by_controller_.emplace_back(c, dir);
      if (c == "memory") CTV_CHECK(controller::ApplyMemoryV1(dir, l));
      if (c == "cpu") CTV_CHECK(controller::ApplyCpuV1(dir, l));
      if (c == "pids") CTV_CHECK(controller::ApplyPids(dir, l));
      if (c == "cpuset") {
        CTV_CHECK(controller::PrepareCpusetV1(dir));
        CTV_CHECK(controller::ApplyCpuset(dir, l, true));
      }
      if (c == "blkio") CTV_CHECK(controller::ApplyIoV1(dir, l));
      if (c == "devices") CTV_CHECK(controller::ApplyDevicesV1(dir, l));
      if (c == "net_cls") CTV_CHECK(controller::ApplyNetV1(dir, "", l));
      if (c == "net_prio") CTV_CHECK(controller::ApplyNetV1("", dir, l));
      if (c == "hugetlb") CTV_CHECK(controller::ApplyHugetlbV1(dir, l));
    }
    return Ok();
  }

  Status AddProcess(pid_t pid) override {
    std::string p = std::to_string(pid);
    for (const std::string& d : dirs_) CTV_CHECK(WriteValue(d + "/cgroup.procs", p));
    return Ok();
  }

  std::vector<std::string> SelfJoinFiles() const override {
    std::vector<std::string> out;
    for (const std::string& d : dirs_) out.push_back(d + "/tasks");
    return out;
  }
  std::string CloneIntoDir() const override { return ""; }

  Result<Stats> ReadStats() const override {
    Stats s;
    std::string mem = Dir("memory"), cpu = Dir("cpu"), acct = Dir("cpuacct"), pids = Dir("pids");
    if (!mem.empty()) controller::ReadMemoryV1(mem, &s);
    if (!cpu.empty()) controller::ReadCpuV1(cpu, acct.empty() ? cpu : acct, &s);
    if (!pids.empty()) controller::ReadPids(pids, &s);
    return s;
  }

  Result<std::vector<pid_t>> Procs() const override {
    std::string d = Dir("pids");
    if (d.empty() && !dirs_.empty()) d = dirs_[0];
    return ProcsOf(d);
  }

  Status Destroy() override {
    Status first;
    // Known dirs, plus the same name in every hierarchy (Destroy may run in another process than
    // Create, e.g. `ctvrt delete` after the shim died).
    std::vector<std::string> all = dirs_;
    if (all.empty()) all = Paths();  // not created by this object: every hierarchy
    for (const std::string& d : all) {
      Status s = KillAndRemove(d);
      if (!s && first) first = s;
    }
    // Parents this object made at a linux.cgroupsPath (a failed create): deepest first, only if
    // empty.
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) (void)::rmdir(it->c_str());
    dirs_.clear();
    by_controller_.clear();
    created_.clear();
    return first;
  }

  std::vector<std::string> Created() const override { return created_; }

  std::vector<std::string> Paths() const override {
    // At a linux.cgroupsPath only what Create made is ours (the same path may exist, someone
    // else's, in the other hierarchies).
    if (!rel_.empty() && !dirs_.empty()) return dirs_;
    std::vector<std::string> out;
    for (auto& [c, mp] : mounts_.v1_mounts) {
      std::string d = DirIn(c, prefix_ + mp);
      if (!d.empty() && std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
    }
    return out;
  }

 private:
  static bool Asks(const Limits& l, const std::string& c) {
    if (c == "memory") return l.memory_bytes.has_value();
    if (c == "cpu") return l.cpus || l.cpu_shares || l.cpu_rt_runtime_us || l.cpu_rt_period_us;
    if (c == "pids") return l.pids.has_value();
    return true;
  }
  // The OCI field that needs controller `c`, as an error prefix.
  static std::string Field(const std::string& c) {
    if (c == "net_cls") return "linux.resources.network.classID: ";
    if (c == "net_prio") return "linux.resources.network.priorities: ";
    if (c == "devices") return "linux.resources.devices: ";
    if (c == "cpuset") return "linux.resources.cpu.cpus/mems: ";
    if (c == "blkio") return "linux.resources.blockIO: ";
    if (c == "hugetlb") return "linux.resources.hugepageLimits: ";
    return "";
  }
  std::string MountOf(const std::string& c) const {
    for (auto& [name, mp] : mounts_.v1_mounts)
      if (name == c) return prefix_ + mp;
    return "";
  }
  std::string Dir(const std::string& c) const {
    for (auto& [name, d] : by_controller_)
      if (name == c) return d;
    // Not created by this object: derive it (stats of a container another process created).
    std::string mp = MountOf(c);
    if (mp.empty()) return "";
    std::string d = DirIn(c, mp);
    return !d.empty() && ::access(d.c_str(), F_OK) == 0 ? d : "";
  }
  // The container's directory in the hierarchy of controller `c` mounted at `mp`.
  std::string DirIn(const std::string& c, const std::string& mp) const {
    if (rel_.empty()) return mp + "/" + kParentName + "/" + name_;
    for (auto& [name, rel] : rel_)
      if (name == c) return rel.empty() ? mp : mp + "/" + rel;
    return "";  // a hierarchy this container has no directory in
  }

  CgroupMounts mounts_;
  std::string name_, prefix_;
  std::vector<std::pair<std::string, std::string>> rel_;
  std::vector<std::string> dirs_, created_;
  std::vector<std::pair<std::string, std::string>> by_controller_;
};

}  // namespace

std::unique_ptr<Manager> NewV1Manager(const CgroupMounts& mounts, const std::string& name,
                                      const std::string& root_prefix,
                                      std::vector<std::pair<std::string, std::string>> rel) {
  return std::make_unique<V1Manager>(mounts, name, root_prefix, std::move(rel));
}

}  // namespace ctv::cgroup
