// hugetlb controller (OCI linux.resources.hugepageLimits): v1 hugetlb.<size>.limit_in_bytes,
// v2 hugetlb.<size>.max, and, as runc 1.1 does, the same value into the reservation limit
// (hugetlb.<size>.rsvd.limit_in_bytes / .rsvd.max, Linux 5.7+) where the kernel has it: without
// it a mapping that reserves pages but never faults them in escapes the limit. A kernel without
// rsvd files gets the fault-time limit only (runc skips them silently too). Page sizes are named
// as runc and the kernel's files name them: "2MB", "1GB", "64KB".
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "runtime/cgroup/manager.h"

namespace ctv::cgroup {

std::vector<std::string> HugePageSizes(const std::string& sysfs_dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(sysfs_dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;  // "hugepages-2048kB"
    if (n.rfind("hugepages-", 0) != 0 || !n.ends_with("kB")) continue;
    uint64_t kb = std::strtoull(n.c_str() + 10, nullptr, 10);
    if (kb == 0) continue;
    const char* unit[] = {"KB", "MB", "GB", "TB"};
    int u = 0;
    while (kb >= 1024 && kb % 1024 == 0 && u < 3) {
      kb /= 1024;
      ++u;
    }
    out.push_back(std::to_string(kb) + unit[u]);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool ValidPageSizeName(const std::string& s) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || s[0] == '0') return false;
  std::string unit = s.substr(digits);
  return unit == "KB" || unit == "MB" || unit == "GB" || unit == "TB";
}

namespace controller {
namespace {

Status Apply(const std::string& dir, const Limits& l, const char* suffix) {
  // Every size checked before the first write, so a refused set leaves the group untouched.
  for (size_t i = 0; i < l.hugetlb.size(); ++i) {
    const std::string& size = l.hugetlb[i].first;
    if (::access((dir + "/hugetlb." + size + suffix).c_str(), F_OK) != 0) {
      std::string have;
      for (const std::string& s : HugePageSizes()) have += (have.empty() ? "" : ", ") + s;
      return MakeError("set up cgroup", dir,
                       "linux.resources.hugepageLimits[" + std::to_string(i) + "].pageSize: `" +
                           size + "` is not a huge page size of this kernel (it has: " +
                           (have.empty() ? "none" : have) + ")");
    }
  }
  bool rsvd = true;
  for (const auto& [size, limit] : l.hugetlb) {
    std::string prefix = dir + "/hugetlb." + size;
    CTV_CHECK(WriteValue(prefix + suffix, std::to_string(limit)));
    if (rsvd && ::access((prefix + ".rsvd" + suffix).c_str(), F_OK) == 0)
      CTV_CHECK(WriteValue(prefix + ".rsvd" + suffix, std::to_string(limit)));
    else
      rsvd = false;
  }
  return Ok();
}

}  // namespace

Status ApplyHugetlbV1(const std::string& dir, const Limits& l) {
  return Apply(dir, l, ".limit_in_bytes");
}
Status ApplyHugetlbV2(const std::string& dir, const Limits& l) { return Apply(dir, l, ".max"); }

}  // namespace controller
}  // namespace ctv::cgroup
