// Memory controller. Without an explicit swap limit the container gets no swap (memsw = limit,
// memory.swap.max = 0): a benchmark's memory figures must not depend on the host's swap.
#include <unistd.h>

#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {
namespace {
bool Has(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }
}  // namespace

Status ApplyMemoryV1(const std::string& dir, const Limits& l) {
  if (!l.memory_bytes) return Ok();
  CTV_CHECK(WriteValue(dir + "/memory.limit_in_bytes", std::to_string(*l.memory_bytes)));
  // memsw exists only with swap accounting (swapaccount=1); its absence means swap is not
  // accounted, so there is nothing to cap unless the caller asked for a specific value.
  int64_t swap = l.memory_swap_bytes.value_or(*l.memory_bytes);
  if (Has(dir + "/memory.memsw.limit_in_bytes"))
    CTV_CHECK(WriteValue(dir + "/memory.memsw.limit_in_bytes", std::to_string(swap)));
  else if (l.memory_swap_bytes)
    return MakeError("set swap limit", dir + "/memory.memsw.limit_in_bytes",
                     "swap accounting is off on this host (boot with swapaccount=1)");
  return Ok();
}

Status ApplyMemoryV2(const std::string& dir, const Limits& l) {
  if (!l.memory_bytes) return Ok();
  CTV_CHECK(WriteValue(dir + "/memory.max", std::to_string(*l.memory_bytes)));
  if (Has(dir + "/memory.swap.max")) {
    // v2 counts swap separately: memory+swap total minus memory.
    int64_t swap = 0;
    if (l.memory_swap_bytes)
      swap = *l.memory_swap_bytes < 0 ? -1 : *l.memory_swap_bytes - *l.memory_bytes;
    CTV_CHECK(WriteValue(dir + "/memory.swap.max", swap < 0 ? "max" : std::to_string(swap)));
  }
  return Ok();
}

void ReadMemoryV1(const std::string& dir, Stats* s) {
  if (auto v = ReadInt(dir + "/memory.usage_in_bytes")) s->memory_usage = *v;
  if (auto v = ReadInt(dir + "/memory.max_usage_in_bytes")) s->memory_peak = *v;
  // "oom_kill N" appeared in memory.oom_control in 4.13.
  s->oom_kills = ReadKey(dir + "/memory.oom_control", "oom_kill").value_or(0);
  s->oom_events = s->oom_kills;
}

void ReadMemoryV2(const std::string& dir, Stats* s) {
  if (auto v = ReadInt(dir + "/memory.current")) s->memory_usage = *v;
  if (auto v = ReadInt(dir + "/memory.peak")) s->memory_peak = *v;  // 5.19+
  s->oom_kills = ReadKey(dir + "/memory.events", "oom_kill").value_or(0);
  s->oom_events = ReadKey(dir + "/memory.events", "oom").value_or(0);
}

}  // namespace ctv::cgroup::controller
