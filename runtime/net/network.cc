#include "runtime/net/network.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>

#include <chrono>
#include <thread>

#include "core/clock.h"
#include "core/fault_point.h"
#include "core/log.h"
#include "runtime/net/ipv4.h"
#include "runtime/net/nat.h"
#include "runtime/net/netlink.h"
#include "runtime/net/port_conflict.h"
#include "runtime/net/state.h"

namespace ctv::net {

Result<NetnsRef> NetnsRef::FromPid(pid_t pid) {
  return FromPath(fmt::format("/proc/{}/ns/net", pid));
}

Result<NetnsRef> NetnsRef::CreateNew() {
  Result<ctv::Fd> made = []() -> Result<ctv::Fd> {
    NetnsReturn back = CTV_TRY(NetnsReturn::Here());
    if (::unshare(CLONE_NEWNET) != 0) return ErrnoError("create network namespace", "");
    return OpenFile("/proc/thread-self/ns/net", O_RDONLY);
  }();
  if (!made) return std::move(made).error();
  return NetnsRef(std::move(made).value(), "a new network namespace");
}

Result<NetnsRef> NetnsRef::FromPath(const std::string& path) {
  ctv::Fd fd = CTV_TRY(OpenFile(path, O_RDONLY));
  return NetnsRef(std::move(fd), path);
}

Result<NetnsRef> NetnsRef::FromFd(int fd) {
  int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) return ErrnoError("duplicate network namespace descriptor", fmt::format("fd {}", fd));
  return NetnsRef(ctv::Fd(d), fmt::format("fd {}", fd));
}

ContainerNetwork::ContainerNetwork(ContainerNetwork&& o) noexcept { *this = std::move(o); }

ContainerNetwork& ContainerNetwork::operator=(ContainerNetwork&& o) noexcept {
  if (this != &o) {
    if (attached_) (void)Detach();
    mode_ = o.mode_;
    config_ = std::move(o.config_);
    id_ = std::move(o.id_);
    address_ = std::move(o.address_);
    gateway_ = std::move(o.gateway_);
    veth_ = std::move(o.veth_);
    ports_ = std::move(o.ports_);
    attached_ = std::exchange(o.attached_, false);
  }
  return *this;
}

ContainerNetwork::~ContainerNetwork() {
  if (!attached_) return;
  if (Status s = Detach(); !s) Log(LogLevel::kWarn, "network of {}: {}", id_, s.error().ToString());
}

Status ContainerNetwork::Detach(VethTeardown how) {
  if (!attached_) return Ok();
  attached_ = false;
  if (mode_ != NetworkMode::kBridge) return Ok();
  return net::Detach(config_, id_, how);
}

// The one place that fills a ContainerNetwork's fields.
class NetworkAccess {
 public:
  static ContainerNetwork Make(NetworkMode mode, const NetworkConfig& config, std::string id,
                               std::string address, std::string gateway, std::string veth,
                               std::vector<PortMapping> ports, bool attached) {
    ContainerNetwork n;
    n.mode_ = mode;
    n.config_ = config;
    n.id_ = std::move(id);
    n.address_ = std::move(address);
    n.gateway_ = std::move(gateway);
    n.veth_ = std::move(veth);
    n.ports_ = std::move(ports);
    n.attached_ = attached;
    return n;
  }
};

namespace {

// How long an attach waits for a veth name no endpoint claims to be freed by the kernel.
constexpr int kLingeringVethWaitMs = 2000;

// Removes endpoint `id` from `state` and undoes its host-side pieces; with `keep_idle` a bridge
// left without endpoints stays set up (NetworkConfig::keep_idle). Every step runs even when an
// earlier one failed; the first error is returned.
Status TearDown(const StateLock& lock, NetState& state, const std::string& id, NlSocket& sk,
                bool keep_idle, VethTeardown how) {
  Status first = Ok();
  auto keep = [&first](Status s) {
    if (!s && first) first = std::move(s);
  };
  const Endpoint* e = state.Find(id);
  if (!e) return Ok();
  const NetState before = state;
  std::string bridge = e->bridge, veth = e->veth;
  // Deleting the host end deletes eth0 in the container too.
  keep(how == VethTeardown::kDelete ? DeleteLink(sk, veth) : LinkDown(sk, veth));
  std::erase_if(state.endpoints, [&](const Endpoint& x) { return x.id == id; });
  if (state.CountOnBridge(bridge) == 0 && !keep_idle) {
    bool ours =
        std::find(state.bridges.begin(), state.bridges.end(), bridge) != state.bridges.end();
    if (ours) {
      keep(DeleteLink(sk, bridge));
      std::erase(state.bridges, bridge);
    }
    state.bridge_subnets.erase(bridge);
  }
  keep(SaveState(lock, state));
  if (!state.nft_table.empty()) keep(ApplyRulesetChange(state.nft_table, before, state));
  return first;
}

// The subnet against the state's other bridges and, with `check_routes`, the host's routes.
Status CheckSubnet(NlSocket& sk, const NetworkConfig& c, const Ipv4Subnet& subnet,
                   const NetState& state, bool check_routes) {
  if (auto it = state.bridge_subnets.find(c.bridge);
      it != state.bridge_subnets.end() && it->second != subnet.ToString())
    return MakeError(
        "attach network", c.bridge,
        fmt::format("bridge already serves subnet {}, not {}", it->second, subnet.ToString()));
  for (const auto& e : state.endpoints) {
    if (e.bridge == c.bridge) {
      if (e.subnet != subnet.ToString())
        return MakeError(
            "attach network", c.bridge,
            fmt::format("bridge already serves subnet {}, not {}", e.subnet, subnet.ToString()));
      continue;
    }
    auto other = ParseIpv4Subnet(e.subnet);
    if (other && other->Overlaps(subnet))
      return MakeError("attach network", subnet.ToString(),
                       fmt::format("overlaps subnet {} of bridge {}", e.subnet, e.bridge));
  }
  if (!check_routes) return Ok();
  int br = CTV_TRY(LinkIndex(sk, c.bridge));
  for (const RouteDst& r : CTV_TRY(ListRoutes(sk, br))) {
    Ipv4Subnet rs{r.dst & (r.prefix == 32 ? ~0u : ~0u << (32 - r.prefix)), r.prefix};
    if (rs.Overlaps(subnet))
      return MakeError("attach network", subnet.ToString(),
                       fmt::format("overlaps the host route {} dev {}; choose another subnet",
                                   rs.ToString(), r.dev.empty() ? "?" : r.dev));
  }
  return Ok();
}

Result<ContainerNetwork> AttachBridge(const NetworkRequest& req, const NetnsRef& netns) {
  const NetworkConfig& c = req.config;
  Ipv4Subnet subnet = CTV_TRY(ParseIpv4Subnet(c.subnet));
  // Duplicate host ports inside the request itself.
  for (size_t i = 0; i < req.ports.size(); ++i)
    for (size_t j = 0; j < i; ++j) {
      const auto &a = req.ports[i], &b = req.ports[j];
      if (a.host_port == b.host_port && a.protocol == b.protocol &&
          (a.host_ip.empty() || b.host_ip.empty() || a.host_ip == b.host_ip))
        return Error{EINVAL, "map port", a.ToString(),
                     fmt::format("host port also mapped by -p {}", b.ToString())};
    }

  auto step = [&req](const char* name) {
    if (req.on_step) req.on_step(name, MonotonicNs());
  };
  StateLock lock = CTV_TRY(StateLock::Acquire(c.StateDir()));
  NetState state = CTV_TRY(LoadState(lock));
  if (state.Find(req.container_id))
    return Error{EEXIST, "attach network", req.container_id,
                 "this container already has a network (detach it or run `ctvbench gc`)"};
  if (!state.nft_table.empty() && state.nft_table != c.nft_table)
    return MakeError(
        "attach network", c.StateDir(),
        fmt::format("this state root renders nft table {}, not {}", state.nft_table, c.nft_table));
  // Everything that can refuse the request runs before the first change.
  for (const auto& p : req.ports) CTV_CHECK(CheckPortFree(state, p));
  NlSocket sk = CTV_TRY(NlSocket::Open());
  int bridge_index = CTV_TRY(LinkIndex(sk, c.bridge));
  // The routes are checked when the state starts serving the bridge: later endpoints join a
  // subnet that was checked then (and the route dump grows with every veth on the host).
  const bool served = state.bridge_subnets.count(c.bridge) > 0 || state.CountOnBridge(c.bridge) > 0;
  CTV_CHECK(CheckSubnet(sk, c, subnet, state, !served));
  std::string veth = VethName(req.container_id);
  for (const auto& e : state.endpoints)
    if (e.veth == veth)
      return Error{EEXIST, "attach network", veth, "host veth name taken by container " + e.id};
  // No endpoint claims it: the pair of this id's previous container, left to its dying namespace
  // (VethTeardown::kWithNamespace), goes within milliseconds; a crash's leftover does not.
  for (int waited_ms = 0; CTV_TRY(LinkIndex(sk, veth)) != 0; waited_ms += 2) {
    if (waited_ms >= kLingeringVethWaitMs)
      return Error{EEXIST, "attach network", veth,
                   "a network interface of that name exists (left by a crash? run `ctvbench gc`)"};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  Endpoint e;
  e.id = req.container_id;
  e.bridge = c.bridge;
  e.subnet = subnet.ToString();
  e.ip = FormatIpv4(CTV_TRY(PickFreeAddress(state, c.bridge, subnet)));
  e.veth = veth;
  e.ports = req.ports;
  std::string gateway = FormatIpv4(subnet.Gateway());

  // Recorded first: a crash from here on leaves an entry CollectGarbage can undo.
  const NetState before = state;
  state.endpoints.push_back(e);
  state.nft_table = c.nft_table;
  state.bridge_subnets[c.bridge] = e.subnet;
  bool new_bridge = bridge_index == 0;
  if (new_bridge &&
      std::find(state.bridges.begin(), state.bridges.end(), c.bridge) == state.bridges.end())
    state.bridges.push_back(c.bridge);
  CTV_CHECK(SaveState(lock, state));
  // The state lock is held and the endpoint recorded, no link exists yet: a crash here must not
  // block the next run (the flock goes with the process) and gc drops the entry.
  CTV_FAULT_POINT("ctvrt.net_locked");
  step("net.state");

  auto set_up = [&]() -> Status {
    std::string bridge_cidr = fmt::format("{}/{}", gateway, subnet.prefix);
    // An existing bridge this state already serves (with endpoints, or kept idle) is set up
    // (address, up): only its index is needed.
    int br = bridge_index != 0 && served ? bridge_index
                                         : CTV_TRY(EnsureBridge(sk, c.bridge, bridge_cidr));
    step("net.bridge");
    CTV_CHECK(EnableBridgeSysctls(c.bridge));
    step("net.sysctl");
    // The peer is created inside the namespace by the same request (IFLA_NET_NS_FD): there is
    // no separate "move" step.
    CTV_CHECK(CreateVeth(sk, veth, br, netns.Fd()));
    step("net.veth");
    std::string cidr = fmt::format("{}/{}", e.ip, subnet.prefix);
    CTV_CHECK(InNetns(netns.Fd(), [&]() -> Status {
      NlSocket in = CTV_TRY(NlSocket::Open());  // opened on this thread: inside the namespace
      step("net.netns");
      CTV_CHECK(LinkUp(in, "lo"));  // an ioctl, a no-op when the child brought it up already
      CTV_CHECK(AddAddress(in, "eth0", cidr));
      CTV_CHECK(LinkUp(in, "eth0"));
      step("net.addresses");
      CTV_CHECK(AddDefaultRoute(in, "eth0", gateway));
      step("net.routes");
      return Ok();
    }));
    // Unchanged rules (no port mapped, the bridge already served): no nftables transaction.
    CTV_CHECK(ApplyRulesetChange(c.nft_table, before, state));
    step("net.nft");
    return Ok();
  };
  if (Status s = set_up(); !s) {
    // A bridge this attach set up is not kept: it may be the part that failed.
    if (Status t = TearDown(lock, state, e.id, sk, c.keep_idle && served, VethTeardown::kDelete);
        !t)
      Log(LogLevel::kWarn, "undo network of {}: {}", e.id, t.error().ToString());
    return std::move(s).error();
  }

  return NetworkAccess::Make(NetworkMode::kBridge, c, e.id, e.ip, gateway, veth, e.ports, true);
}

}  // namespace

Result<ContainerNetwork> Attach(const NetworkRequest& req, const NetnsRef& netns) {
  CTV_CHECK(ValidateContainerId(req.container_id));
  if (req.mode != NetworkMode::kBridge && !req.ports.empty())
    return MakeError(
        "attach network", req.container_id,
        fmt::format("-p needs --net bridge (got --net {})", NetworkModeName(req.mode)));
  if (req.mode == NetworkMode::kBridge) return AttachBridge(req, netns);
  if (req.mode == NetworkMode::kNone) {
    CTV_CHECK(InNetns(netns.Fd(), []() -> Status {
      NlSocket in = CTV_TRY(NlSocket::Open());
      return LinkUp(in, "lo");
    }));
  }
  return NetworkAccess::Make(req.mode, req.config, req.container_id, "", "", "", {}, false);
}

Status Detach(const NetworkConfig& config, const std::string& container_id, VethTeardown how) {
  StateLock lock = CTV_TRY(StateLock::Acquire(config.StateDir()));
  NetState state = CTV_TRY(LoadState(lock));
  if (!state.Find(container_id)) return Ok();
  NlSocket sk = CTV_TRY(NlSocket::Open());
  return TearDown(lock, state, container_id, sk, config.keep_idle, how);
}

Result<std::optional<Endpoint>> LookupEndpoint(const NetworkConfig& config,
                                               const std::string& container_id) {
  StateLock lock = CTV_TRY(StateLock::Acquire(config.StateDir()));
  NetState state = CTV_TRY(LoadState(lock));
  const Endpoint* e = state.Find(container_id);
  if (!e) return std::optional<Endpoint>();
  return std::optional<Endpoint>(*e);
}

}  // namespace ctv::net
