// Block I/O controller (v1 blkio, v2 io): proportional weight and per-device throttling.
// The weight files exist only with an I/O scheduler that supports them (BFQ); asking for a weight
// on a host without one is an error naming the missing file.
#include <unistd.h>

#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {

Status ApplyIoV1(const std::string& dir, const Limits& l) {
  if (l.io_weight) {
    std::string f = dir + "/blkio.weight";
    if (::access(f.c_str(), F_OK) != 0) f = dir + "/blkio.bfq.weight";
    CTV_CHECK(WriteValue(f, std::to_string(*l.io_weight)));
  }
  for (const IoThrottle& t : l.io_throttle) {
    auto put = [&](const char* file, const std::optional<uint64_t>& v) -> Status {
      if (!v) return Ok();
      return WriteValue(dir + "/" + file, t.device + " " + std::to_string(*v));
    };
    CTV_CHECK(put("blkio.throttle.read_bps_device", t.read_bps));
    CTV_CHECK(put("blkio.throttle.write_bps_device", t.write_bps));
    CTV_CHECK(put("blkio.throttle.read_iops_device", t.read_iops));
    CTV_CHECK(put("blkio.throttle.write_iops_device", t.write_iops));
  }
  return Ok();
}

Status ApplyIoV2(const std::string& dir, const Limits& l) {
  if (l.io_weight) {
    std::string f = dir + "/io.weight";
    if (::access(f.c_str(), F_OK) != 0) f = dir + "/io.bfq.weight";
    CTV_CHECK(WriteValue(f, "default " + std::to_string(*l.io_weight)));
  }
  for (const IoThrottle& t : l.io_throttle) {
    std::string v = t.device;
    if (t.read_bps) v += " rbps=" + std::to_string(*t.read_bps);
    if (t.write_bps) v += " wbps=" + std::to_string(*t.write_bps);
    if (t.read_iops) v += " riops=" + std::to_string(*t.read_iops);
    if (t.write_iops) v += " wiops=" + std::to_string(*t.write_iops);
    CTV_CHECK(WriteValue(dir + "/io.max", v));
  }
  return Ok();
}

}  // namespace ctv::cgroup::controller
