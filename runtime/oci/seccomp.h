// OCI runtime-spec `linux.seccomp` -> security::SeccompProfile (compiled by CompileProfile).
//
// Supported: defaultAction, defaultErrnoRet, architectures, flags, syscalls[].{names, action,
// errnoRet, args[].{index, value, valueTwo, op}}. Refused with an error naming the field:
// unknown actions, operators, architectures and flags; errnoRet on an action that returns no
// errno; SCMP_ACT_NOTIFY (it needs a seccomp agent: listenerPath); an argument index above 5;
// an entry without names.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"
#include "runtime/security/seccomp_profile.h"

namespace ctv::runtime::oci {

Result<security::SeccompProfile> ParseSeccomp(const nlohmann::json& seccomp);

}  // namespace ctv::runtime::oci
