// cgroup v2 backend: one directory "<root>/ctvbench/<name>". The controllers a container needs
// must be enabled in cgroup.subtree_control of every ancestor (the root and ctvbench/).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "core/fd.h"
#include "runtime/cgroup/devices_bpf.h"
#include "runtime/cgroup/manager.h"

namespace ctv::cgroup {
std::vector<pid_t> ProcsOf(const std::string& dir);

namespace {

class V2Manager : public Manager {
 public:
  V2Manager(std::string root, std::string name, const std::string& rel)
      : root_(std::move(root)),
        parent_(rel.empty() ? root_ + "/" + kParentName
                            : (root_ + "/" + rel).substr(0, (root_ + "/" + rel).rfind('/'))),
        dir_(rel.empty() ? parent_ + "/" + name : root_ + "/" + rel),
        custom_(!rel.empty()) {}

  std::string Version() const override { return "v2"; }

  Status Create(const Limits& l) override {
    CTV_CHECK(Refuse(l));
    if (custom_) {
      // linux.cgroupsPath: every ancestor below the root enables what the limits need.
      std::string rel = dir_.substr(root_.size() + 1), at = root_;
      for (size_t i = 0; i <= rel.size();) {
        size_t j = rel.find('/', i);
        if (j == std::string::npos) j = rel.size();
        CTV_CHECK(Enable(at, l));
        at += "/" + rel.substr(i, j - i);
        if (::mkdir(at.c_str(), 0755) == 0)
          created_dirs_.push_back(at);
        else if (errno != EEXIST)
          return ErrnoError("create cgroup", at);
        i = j + 1;
      }
    }
    // Retry: the (empty) parent may be removed by a finishing run or gc between the two mkdirs.
    for (int attempt = 0; !custom_; ++attempt) {
      if (::mkdir(parent_.c_str(), 0755) != 0 && errno != EEXIST)
        return ErrnoError("create cgroup", parent_);
      CTV_CHECK(Enable(root_, l));
      CTV_CHECK(Enable(parent_, l));
      if (::mkdir(dir_.c_str(), 0755) == 0 || errno == EEXIST) break;
      if (errno != ENOENT || attempt == 3) return ErrnoError("create cgroup", dir_);
    }
    created_ = true;
    CTV_CHECK(controller::ApplyMemoryV2(dir_, l));
    CTV_CHECK(controller::ApplyCpuV2(dir_, l));
    CTV_CHECK(controller::ApplyPids(dir_, l));
    CTV_CHECK(controller::ApplyCpuset(dir_, l, false));
    CTV_CHECK(controller::ApplyIoV2(dir_, l));
    CTV_CHECK(controller::ApplyHugetlbV2(dir_, l));
    CTV_CHECK(controller::ApplyUnified(dir_, l));
    // Before any process is inside (the cgroup is created before PID 1 is cloned into it).
    if (l.devices) CTV_CHECK(AttachDeviceProgram(dir_, BuildDeviceProgram(l.device_rules)));
    return Ok();
  }

  Status AddProcess(pid_t pid) override {
    return WriteValue(dir_ + "/cgroup.procs", std::to_string(pid));
  }

  std::vector<std::string> SelfJoinFiles() const override { return {}; }
  std::string CloneIntoDir() const override { return dir_; }

  Result<Stats> ReadStats() const override {
    Stats s;
    controller::ReadMemoryV2(dir_, &s);
    controller::ReadCpuV2(dir_, &s);
    controller::ReadPids(dir_, &s);
    return s;
  }

  Result<std::vector<pid_t>> Procs() const override { return ProcsOf(dir_); }

  Status Destroy() override {
    Status s = KillAndRemove(dir_);
    // Parents this object made at a linux.cgroupsPath (a failed create): deepest first, only if
    // empty.
    for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it)
      (void)::rmdir(it->c_str());
    created_dirs_.clear();
    return s;
  }

  std::vector<std::string> Paths() const override { return {dir_}; }
  std::vector<std::string> Created() const override { return created_dirs_; }

 private:
  // Limits v2 has no file for, refused by field name before anything exists (runc ignores some
  // of them; ctvrt never drops a limit it was given).
  Status Refuse(const Limits& l) const {
    auto no = [&](const char* field, const char* why) {
      return MakeError("set up cgroup", dir_, std::string(field) + ": " + why);
    };
    if (l.cpu_rt_runtime_us || l.cpu_rt_period_us)
      return no(l.cpu_rt_runtime_us ? "linux.resources.cpu.realtimeRuntime"
                                    : "linux.resources.cpu.realtimePeriod",
                "cgroup v2 has no real-time group scheduling (cpu.rt_* exist on v1 only)");
    if (l.net_cls_classid)
      return no("linux.resources.network.classID", "cgroup v2 has no net_cls controller");
    if (!l.net_prio_ifpriomap.empty())
      return no("linux.resources.network.priorities", "cgroup v2 has no net_prio controller");
    return Ok();
  }

  // Enables, in `dir`'s subtree_control, the available controllers the limits need. Controllers
  // are enabled lazily: each one enabled costs every later cgroup creation a little.
  Status Enable(const std::string& dir, const Limits& l) {
    std::string avail = OrEmpty(ReadFile(dir + "/cgroup.controllers"));
    std::string enabled = OrEmpty(ReadFile(dir + "/cgroup.subtree_control"));
    auto has = [](const std::string& list, const std::string& c) {
      std::istringstream in(list);
      std::string w;
      while (in >> w)
        if (w == c) return true;
      return false;
    };
    std::vector<std::pair<std::string, bool>> want = {
        {"memory", true},
        {"cpu", true},
        {"pids", true},
        {"cpuset", l.cpuset_cpus || l.cpuset_mems},
        {"io", l.io_weight || !l.io_throttle.empty()},
        {"hugetlb", !l.hugetlb.empty()}};
    // linux.resources.unified keys need their controller ("memory.high": memory).
    for (const auto& [key, value] : l.unified)
      if (std::string c = controller::UnifiedController(key); !c.empty()) want.push_back({c, true});
    std::string add;
    for (auto& [c, needed] : want) {
      if (!needed || has(enabled, c)) continue;
      if (!has(avail, c)) {
        bool asked = (c == "memory" && (l.memory_bytes || l.memory_reservation_bytes)) ||
                     (c == "cpu" && (l.cpus || l.cpu_shares)) || (c == "pids" && l.pids) ||
                     c == "cpuset" || c == "io" || c == "hugetlb" || !l.unified.empty();
        if (asked)
          return MakeError("enable cgroup controller", dir,
                           (c == "hugetlb" ? "linux.resources.hugepageLimits: " : "") + c +
                               " is not available (cgroup.controllers)");
        continue;
      }
      add += (add.empty() ? "+" : " +") + c;
    }
    if (!add.empty()) CTV_CHECK(WriteValue(dir + "/cgroup.subtree_control", add));
    return Ok();
  }

  std::string root_, parent_, dir_;
  bool custom_ = false;
  bool created_ = false;
  std::vector<std::string> created_dirs_;
};

}  // namespace

std::unique_ptr<Manager> NewV2Manager(const std::string& v2_root, const std::string& name,
                                      const std::string& rel) {
  return std::make_unique<V2Manager>(v2_root, name, rel);
}

}  // namespace ctv::cgroup
