// Memory controller. Without an explicit swap limit the container gets no swap (memsw = limit,
// memory.swap.max = 0): a benchmark's memory figures must not depend on the host's swap.
// OCI fields v2 (or this kernel) has no file for are skipped with a warning naming the field, as
// runc does: kernel, swappiness and disableOOMKiller on v2, kernel where kmem is gone (v1).
#include <unistd.h>

#include "core/log.h"
#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {
namespace {
bool Has(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }
}  // namespace

Status ApplyMemoryV1(const std::string& dir, const Limits& l) {
  if (l.memory_bytes) {
    CTV_CHECK(WriteValue(dir + "/memory.limit_in_bytes", std::to_string(*l.memory_bytes)));
    // memsw exists only with swap accounting (swapaccount=1); its absence means swap is not
    // accounted, so there is nothing to cap unless the caller asked for a specific value.
    int64_t swap = l.memory_swap_bytes.value_or(*l.memory_bytes);
    if (Has(dir + "/memory.memsw.limit_in_bytes"))
      CTV_CHECK(WriteValue(dir + "/memory.memsw.limit_in_bytes", std::to_string(swap)));
    else if (l.memory_swap_bytes)
      return MakeError("set swap limit", dir + "/memory.memsw.limit_in_bytes",
                       "linux.resources.memory.swap: swap accounting is off on this host (boot "
                       "with swapaccount=1)");
  }
  if (l.memory_reservation_bytes)
    CTV_CHECK(WriteValue(dir + "/memory.soft_limit_in_bytes",
                         std::to_string(*l.memory_reservation_bytes)));
  if (l.memory_kernel_bytes) {
    // Deprecated in 5.4; recent kernels refuse the write (EOPNOTSUPP), accept and ignore it (6.x:
    // the value reads back unchanged) or have no file: runc ignores the field, so a bundle
    // carrying it must still start. Read back to tell applied from ignored.
    std::string f = dir + "/memory.kmem.limit_in_bytes";
    std::string want = std::to_string(*l.memory_kernel_bytes), why;
    if (!Has(f)) {
      why = "no " + f;
    } else if (Status s = WriteValue(f, want); !s) {
      why = s.error().ToString();
    } else if (auto got = ReadInt(f); !got || *got != *l.memory_kernel_bytes) {
      why = f + " ignored the write";
    }
    if (!why.empty())
      Log(LogLevel::kWarn,
          "linux.resources.memory.kernel: {} not applied (this kernel counts kernel memory in "
          "the memory limit): {}",
          want, why);
  }
  if (l.memory_swappiness)
    CTV_CHECK(WriteValue(dir + "/memory.swappiness", std::to_string(*l.memory_swappiness)));
  if (l.memory_disable_oom_killer) CTV_CHECK(WriteValue(dir + "/memory.oom_control", "1"));
  return Ok();
}

Status ApplyMemoryV2(const std::string& dir, const Limits& l) {
  auto v2 = [](int64_t v) { return v < 0 ? std::string("max") : std::to_string(v); };
  if (l.memory_bytes) {
    CTV_CHECK(WriteValue(dir + "/memory.max", v2(*l.memory_bytes)));
    if (Has(dir + "/memory.swap.max")) {
      // v2 counts swap separately: memory+swap total minus memory (runc's conversion).
      int64_t swap = 0;
      if (l.memory_swap_bytes)
        swap = *l.memory_swap_bytes < 0 || *l.memory_bytes < 0
                   ? -1
                   : *l.memory_swap_bytes - *l.memory_bytes;
      if (swap < -1)
        return MakeError("set swap limit", dir,
                         "linux.resources.memory.swap: " + std::to_string(*l.memory_swap_bytes) +
                             " is below the memory limit (swap is memory + swap)");
      CTV_CHECK(WriteValue(dir + "/memory.swap.max", v2(swap)));
    } else if (l.memory_swap_bytes && *l.memory_swap_bytes != *l.memory_bytes) {
      return MakeError("set swap limit", dir + "/memory.swap.max",
                       "linux.resources.memory.swap: swap accounting is off on this kernel");
    }
  }
  if (l.memory_reservation_bytes)
    CTV_CHECK(WriteValue(dir + "/memory.low", v2(*l.memory_reservation_bytes)));
  // What v2 has no file for: skipped with a warning naming the field, as runc does.
  if (l.memory_kernel_bytes)
    Log(LogLevel::kWarn,
        "linux.resources.memory.kernel: not applied: cgroup v2 counts kernel memory in "
        "memory.max");
  if (l.memory_swappiness)
    Log(LogLevel::kWarn,
        "linux.resources.memory.swappiness: not applied: cgroup v2 has no per-cgroup "
        "swappiness");
  if (l.memory_disable_oom_killer)
    Log(LogLevel::kWarn,
        "linux.resources.memory.disableOOMKiller: not applied: cgroup v2 cannot disable the "
        "OOM killer");
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
  s->memory_high_events = ReadKey(dir + "/memory.events", "high").value_or(0);
}

}  // namespace ctv::cgroup::controller
