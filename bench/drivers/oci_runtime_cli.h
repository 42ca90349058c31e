// One OCI runtime's command line (runc, crun, runsc), always with ctvbench's own state root, as
// the peer drivers and `ctvbench gc` call it.
//
// Contract: every invocation passes `--root <state>/peers/<runtime>/state`, never the runtime's
// default root, so ctvbench lists and deletes only its own containers. crun on a cgroup v1
// hybrid host runs with the cgroup2 mount hidden (bench/drivers/ns_spawn.h), for every command:
// what crun sees must not depend on which command it is.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bench/drivers/ns_spawn.h"
#include "core/error.h"
#include "core/process.h"

namespace ctv::bench {

struct OciRuntimeCli {
  std::string name;                    // "runc", "crun", "runsc": the binary, looked up in PATH
  std::string root;                    // the runtime's --root
  std::vector<std::string> run_flags;  // global flags for `run` only (runsc --platform=...)
  PrivateMounts mounts;                // what the runtime must not see (crun: hybrid cgroup2)

  // For `name` on this host: `mounts` filled in for crun on a hybrid host.
  static OciRuntimeCli For(const std::string& name, const std::string& root);

  // name --root ROOT [run_flags if `run`] args...
  std::vector<std::string> Argv(const std::vector<std::string>& args) const;
  Result<Child> Spawn(SpawnOptions options) const;  // options.argv = Argv(...)
  Result<CommandOutput> Run(const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  // `kill ID SIGNAL`; a container that is gone or stopped already is not an error.
  Status Kill(const std::string& id, const std::string& signal) const;
  // `delete --force ID`; a container that does not exist is not an error.
  Status Delete(const std::string& id) const;
  // `list --quiet`: the ids under our root.
  Result<std::vector<std::string>> List() const;
  // Whether the root holds state naming `id` (runc and crun: a directory ID; runsc: files
  // "ID_sandbox:ID.state"...), without running the runtime.
  bool HasState(const std::string& id) const;
};

}  // namespace ctv::bench
