// OCI runtime-spec config.json -> ContainerSpec, for bundles (`ctvrt create/run --bundle`).
//
// Supported: ociVersion (SemVer, 1.x), root (path, readonly), process (optional for `create`,
// refused by `start`: args, env, cwd, user uid/gid/additionalGids/umask, rlimits (soft <= hard,
// no duplicates), noNewPrivileges (absent = false), oomScoreAdj, all five capability sets
// (ambient raised; a missing set is empty; no `capabilities` at all = ctvrt's default set),
// terminal, consoleSize), hostname, annotations (state, hooks), mounts (the standard
// proc/dev/pts/shm/mqueue/sys/cgroup destinations are provided by ctvrt's own rootfs plan; bind
// mounts become volumes; other types are mounted as given, options split into MS_* flags and
// data), linux.namespaces (new, or joined by `path`; no mount namespace = the host's, no rootfs
// built, as runc), uid/gid mappings, devices (nodes under /dev: mknod, or a bind of the host's in
// a user namespace; allowed in the device cgroup), rootfsPropagation, cgroupsPath (paths, runc's
// rules; the systemd slice:prefix:name form is refused), resources: memory limit/swap, cpu
// shares/quota/period/cpus/mems, pids limit, blockIO weight, devices (v1 only: v2 refuses),
// maskedPaths, readonlyPaths, seccomp (runtime/oci/seccomp.h; absent = no filter, as runc).
// process.terminal needs a console socket for `create` / `run -d` (the pty master is sent
// there) and is relayed by a foreground `ctvrt run`. hooks: prestart, createRuntime, poststart,
// poststop (runtime/hooks.h); createContainer and startContainer are refused (non-empty list).
// Refused with an error naming the field: any other linux.resources field (memory reservation,
// kernel, swappiness, disableOOMKiller, cpu realtime*, network, hugepageLimits, rdma, unified,
// blockIO beyond weight), linux.sysctl, intelRdt, personality, mountLabel, timeOffsets,
// process.apparmorProfile, process.selinuxLabel.
// Ignored: process.user.username (Windows), annotations' meaning.
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
