// Spawning a tool in a private mount namespace of its own, with some host mounts hidden or
// replaced there: for peers that must not see part of the host's mount table.
//
// Why: crun 1.8 refuses to create a container on a cgroup v1 "hybrid" host whose empty cgroup2
// mount (/sys/fs/cgroup/unified) it can see ("cgroups in hybrid mode not supported, drop all
// controllers from cgroupv2"); runc and gVisor do not mind. Hiding that one mount from crun (and
// from podman, whose conmon runs crun) is enough, and must not change the host's mounts.
//
// Contract: the child is created with clone(CLONE_VM | CLONE_VFORK), like posix_spawn: no copy
// of the harness's memory, the parent waits until exec. Between clone and exec the child only
// makes system calls (no allocation, no logging): reset signal handlers, process group, dup2 of
// stdio, unshare(CLONE_NEWNS), make "/" recursively private (nothing propagates back to the
// host), bind mounts, MNT_DETACH unmounts, execve. A failing step writes {stage, errno} to a
// CLOEXEC sync pipe and _exits; the parent returns it as an Error naming the step. The new
// namespace dies with the last process in it, and the mounts made in it with it.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/process.h"

namespace ctv::bench {

struct PrivateMounts {
  std::vector<std::string> hide;  // unmounted in the child's namespace (not mounted: no error)
  std::vector<std::pair<std::string, std::string>> binds;  // {source, target} bind mounts
  bool Empty() const { return hide.empty() && binds.empty(); }
};

// Like core's Spawn (argv[0] looked up in PATH, stdin /dev/null when -1, signal mask and
// dispositions reset), in a private mount namespace set up as `mounts` says. With empty
// `mounts`, exactly core's Spawn.
Result<Child> SpawnWithMounts(const SpawnOptions& options, const PrivateMounts& mounts);

// Like core's RunCommand (stdout, stderr captured; killed after `timeout`), through
// SpawnWithMounts.
Result<CommandOutput> RunWithMounts(const std::vector<std::string>& argv,
                                    const PrivateMounts& mounts,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace ctv::bench
