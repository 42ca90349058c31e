// OCI runtime-spec config.json -> ContainerSpec, for bundles (`ctvrt create/run --bundle`).
//
// Supported: ociVersion (SemVer, 1.x), root (path, readonly), process (optional for `create`,
// refused by `start`: args, env, cwd, user uid/gid/additionalGids/umask, rlimits (soft <= hard,
// no duplicates), noNewPrivileges (absent = false), oomScoreAdj, all five capability sets
// (ambient raised; a missing set is empty; no `capabilities` at all = ctvrt's default set),
// terminal, consoleSize), hostname, annotations (state, hooks), mounts (the standard
// proc/dev/pts/shm/mqueue/sys destinations are provided by ctvrt's own rootfs plan; a `cgroup`
// or `cgroup2` mount at /sys/fs/cgroup shows the container's own cgroups there, as their root,
// read-only with "ro" (runtime/fs/cgroupfs.h; at another destination refused); bind mounts
// become volumes; other types are mounted as given, options split into MS_* flags and data),
// linux.namespaces (new, or joined by `path`; no mount namespace = the host's, no rootfs
// built, as runc), uid/gid mappings, devices (nodes under /dev: mknod, or a bind of the host's in
// a user namespace; allowed in the device cgroup), rootfsPropagation, cgroupsPath (paths, runc's
// rules; the systemd slice:prefix:name form is refused; `delete` removes the directories ctvrt
// made there and never a pre-existing one), maskedPaths, readonlyPaths, seccomp
// (runtime/oci/seccomp.h; absent = no filter, as runc).
// linux.resources, per field (v1 file / v2 file; "warn" = skipped with a warning naming the
// field, as runc does; "refused" = create fails naming the field and the reason):
//   memory.limit             memory.limit_in_bytes / memory.max
//   memory.swap              memory.memsw.limit_in_bytes (refused without swap accounting) /
//                            memory.swap.max = swap - limit (runc's conversion); needs limit
//   memory.reservation       memory.soft_limit_in_bytes / memory.low
//   memory.kernel            memory.kmem.limit_in_bytes where the kernel takes it, else warn /
//                            warn (kernel memory is part of memory.max)
//   memory.swappiness        memory.swappiness (0..100) / warn
//   memory.disableOOMKiller  memory.oom_control = 1 / warn (v2 cannot disable the OOM killer)
//   cpu.shares               cpu.shares / cpu.weight (1 + (shares-2)*9999/262142, runc's)
//   cpu.quota, cpu.period    cpu.cfs_quota_us + cpu.cfs_period_us / cpu.max
//   cpu.realtimeRuntime, cpu.realtimePeriod
//                            cpu.rt_runtime_us + cpu.rt_period_us (refused without
//                            CONFIG_RT_GROUP_SCHED, or beyond the parent's budget) / refused
//                            (v2 has no real-time group scheduling)
//   cpu.cpus, cpu.mems       cpuset.cpus, cpuset.mems (both)
//   pids.limit               pids.max (both)
//   blockIO.weight           blkio.weight or blkio.bfq.weight / io.weight or io.bfq.weight;
//                            neither: warn (runc)
//   network.classID          net_cls.classid wherever net_cls is mounted (alone or co-mounted
//                            `net_cls,net_prio`; refused naming the field when it is not) /
//                            refused (v2 has no net_cls)
//   network.priorities       net_prio.ifpriomap (one write per interface), as classID / refused
//   devices                  devices.deny "a" then the rules in order / an eBPF
//                            BPF_PROG_TYPE_CGROUP_DEVICE program (cgroup/devices_bpf.h)
//   hugepageLimits           hugetlb.<size>.limit_in_bytes / hugetlb.<size>.max, each plus its
//                            .rsvd. twin where the kernel has it (runc 1.1); pageSize named as
//                            the kernel's files ("2MB", "1GB"): a malformed one refused at
//                            parse, one the kernel lacks at create, naming the value and the
//                            sizes it has; v1 without a hugetlb hierarchy: refused by name
//   unified                  refused (runc too) / each file written as given after the fields
//                            above (cgroup/unified.cc: keys checked first, never a path)
//   any other (memory.kernelTCP, cpu.idle/burst, blockIO beyond weight, rdma): refused.
// process.terminal needs a console socket for `create` / `run -d` (the pty master is sent
// there) and is relayed by a foreground `ctvrt run`. hooks: prestart, createRuntime, poststart,
// poststop (runtime/hooks.h); createContainer and startContainer are refused (non-empty list).
// Refused with an error naming the field: linux.sysctl, intelRdt, personality, mountLabel,
// timeOffsets, process.apparmorProfile, process.selinuxLabel.
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
