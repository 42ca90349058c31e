// Shared by the crash tests (fault points, concurrency, disk full): a private state dir with its
// own network (bridge, subnet, nft table through CTVRT_NET_*), commands run with a fault point
// armed, and the per-run leftover check that looks only at what a given run created (its
// container ids, ports, pids), since other tests run at the same time.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/process.h"
#include "tests/support/runtime_env.h"

namespace ctv::crash {

// The process-wide environment: a RuntimeEnv (state root <dir>/containers, image, store) whose
// network state, bridge, subnet and nft table are this process's own.
struct CrashEnv {
  CrashEnv();
  ~CrashEnv();
  std::string state_dir;  // <dir>: containers/ and net/ below it (ctvbench gc --state-dir)
  std::string bridge, subnet, table;
  std::unique_ptr<testing::RuntimeEnv> runtime;
  const std::string& Root() const { return runtime->StateRoot(); }
};
CrashEnv& Env();

// A command's outcome, and whether (and in which process) the armed fault point fired.
struct FaultRun {
  ExitStatus status;
  std::string out, err;
  bool fired = false;
  pid_t fired_pid = 0;  // the process that SIGKILLed itself at the point
};
// Runs `argv` with CTV_FAULT_AT=point (no point when empty) and stdio to files (a shim or a
// created container may hold inherited descriptors long after the command returned).
FaultRun RunWithFault(const std::vector<std::string>& argv, const std::string& point,
                      int timeout_s = 120);

// Fault points compiled into `binary` (`--list-fault-points`), those starting with `prefix`.
std::vector<std::string> ListFaultPoints(const std::string& binary, const std::string& prefix);

// What container `id` (of Env()) could have left: state dir, cgroups, mounts, processes in its
// cgroups or naming it on their command line (CLI, shim), its host veth and any port on the
// test's bridge, its network endpoint, nft rules naming `port` (0: none), its temp log file.
std::vector<std::string> ContainerLeftovers(const std::string& id, int port = 0);
// Lines of a gc's output that name `needle`.
std::vector<std::string> LinesNaming(const std::string& text, const std::string& needle);

// `ctvrt --root <state_dir>/containers gc` then `ctvbench gc --state-dir <state_dir>`; returns
// their output (each must succeed).
std::string RunBothGcs(const std::string& state_dir);

}  // namespace ctv::crash
