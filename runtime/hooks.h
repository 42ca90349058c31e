// OCI lifecycle hooks run by ctvrt in the runtime's namespaces: prestart and createRuntime (after
// the container's namespaces exist, before its root filesystem is built and anything of the
// workload runs), poststart (after the workload started), poststop (after the container is
// deleted). createContainer and startContainer (which run inside the container) are refused by
// the config parser.
//
// Contract: a hook is executed as `path` with argv = `args` (args[0] is argv[0], as the spec
// says; `path` alone when args is empty) and exactly `env`; its stdin is the container's OCI
// state JSON; it is killed after `timeout_s` seconds when that is set. A failing hook is an
// Error naming the field and the path ("run hook `hooks.prestart[0]` (/usr/bin/x): exit 3:
// <its first output line>"). Whether a failure stops the lifecycle is the caller's choice: the
// spec makes prestart/createRuntime fatal and poststart/poststop warnings.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::runtime {

struct Hook {
  std::string path;  // absolute
  std::vector<std::string> args, env;
  int timeout_s = 0;  // 0: no timeout
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, poststart, poststop;
  bool Empty() const {
    return prestart.empty() && create_runtime.empty() && poststart.empty() && poststop.empty();
  }
};

// The state a hook reads on stdin (runtime-spec state.md). `annotations` are the container's;
// ctvrt's own (keys starting with "ctvbench." or "org.ctvbench.") are left out.
std::string HookState(const std::string& id, const std::string& status, pid_t pid,
                      const std::string& bundle,
                      const std::map<std::string, std::string>& annotations);

// Runs one hook; `field` names it in errors ("hooks.poststop[1]").
Status RunHook(const Hook& hook, const std::string& field, const std::string& state_json);
// Runs `list` in order and stops at the first failure. `field` is "hooks.prestart"...
Status RunHooks(const std::vector<Hook>& list, const std::string& field,
                const std::string& state_json);

// Hooks <-> JSON in the runtime-spec's own shape ({"prestart": [{"path", "args", "env",
// "timeout"}], "createRuntime": ...}), for config.json and for the copy kept in the container's
// state dir (so `delete` can run poststop without the bundle).
std::string HooksToJson(const Hooks& hooks);
// Errors name the field ("hooks.poststart[1].path: must be absolute"); createContainer and
// startContainer are refused.
Result<Hooks> HooksFromJson(const std::string& json_text);

}  // namespace ctv::runtime
