// Internal to runtime/security: the compiled-filter cache shared by the default profile
// (seccomp.cc) and user-given profiles (seccomp_profile.cc).
#pragma once

#include <seccomp.h>

#include <functional>
#include <string>

#include "core/error.h"
#include "runtime/security/security.h"

namespace ctv::security::internal {

// The program for `key` (a description of everything the filter depends on; libseccomp's version
// is added here): from this process's memory, else from $CTVBENCH_CACHE (default
// kSeccompCacheDir), else `compile()` and store it in both. The file holds only the BPF code:
// `flags` (which `key` must name too) are set on the program here. The pointer stays valid for the
// life of the process.
Result<const SeccompProgram*> CachedProgram(const std::string& key, unsigned flags,
                                            const std::function<Result<SeccompProgram>()>& compile);
// seccomp_export_bpf through a memfd (libseccomp 2.5 exports only to a descriptor).
Result<SeccompProgram> ExportBpf(scmp_filter_ctx ctx);

}  // namespace ctv::security::internal
