// The config.json of an OCI bundle for the peer runtimes (runc, crun, runsc): one pure function,
// spec -> JSON, so what every peer is asked to run is unit-tested apart from any runtime.
//
// What it writes, and why: the shape `runc spec` writes (ociVersion 1.0.2, the standard mounts
// proc, /dev tmpfs, devpts, shm, mqueue, sysfs ro, cgroup ro; runc's masked and read-only paths;
// a default-deny devices list the runtimes complete with their standard devices), changed where
// ctvbench wants every container driver to isolate alike, i.e. like ctvrt does:
//   - namespaces pid, mount, uts, ipc, network (unless host networking), cgroup;
//   - ctvrt's default capabilities (runtime/security: Docker's set minus MKNOD) and, unless
//     turned off, ctvrt's default seccomp profile (the same denied syscalls, ptrace attach, clone3
//     as ENOSYS, no new user namespaces);
//   - noNewPrivileges, terminal false (the probe's stdout is the runtime's own, a pipe), cwd "/",
//     uid/gid 0, no rlimits (the harness's limits are inherited, as ctvrt's containers inherit
//     them);
//   - a writable root ("rootfs", the per-instance overlay of bench/drivers/oci_bundle.h), and the
//     instance's volumes as read-write bind mounts;
//   - Limits as linux.resources (memory.limit, cpu quota/period/cpus/shares, pids.limit,
//     blockIO.throttleReadBpsDevice) in the cgroup
//     linux.cgroupsPath, "/ctvbench/<id>": under the parent every ctvbench cgroup shares, named
//     after the container so `ctvbench gc` finds it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/driver.h"

namespace ctv::bench {

inline constexpr int64_t kOciCpuPeriodUs = 100000;

struct OciConfigSpec {
  std::vector<std::string> args;  // process.args: the probe's path in the image, then its args
  std::vector<std::string> env;   // the image's Env
  std::string hostname;           // the instance's name
  std::string cgroups_path;       // "/ctvbench/<id>"
  bool network_namespace = true;  // false: the host's network (net=host)
  bool seccomp = true;            // ctvrt's default profile
  Limits limits;
  // Host directories bound read-write into the container (InstanceSpec::volumes), after the
  // standard mounts: "bind" mounts with options rbind, rw, as `docker run -v` asks runc for.
  std::vector<VolumeMount> volumes;
};

nlohmann::json RenderOciConfig(const OciConfigSpec& spec);

}  // namespace ctv::bench
