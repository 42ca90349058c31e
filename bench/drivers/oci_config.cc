#include "bench/drivers/oci_config.h"

#include <sched.h>
#include <sys/ptrace.h>

#include <cerrno>
#include <cmath>
#include <cstdio>

#include "runtime/security/security.h"

namespace ctv::bench {
namespace {

using nlohmann::json;

json Mounts() {
  auto m = [](const char* dst, const char* type, const char* src, std::vector<std::string> opts) {
    json j = {{"destination", dst}, {"type", type}, {"source", src}};
    if (!opts.empty()) j["options"] = opts;
    return j;
  };
  return json::array({
      m("/proc", "proc", "proc", {}),
      m("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      m("/dev/pts", "devpts", "devpts",
        {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      m("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      m("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      m("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      m("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });
}

json Capabilities() {
  std::vector<std::string> caps;
  security::CapSet set = security::DefaultCaps();
  for (int c = 0; c < 64; ++c)
    if (set & (security::CapSet{1} << c)) caps.push_back(security::CapName(c));
  return {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
}

const char* NativeSeccompArch() {
#if defined(__x86_64__)
  return "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
  return "SCMP_ARCH_AARCH64";
#else
#error "add this architecture's SCMP_ARCH name"
#endif
}

// ctvrt's default profile (runtime/security/seccomp.cc) in config.json's words.
json Seccomp() {
  std::vector<std::string> denied;
  for (const std::string& s : security::DeniedSyscalls())
    if (s != "clone3") denied.push_back(s);
  json rules = json::array();
  rules.push_back({{"names", denied}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EPERM}});
  // Attaching to a non-child only; a PTRACE_TRACEME child stays traceable by its parent. One
  // rule per request: the conditions of one rule must all hold.
  for (int request : {PTRACE_ATTACH, PTRACE_SEIZE})
    rules.push_back({{"names", {"ptrace"}},
                     {"action", "SCMP_ACT_ERRNO"},
                     {"errnoRet", EPERM},
                     {"args", {{{"index", 0}, {"value", request}, {"op", "SCMP_CMP_EQ"}}}}});
  // clone3's flags live in memory a filter cannot read: ENOSYS makes libc fall back to clone.
  rules.push_back({{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSYS}});
  json newuser = {{"index", 0},
                  {"value", CLONE_NEWUSER},
                  {"valueTwo", CLONE_NEWUSER},
                  {"op", "SCMP_CMP_MASKED_EQ"}};
  rules.push_back({{"names", {"unshare", "clone"}},
                   {"action", "SCMP_ACT_ERRNO"},
                   {"errnoRet", EPERM},
                   {"args", {newuser}}});
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", {NativeSeccompArch()}},
          {"syscalls", rules}};
}

json Resources(const Limits& l) {
  // runc spec's default: deny every device; the runtimes then allow their standard set
  // (null, zero, full, random, urandom, tty, ptmx, pts).
  json r = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
  if (l.memory_bytes) r["memory"] = {{"limit", static_cast<int64_t>(*l.memory_bytes)}};
  // The spec has no structured memory.high: runtimes take it as a raw v2 file (runc, crun; a v1
  // host refuses it).
  if (l.memory_high_bytes)
    r["unified"] = {{"memory.high", std::to_string(*l.memory_high_bytes)}};
  if (l.cpus)
    r["cpu"] = {{"quota", static_cast<int64_t>(std::llround(*l.cpus * kOciCpuPeriodUs))},
                {"period", kOciCpuPeriodUs}};
  if (l.cpuset) r["cpu"]["cpus"] = *l.cpuset;
  if (l.cpu_shares) r["cpu"]["shares"] = *l.cpu_shares;
  if (l.pids) r["pids"] = {{"limit", *l.pids}};
  if (l.io_read) {
    unsigned maj = 0, min = 0;
    if (std::sscanf(l.io_read->device.c_str(), "%u:%u", &maj, &min) == 2)
      r["blockIO"] = {{"throttleReadBpsDevice",
                       {{{"major", maj}, {"minor", min}, {"rate", l.io_read->bytes_per_s}}}}};
  }
  return r;
}

}  // namespace

json RenderOciConfig(const OciConfigSpec& spec) {
  json mounts = Mounts();
  for (const VolumeMount& v : spec.volumes)
    mounts.push_back({{"destination", v.container_path},
                      {"type", "bind"},
                      {"source", v.host_path},
                      {"options", {"rbind", "rw"}}});
  json ns = json::array();
  for (const char* t : {"pid", "mount", "uts", "ipc", "network", "cgroup"}) {
    if (std::string(t) == "network" && !spec.network_namespace) continue;
    ns.push_back({{"type", t}});
  }
  json lx = {
      {"resources", Resources(spec.limits)},
      {"cgroupsPath", spec.cgroups_path},
      {"namespaces", ns},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
        "/proc/scsi"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
  };
  if (spec.seccomp) lx["seccomp"] = Seccomp();
  return {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", spec.args},
        {"env", spec.env},
        {"cwd", "/"},
        {"capabilities", Capabilities()},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", false}}},
      {"hostname", spec.hostname},
      {"mounts", mounts},
      {"linux", lx},
  };
}

}  // namespace ctv::bench
