#include "runtime/spec_flags.h"

#include <sys/resource.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>

namespace ctv::runtime {

Error FlagError(const std::string& flag, const std::string& value, const std::string& form) {
  return MakeError("invalid value for " + flag, value, "expected " + form);
}

Result<Volume> ParseVolumeFlag(const std::string& v) {
  Volume vol;
  size_t a = v.find(':');
  if (a == std::string::npos) return FlagError("-v/--volume", v, "HOSTDIR:CTDIR[:ro]");
  vol.host_path = v.substr(0, a);
  std::string rest = v.substr(a + 1);
  size_t b = rest.find(':');
  vol.container_path = rest.substr(0, b);
  if (b != std::string::npos) {
    std::string mode = rest.substr(b + 1);
    if (mode != "ro" && mode != "rw") return FlagError("-v/--volume", v, "HOSTDIR:CTDIR[:ro|:rw]");
    vol.read_only = mode == "ro";
  }
  if (vol.host_path.empty() || vol.host_path[0] != '/' || vol.container_path.empty() ||
      vol.container_path[0] != '/')
    return FlagError("-v/--volume", v, "absolute paths HOSTDIR:CTDIR[:ro]");
  return vol;
}

Result<Rlimit> ParseUlimitFlag(const std::string& u) {
  static const std::map<std::string, int> kNames = {
      {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},     {"core", RLIMIT_CORE},
      {"stack", RLIMIT_STACK},   {"memlock", RLIMIT_MEMLOCK}, {"fsize", RLIMIT_FSIZE},
      {"as", RLIMIT_AS},         {"cpu", RLIMIT_CPU}};
  size_t eq = u.find('=');
  auto it = eq == std::string::npos ? kNames.end() : kNames.find(u.substr(0, eq));
  if (it == kNames.end())
    return FlagError("--ulimit", u,
                     "NAME=SOFT[:HARD] with NAME one of nofile, nproc, core, "
                     "stack, memlock, fsize, as, cpu");
  // Each part: decimal digits only (strtoull alone takes a sign and saturates silently), or -1
  // for unlimited as docker takes it.
  auto part = [](const std::string& p) -> std::optional<rlim_t> {
    if (p == "-1") return RLIM_INFINITY;
    if (p.empty() || p.size() > 19 || p.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return static_cast<rlim_t>(std::stoull(p));
  };
  std::string vals = u.substr(eq + 1);
  size_t colon = vals.find(':');
  std::optional<rlim_t> soft = part(vals.substr(0, colon));
  std::optional<rlim_t> hard = colon == std::string::npos ? soft : part(vals.substr(colon + 1));
  if (!soft || !hard || *soft > *hard)
    return FlagError("--ulimit", u, "NAME=SOFT[:HARD] with SOFT <= HARD (-1: unlimited)");
  return Rlimit{it->second, *soft, *hard};
}

Result<double> ParseCpusFlag(const std::string& s, long ncpu) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || *end || !std::isfinite(v) || !(v > 0) || v > ncpu)
    return FlagError("--cpus", s,
                     "a positive decimal number of cores up to " + std::to_string(ncpu) +
                         " (e.g. 0.5)");
  return v;
}

}  // namespace ctv::runtime
