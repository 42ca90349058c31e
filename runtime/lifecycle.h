// Container lifecycle on top of Launch (launch.h) and the state store (state.h): what `ctvrt`
// commands and the gc share.
//
//  - Foreground (`ctvrt run` without -d, the ctvbench driver): the caller launches and monitors
//    the container itself (LaunchRecorded), then RecordExit.
//  - Detached (`ctvrt run -d`, `ctvrt create`): a per-container shim (containerd-shim's role) is
//    forked off in its own session; it launches the container, reports the pid (or the error)
//    back over a pipe, then waits for PID 1 and records the exit status and time. The container
//    keeps running when the CLI exits; if the shim dies, gc treats the container as orphaned.
#pragma once

#include <string>

#include "core/error.h"
#include "runtime/launch.h"
#include "runtime/net/network.h"
#include "runtime/spec.h"
#include "runtime/state.h"

namespace ctv::runtime {

struct RunRequest {
  ContainerSpec spec;  // spec.id must be set
  std::string state_root = kDefaultStateRoot;
  std::string name, image, bundle;
  std::map<std::string, std::string> annotations;
  bool wait_for_start = false;  // OCI create: stop in "created" until `start`
  // Detached: the container's stdin/stdout/stderr are the caller's own 0/1/2 (OCI bundles, as
  // runc's pass-through) instead of /dev/null and <dir>/log (`ctvrt run -d IMAGE`).
  bool inherit_stdio = false;
  // process.terminal of a detached container: the OCI console socket the pty master is sent to
  // (see LaunchOptions::console_socket).
  std::string console_socket;
  // Networking (runtime/net). kBridge: the child's network namespace is attached (veth, address,
  // NAT, `ports`) while it waits for the go-ahead, so a port conflict fails the launch before the
  // workload runs and leaves nothing behind. kNone/kHost: only the namespace flags matter (the
  // caller drops CLONE_NEWNET for kHost). The mode and config are recorded in the state's
  // annotations (kNetAnnotation*) so delete/gc detach with the same config.
  net::NetworkMode net_mode = net::NetworkMode::kNone;
  std::vector<net::PortMapping> ports;
  net::NetworkConfig net_config;
};

// State annotations describing a container's network.
inline constexpr const char* kNetAnnotationMode = "ctvbench.net.mode";
inline constexpr const char* kNetAnnotationAddress = "ctvbench.net.address";
inline constexpr const char* kNetAnnotationPorts = "ctvbench.net.ports";
// How PID 1 joined its cgroup (Container::CgroupJoin), so `ctvrt state` shows which path ran.
inline constexpr const char* kCgroupJoinAnnotation = "ctvbench.cgroup.join";
// The cgroup directories of a container at a linux.cgroupsPath (newline-separated), so `delete`
// and gc remove those and not "ctvbench/<id>".
inline constexpr const char* kCgroupPathsAnnotation = "ctvbench.cgroup.paths";
// Of those and their ancestors, the directories ctvrt made (newline-separated, parents first):
// `delete` removes only these (a pre-existing cgroup at or above cgroupsPath is left alone).
inline constexpr const char* kCgroupCreatedAnnotation = "ctvbench.cgroup.created";
// Why PID 1 failed between `created` and exec (e.g. the exec itself), shown by `ctvrt state`.
inline constexpr const char* kErrorAnnotation = "ctvbench.error";
// Set when config.json had no `process`: `start` refuses the container.
inline constexpr const char* kNoProcessAnnotation = "ctvbench.oci.no_process";
// The host-wide network config: NetworkConfig's defaults, overridden by CTVRT_NET_ROOT,
// CTVRT_NET_BRIDGE, CTVRT_NET_SUBNET, CTVRT_NET_TABLE (tests use their own bridge and table).
net::NetworkConfig HostNetworkConfig();

// Creates <root>/<id> (Error when it exists: "container `x` already exists"), writes the state,
// launches with stdio as given in `options`, records pid and start. On failure nothing is left
// (no state dir, cgroup, veth or nft rule). With req.net_mode == kBridge the attached network is
// moved to `*network` (detached by its destructor unless Release()d); without `network` it is
// released (left for DeleteContainer/gc).
Result<Container> LaunchRecorded(const RunRequest& req, LaunchOptions options, State* state,
                                 net::ContainerNetwork* network = nullptr);
// Forks a shim that launches and monitors the container; stdout+stderr go to <dir>/log, or with
// req.inherit_stdio the caller's stdio is passed through (the shim keeps no copy of it).
// Returns once the container is running (or created, with wait_for_start).
Result<State> LaunchDetached(const RunRequest& req);
// Records the exit of PID 1 (no-op when the container dir is gone). With the container's cgroup,
// also whether the OOM killer ended it (SIGKILL + an OOM kill counted in the cgroup).
Status RecordExit(const std::string& root, const std::string& id, const ExitStatus& status,
                  const cgroup::Manager* cgroup = nullptr, bool* oom_killed = nullptr);

// OCI start: releases a created container (opens its exec FIFO).
Status StartContainer(const std::string& root, const std::string& id);
// Sends `sig` to PID 1 (Error when the container is not running or created).
Status KillContainer(const std::string& root, const std::string& id, int sig);
// Removes a container: kills what is left (only when stopped, unless `force`), waits for its
// monitor to go, removes the cgroups, the network (veth, address, nft rules) and the state dir.
// The shared "ctvbench" parent cgroups go too once empty, unless `keep_cgroup_parents` (see
// LaunchOptions::keep_cgroup_parents).
Status DeleteContainer(const std::string& root, const std::string& id, bool force,
                       bool keep_cgroup_parents = false);
// The shim's log before the container dir exists: <root>/.<id>.<shim pid>.log.
std::string ShimTempLog(const std::string& root, const std::string& id, pid_t shim);
// Removes container `id`'s shim temp logs whose shim is gone (each appended to `removed`).
void RemoveShimTempLogs(const std::string& root, const std::string& id,
                        std::vector<std::string>* removed = nullptr);
// Resolves a user-given id or name to an id.
// The cgroup manager of container `id`: at its recorded linux.cgroupsPath, or ctvbench/<id>.
Result<std::unique_ptr<cgroup::Manager>> ContainerCgroup(const std::string& root,
                                                         const std::string& id);
Result<std::string> ResolveContainer(const std::string& root, const std::string& id_or_name);

// OCI hooks. LaunchRecorded runs prestart and createRuntime (fatal: the launch fails and leaves
// nothing) and keeps the container's hooks in <dir>/kHooksFile; StartContainer runs poststart and
// DeleteContainer poststop from that file. Callers that start or remove a container themselves
// (a foreground `run`) call RunPostHooks. Poststart and poststop failures are logged warnings, as
// the runtime spec wants.
inline constexpr const char* kHooksFile = "hooks.json";
enum class PostHook { kPoststart, kPoststop };
void RunPostHooks(const State& st, PostHook kind, const Hooks& hooks);
void RunRecordedHooks(const std::string& root, const State& st, PostHook kind);

// SIGTERM, then SIGKILL after `timeout_s` (docker stop).
Status StopContainer(const std::string& root, const std::string& id, int timeout_s);

}  // namespace ctv::runtime
