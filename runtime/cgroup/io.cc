// Block I/O controller (v1 blkio, v2 io): proportional weight and per-device throttling.
// The weight files exist only with an I/O scheduler that supports them (CFQ's blkio.weight, BFQ's
// *.bfq.weight). On a kernel with neither, a weight is skipped with a warning naming both files,
// as runc does: a bundle asking for one must still start (runc spec bundles often carry it).
#include <unistd.h>

#include "core/log.h"
#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {
namespace {

// Writes `value` into the first of `names` (in `dir`) that exists; none: warns and skips.
Status WriteWeight(const std::string& dir, std::initializer_list<const char*> names,
                   const std::string& value) {
  std::string tried;
  for (const char* name : names) {
    std::string f = dir + "/" + name;
    if (::access(f.c_str(), F_OK) == 0) return WriteValue(f, value);
    tried += (tried.empty() ? "" : " nor ") + std::string(name);
  }
  Log(LogLevel::kWarn,
      "cgroup `{}`: I/O weight {} not applied: this kernel's I/O scheduler offers no weight "
      "(neither {})",
      dir, value, tried);
  return Ok();
}

}  // namespace

Status ApplyIoV1(const std::string& dir, const Limits& l) {
  if (l.io_weight)
    CTV_CHECK(WriteWeight(dir, {"blkio.weight", "blkio.bfq.weight"}, std::to_string(*l.io_weight)));
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
  if (l.io_weight)
    CTV_CHECK(WriteWeight(dir, {"io.weight", "io.bfq.weight"},
                          "default " + std::to_string(*l.io_weight)));
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
