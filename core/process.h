// Child processes: spawning, waiting with deadlines, and a kill-and-reap guard.
//
// Contract: a Child owns a pid it started. Unless Release()d or already reaped, its destructor
// sends SIGKILL (to the process group when the child leads one) and reaps it, so no error path
// leaves a zombie or a stray workload behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fd.h"

namespace ctv {

struct ExitStatus {
  bool signaled = false;
  int code = 0;  // exit code, or the signal number when signaled
  bool Success() const { return !signaled && code == 0; }
  // "exit 0", "exit 3", "killed by SIGKILL".
  std::string ToString() const;
  static ExitStatus FromWaitStatus(int wstatus);
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  // Environment of the child; empty means inherit ours.
  std::vector<std::string> env;
  // Descriptors for the child's 0/1/2. -1 means /dev/null (stdin) or inherit (stdout/stderr).
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Make the child lead a new process group, so the guard can kill its descendants too.
  bool new_process_group = false;
  // Working directory of the child; empty = ours. A tool that drops files in its working directory
  // (conmon writes `oom` there) then leaves them in a directory its caller owns and removes.
  std::string cwd;
};

class Child {
 public:
  Child() = default;
  Child(pid_t pid, bool group_leader) : pid_(pid), group_(group_leader) {}
  Child(Child&& o) noexcept;
  Child& operator=(Child&& o) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t Pid() const { return pid_; }
  bool Running() const { return pid_ > 0; }

  // Blocks until the child exits; reaps it.
  Result<ExitStatus> Wait();
  // Waits up to `timeout`; nullopt when the child is still running then.
  Result<std::optional<ExitStatus>> WaitFor(std::chrono::milliseconds timeout);
  // kill(2) the child (its group when it leads one). No-op once reaped.
  Status Signal(int sig);
  // SIGKILL and reap. Idempotent.
  void KillAndReap();
  // Give up ownership without killing: the caller takes over reaping.
  pid_t Release();

 private:
  pid_t pid_ = -1;
  bool group_ = false;
};

// posix_spawn (vfork-fast; exec failures are reported as errors, not as exit 127).
Result<Child> Spawn(const SpawnOptions& options);

struct CommandOutput {
  ExitStatus status;
  std::string out;
  std::string err;
};
// Runs a command to completion, capturing stdout and stderr; kills it after `timeout`.
// Meant for short helper commands (`qemu-system-x86_64 --version`), not workloads.
Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Finds an executable in PATH; empty when absent.
std::string FindInPath(const std::string& name);

// The children of `pid` (of its main thread), from /proc/PID/task/PID/children; empty when the
// process is gone.
std::vector<pid_t> ChildPids(pid_t pid);

// Directory holding the running executable (/proc/self/exe), used to find sibling tools.
std::string SelfDir();

// Ownership records that survive the owner (gc journals: who made a VM instance dir, a scratch
// network namespace): "<pid> <starttime>" of the calling process, starttime being field 22 of
// /proc/self/stat, so a reused pid is never taken for the owner.
std::string OwnerToken();
// True when the process named by `token` still runs (a zombie does not: its owner is gone).
bool OwnerAlive(const std::string& token);

}  // namespace ctv
