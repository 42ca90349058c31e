// A host TCP port for a suite's server or port mapping, chosen by the kernel and held by the run,
// so that two runs at once (or anything else on the host) never pick the same one.
//
// How: a socket bound to 0.0.0.0:0 (the kernel picks a port no other socket is bound to) and kept
// bound, not listening, for the object's life; after the bind it takes SO_REUSEADDR, which lets
// a server that also sets it (ctv-probe's servers) listen on the port, and lets runtime/net's
// CheckPortFree bind-test it for a DNAT mapping, while any other bind(0) on the host skips it. The
// hold dies with the process, however it ends (SIGKILL included): nothing for gc to reclaim.
#pragma once

#include <cstdint>

#include "core/error.h"
#include "core/fd.h"

namespace ctv::bench {

class HeldPort {
 public:
  static Result<HeldPort> Reserve();
  uint16_t Port() const { return port_; }

 private:
  Fd fd_;
  uint16_t port_ = 0;
};

}  // namespace ctv::bench
