// The interface the container runtime calls: attach a container's network namespace, detach it.
//
//   ctv::net::NetworkRequest req{.container_id = id, .mode = mode, .ports = ports};
//   auto net = ctv::net::Attach(req, ctv::net::NetnsRef::FromPid(child_pid));  // before exec
//   ...                                        // the container runs; net->Address() for `ps`
//   net->Detach();                             // or: destructor; or: Release() + Detach(cfg, id)
//
// Contract:
//  - kHost: nothing is touched (the container shares the host namespace).
//  - kNone: `lo` is brought up in the namespace; nothing else.
//  - kBridge: under the state lock: refuse taken host ports (state mappings, host processes) and
//    a subnet that overlaps a host route BEFORE any change; then record the endpoint, create the
//    bridge if needed, the veth pair (host `ctv<id>`, container `eth0`), address, default route,
//    `lo` up, and the nftables table's rules (nat.h). Any failure undoes every step already done.
//    Steps, as reported to NetworkRequest::on_step when each ends: "net.state" (lock, checks,
//    address picked and recorded), "net.bridge" (created or found), "net.sysctl" (written only
//    when not set yet), "net.veth" (the pair, its peer created inside the namespace by the same
//    request: no separate move), "net.netns" (a socket inside the namespace), "net.addresses"
//    (lo and eth0 up, eth0's address), "net.routes" (default route), "net.nft" (one transaction,
//    none when the rules do not change: an endpoint without `-p` on a bridge already served).
//  - Detach removes the veth (VethTeardown says how), the state entry (the address is free for
//    reuse), the endpoint's nft rules; the bridge and its masquerade rules stay set up when no
//    endpoint is left (NetworkConfig::keep_idle, the default; gc removes them) or go with it.
//    Idempotent.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fd.h"
#include "runtime/net/state.h"
#include "runtime/net/types.h"

namespace ctv::net {

// A network namespace: an open /proc/<pid>/ns/net or /run/netns/<name>.
class NetnsRef {
 public:
  NetnsRef() = default;  // no namespace: enough for NetworkMode::kHost
  static Result<NetnsRef> FromPid(pid_t pid);
  // A new network namespace no process is in yet, held by the returned descriptor only (made by
  // the calling thread's unshare, which then returns to its own; it aborts if it cannot). The
  // container's PID 1 joins it; once the holder closes it, it lives as long as the container's
  // processes, as one made by clone(CLONE_NEWNET) would.
  static Result<NetnsRef> CreateNew();
  static Result<NetnsRef> FromPath(const std::string& path);
  // Duplicates `fd` (the caller keeps its own).
  static Result<NetnsRef> FromFd(int fd);
  int Fd() const { return fd_.Get(); }
  const std::string& Path() const { return path_; }

 private:
  NetnsRef(ctv::Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  ctv::Fd fd_;
  std::string path_;
};

// How Detach gets rid of the veth pair.
enum class VethTeardown {
  // Deleted now. Needed while the namespace may live on (a persistent or joined one, a failed
  // launch whose process is still alive). The kernel's unregister waits for RCU grace periods:
  // ~20 ms here, paid by the caller.
  kDelete,
  // The container's processes are gone and its namespace was created for it: the kernel deletes
  // both ends when the namespace is freed (its cleanup work, off the caller's path). Detach only
  // sets the host end down, so it carries nothing in the window before that, and a next attach
  // of the same id waits for the name to be free. A namespace something else still holds keeps
  // its pair (down) until `gc`, which deletes `ctv*` veths no endpoint claims.
  kWithNamespace,
};

class ContainerNetwork {
 public:
  ContainerNetwork() = default;
  ContainerNetwork(ContainerNetwork&& o) noexcept;
  ContainerNetwork& operator=(ContainerNetwork&& o) noexcept;
  ContainerNetwork(const ContainerNetwork&) = delete;
  ContainerNetwork& operator=(const ContainerNetwork&) = delete;
  // Detaches unless Detach() or Release() was called (errors are logged, not thrown).
  ~ContainerNetwork();

  NetworkMode Mode() const { return mode_; }
  const std::string& ContainerId() const { return id_; }
  const std::string& Address() const { return address_; }  // "10.88.0.2" (bridge only)
  const std::string& Gateway() const { return gateway_; }  // the bridge's address
  const std::string& HostVeth() const { return veth_; }
  const std::vector<PortMapping>& Ports() const { return ports_; }

  Status Detach(VethTeardown how = VethTeardown::kDelete);
  // Keeps everything set up (e.g. the CLI exits while the container runs); `ctvrt delete` then
  // calls Detach(config, id).
  void Release() { attached_ = false; }

 private:
  friend class NetworkAccess;  // network.cc fills the fields
  NetworkMode mode_ = NetworkMode::kNone;
  NetworkConfig config_;
  std::string id_, address_, gateway_, veth_;
  std::vector<PortMapping> ports_;
  bool attached_ = false;
};

Result<ContainerNetwork> Attach(const NetworkRequest& request, const NetnsRef& netns);
// Detach by id, from any process. No-op when `container_id` has no endpoint.
Status Detach(const NetworkConfig& config, const std::string& container_id,
              VethTeardown how = VethTeardown::kDelete);

// The persisted endpoint of `container_id` (address, veth, port mappings) for `ctvrt state`/`ps`;
// nullopt when it has none.
Result<std::optional<Endpoint>> LookupEndpoint(const NetworkConfig& config,
                                               const std::string& container_id);

}  // namespace ctv::net
