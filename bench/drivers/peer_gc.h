// `ctvbench gc` for the peer drivers (runc, crun, runsc, podman): what a killed harness left
// under "<state>/peers" (layout in bench/drivers/peer_common.h).
//
// Contract: only what ctvbench made is touched, and only when its owner (the ctvbench process
// named in its `owner` file) is gone, so gc is safe during another run:
//   - runc/crun/runsc: for every dead instance "peers/<rt>/bundle-*/<id>": the processes naming
//     its bundle (the runtime's `run`, runsc's sandbox and gofer) are killed, the container is
//     deleted (`<rt> --root <our root> delete --force <id>`), its cgroups "ctvbench/<id>" are
//     emptied and removed, its overlay rootfs unmounted, its directory removed. Then `<rt> --root
//     <our root> list` names containers without a bundle (deleted likewise), and the empty
//     bundle, root and driver directories go.
//   - podman: every dead store "peers/podman/store-<pid>": `podman rm -af` with its roots, the
//     processes naming it (podman, conmon), its instances' cgroups, its mounts, the directory.
//   - at the end the shared "ctvbench" cgroup parents of every hierarchy that are empty.
// Appends one line per removed object to `removed` (may be null); a second gc finds nothing.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::bench {

// `state_dir` is ctvbench's state dir (/run/ctvbench), not its peers/ subdir.
Status CollectPeerGarbage(const std::string& state_dir, std::vector<std::string>* removed);

}  // namespace ctv::bench
