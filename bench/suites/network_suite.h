// network: TCP request/response latency from a host client to a server reached three ways, so
// the cost of each layer is visible next to the floor:
//   loopback  server = ctv-probe tcp-rr-server as a plain host process, client -> 127.0.0.1
//   bridge    server inside a network namespace attached by runtime/net (bridge + veth),
//             client -> the namespace's address
//   dnat      the same server through its port mapping (-p HOSTPORT:PORT), client -> 127.0.0.1:
//             HOSTPORT (output-hook DNAT + masquerade + conntrack on top of bridge + veth)
// For every selected container or sandbox driver that takes the options net=bridge,
// ports=H:C and net=host (ctvrt's), three more rows, parameters {"path": "host"|"bridge"|"dnat",
// "target": DRIVER}: the same server in a real container of that driver (its address is the
// instance's fact "address"); drivers that refuse those options, and VM drivers, get rows skipped
// with the reason.
// Metric: network.tcp_rr, us per round trip = the median over --iters 1-byte round trips on one
// connection (ctv-probe tcp-rr), one sample per repetition; parameters {"path": ...}.
//
// Drivers: the loopback row is the host-process baseline and always runs; the namespace rows come
// from the target factory, not from a registered Driver, so --driver does not filter them.
// Host ports (the loopback server, each -p mapping, each --net host server) are chosen by the
// kernel and held by the run for its life (held_port.h): two runs at once, or any other program,
// never collide on one; each row records its `details.host_port` (and `details.endpoint`).
//
// Pluggable target: the namespace server is built by an RrTargetFactory: a scratch namespace
// attached by the library directly, its rows named driver "host" with parameter netns=own (a host
// process with only a network namespace of its own; `list` and --driver know no other name).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "bench/suites/suite.h"
#include "core/error.h"

namespace ctv::bench {

// A running tcp-rr echo server and the addresses a host client reaches it at. Destroying it stops
// the server and removes whatever it set up.
class RrTarget {
 public:
  virtual ~RrTarget() = default;
  virtual std::string Driver() const = 0;  // "host" or the container driver's name
  // "A.B.C.D:PORT" for `path` ("loopback", "bridge", "dnat"); empty when this target lacks it.
  virtual std::string Endpoint(const std::string& path) const = 0;
};

// `cpu`: the CPU the server must be pinned to (ctv-probe tcp-rr-server --cpu), -1 for none.
using RrTargetFactory = std::function<Result<std::unique_ptr<RrTarget>>(int cpu)>;

struct NetworkSuiteOptions {
  std::string probe_path;  // empty: ctv-probe next to the running binary
  int iters = 2000;        // round trips per repetition
  // Client and servers pinned to this CPU; -2 = the last online CPU, -1 = not pinned. Pinned,
  // the figure is the network path's cost; unpinned it is dominated by whether client and server
  // happen to share a CPU (a cross-CPU wake-up costs tens of us in a nested VM).
  int cpu = -2;
  RrTargetFactory isolated_target;  // empty: the scratch-namespace target
};

std::unique_ptr<Suite> MakeNetworkSuite(NetworkSuiteOptions options = {});

// The default isolated target: namespace `ctvnet<pid>` attached through runtime/net with
// -p <host_port>:7000, the probe's echo server inside (nsenter). host_port 0: a port chosen by
// the kernel and held while the target lives (held_port.h).
RrTargetFactory ScratchNetnsTargetFactory(std::string probe_path, int host_port = 0);

}  // namespace ctv::bench
