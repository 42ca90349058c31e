// What the peer drivers (runc, crun, runsc, podman: bench/drivers/oci_runtime_driver.h,
// podman_driver.h) and their garbage collector (peer_gc.h) share: where their state lives, how
// an instance name becomes a container id, who owns a leftover, and the host objects a peer may
// leave behind (cgroups, mounts, processes), found by names ctvbench chose.
//
// Layout under the state dir (DriverContext::state_dir, default /run/ctvbench):
//   peers/<runtime>/state/                      the runtime's --root (never its default root)
//   peers/<runtime>/bundle-<digest12>/<id>/     one instance's bundle: config.json, rootfs
//                                               (overlay), upper/, work/, stderr, owner
//   peers/podman/store-<pid>/                   one harness's private podman storage (owner)
// Every `owner` file names the ctvbench process that made the directory ("<pid> <starttime>"):
// gc touches only what belongs to a process that is gone, so it is safe during another run.
//
// Cgroups: every peer container lives in "ctvbench/<id>" of each hierarchy the runtime uses,
// named v1 hierarchies (name=systemd) and the hybrid cgroup2 mount included (runc makes its
// group there too); podman's are below it ("ctvbench/<id>/libpod-<hex>", ".../conmon").
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::bench::peers {

inline constexpr const char* kDefaultStateDir = "/run/ctvbench";
inline constexpr const char* kCgroupParent = "ctvbench";

// "<state_dir>/peers" ("" = the default state dir).
std::string PeersDir(const std::string& state_dir);
// "<state_dir>/peers/<driver>".
std::string DriverDir(const std::string& state_dir, const std::string& driver);

// A container id every runtime accepts and that can be a hostname: [A-Za-z0-9_.-], at most 64
// characters, starting with "ctv" (suites name instances "ctv..."; other names get "ctv-" in
// front). Too long a name keeps its head and gets a hash of the whole as its tail.
std::string ContainerId(const std::string& instance_name);

// Writes `dir`/owner naming this process. OwnerAlive: that process still runs; a directory
// without a readable owner counts as alive for its first 5 seconds (it is being made).
Status WriteOwner(const std::string& dir);
bool OwnerAlive(const std::string& dir);

// Mount points of every cgroup hierarchy (cgroup and cgroup2, named ones too) in `mountinfo`.
std::vector<std::string> CgroupMountPoints(const std::string& mountinfo = "/proc/self/mountinfo");
// The existing "<hierarchy>/ctvbench/<id>" directories.
std::vector<std::string> InstanceCgroupDirs(const std::string& id,
                                            const std::string& mountinfo = "/proc/self/mountinfo");
// Processes in those groups (and groups below them), without duplicates.
std::vector<pid_t> InstanceCgroupPids(const std::string& id,
                                      const std::string& mountinfo = "/proc/self/mountinfo");
// Instance::HostPids() of a peer: its runtime's CLI process while it runs (`cli_pid` > 0: the
// foreground `runc run` / `podman run`), then every process in its cgroups, each pid once.
std::vector<pid_t> InstanceHostPids(pid_t cli_pid, const std::string& id);
// Kills what is left in them and removes them, deepest first. Appends "cgroup <dir>" lines.
Status RemoveInstanceCgroups(const std::string& id, std::vector<std::string>* removed,
                             const std::string& mountinfo = "/proc/self/mountinfo");
// Removes the shared "ctvbench" parent of every hierarchy where it is empty (named hierarchies
// included, which the ctvrt runtime does not use but runc does).
void RemoveEmptyCgroupParents(std::vector<std::string>* removed,
                              const std::string& mountinfo = "/proc/self/mountinfo");

// Mount points at or below `dir` in `mountinfo`, deepest first.
std::vector<std::string> MountsUnder(const std::string& dir,
                                     const std::string& mountinfo = "/proc/self/mountinfo");
// Unmounts them (lazily when busy). Appends "mount <path>" lines.
Status UnmountUnder(const std::string& dir, std::vector<std::string>* removed,
                    const std::string& mountinfo = "/proc/self/mountinfo");

// SIGKILLs every process (but this one) with a command-line argument naming `path` or a path
// below it ("--bundle=/run/ctvbench/peers/runc/bundle-x/ctv-a", "-b /run/.../store-1/..."), and
// reaps none (they are not our children). Appends "process <pid> (<comm>)" lines.
void KillProcessesMentioning(const std::string& path, std::vector<std::string>* removed);

// The cgroup2 mount of a hybrid cgroup host ("/sys/fs/cgroup/unified"), "" on any other host.
std::string HybridUnifiedMount();

// The first line of a tool's output, without trailing blanks.
std::string FirstLine(const std::string& text);
// The end of a file (a runtime's stderr), at most `max` bytes, trimmed; "" when unreadable.
std::string TailOfFile(const std::string& path, size_t max = 1500);

}  // namespace ctv::bench::peers
