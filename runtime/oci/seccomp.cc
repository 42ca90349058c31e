#include "runtime/oci/seccomp.h"

#include <cerrno>
#include <nlohmann/json.hpp>

namespace ctv::runtime::oci {
namespace {

using nlohmann::json;

Error FieldError(const std::string& field, const std::string& what) {
  return MakeError("parse config.json", field, what);
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// An action and its errnoRet (the OCI default is EPERM for the actions that return one).
Result<security::SeccompAction> ParseAction(const json& obj, const char* action_key,
                                            const char* errno_key, const std::string& field) {
  if (!obj.contains(action_key) || !obj[action_key].is_string())
    return FieldError(field + "." + action_key, "missing (a string like \"SCMP_ACT_ERRNO\")");
  security::SeccompAction a;
  a.name = obj[action_key].get<std::string>();
  if (!security::IsSeccompAction(a.name))
    return FieldError(field + "." + action_key, "unknown action " + Quoted(a.name));
  if (a.name == "SCMP_ACT_NOTIFY")
    return FieldError(field + "." + action_key,
                      "SCMP_ACT_NOTIFY is not supported (ctvrt runs no seccomp agent)");
  a.ret = EPERM;
  if (obj.contains(errno_key)) {
    if (!security::SeccompActionTakesErrno(a.name))
      return FieldError(field + "." + errno_key,
                        "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return a value, not " + a.name);
    uint64_t v = obj[errno_key].get<uint64_t>();
    if (v > 0xffff) return FieldError(field + "." + errno_key, "out of range (0..65535)");
    a.ret = static_cast<uint32_t>(v);
  }
  return a;
}

}  // namespace

Result<security::SeccompProfile> ParseSeccomp(const json& j) {
  const std::string base = "linux.seccomp";
  if (!j.is_object()) return FieldError(base, "not an object");
  security::SeccompProfile p;
  try {
    p.default_action = CTV_TRY(ParseAction(j, "defaultAction", "defaultErrnoRet", base));
    int i = 0;
    for (const json& a : j.value("architectures", json::array())) {
      std::string field = base + ".architectures[" + std::to_string(i++) + "]";
      std::string name = a.get<std::string>();
      if (!security::IsSeccompArch(name))
        return FieldError(field, "unknown architecture " + Quoted(name));
      p.architectures.push_back(name);
    }
    i = 0;
    for (const json& f : j.value("flags", json::array())) {
      std::string field = base + ".flags[" + std::to_string(i++) + "]";
      unsigned bit = 0;
      if (!security::SeccompFlag(f.get<std::string>(), &bit))
        return FieldError(field, "unknown flag " + Quoted(f.get<std::string>()));
      p.flags |= bit;
    }
    i = 0;
    for (const json& s : j.value("syscalls", json::array())) {
      security::SeccompRule r;
      r.field = base + ".syscalls[" + std::to_string(i++) + "]";
      r.names = s.value("names", std::vector<std::string>{});
      // Pre-1.0 configs name a single syscall in `name`.
      if (r.names.empty() && s.contains("name")) r.names.push_back(s["name"].get<std::string>());
      if (r.names.empty()) return FieldError(r.field + ".names", "empty: no syscall to match");
      r.action = CTV_TRY(ParseAction(s, "action", "errnoRet", r.field));
      int k = 0;
      for (const json& a : s.value("args", json::array())) {
        std::string field = r.field + ".args[" + std::to_string(k++) + "]";
        security::SeccompArg arg;
        arg.index = a.value("index", 0u);
        if (arg.index > 5) return FieldError(field + ".index", "a syscall has arguments 0..5");
        arg.value = a.value("value", uint64_t{0});
        arg.value_two = a.value("valueTwo", uint64_t{0});
        arg.op = a.value("op", "");
        if (!security::IsSeccompOperator(arg.op))
          return FieldError(field + ".op", "unknown operator " + Quoted(arg.op));
        r.args.push_back(arg);
      }
      p.rules.push_back(std::move(r));
    }
  } catch (const json::exception& e) {
    return FieldError(base, e.what());
  }
  return p;
}

}  // namespace ctv::runtime::oci
