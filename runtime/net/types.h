// Container networking: the request the runtime hands to runtime/net and the host-wide config.
//
// Modes (`ctvrt run --net`):
//   none    the container gets a fresh network namespace with only `lo` (up): no connectivity;
//   host    the container shares the host's network namespace: nothing to set up here;
//   bridge  (default for `ctvrt run`) a veth pair joins the container's namespace to the bridge
//           `ctv0`; the container gets an address from the persisted allocator, a default route
//           via the bridge address, outbound NAT (masquerade) and optional port mappings (DNAT).
// OCI bundles follow their config.json: the runtime maps "a network namespace without a path" to
// kNone unless told otherwise, and "no network namespace" to kHost.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace ctv::net {

enum class NetworkMode { kNone, kHost, kBridge };

// "none" | "host" | "bridge"; the error names `--net` and the accepted values.
Result<NetworkMode> ParseNetworkMode(std::string_view text);
const char* NetworkModeName(NetworkMode mode);

enum class Protocol { kTcp, kUdp };
const char* ProtocolName(Protocol p);

// One `-p [HOSTIP:]HOSTPORT:CTPORT[/tcp|udp]`.
struct PortMapping {
  std::string host_ip;  // dotted IPv4; empty = every local address (what `-p 8080:80` means)
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  Protocol protocol = Protocol::kTcp;
  // "127.0.0.1:8080:80/tcp" / "8080:80/tcp": the canonical spelling, used in messages.
  std::string ToString() const;
  bool operator==(const PortMapping&) const = default;
};

// Host-wide settings. Every field has a production default; tests override the state root (and
// may pick another bridge/subnet so they never disturb a real run).
struct NetworkConfig {
  std::string state_root = "/run/ctvbench";  // state lives in <state_root>/net/
  std::string bridge = "ctv0";
  // Private, unrouted subnet. The bridge takes the first host address (10.88.0.1); containers
  // get the following ones. AttachBridge refuses a subnet that overlaps a host route/address
  // not made by us.
  std::string subnet = "10.88.0.0/16";
  std::string nft_table = "ctvbench";  // `table ip ctvbench`
  // When the last endpoint of a bridge leaves, keep the bridge and its NAT rules (the
  // masquerade of its subnet) set up for the next one, as Docker keeps docker0: creating and
  // deleting them on every launch costs a bridge and an nftables table whose base chains
  // register and unregister their hooks (tens of ms; docs/design-notes.md). `ctvbench gc`/`ctvrt gc`
  // (CollectGarbage) removes idle bridges and the table. false: remove them with the last
  // endpoint.
  bool keep_idle = true;
  std::string StateDir() const { return state_root + "/net"; }
};

struct NetworkRequest {
  std::string container_id;  // unique; [A-Za-z0-9_.-]+; names the veth and the state entry
  NetworkMode mode = NetworkMode::kBridge;
  std::vector<PortMapping> ports;  // only with kBridge
  NetworkConfig config;
  // Called at the end of each step of a bridge attach with the step's name and its end time
  // (CLOCK_MONOTONIC ns), in order, so a caller can show where the time goes (`ctvrt run`'s
  // timing line, the startup suite's phases). Steps: see network.h. May be empty.
  std::function<void(const char* step, int64_t t_ns)> on_step;
};

// Validates an id (non-empty, <= 64 chars of [A-Za-z0-9_.-]).
Status ValidateContainerId(std::string_view id);

}  // namespace ctv::net
