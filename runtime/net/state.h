// Persisted network state and the address allocator.
//
// Layout: <state_root>/net/state.json (every attached endpoint: id, bridge, address, veth, port
// mappings) and <state_root>/net/lock. Every reader-modify-writer holds an exclusive flock on
// `lock` for the whole operation (open file descriptions are per open(), so threads of one process
// exclude each other too): concurrent `ctvrt run`s get distinct addresses and see each other's
// port mappings. state.json is replaced atomically (write + rename).
//
// The state file is the source of truth: the nftables table is rendered from it (nat.h), and
// CollectGarbage (gc.h) drops the entries whose veth is gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fd.h"
#include "runtime/net/ipv4.h"
#include "runtime/net/types.h"

namespace ctv::net {

struct Endpoint {
  std::string id;      // container id
  std::string bridge;  // "ctv0"
  std::string subnet;  // "10.88.0.0/16" (the bridge's)
  std::string ip;      // "10.88.0.2"
  std::string veth;    // host side, "ctv<short id>"
  std::vector<PortMapping> ports;
};

struct NetState {
  std::vector<Endpoint> endpoints;
  // Bridges this state root created (deleted once no endpoint uses them) and the nftables table
  // rendered from it: recorded so CollectGarbage, which only knows the state root, finds them.
  std::vector<std::string> bridges;
  std::string nft_table;
  // Every bridge this state serves (created or found) -> its subnet, kept while the bridge is
  // kept: with NetworkConfig::keep_idle an idle bridge and its NAT rules stay set up for the next
  // endpoint (nat.h renders its rules from here, with or without endpoints).
  std::map<std::string, std::string> bridge_subnets;
  const Endpoint* Find(const std::string& id) const;
  // Endpoints on `bridge`.
  int CountOnBridge(const std::string& bridge) const;
};

// Exclusive flock on <dir>/lock (dir created 0700 when missing). Released on destruction.
class StateLock {
 public:
  static Result<StateLock> Acquire(const std::string& dir,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30));
  const std::string& Dir() const { return dir_; }

 private:
  StateLock(std::string dir, Fd fd) : dir_(std::move(dir)), fd_(std::move(fd)) {}
  std::string dir_;
  Fd fd_;
};

// Missing file = empty state. The lock must be held.
Result<NetState> LoadState(const StateLock& lock);
Status SaveState(const StateLock& lock, const NetState& state);

// Lowest address of `subnet` (after the gateway, before the broadcast) not used by an endpoint on
// `bridge`: released addresses are reused first.
Result<uint32_t> PickFreeAddress(const NetState& state, const std::string& bridge,
                                 const Ipv4Subnet& subnet);

// Host-side veth name: "ctv" + the id when it is <= 12 alphanumerics, else "ctv" + 10 hex digits
// of a hash of the id (IFNAMSIZ allows 15 characters).
std::string VethName(const std::string& container_id);

// Convenience for callers that only need an address (and the allocator tests): takes the lock,
// records {id, bridge, subnet, ip} and returns the endpoint; fails when `id` already has one.
Result<Endpoint> AllocateAddress(const NetworkConfig& config, const std::string& id);
// Removes `id`'s entry (no-op when absent).
Status ReleaseAddress(const NetworkConfig& config, const std::string& id);

}  // namespace ctv::net
