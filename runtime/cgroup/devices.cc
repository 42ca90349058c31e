// Device controller (v1 `devices.allow` / `devices.deny`): deny everything, then the rules in
// order. A v1 child cgroup can only narrow its parent's list, so later rules never widen what
// the host allows the ctvbench parent.
#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {

Status ApplyDevicesV1(const std::string& dir, const Limits& l) {
  if (!l.devices) return Ok();
  CTV_CHECK(WriteValue(dir + "/devices.deny", "a"));
  for (const DeviceRule& r : l.device_rules)
    CTV_CHECK(WriteValue(dir + (r.allow ? "/devices.allow" : "/devices.deny"), r.ToString()));
  return Ok();
}

}  // namespace ctv::cgroup::controller
