// cpuset controller.
#include "core/fd.h"
#include "core/text.h"
#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {

Status PrepareCpusetV1(const std::string& dir) {
  // A v1 cpuset starts with empty cpus/mems and refuses tasks until both are set (ENOSPC):
  // inherit the parent's.
  std::string parent = dir.substr(0, dir.rfind('/'));
  for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
    std::string mine = Trim(OrEmpty(ReadFile(dir + "/" + f)));
    if (!mine.empty()) continue;
    std::string theirs = Trim(CTV_TRY(ReadFile(parent + "/" + f)));
    CTV_CHECK(WriteValue(dir + "/" + f, theirs));
  }
  return Ok();
}

Status ApplyCpuset(const std::string& dir, const Limits& l, bool /*v1*/) {
  if (l.cpuset_cpus) CTV_CHECK(WriteValue(dir + "/cpuset.cpus", *l.cpuset_cpus));
  if (l.cpuset_mems) CTV_CHECK(WriteValue(dir + "/cpuset.mems", *l.cpuset_mems));
  return Ok();
}

}  // namespace ctv::cgroup::controller
