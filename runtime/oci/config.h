// OCI runtime-spec config.json -> ContainerSpec, for bundles (`ctvrt create/run --bundle`).
//
// Supported: root (path, readonly), process (args, env, cwd, user, rlimits, noNewPrivileges,
// capabilities.bounding), hostname, mounts (the standard proc/dev/pts/shm/mqueue/sys/cgroup
// destinations are provided by ctvrt's own rootfs plan; bind mounts become volumes; other types
// are mounted as given), linux.namespaces (without `path`), uid/gid mappings, resources (memory,
// cpu, pids, cpuset, blockIO weight), maskedPaths, readonlyPaths. process.terminal is ignored
// (stdio is inherited); linux.seccomp is replaced by ctvrt's default profile.
// Errors name the field ("linux.namespaces[2].path: joining existing namespaces is not supported").
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
