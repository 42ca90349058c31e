// Container state on disk: <state_root>/<id>/state.json (+ rootfs/, upper/, work/, log,
// exec.fifo). The state root defaults to /run/ctvbench/containers.
//
// Liveness: a pid alone can be reused, so each recorded pid carries its start time
// (/proc/PID/stat field 22); a process is "alive" only when both match.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/process.h"

namespace ctv::runtime {

inline constexpr const char* kDefaultStateRoot = "/run/ctvbench/containers";

struct State {
  std::string id;
  std::string name;    // user-facing name (`--name`), defaults to the id
  std::string bundle;  // OCI bundle dir, or "" for image containers
  std::string image;   // image reference for image containers
  std::vector<std::string> command;
  pid_t pid = 0;  // the container's PID 1 on the host, 0 before clone
  int64_t pid_start = 0;
  pid_t monitor_pid = 0;  // the process that waits for PID 1: a shim, the CLI, or the driver
  int64_t monitor_start = 0;
  std::string created, started, finished;  // RFC 3339
  std::optional<ExitStatus> exit;
  bool oom_killed = false;  // the cgroup recorded an OOM kill when PID 1 died
  std::string log_path;
  bool detached = false;
  std::map<std::string, std::string> annotations;
};

std::string StateDir(const std::string& root, const std::string& id);
Status SaveState(const std::string& root, const State& s);
Result<State> LoadState(const std::string& root, const std::string& id);
// Ids of every container dir under `root` (whether or not its state.json is readable).
Result<std::vector<std::string>> ListContainers(const std::string& root);

// /proc/PID/stat starttime, 0 when the process does not exist.
int64_t ProcessStartTime(pid_t pid);
bool ProcessAlive(pid_t pid, int64_t start_time);

// OCI status: "creating", "created", "running", "stopped".
std::string StatusOf(const std::string& root, const State& s);
// The OCI runtime-spec state document.
std::string OciStateJson(const std::string& root, const State& s);

// A container id: "ctv" + 12 hex digits.
std::string NewContainerId();
// Ids and names: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 chars. Error names the offending value.
Status ValidateId(const std::string& id);

}  // namespace ctv::runtime
