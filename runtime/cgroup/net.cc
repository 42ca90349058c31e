// v1 net_cls and net_prio controllers (OCI linux.resources.network). cgroup v2 has neither: its
// backend refuses the fields by name (v2.cc), as an eBPF socket program would be the only way.
#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {

Status ApplyNetV1(const std::string& cls_dir, const std::string& prio_dir, const Limits& l) {
  if (l.net_cls_classid && !cls_dir.empty())
    CTV_CHECK(WriteValue(cls_dir + "/net_cls.classid", std::to_string(*l.net_cls_classid)));
  // One "IFACE PRIO" per write: the kernel parses a single entry per write(2).
  if (!prio_dir.empty())
    for (const auto& [iface, prio] : l.net_prio_ifpriomap)
      CTV_CHECK(WriteValue(prio_dir + "/net_prio.ifpriomap", iface + " " + std::to_string(prio)));
  return Ok();
}

}  // namespace ctv::cgroup::controller
