// The "podman" driver: the probe as `podman run` starts it, i.e. a container engine (image
// store, conmon monitor, OCI runtime) rather than a bare runtime. It also stands for
// `docker run`: same image model, same runc/crun underneath, a CLI people type; Docker's daemon
// (dockerd + containerd + shim) is not measured.
//
// Storage: a private store per harness process (bench/drivers/podman_store.h), the project's
// image imported into it once per run; nothing of a user's podman is read or changed.
// Launch: `podman run --rm --pull never --name ID --network none --cgroupns private
// --cgroup-parent /ctvbench/ID --ulimit nofile=S:H --ulimit nproc=S:H [--memory B] [--cpus C]
// [--pids-limit N] --entrypoint /usr/local/bin/ctv-probe IMAGE ARGS...`, attached (no -d, no
// -t): the probe's stdout comes through conmon and podman to a pipe. Marks: "launch" before the
// spawn, "spawn" once podman's process exists, "ready" on CTV-READY.
//   --cgroupns private: podman's default on cgroup v1 is the host's cgroup namespace, and every
//     container driver here gets its own (pid, mnt, uts, ipc, net, cgroup), as ctvrt's;
//   --ulimit: podman asks for nofile and nproc 1048576 by default, which root without
//     CAP_SYS_RESOURCE (this host) may not get ("setrlimit RLIMIT_NOFILE: Operation not
//     permitted"): nofile is the harness's own limit (the other drivers inherit it too), nproc
//     the harness's capped at 32768, the limit podman 4.3 sets for itself (and so for conmon and
//     the OCI runtime) when it starts.
//   The container's cgroup is "ctvbench/ID/libpod-<hex>", conmon's "ctvbench/ID/conmon".
// Stop: `podman kill --signal=TERM ID` (the probe ends), then `podman run`'s exit. The
// destructor `podman rm -f`s a container whose `run` did not end by itself, waits for conmon to
// finish, and removes "ctvbench/ID" with what is below it.
// Options: net=none|host, runtime=crun|runc (podman's own default is crun).
#pragma once

#include <memory>

#include "bench/driver.h"

namespace ctv::bench {

std::unique_ptr<Driver> MakePodmanDriver(const DriverContext& context);

}  // namespace ctv::bench
