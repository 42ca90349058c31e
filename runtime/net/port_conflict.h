// Is a host port free for a mapping? Checked under the state lock BEFORE anything is set up, so a
// refused request leaves nothing behind.
//
// Two kinds of holders:
//  - another endpoint's mapping in the persisted state (the port is not bound by anyone: DNAT
//    takes it over silently, so only the state knows);
//  - a host process: we try to bind the port ourselves (the kernel's own verdict), and when that
//    fails with EADDRINUSE we name the holder from /proc/net/{tcp,tcp6,udp,udp6} (the socket
//    inode) and /proc/<pid>/fd (who has that inode open).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/net/state.h"

namespace ctv::net {

struct PortHolder {
  pid_t pid = 0;
  std::string comm;  // /proc/<pid>/comm
};

// Host processes with a socket bound to `port` (listening for TCP) in this network namespace.
// `proc` is the procfs root (a fixture in tests).
std::vector<PortHolder> FindPortHolders(Protocol protocol, uint16_t port,
                                        const std::string& proc = "/proc");

// OK when `m` can be mapped. Otherwise one line naming the port and its holder, e.g.
//   map port `18080:80/tcp`: EADDRINUSE (...): host port 18080/tcp is already mapped to
//   container web1 (10.88.0.2:80)
Status CheckPortFree(const NetState& state, const PortMapping& m);

}  // namespace ctv::net
