// CPU controller: bandwidth (quota/period) and weight; usage and throttling stats.
// On v1, cpu and cpuacct may be separate hierarchies (they are on this project's CI host), so
// usage is read from the cpuacct directory.
#include <unistd.h>

#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {
namespace {
// cpus > 0 (validated by the callers), so adding 0.5 and truncating rounds to nearest; not
// std::llround, whose libm would be one more shared library for ctvrt to load at every start.
int64_t Quota(const Limits& l) {
  return static_cast<int64_t>(*l.cpus * static_cast<double>(l.cpu_period_us) + 0.5);
}
}  // namespace

uint64_t SharesToWeight(uint64_t shares) {
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

Status ApplyCpuV1(const std::string& dir, const Limits& l) {
  // Real-time bandwidth first, as runc: a SCHED_RR/FIFO task can only join a group with some.
  // The period before the runtime, which must fit in it. The files exist only with
  // CONFIG_RT_GROUP_SCHED; a child's runtime is bounded by what its parent was given (the
  // root has 950000 us per second, a new cgroup 0).
  if (l.cpu_rt_period_us || l.cpu_rt_runtime_us) {
    if (::access((dir + "/cpu.rt_runtime_us").c_str(), F_OK) != 0)
      return MakeError("set up cgroup", dir,
                       std::string(l.cpu_rt_runtime_us ? "linux.resources.cpu.realtimeRuntime"
                                                       : "linux.resources.cpu.realtimePeriod") +
                           ": this kernel has no real-time group scheduling "
                           "(CONFIG_RT_GROUP_SCHED, cpu.rt_runtime_us)");
  }
  if (l.cpu_rt_period_us)
    CTV_CHECK(WriteValue(dir + "/cpu.rt_period_us", std::to_string(*l.cpu_rt_period_us)));
  if (l.cpu_rt_runtime_us) {
    Status s = WriteValue(dir + "/cpu.rt_runtime_us", std::to_string(*l.cpu_rt_runtime_us));
    if (!s)
      return MakeError(
          "set up cgroup", dir,
          "linux.resources.cpu.realtimeRuntime: " + std::to_string(*l.cpu_rt_runtime_us) +
              " refused (more than the parent cgroup's cpu.rt_runtime_us "
              "leaves?): " +
              s.error().ToString());
  }
  if (l.cpus || l.cpu_period_given)
    CTV_CHECK(WriteValue(dir + "/cpu.cfs_period_us", std::to_string(l.cpu_period_us)));
  if (l.cpus) CTV_CHECK(WriteValue(dir + "/cpu.cfs_quota_us", std::to_string(Quota(l))));
  if (l.cpu_shares) CTV_CHECK(WriteValue(dir + "/cpu.shares", std::to_string(*l.cpu_shares)));
  return Ok();
}

Status ApplyCpuV2(const std::string& dir, const Limits& l) {
  if (l.cpus || l.cpu_period_given)
    CTV_CHECK(WriteValue(dir + "/cpu.max", (l.cpus ? std::to_string(Quota(l)) : "max") + " " +
                                               std::to_string(l.cpu_period_us)));
  if (l.cpu_shares)
    CTV_CHECK(WriteValue(dir + "/cpu.weight", std::to_string(SharesToWeight(*l.cpu_shares))));
  return Ok();
}

void ReadCpuV1(const std::string& cpu_dir, const std::string& cpuacct_dir, Stats* s) {
  if (auto v = ReadInt(cpuacct_dir + "/cpuacct.usage")) s->cpu_usage_ns = *v;
  s->cpu_throttled_ns = ReadKey(cpu_dir + "/cpu.stat", "throttled_time").value_or(0);
  s->cpu_nr_throttled = ReadKey(cpu_dir + "/cpu.stat", "nr_throttled").value_or(0);
}

void ReadCpuV2(const std::string& dir, Stats* s) {
  s->cpu_usage_ns = ReadKey(dir + "/cpu.stat", "usage_usec").value_or(0) * 1000;
  s->cpu_throttled_ns = ReadKey(dir + "/cpu.stat", "throttled_usec").value_or(0) * 1000;
  s->cpu_nr_throttled = ReadKey(dir + "/cpu.stat", "nr_throttled").value_or(0);
}

}  // namespace ctv::cgroup::controller
