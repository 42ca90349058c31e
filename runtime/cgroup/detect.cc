#include "runtime/cgroup/detect.h"

#include <algorithm>
#include <sstream>

#include "core/fd.h"
#include "core/fs_tree.h"

namespace ctv::cgroup {
namespace {

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

CgroupMounts ParseCgroupMounts(const std::string& mountinfo) {
  CgroupMounts m;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    // "36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string> pre = Split(line.substr(0, dash), ' ');
    std::vector<std::string> post = Split(line.substr(dash + 3), ' ');
    if (pre.size() < 5 || post.size() < 3) continue;
    const std::string mount_point = fs::UnescapeMountinfo(pre[4]);
    const std::string& fstype = post[0];
    if (fstype == "cgroup2") {
      if (m.v2_mount.empty()) m.v2_mount = mount_point;
    } else if (fstype == "cgroup") {
      for (const std::string& opt : Split(post[2], ',')) {
        static const char* kNotControllers[] = {"rw", "ro", "relatime", "noatime", "nosuid",
                                                "nodev", "noexec", "clone_children"};
        if (opt.rfind("name=", 0) == 0 || opt.find('=') != std::string::npos) continue;
        if (std::find(std::begin(kNotControllers), std::end(kNotControllers), opt) !=
            std::end(kNotControllers))
          continue;
        m.v1_mounts.emplace_back(opt, mount_point);
        if (std::find(m.controllers.begin(), m.controllers.end(), opt) == m.controllers.end())
          m.controllers.push_back(opt);
      }
    }
  }
  bool v1 = !m.v1_mounts.empty(), v2 = !m.v2_mount.empty();
  m.mode = v1 && v2 ? "hybrid" : v1 ? "v1" : v2 ? "v2" : "none";
  std::sort(m.controllers.begin(), m.controllers.end());
  return m;
}

Result<CgroupMounts> DetectCgroups(const std::string& mountinfo_path,
                                   const std::string& root_prefix) {
  std::string text = CTV_TRY(ReadFile(mountinfo_path));
  CgroupMounts m = ParseCgroupMounts(text);
  if (!m.v2_mount.empty()) {
    // On a hybrid host the v2 hierarchy usually has no controllers (here: only hugetlb, or none);
    // those it does have are usable only through v2, so list them only on a pure v2 host.
    auto controllers = ReadFile(root_prefix + m.v2_mount + "/cgroup.controllers");
    if (controllers && m.mode == "v2") {
      for (const std::string& c : Split(controllers.value(), ' ')) {
        std::string name = c;
        while (!name.empty() && (name.back() == '\n')) name.pop_back();
        if (!name.empty()) m.controllers.push_back(name);
      }
      std::sort(m.controllers.begin(), m.controllers.end());
    }
  }
  return m;
}

}  // namespace ctv::cgroup
