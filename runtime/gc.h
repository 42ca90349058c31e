// Garbage collection of whatever crashed runs left behind (`ctvbench gc`, `ctvrt gc`).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::runtime {

// For every container under `state_root` whose monitor (shim, CLI or driver) is gone, or whose
// state is unreadable and older than a few seconds: kills its processes (through its cgroup),
// removes its cgroups and its state dir. Then removes EMPTY "ctvbench/<name>" cgroups without a
// state dir (a ctvrt container has its state dir before its cgroup, so a populated one belongs to
// another runtime or state root, e.g. the runc/crun peers, and is left alone) that are older than
// 30 s (a younger empty one may be a concurrent launch's, not yet joined), and the empty
// "ctvbench" parents, and the temp logs of dead shims (".<id>.<pid>.log"). Containers with a live monitor
// are left alone. Container mounts live in the containers' own mount namespaces, so killing the
// processes is what removes them. Appends a line per removed object to `removed` (may be null).
// `state_root` is the containers dir (default /run/ctvbench/containers); given the ctvbench state
// dir (/run/ctvbench) it uses its containers/ subdir and never touches net/, vm/ or cache/.
Status CollectGarbage(const std::string& state_root, std::vector<std::string>* removed);

struct GcOptions {
  // Also remove empty orphan "ctvbench/<name>" cgroups and the empty parents. Off for callers that
  // share the host with concurrent launches from other state roots (tests under ctest -j): an
  // empty cgroup may be one being set up right now.
  bool sweep_orphan_cgroups = true;
};
Status CollectGarbage(const std::string& state_root, std::vector<std::string>* removed,
                      const GcOptions& options);

}  // namespace ctv::runtime
