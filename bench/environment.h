// What machine a run was made on: everything a reader needs to judge a figure (kernel, CPU,
// memory, cgroup mode, KVM, tool versions, ctvbench revision). Read, never guessed: a tool that
// is absent is absent from `tools`, not "unknown".
#pragma once

#include <string>
#include <vector>

#include "reports/results.h"

namespace ctv::bench {

results::Environment CollectEnvironment();

// /dev/kvm and the loaded KVM module, without booting anything. `usable` stays "unknown" with a
// reason, unless the module alone decides it (none loaded: "no").
results::KvmInfo DetectKvmDevice();

// Guest kernels found on this host (/boot/vmlinuz-*), newest last.
std::vector<std::string> FindGuestKernels();

// The revision compiled in (git describe at configure time).
std::string CtvbenchRevision();

}  // namespace ctv::bench
