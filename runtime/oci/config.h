// OCI runtime-spec config.json -> ContainerSpec, for bundles (`ctvrt create/run --bundle`).
//
// Supported: root (path, readonly), process (args, env, cwd, user uid/gid/additionalGids,
// rlimits, noNewPrivileges, capabilities.bounding, terminal, consoleSize), hostname, mounts (the
// standard proc/dev/pts/shm/mqueue/sys/cgroup destinations are provided by ctvrt's own rootfs
// plan; bind mounts become volumes; other types are mounted as given), linux.namespaces (new, or
// joined by `path`: checked to be a namespace of that type when launching; a duplicated type is
// an error), uid/gid mappings, resources (memory, cpu, pids, cpuset, blockIO weight),
// maskedPaths, readonlyPaths, seccomp (runtime/oci/seccomp.h; absent = no filter, as with runc).
// process.terminal needs a console socket for `create` / `run -d` (the pty master is sent
// there) and is relayed by a foreground `ctvrt run`. hooks: prestart, createRuntime, poststart,
// poststop (runtime/hooks.h); createContainer and startContainer are refused (non-empty list).
// Ignored: process.user.username, apparmor/selinux labels, devices, sysctl, annotations.
// Errors name the field ("linux.seccomp.syscalls[3].action: unknown action ...").
#pragma once

#include <string>

#include "core/error.h"
#include "runtime/spec.h"

namespace ctv::runtime::oci {

// `bundle` is the bundle dir (config.json's root.path is relative to it).
Result<ContainerSpec> ParseConfig(const std::string& json_text, const std::string& bundle);
Result<ContainerSpec> LoadBundle(const std::string& bundle);
// Mount options ("ro", "nosuid", "mode=755"...) -> MS_* flags + data string.
void ParseMountOptions(const std::vector<std::string>& options, unsigned long* flags,
                       std::string* data);

}  // namespace ctv::runtime::oci
