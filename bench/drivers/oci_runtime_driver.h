// The "runc", "crun" and "runsc" drivers: the probe in a container made by the real runtime's CLI
// from an OCI bundle of the project's image (bench/drivers/oci_bundle.h, config.json from
// oci_config.h: the namespaces, capabilities, seccomp profile and cgroup limits ctvrt applies).
// One class, parameterized by the runtime; runc and crun are Kind() kContainer, runsc (gVisor, a
// kernel of its own in user space) kSandbox.
//
// Launch: `<runtime> --root <state>/peers/<runtime>/state run --bundle B ID` with no terminal,
// stdin /dev/null, stdout a pipe (the runtimes pass stdio through) and stderr a file in the
// bundle (quoted in errors). Marks: "launch" just before the spawn, "spawn" when the runtime's
// process exists (posix_spawn, or clone+exec for crun, returned), "ready" when the host read
// CTV-READY. The per-instance overlay rootfs and config.json are made before "launch", as
// containerd's snapshotter prepares a rootfs before it calls runc: these figures are the
// runtime's own, ctvrt's include its overlay mount.
// Stop: `<runtime> kill ID TERM`, then the run process's exit. The destructor always kills
// (KILL) and deletes (`delete --force`) the container, removes its cgroups "ctvbench/<id>" and
// the instance's bundle (mount and directory), also when Start or WaitReady failed.
//
// Host quirks handled here (Debian 12, cgroup v1 hybrid, root without CAP_SYS_RESOURCE):
//   - cgroups through cgroupfs (no systemd here): linux.cgroupsPath "/ctvbench/<id>";
//   - crun 1.8 refuses a hybrid host's visible cgroup2 mount: it runs with that mount hidden in
//     a private mount namespace (parameter cgroup_unified=hidden);
//   - runsc's default network ("sandbox") wants a network namespace prepared by its caller and
//     fails in a fresh one ("cannot run with network enabled in root network namespace"):
//     runsc runs with --network=none (loopback only, as the other drivers' own namespaces), or
//     --network=host with net=host. Platform ptrace by default (the 2022 Debian build lists
//     ptrace and kvm; systrap is newer); runsc applies config.json's seccomp profile only with
//     --oci-seccomp, which ctvbench leaves off (gVisor's default: parameter oci_seccomp=off).
// Options: net=none|host, seccomp=0|1, and for runsc platform=<what the installed runsc lists>.
#pragma once

#include <memory>
#include <string>

#include "bench/driver.h"

namespace ctv::bench {

// `runtime` is "runc", "crun" or "runsc".
std::unique_ptr<Driver> MakeOciRuntimeDriver(const DriverContext& context,
                                             const std::string& runtime);

}  // namespace ctv::bench
