// A seccomp profile given by the user (an OCI bundle's `linux.seccomp`), compiled with libseccomp
// into the same SeccompProgram the default profile uses.
//
// Contract: ParseOciSeccomp (runtime/oci/seccomp.h) fills a SeccompProfile whose action, operator,
// architecture and flag names are already checked, so CompileProfile only fails on what
// libseccomp itself refuses; both name the config.json field in their errors
// (`linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`). Syscall names this
// libseccomp does not know are skipped (a debug log line says which), as runc does, so a profile
// written for a newer kernel still loads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/security/security.h"

namespace ctv::security {

// Actions and operators keep libseccomp's names; the numeric values are resolved when compiling.
struct SeccompAction {
  std::string name;  // "SCMP_ACT_ERRNO"...
  // errno for SCMP_ACT_ERRNO, the tracer's message for SCMP_ACT_TRACE (OCI default EPERM).
  uint32_t ret = 0;
};

struct SeccompArg {
  unsigned index = 0;  // 0..5
  uint64_t value = 0, value_two = 0;
  std::string op;  // "SCMP_CMP_EQ"...
};

struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action;
  std::vector<SeccompArg> args;
  std::string field;  // "linux.seccomp.syscalls[3]", for errors
};

struct SeccompProfile {
  SeccompAction default_action;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64"...; the native one is implied
  unsigned flags = 0;                      // SECCOMP_FILTER_FLAG_* passed to seccomp(2)
  std::vector<SeccompRule> rules;
};

// Name tables (for parsing and error messages).
bool IsSeccompAction(const std::string& name);
// Actions that carry a return value (errnoRet): SCMP_ACT_ERRNO and SCMP_ACT_TRACE.
bool SeccompActionTakesErrno(const std::string& name);
bool IsSeccompOperator(const std::string& name);
bool IsSeccompArch(const std::string& name);
// "SECCOMP_FILTER_FLAG_LOG" -> its bit; false when unknown.
bool SeccompFlag(const std::string& name, unsigned* bit);

// Compiles `profile` (allocates, uses libseccomp: call in the parent, before clone). Rules whose
// action equals the default action are dropped (libseccomp refuses them, runc skips them too).
// Rules whose args use one index at most once become one rule (all conditions must hold); when an
// index repeats, each condition becomes a rule of its own (any may match), which is runc's reading
// of the same JSON. The result is cached like the default profile's (memory, then
// $CTVBENCH_CACHE), keyed by the profile's content and libseccomp's version, so a bundle launched
// again does not pay for libseccomp.
Result<const SeccompProgram*> CompileProfile(const SeccompProfile& profile);

}  // namespace ctv::security
