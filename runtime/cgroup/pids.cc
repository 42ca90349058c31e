// pids controller: the same two files on v1 and v2.
#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {

Status ApplyPids(const std::string& dir, const Limits& l) {
  if (!l.pids) return Ok();
  return WriteValue(dir + "/pids.max", *l.pids < 0 ? "max" : std::to_string(*l.pids));
}

void ReadPids(const std::string& dir, Stats* s) {
  if (auto v = ReadInt(dir + "/pids.current")) s->pids_current = *v;
}

}  // namespace ctv::cgroup::controller
