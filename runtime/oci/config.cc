#include "runtime/oci/config.h"

#include <sys/mount.h>
#include <sys/resource.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "runtime/oci/seccomp.h"

namespace ctv::runtime::oci {

using nlohmann::json;

void ParseMountOptions(const std::vector<std::string>& options, unsigned long* flags,
                       std::string* data) {
  static const std::map<std::string, std::pair<bool, unsigned long>> kFlags = {
      {"ro", {true, MS_RDONLY}},
      {"rw", {false, MS_RDONLY}},
      {"nosuid", {true, MS_NOSUID}},
      {"suid", {false, MS_NOSUID}},
      {"nodev", {true, MS_NODEV}},
      {"dev", {false, MS_NODEV}},
      {"noexec", {true, MS_NOEXEC}},
      {"exec", {false, MS_NOEXEC}},
      {"bind", {true, MS_BIND}},
      {"rbind", {true, MS_BIND | MS_REC}},
      {"relatime", {true, MS_RELATIME}},
      {"strictatime", {true, MS_STRICTATIME}},
      {"noatime", {true, MS_NOATIME}},
      {"sync", {true, MS_SYNCHRONOUS}},
      {"private", {true, 0}},
      {"rprivate", {true, 0}},
      {"slave", {true, 0}},
      {"rslave", {true, 0}}};
  for (const std::string& o : options) {
    auto it = kFlags.find(o);
    if (it == kFlags.end()) {
      *data += (data->empty() ? "" : ",") + o;
    } else if (it->second.first) {
      *flags |= it->second.second;
    } else {
      *flags &= ~it->second.second;
    }
  }
}

namespace {

Error FieldError(const std::string& field, const std::string& what) {
  return MakeError("parse config.json", field, what);
}

Result<int> RlimitResource(const std::string& name) {
  static const std::map<std::string, int> kR = {{"RLIMIT_AS", RLIMIT_AS},
                                                {"RLIMIT_CORE", RLIMIT_CORE},
                                                {"RLIMIT_CPU", RLIMIT_CPU},
                                                {"RLIMIT_DATA", RLIMIT_DATA},
                                                {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                                                {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                                                {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                                                {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                                                {"RLIMIT_NICE", RLIMIT_NICE},
                                                {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                                                {"RLIMIT_NPROC", RLIMIT_NPROC},
                                                {"RLIMIT_RSS", RLIMIT_RSS},
                                                {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                                                {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                                                {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                                                {"RLIMIT_STACK", RLIMIT_STACK}};
  auto it = kR.find(name);
  if (it == kR.end()) return FieldError("process.rlimits", "unknown rlimit " + name);
  return it->second;
}

bool StandardDestination(const std::string& d) {
  for (const char* s :
       {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"})
    if (d == s) return true;
  return false;
}

// process.capabilities.<set>: names -> bits; absent set = empty.
Result<bool> ParseCapList(const json& caps, const char* set, security::CapSet* out) {
  if (!caps.contains(set) || caps[set].is_null()) return true;
  int i = 0;
  for (const std::string& c : caps[set].get<std::vector<std::string>>()) {
    auto bit = security::ParseCap(c);
    if (!bit)
      return FieldError(std::string("process.capabilities.") + set + "[" + std::to_string(i) + "]",
                        bit.error().ToString());
    *out |= security::CapSet{1} << *bit;
    ++i;
  }
  return true;
}

// runc's AllowedDevices: mknod of anything, and the nodes ctvrt puts in every /dev.
std::vector<cgroup::DeviceRule> DefaultAllowedDevices() {
  return {{true, 'c', -1, -1, "m"},  {true, 'b', -1, -1, "m"},   {true, 'c', 1, 3, "rwm"},
          {true, 'c', 1, 5, "rwm"},  {true, 'c', 1, 7, "rwm"},   {true, 'c', 1, 8, "rwm"},
          {true, 'c', 1, 9, "rwm"},  {true, 'c', 5, 0, "rwm"},   {true, 'c', 5, 1, "rwm"},
          {true, 'c', 5, 2, "rwm"},  {true, 'c', 136, -1, "rwm"}, {true, 'c', 10, 200, "rwm"}};
}

// ociVersion must be a SemVer 2.0 version of the 1.x spec (runtime-spec config.md).
Status CheckOciVersion(const json& j) {
  // Absent is tolerated (configs written by hand); present, it must be a version.
  if (!j.contains("ociVersion")) return Ok();
  if (!j["ociVersion"].is_string()) return FieldError("ociVersion", "must be a string");
  std::string v = j["ociVersion"].get<std::string>();
  size_t i = 0;
  int parts = 0;
  while (parts < 3) {
    size_t start = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == start || (i - start > 1 && v[start] == '0')) break;
    ++parts;
    if (parts < 3 && (i >= v.size() || v[i++] != '.')) break;
  }
  bool ok = parts == 3 && (i == v.size() || v[i] == '-' || v[i] == '+');
  if (!ok) return FieldError("ociVersion", "not a SemVer version: \"" + v + "\"");
  if (v[0] != '1' || v[1] != '.')
    return FieldError("ociVersion", "ctvrt implements runtime-spec 1.x, not " + v);
  return Ok();
}

// The runtime spec has no fractional number anywhere in config.json: every number is an integer
// of some width. A fraction, or an integer too large for 64 bits (which the JSON parser keeps as
// a double), is refused here naming its place, before a conversion to an integer field could
// overflow (undefined behaviour: fuzz_bundle_config found a gid of 2.2e57).
Status RefuseNonIntegers(const json& j, const std::string& path) {
  if (j.is_number_float())
    return FieldError(path, "expected an integer, got " + j.dump());
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      CTV_CHECK(RefuseNonIntegers(it.value(), path.empty() ? it.key() : path + "." + it.key()));
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i)
      CTV_CHECK(RefuseNonIntegers(j[i], path + "[" + std::to_string(i) + "]"));
  }
  return Ok();
}

}  // namespace

Result<ContainerSpec> ParseConfig(const std::string& text, const std::string& bundle) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return FieldError("", "not a JSON object");
  CTV_CHECK(RefuseNonIntegers(j, ""));
  ContainerSpec s;
  try {
    const json& root = j.value("root", json::object());
    std::string rp = root.value("path", "rootfs");
    s.rootfs_dir = rp.empty() || rp[0] == '/' ? rp : bundle + "/" + rp;
    s.readonly_rootfs = root.value("readonly", false);
    CTV_CHECK(CheckOciVersion(j));
    // runtime-spec: process is required by `start`, not by `create` (the CLI checks at start).
    s.has_process = j.contains("process") && !j["process"].is_null();
    const json& p = s.has_process ? j["process"] : json::object();
    s.process.args = p.value("args", std::vector<std::string>{});
    if (s.has_process && s.process.args.empty())
      return FieldError("process.args", "empty: nothing to run");
    s.process.env = p.value("env", std::vector<std::string>{});
    s.process.cwd = p.value("cwd", "/");
    if (s.has_process && (s.process.cwd.empty() || s.process.cwd[0] != '/'))
      return FieldError("process.cwd", "must be an absolute path: " + s.process.cwd);
    if (p.contains("user")) {
      const json& u = p["user"];
      s.process.uid = u.value("uid", 0u);
      s.process.gid = u.value("gid", 0u);
      s.process.additional_gids = u.value("additionalGids", std::vector<uint32_t>{});
      if (u.contains("umask") && !u["umask"].is_null()) {
        uint32_t m = u["umask"].get<uint32_t>();
        if (m > 0777) return FieldError("process.user.umask", "must be 0..0777");
        s.process.umask = m;
      }
    }
    s.process.terminal = p.value("terminal", false);
    if (p.contains("consoleSize")) {
      s.process.console_rows = p["consoleSize"].value("height", uint16_t{0});
      s.process.console_cols = p["consoleSize"].value("width", uint16_t{0});
    }
    // runtime-spec: absent means false (setuid binaries keep working); `runc spec` writes true.
    s.process.no_new_privileges = p.value("noNewPrivileges", false);
    if (p.contains("oomScoreAdj") && !p["oomScoreAdj"].is_null()) {
      int v = p["oomScoreAdj"].get<int>();
      if (v < -1000 || v > 1000) return FieldError("process.oomScoreAdj", "must be -1000..1000");
      s.process.oom_score_adj = v;
    }
    int ri = 0;
    for (const json& r : p.value("rlimits", json::array())) {
      std::string field = "process.rlimits[" + std::to_string(ri++) + "]";
      Rlimit rl;
      rl.resource = CTV_TRY(RlimitResource(r.value("type", "")));
      if (!r.contains("soft") || !r.contains("hard"))
        return FieldError(field, "needs both soft and hard");
      rl.soft = r["soft"].get<uint64_t>();
      rl.hard = r["hard"].get<uint64_t>();
      if (rl.soft > rl.hard) return FieldError(field, "soft is above hard");
      for (const Rlimit& other : s.process.rlimits)
        if (other.resource == rl.resource)
          return FieldError(field + ".type", "a second " + r.value("type", "") + " entry");
      s.process.rlimits.push_back(rl);
    }
    if (p.contains("capabilities") && !p["capabilities"].is_null()) {
      const json& c = p["capabilities"];
      ProcessSpec::CapSets sets;
      security::CapSet bounding = 0;
      CTV_TRY(ParseCapList(c, "bounding", &bounding));
      CTV_TRY(ParseCapList(c, "effective", &sets.effective));
      CTV_TRY(ParseCapList(c, "permitted", &sets.permitted));
      CTV_TRY(ParseCapList(c, "inheritable", &sets.inheritable));
      CTV_TRY(ParseCapList(c, "ambient", &sets.ambient));
      s.process.caps = bounding;
      s.process.cap_sets = sets;
    }
    if (p.contains("apparmorProfile") && !p["apparmorProfile"].get<std::string>().empty())
      return FieldError("process.apparmorProfile", "not supported by ctvrt (no AppArmor support)");
    if (p.contains("selinuxLabel") && !p["selinuxLabel"].get<std::string>().empty())
      return FieldError("process.selinuxLabel", "not supported by ctvrt (no SELinux support)");
    s.hostname = j.value("hostname", "");
    int mi = 0;
    for (const json& m : j.value("mounts", json::array())) {
      std::string field = "mounts[" + std::to_string(mi++) + "]";
      std::string dest = m.value("destination", "");
      std::vector<std::string> opts = m.value("options", std::vector<std::string>{});
      std::string type = m.value("type", "");
      if (type == "cgroup" || type == "cgroup2") {
        // The container's own cgroups, whichever version the host runs (runc converts too).
        while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
        if (dest != "/sys/fs/cgroup")
          return FieldError(field + ".destination",
                            "ctvrt mounts cgroups only at /sys/fs/cgroup, not " + dest);
        unsigned long flags = 0;
        std::string data;
        ParseMountOptions(opts, &flags, &data);
        s.cgroup_fs = flags;
        continue;
      }
      if (StandardDestination(dest)) continue;
      ExtraMount em;
      em.type = m.value("type", "");
      em.source = m.value("source", "");
      em.destination = dest;
      ParseMountOptions(opts, &em.flags, &em.data);
      if (em.type == "bind") em.flags |= MS_BIND;
      if ((em.flags & MS_BIND) && !em.source.empty() && em.source[0] != '/')
        em.source = bundle + "/" + em.source;
      s.extra_mounts.push_back(em);
    }
    const json& linux_ = j.value("linux", json::object());
    s.namespaces = 0;
    int i = 0, seen = 0;
    for (const json& n : linux_.value("namespaces", json::array())) {
      std::string field = "linux.namespaces[" + std::to_string(i++) + "]";
      const ns::Kind* k = ns::FindKind(n.value("type", ""));
      if (!k) return FieldError(field + ".type", "unknown namespace type " + n.value("type", ""));
      if (seen & k->clone_flag)
        return FieldError(field + ".type", std::string("a second ") + k->oci_type + " namespace");
      seen |= k->clone_flag;
      std::string path = n.value("path", "");
      if (path.empty()) {
        s.namespaces |= k->clone_flag;
      } else if (path[0] != '/') {
        return FieldError(field + ".path", "must be an absolute path: " + path);
      } else {
        s.join_namespaces.push_back({k->clone_flag, path});
      }
    }
    auto maps = [&](const char* key, std::vector<ns::IdMap>* out) {
      for (const json& m : linux_.value(key, json::array()))
        out->push_back({m.value("containerID", 0u), m.value("hostID", 0u), m.value("size", 0u)});
    };
    maps("uidMappings", &s.uid_maps);
    maps("gidMappings", &s.gid_maps);
    if (linux_.contains("maskedPaths"))
      s.masked_paths = linux_["maskedPaths"].get<std::vector<std::string>>();
    if (linux_.contains("readonlyPaths"))
      s.readonly_paths = linux_["readonlyPaths"].get<std::vector<std::string>>();
    int di = 0;
    for (const json& d : linux_.value("devices", json::array())) {
      std::string field = "linux.devices[" + std::to_string(di++) + "]";
      DeviceNode n;
      n.path = d.value("path", "");
      if (n.path.rfind("/dev/", 0) != 0 || n.path.find("..") != std::string::npos)
        return FieldError(field + ".path", "ctvrt makes device nodes under /dev/ only: " + n.path);
      std::string type = d.value("type", "");
      if (type != "c" && type != "b" && type != "p" && type != "u")
        return FieldError(field + ".type", "expected c, b, u or p, got `" + type + "`");
      n.type = type == "u" ? 'c' : type[0];
      n.major = d.value("major", 0u);
      n.minor = d.value("minor", 0u);
      n.mode = d.contains("fileMode") && !d["fileMode"].is_null() ? d["fileMode"].get<uint32_t>() & 07777
                                                                   : 0666;
      n.uid = d.value("uid", 0u);
      n.gid = d.value("gid", 0u);
      s.devices.push_back(n);
    }
    if (linux_.contains("rootfsPropagation")) {
      static const std::map<std::string, unsigned long> kProp = {
          {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
          {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
          {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
          {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};
      std::string v = linux_["rootfsPropagation"].get<std::string>();
      auto it = kProp.find(v);
      if (it == kProp.end())
        return FieldError("linux.rootfsPropagation", "expected shared, slave, private or "
                                                     "unbindable (optionally r-), got `" + v + "`");
      s.rootfs_propagation = it->second;
    }
    // What ctvrt does not implement is refused, never ignored.
    for (const char* f : {"sysctl", "intelRdt", "personality", "mountLabel", "timeOffsets"})
      if (linux_.contains(f) && !linux_[f].is_null() && !linux_[f].empty())
        return FieldError(std::string("linux.") + f, "not supported by ctvrt");
    s.cgroups_path = linux_.value("cgroupsPath", "");
    if (!s.cgroups_path.empty()) {
      // Checked here too (with a fixture /proc/self/cgroup), so a bad path is named at parse time.
      (void)CTV_TRY(cgroup::ResolveCgroupsPath(s.cgroups_path, "0::/x/y\n", ""));
    }
    const json& res = linux_.value("resources", json::object());
    if (res.contains("devices") && !res["devices"].is_null()) {
      s.limits.devices = true;
      int ri = 0;
      for (const json& r : res["devices"]) {
        std::string field = "linux.resources.devices[" + std::to_string(ri++) + "]";
        cgroup::DeviceRule rule;
        if (!r.contains("allow")) return FieldError(field + ".allow", "required");
        rule.allow = r["allow"].get<bool>();
        std::string type = r.value("type", "a");
        if (type != "a" && type != "c" && type != "b")
          return FieldError(field + ".type", "expected a, c or b, got `" + type + "`");
        rule.type = type[0];
        if (r.contains("major") && !r["major"].is_null()) rule.major = r["major"].get<int64_t>();
        if (r.contains("minor") && !r["minor"].is_null()) rule.minor = r["minor"].get<int64_t>();
        rule.access = r.value("access", "rwm");
        if (rule.access.empty() || rule.access.find_first_not_of("rwm") != std::string::npos)
          return FieldError(field + ".access", "expected letters of rwm, got `" + rule.access + "`");
        s.limits.device_rules.push_back(rule);
      }
    }
    if (s.limits.devices || !s.devices.empty()) {
      // runc's order: the config's rules, then what every container needs, then linux.devices.
      s.limits.devices = true;
      for (const cgroup::DeviceRule& d : DefaultAllowedDevices()) s.limits.device_rules.push_back(d);
      for (const DeviceNode& n : s.devices)
        if (n.type != 'p')
          s.limits.device_rules.push_back({true, n.type, n.major, n.minor, "rwm"});
    }
    // Resource fields ctvrt applies; any other one is refused by name. Which cgroup version
    // applies, warns about or refuses each: oci/config.h.
    static const std::map<std::string, std::vector<std::string>> kSupported = {
        {"memory", {"limit", "swap", "reservation", "kernel", "swappiness", "disableOOMKiller"}},
        {"cpu", {"shares", "quota", "period", "cpus", "mems", "realtimeRuntime", "realtimePeriod"}},
        {"pids", {"limit"}},
        {"blockIO", {"weight"}},
        {"network", {"classID", "priorities"}},
        {"devices", {}}};
    for (auto& [k, v] : res.items()) {
      if (v.is_null()) continue;
      if (k == "unified") {
        // cgroup v2 files, values as the kernel takes them (strings, per the spec); the keys are
        // checked and written at create (cgroup/unified.cc): a v1 host refuses them there.
        if (!v.is_object()) return FieldError("linux.resources.unified", "expected an object");
        for (auto& [file, value] : v.items()) {
          if (!value.is_string())
            return FieldError("linux.resources.unified[\"" + file + "\"]",
                              "expected a string value, got " + value.dump());
          s.limits.unified[file] = value.get<std::string>();
        }
        continue;
      }
      if (k == "hugepageLimits") {
        // [{pageSize, limit}]: the size's form is checked here, whether the kernel has it at
        // create (cgroup/hugetlb.cc names the sizes it has).
        if (!v.is_array()) return FieldError("linux.resources.hugepageLimits", "expected an array");
        for (size_t hi = 0; hi < v.size(); ++hi) {
          std::string field = "linux.resources.hugepageLimits[" + std::to_string(hi) + "]";
          const json& h = v[hi];
          if (!h.is_object() || !h.contains("pageSize") || !h.contains("limit"))
            return FieldError(field, "needs pageSize and limit");
          std::string size = h["pageSize"].get<std::string>();
          if (!cgroup::ValidPageSizeName(size))
            return FieldError(field + ".pageSize",
                              "expected a size like 2MB or 1GB (digits, then KB, MB or GB), got `" +
                                  size + "`");
          for (const auto& [other, lim] : s.limits.hugetlb)
            if (other == size) return FieldError(field + ".pageSize", "a second " + size + " entry");
          s.limits.hugetlb.emplace_back(size, h["limit"].get<uint64_t>());
        }
        continue;
      }
      auto it = kSupported.find(k);
      if (it == kSupported.end()) return FieldError("linux.resources." + k, "not supported by ctvrt");
      if (k == "devices") continue;
      for (auto& [f, fv] : v.items()) {
        if (fv.is_null()) continue;
        bool ok = false;
        for (const std::string& name : it->second) ok |= name == f;
        if (!ok) return FieldError("linux.resources." + k + "." + f, "not supported by ctvrt");
      }
    }
    auto has = [](const json& o, const char* f) { return o.contains(f) && !o[f].is_null(); };
    if (res.contains("memory")) {
      const json& m = res["memory"];
      if (has(m, "limit")) s.limits.memory_bytes = m["limit"].get<int64_t>();
      if (has(m, "swap")) {
        s.limits.memory_swap_bytes = m["swap"].get<int64_t>();
        if (!s.limits.memory_bytes && *s.limits.memory_swap_bytes != -1)
          return FieldError("linux.resources.memory.swap",
                            "needs memory.limit (swap is "
                            "memory + swap, as in runc)");
        if (*s.limits.memory_swap_bytes >= 0 && *s.limits.memory_bytes >= 0 &&
            *s.limits.memory_swap_bytes < *s.limits.memory_bytes)
          return FieldError("linux.resources.memory.swap",
                            std::to_string(*s.limits.memory_swap_bytes) +
                                " is below memory.limit (swap counts memory + swap)");
      }
      if (has(m, "reservation"))
        s.limits.memory_reservation_bytes = m["reservation"].get<int64_t>();
      if (has(m, "kernel")) s.limits.memory_kernel_bytes = m["kernel"].get<int64_t>();
      if (has(m, "swappiness")) {
        uint64_t v = m["swappiness"].get<uint64_t>();
        if (v > 100)
          return FieldError("linux.resources.memory.swappiness",
                            "must be 0..100, got " + std::to_string(v));
        s.limits.memory_swappiness = v;
      }
      s.limits.memory_disable_oom_killer = m.value("disableOOMKiller", false);
    }
    if (res.contains("cpu")) {
      const json& c = res["cpu"];
      if (has(c, "period")) {
        s.limits.cpu_period_us = c["period"].get<int64_t>();
        s.limits.cpu_period_given = true;
      }
      if (has(c, "quota") && c["quota"].get<int64_t>() > 0)
        s.limits.cpus = static_cast<double>(c["quota"].get<int64_t>()) / s.limits.cpu_period_us;
      if (has(c, "shares")) s.limits.cpu_shares = c["shares"].get<uint64_t>();
      if (has(c, "cpus")) s.limits.cpuset_cpus = c["cpus"].get<std::string>();
      if (has(c, "mems")) s.limits.cpuset_mems = c["mems"].get<std::string>();
      if (has(c, "realtimeRuntime"))
        s.limits.cpu_rt_runtime_us = c["realtimeRuntime"].get<int64_t>();
      if (has(c, "realtimePeriod")) s.limits.cpu_rt_period_us = c["realtimePeriod"].get<uint64_t>();
    }
    if (res.contains("network") && !res["network"].is_null()) {
      const json& n = res["network"];
      if (has(n, "classID")) s.limits.net_cls_classid = n["classID"].get<uint32_t>();
      int pi = 0;
      for (const json& pr : n.value("priorities", json::array())) {
        std::string field = "linux.resources.network.priorities[" + std::to_string(pi++) + "]";
        std::string name = pr.value("name", "");
        if (name.empty() || name.find_first_of(" \n/") != std::string::npos)
          return FieldError(field + ".name", "not an interface name: `" + name + "`");
        s.limits.net_prio_ifpriomap.emplace_back(name, pr.value("priority", 0u));
      }
    }
    if (res.contains("pids") && res["pids"].contains("limit"))
      s.limits.pids = res["pids"]["limit"].get<int64_t>();
    if (res.contains("blockIO") && res["blockIO"].contains("weight"))
      s.limits.io_weight = res["blockIO"]["weight"].get<uint16_t>();
    // Like runc: a bundle without linux.seccomp runs without a filter.
    s.process.seccomp = linux_.contains("seccomp") && !linux_["seccomp"].is_null();
    if (s.process.seccomp) s.process.seccomp_profile = CTV_TRY(ParseSeccomp(linux_["seccomp"]));
    if (j.contains("annotations") && !j["annotations"].is_null())
      s.annotations = j["annotations"].get<std::map<std::string, std::string>>();
    if (j.contains("hooks")) s.hooks = CTV_TRY(HooksFromJson(j["hooks"].dump()));
  } catch (const json::exception& e) {
    // nlohmann reports type errors by exception; turn them into the one Error shape.
    return FieldError("", e.what());
  }
  return s;
}

Result<ContainerSpec> LoadBundle(const std::string& bundle) {
  std::string text = CTV_TRY(ReadFile(bundle + "/config.json"));
  return ParseConfig(text, bundle);
}

}  // namespace ctv::runtime::oci
