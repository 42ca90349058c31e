// The `host` driver: ctv-probe as a plain host process, no isolation at all. The floor every other
// driver is compared to ("a container is just a process": how much does the rest cost?).
//
// Option unshare=1: the namespace floor instead, the probe under util-linux
// `unshare -pfmuinc --mount-proc --kill-child` (new pid, mount, uts, ipc, net and cgroup
// namespaces and a fresh /proc; no rootfs, cgroup, seccomp filter or capability drop). It is the
// least a container launch can cost here, and what ctvrt's launch is judged against (issue 17).
// Marks: launch, spawn (unshare exec'd), ready. Stop sends SIGTERM to the process group (unshare
// blocks it while it waits, the probe exits on it). HostPids: unshare and the probe.
#pragma once

#include <memory>

#include "bench/driver.h"

namespace ctv::bench {

std::unique_ptr<Driver> MakeHostDriver(const DriverContext& context);

}  // namespace ctv::bench
