// The "ctvrt" driver: the probe in a native ctvrt container, through the runtime library directly
// (no CLI exec, no shim: the harness process is the container's monitor).
//
// Isolation per instance: pid, mnt, uts, ipc, net, cgroup namespaces; overlay rootfs from the
// project's image (DriverContext::image_dir, probe at /usr/local/bin/ctv-probe); a cgroup under
// ctvbench/ with the spec's limits; default capabilities, no_new_privs, default seccomp profile.
// Options (InstanceSpec::options): "userns" = "0:100000:65536" adds a user namespace;
// "init" = "1" runs the tiny init as PID 1; "seccomp" = "0" disables the filter.
//
// Marks: launch, cgroup (cgroup created with limits), cloned, mounts (rootfs built in the child),
// exec (the probe was exec'd), ready (host saw CTV-READY).
#pragma once

#include <memory>

#include "bench/driver.h"

namespace ctv::bench {

std::unique_ptr<Driver> MakeCtvrtDriver(const DriverContext& context);

}  // namespace ctv::bench
