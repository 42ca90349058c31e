// A peer's launch command (`runc run`, `crun run`, `runsc run`, `podman run`) as the harness sees
// it: its stdout is the probe's stream (markers and result lines, read with probe_output.h), its
// stderr goes to a file that is quoted into errors ("runc said: ..."). Shared by the OCI runtime
// and podman drivers, whose instances differ only in how they build, stop and remove containers.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/driver.h"
#include "core/fd.h"
#include "core/line_reader.h"
#include "core/process.h"

namespace ctv::bench::peers {

class LaunchCommand {
 public:
  using Spawner = std::function<Result<Child>(SpawnOptions)>;

  // `name` says whose words an error quotes ("runc", "podman"); `object` names the container.
  LaunchCommand(std::string name, std::string object)
      : name_(std::move(name)), object_(std::move(object)) {}

  // Spawns `argv` through `spawn` (the runtime's own: crun's runs in a private mount namespace)
  // in a process group of its own (a terminal's Ctrl-C reaches the harness, which stops the
  // container), stderr to `stderr_path`. Marks "launch" just before the spawn, "spawn" after.
  Status Start(const Spawner& spawn, std::vector<std::string> argv,
               const std::string& stderr_path, std::vector<Mark>& marks);
  // The probe's ready marker; on failure the error carries the command's stderr.
  Status WaitReady(std::chrono::milliseconds timeout, std::vector<Mark>& marks);
  // Drains the probe's output and waits for the command to end; marks "exit".
  Result<WorkloadExit> WaitExit(std::chrono::milliseconds timeout, std::vector<Mark>& marks);
  // `e` with the tail of the command's stderr added ("<name> said: ...").
  Error WithWords(Error e) const;

  Child& Process() { return child_; }
  const Child& Process() const { return child_; }

 private:
  std::string name_, object_, stderr_path_;
  Child child_;  // killed and reaped on destruction
  Fd stdout_;
  std::optional<LineReader> reader_;
  std::string output_;
};

}  // namespace ctv::bench::peers
