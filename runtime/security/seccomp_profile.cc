#include "runtime/security/seccomp_profile.h"

#include <linux/seccomp.h>
#include <seccomp.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "core/log.h"
#include "runtime/security/seccomp_cache.h"

namespace ctv::security {
namespace {

// OCI action names -> libseccomp actions (the return value is added for ERRNO and TRACE).
// SCMP_ACT_NOTIFY is known but refused by the parser: it needs a seccomp agent (listenerPath).
const std::map<std::string, uint32_t>& Actions() {
  static const std::map<std::string, uint32_t> kActions = {
      {"SCMP_ACT_KILL", SCMP_ACT_KILL},
      {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
      {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
      {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
      {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
      {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
      {"SCMP_ACT_LOG", SCMP_ACT_LOG},
      {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY}};
  return kActions;
}

const std::map<std::string, scmp_compare>& Operators() {
  static const std::map<std::string, scmp_compare> kOps = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  return kOps;
}

// The runtime-spec's list (libseccomp 2.5 names, minus the "SCMP_ARCH_" prefix, lower case).
const char* const kArches[] = {"X86",         "X86_64", "X32",       "ARM",     "AARCH64",
                               "MIPS",        "MIPS64", "MIPS64N32", "MIPSEL",  "MIPSEL64",
                               "MIPSEL64N32", "PPC",    "PPC64",     "PPC64LE", "S390",
                               "S390X",       "PARISC", "PARISC64",  "RISCV64"};

uint32_t ActionValue(const SeccompAction& a) {
  uint32_t v = Actions().at(a.name);
  if (SeccompActionTakesErrno(a.name)) v |= a.ret & 0xffff;  // SCMP_ACT_ERRNO(x) = base | x
  return v;
}

struct CtxDeleter {
  void operator()(void* c) const { seccomp_release(c); }
};

// Everything the compiled filter depends on, as text (its hash names the cache file).
std::string Key(const SeccompProfile& p) {
  std::string k = "profile1;" + p.default_action.name + "/" + std::to_string(p.default_action.ret);
  for (const std::string& a : p.architectures) k += ";arch " + a;
  k += ";flags " + std::to_string(p.flags);
  for (const SeccompRule& r : p.rules) {
    k += ";rule " + r.action.name + "/" + std::to_string(r.action.ret);
    for (const std::string& n : r.names) k += " " + n;
    for (const SeccompArg& a : r.args)
      k += " [" + std::to_string(a.index) + " " + a.op + " " + std::to_string(a.value) + " " +
           std::to_string(a.value_two) + "]";
  }
  return k;
}

Result<SeccompProgram> Compile(const SeccompProfile& p) {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(ActionValue(p.default_action)));
  if (!ctx) return MakeError("seccomp_init", "linux.seccomp.defaultAction", p.default_action.name);
  for (size_t i = 0; i < p.architectures.size(); ++i) {
    std::string lower = p.architectures[i].substr(std::strlen("SCMP_ARCH_"));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    uint32_t arch = seccomp_arch_resolve_name(lower.c_str());
    std::string field = "linux.seccomp.architectures[" + std::to_string(i) + "]";
    if (arch == 0)
      return MakeError("add seccomp architecture", field,
                       p.architectures[i] + " is not supported by this libseccomp");
    int r = seccomp_arch_add(ctx.get(), arch);
    if (r < 0 && r != -EEXIST) return Error{-r, "add seccomp architecture", field};
  }
  // Without a rule for it, a syscall of a foreign architecture gets the default action; keep
  // libseccomp's default for architectures the profile does not list (kill), like runc.
  const uint32_t default_value = ActionValue(p.default_action);
  for (const SeccompRule& rule : p.rules) {
    const uint32_t action = ActionValue(rule.action);
    if (action == default_value) continue;
    // Conditions on distinct arguments can go in one rule (all must hold); libseccomp refuses two
    // conditions on the same argument, so then each gets its own rule (any may match).
    std::vector<scmp_arg_cmp> cmps;
    bool distinct = true;
    for (const SeccompArg& a : rule.args) {
      for (const scmp_arg_cmp& c : cmps) distinct &= c.arg != a.index;
      cmps.push_back({a.index, Operators().at(a.op), a.value, a.value_two});
    }
    for (const std::string& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        Log(LogLevel::kDebug, "seccomp: {}: skipping syscall `{}` (unknown to libseccomp {}.{})",
            rule.field, name, seccomp_version()->major, seccomp_version()->minor);
        continue;
      }
      auto add = [&](unsigned n, const scmp_arg_cmp* c) -> Status {
        int r = seccomp_rule_add_array(ctx.get(), action, nr, n, c);
        if (r < 0) return Error{-r, "add seccomp rule for `" + name + "`", rule.field};
        return Ok();
      };
      if (distinct) {
        CTV_CHECK(add(static_cast<unsigned>(cmps.size()), cmps.data()));
      } else {
        for (const scmp_arg_cmp& c : cmps) CTV_CHECK(add(1, &c));
      }
    }
  }
  return internal::ExportBpf(ctx.get());
}

}  // namespace

bool IsSeccompAction(const std::string& name) { return Actions().count(name) > 0; }
bool SeccompActionTakesErrno(const std::string& name) {
  return name == "SCMP_ACT_ERRNO" || name == "SCMP_ACT_TRACE";
}
bool IsSeccompOperator(const std::string& name) { return Operators().count(name) > 0; }

bool IsSeccompArch(const std::string& name) {
  if (name.rfind("SCMP_ARCH_", 0) != 0) return false;
  for (const char* a : kArches)
    if (name.compare(10, std::string::npos, a) == 0) return true;
  return false;
}

bool SeccompFlag(const std::string& name, unsigned* bit) {
  static const std::map<std::string, unsigned> kFlags = {
      {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
      {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
      {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
      // Meaningful only with a notify listener (SCMP_ACT_NOTIFY, refused): accepted, not passed.
      {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0}};
  auto it = kFlags.find(name);
  if (it == kFlags.end()) return false;
  *bit = it->second;
  return true;
}

Result<const SeccompProgram*> CompileProfile(const SeccompProfile& profile) {
  return internal::CachedProgram(Key(profile), profile.flags, [&] { return Compile(profile); });
}

}  // namespace ctv::security
