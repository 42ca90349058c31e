// cgroup v1 hierarchies the host does not mount (net_cls, net_prio, hugetlb on this hybrid host),
// made for one test in a private mount namespace (tests/integration/private-cgroup-v1.sh) held
// by a child process, so ctvrt can apply the fields that need them without the host's
// /sys/fs/cgroup ever changing. ctvrt runs inside through nsenter (In()); the test reads the
// namespace's files from the host through /proc/PID/root (Path()).
#pragma once

#include <string>
#include <vector>

#include "core/process.h"

namespace ctv::testing {

class PrivateCgroupV1 {
 public:
  // `hierarchies`: comma lists of controllers mounted together ({"net_cls,net_prio", "hugetlb"}).
  explicit PrivateCgroupV1(std::vector<std::string> hierarchies);
  // Removes the cgroups named by Own() (deepest first), waits until the kernel has released every
  // child cgroup of the hierarchies made, then ends the holder and its namespace.
  ~PrivateCgroupV1();
  PrivateCgroupV1(const PrivateCgroupV1&) = delete;
  PrivateCgroupV1& operator=(const PrivateCgroupV1&) = delete;

  // Why the namespace could not be set up ("" = ready).
  const std::string& Error() const { return error_; }
  // `p` (an absolute path inside the namespace) as the host reaches it.
  std::string Path(const std::string& p) const;
  // `argv` run inside the namespace (nsenter into its mount namespace).
  std::vector<std::string> In(const std::vector<std::string>& argv) const;
  // A cgroup directory (inside path) the destructor removes if still there: what a test's
  // container made, in case the test stopped before its delete.
  void Own(const std::string& dir) { own_.push_back(dir); }
  // Ends the namespace now (the destructor's work); Unmounted() can then be checked.
  void Close();

  // Whether each of `controllers` is on no v1 hierarchy ("hierarchy" 0 in /proc/cgroups), waiting
  // up to 5 s for the kernel to destroy a hierarchy whose last mount went.
  static bool Unmounted(const std::vector<std::string>& controllers);
  // Whether /proc/cgroups lists the controller as enabled (the kernel has it).
  static bool KernelHas(const std::string& controller);

 private:
  Child holder_;
  std::string error_;
  std::vector<std::string> own_;
  std::vector<std::string> controllers_;  // of every hierarchy made
};

}  // namespace ctv::testing
