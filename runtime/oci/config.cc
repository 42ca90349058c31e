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
       {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"})
    if (d == s) return true;
  return false;
}

}  // namespace

Result<ContainerSpec> ParseConfig(const std::string& text, const std::string& bundle) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return FieldError("", "not a JSON object");
  ContainerSpec s;
  try {
    const json& root = j.value("root", json::object());
    std::string rp = root.value("path", "rootfs");
    s.rootfs_dir = rp.empty() || rp[0] == '/' ? rp : bundle + "/" + rp;
    s.readonly_rootfs = root.value("readonly", false);
    const json& p = j.value("process", json::object());
    s.process.args = p.value("args", std::vector<std::string>{});
    if (s.process.args.empty()) return FieldError("process.args", "empty: nothing to run");
    s.process.env = p.value("env", std::vector<std::string>{});
    s.process.cwd = p.value("cwd", "/");
    if (p.contains("user")) {
      s.process.uid = p["user"].value("uid", 0u);
      s.process.gid = p["user"].value("gid", 0u);
      s.process.additional_gids = p["user"].value("additionalGids", std::vector<uint32_t>{});
    }
    s.process.terminal = p.value("terminal", false);
    if (p.contains("consoleSize")) {
      s.process.console_rows = p["consoleSize"].value("height", uint16_t{0});
      s.process.console_cols = p["consoleSize"].value("width", uint16_t{0});
    }
    s.process.no_new_privileges = p.value("noNewPrivileges", true);
    for (const json& r : p.value("rlimits", json::array())) {
      Rlimit rl;
      rl.resource = CTV_TRY(RlimitResource(r.value("type", "")));
      rl.soft = r.value("soft", uint64_t{0});
      rl.hard = r.value("hard", uint64_t{0});
      s.process.rlimits.push_back(rl);
    }
    if (p.contains("capabilities") && p["capabilities"].contains("bounding")) {
      security::CapSet caps = 0;
      for (const std::string& c : p["capabilities"]["bounding"].get<std::vector<std::string>>()) {
        auto bit = security::ParseCap(c);
        if (!bit) return FieldError("process.capabilities.bounding", bit.error().ToString());
        caps |= security::CapSet{1} << *bit;
      }
      s.process.caps = caps;
    }
    s.hostname = j.value("hostname", "");
    for (const json& m : j.value("mounts", json::array())) {
      std::string dest = m.value("destination", "");
      if (StandardDestination(dest)) continue;
      std::vector<std::string> opts = m.value("options", std::vector<std::string>{});
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
    const json& res = linux_.value("resources", json::object());
    if (res.contains("memory")) {
      const json& m = res["memory"];
      if (m.contains("limit")) s.limits.memory_bytes = m["limit"].get<int64_t>();
      if (m.contains("swap")) s.limits.memory_swap_bytes = m["swap"].get<int64_t>();
    }
    if (res.contains("cpu")) {
      const json& c = res["cpu"];
      if (c.contains("period")) s.limits.cpu_period_us = c["period"].get<int64_t>();
      if (c.contains("quota") && c["quota"].get<int64_t>() > 0)
        s.limits.cpus = static_cast<double>(c["quota"].get<int64_t>()) / s.limits.cpu_period_us;
      if (c.contains("shares")) s.limits.cpu_shares = c["shares"].get<uint64_t>();
      if (c.contains("cpus")) s.limits.cpuset_cpus = c["cpus"].get<std::string>();
      if (c.contains("mems")) s.limits.cpuset_mems = c["mems"].get<std::string>();
    }
    if (res.contains("pids") && res["pids"].contains("limit"))
      s.limits.pids = res["pids"]["limit"].get<int64_t>();
    if (res.contains("blockIO") && res["blockIO"].contains("weight"))
      s.limits.io_weight = res["blockIO"]["weight"].get<uint16_t>();
    // Like runc: a bundle without linux.seccomp runs without a filter.
    s.process.seccomp = linux_.contains("seccomp") && !linux_["seccomp"].is_null();
    if (s.process.seccomp) s.process.seccomp_profile = CTV_TRY(ParseSeccomp(linux_["seccomp"]));
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
