// What machine a run was made on: everything a reader needs to judge a figure (kernel, CPU,
// memory, cgroup mode, KVM, tool versions, ctvbench revision). Read, never guessed: a tool that
// is absent is absent from `tools`, not "unknown".
#pragma once

#include <string>
#include <vector>

#include "results/results.h"

namespace ctv::bench {

// `probe_kvm_boot`: also boot a guest kernel under KVM (with a timeout) to learn whether KVM is
// really usable (vm/accel.h); without it the answer comes from the device and module alone.
results::Environment CollectEnvironment(bool probe_kvm_boot = false);

// Guest kernels found on this host (/boot/vmlinuz-*), newest last.
std::vector<std::string> FindGuestKernels();

// The revision compiled in (git describe at configure time).
std::string CtvbenchRevision();

}  // namespace ctv::bench
