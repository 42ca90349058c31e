#include "runtime/net/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/fd.h"

namespace ctv::net {
namespace {

// One move-only owner per libnl object kind (the put/free functions never throw).
template <class T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  Owned() = default;
  explicit Owned(T* x) : p(x) {}
  Owned(Owned&& o) noexcept : p(std::exchange(o.p, nullptr)) {}
  Owned& operator=(Owned&&) = delete;
  Owned(const Owned&) = delete;
  ~Owned() {
    if (p) Free(p);
  }
};
using LinkPtr = Owned<rtnl_link, rtnl_link_put>;
using AddrPtr = Owned<rtnl_addr, rtnl_addr_put>;
using NlAddrPtr = Owned<nl_addr, nl_addr_put>;
using RoutePtr = Owned<rtnl_route, rtnl_route_put>;
using CachePtr = Owned<nl_cache, nl_cache_free>;

// libnl returns -NLE_* codes; keep its text and map the common ones back to an errno.
Error NlError(int err, std::string op, std::string object) {
  int code = 0;
  switch (-err) {
    case NLE_EXIST:
      code = EEXIST;
      break;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
      code = ENODEV;
      break;
    case NLE_PERM:
      code = EPERM;
      break;
    case NLE_BUSY:
      code = EBUSY;
      break;
    case NLE_INVAL:
      code = EINVAL;
      break;
    default:
      break;
  }
  return Error{code, std::move(op), std::move(object),
               fmt::format("netlink: {}", nl_geterror(err))};
}

Result<NlAddrPtr> ParseAddr(const std::string& text, const char* what) {
  NlAddrPtr a;
  int err = nl_addr_parse(text.c_str(), AF_INET, &a.p);
  if (err < 0) return NlError(err, fmt::format("parse {}", what), text);
  return a;
}

// nullptr (in .p) when absent.
Result<LinkPtr> GetLink(NlSocket& sk, const std::string& name) {
  LinkPtr l;
  int err = rtnl_link_get_kernel(sk.Get(), 0, name.c_str(), &l.p);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return LinkPtr{};
  if (err < 0) return NlError(err, "look up link", name);
  return l;
}

Result<int> RequireIndex(NlSocket& sk, const std::string& name) {
  int idx = CTV_TRY(LinkIndex(sk, name));
  if (idx == 0) return Error{ENODEV, "look up link", name, "no such network interface"};
  return idx;
}

}  // namespace

Result<NlSocket> NlSocket::Open() {
  nl_sock* sk = nl_socket_alloc();
  if (!sk) return Error{ENOMEM, "allocate netlink socket", "", ""};
  NlSocket s(sk);
  int err = nl_connect(sk, NETLINK_ROUTE);
  if (err < 0) return NlError(err, "connect netlink socket", "NETLINK_ROUTE");
  return s;
}

NlSocket::~NlSocket() {
  if (sk_) nl_socket_free(sk_);  // closes the socket (libnl opens it SOCK_CLOEXEC)
}

Result<std::vector<LinkInfo>> ListLinks(NlSocket& sk) {
  CachePtr cache;
  int err = rtnl_link_alloc_cache(sk.Get(), AF_UNSPEC, &cache.p);
  if (err < 0) return NlError(err, "list links", "");
  std::vector<LinkInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.p); o; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    LinkInfo i;
    i.name = rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "";
    i.kind = rtnl_link_get_type(l) ? rtnl_link_get_type(l) : "";
    i.ifindex = rtnl_link_get_ifindex(l);
    i.master = rtnl_link_get_master(l);
    out.push_back(std::move(i));
  }
  return out;
}

namespace {

// An interface request on the socket's descriptor: dev_ioctl in the socket's namespace.
Result<ifreq> InterfaceRequest(const std::string& name) {
  ifreq ifr{};
  if (name.empty() || name.size() >= IFNAMSIZ)
    return Error{EINVAL, "look up link", name, "interface names have 1 to 15 chars"};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  return ifr;
}

}  // namespace

Result<int> LinkIndex(NlSocket& sk, const std::string& name) {
  ifreq ifr = CTV_TRY(InterfaceRequest(name));
  if (::ioctl(nl_socket_get_fd(sk.Get()), SIOCGIFINDEX, &ifr) == 0) return ifr.ifr_ifindex;
  if (errno == ENODEV) return 0;
  return ErrnoError("look up link", name);
}

namespace {

// Sets or clears IFF_UP on `name`. ENODEV when there is no such link.
Status SetLinkUp(NlSocket& sk, const std::string& name, bool up) {
  ifreq ifr = CTV_TRY(InterfaceRequest(name));
  int fd = nl_socket_get_fd(sk.Get());
  if (::ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) return ErrnoError("read flags of link", name);
  if (static_cast<bool>(ifr.ifr_flags & IFF_UP) == up) return Ok();
  ifr.ifr_flags = static_cast<short>(up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP);
  if (::ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
    return ErrnoError(up ? "bring up link" : "set link down", name);
  return Ok();
}

}  // namespace

Status LinkUp(NlSocket& sk, const std::string& name) {
  Status s = SetLinkUp(sk, name, true);
  if (!s && s.error().code == ENODEV)
    return Error{ENODEV, "bring up link", name, "no such network interface"};
  return s;
}

Status LinkDown(NlSocket& sk, const std::string& name) {
  Status s = SetLinkUp(sk, name, false);
  if (!s && s.error().code == ENODEV) return Ok();
  return s;
}

Status AddAddress(NlSocket& sk, const std::string& name, const std::string& cidr) {
  int idx = CTV_TRY(RequireIndex(sk, name));
  NlAddrPtr local = CTV_TRY(ParseAddr(cidr, "address"));
  AddrPtr a{rtnl_addr_alloc()};
  rtnl_addr_set_ifindex(a.p, idx);
  rtnl_addr_set_family(a.p, AF_INET);
  int err = rtnl_addr_set_local(a.p, local.p);
  if (err >= 0) err = rtnl_addr_add(sk.Get(), a.p, 0);
  if (err == -NLE_EXIST) return Ok();
  if (err < 0) return NlError(err, fmt::format("add address {} to", cidr), name);
  return Ok();
}

Status AddDefaultRoute(NlSocket& sk, const std::string& name, const std::string& gateway) {
  int idx = CTV_TRY(RequireIndex(sk, name));
  NlAddrPtr dst = CTV_TRY(ParseAddr("0.0.0.0/0", "route destination"));
  NlAddrPtr gw = CTV_TRY(ParseAddr(gateway, "gateway"));
  RoutePtr r{rtnl_route_alloc()};
  rtnl_route_set_family(r.p, AF_INET);
  rtnl_route_set_table(r.p, RT_TABLE_MAIN);
  rtnl_route_set_dst(r.p, dst.p);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();  // owned by the route once added
  rtnl_route_nh_set_ifindex(nh, idx);
  rtnl_route_nh_set_gateway(nh, gw.p);
  rtnl_route_add_nexthop(r.p, nh);
  int err = rtnl_route_add(sk.Get(), r.p, NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0) return NlError(err, fmt::format("add default route via {} dev", gateway), name);
  return Ok();
}

Result<int> EnsureBridge(NlSocket& sk, const std::string& name, const std::string& cidr) {
  LinkPtr existing = CTV_TRY(GetLink(sk, name));
  if (existing.p) {
    const char* kind = rtnl_link_get_type(existing.p);
    if (!kind || std::string(kind) != "bridge")
      return Error{EEXIST, "create bridge", name,
                   "a network interface of that name is not a bridge"};
  } else {
    LinkPtr br{rtnl_link_bridge_alloc()};
    if (!br.p) return Error{ENOMEM, "create bridge", name, ""};
    rtnl_link_set_name(br.p, name.c_str());
    int err = rtnl_link_add(sk.Get(), br.p, NLM_F_CREATE | NLM_F_EXCL);
    // EEXIST: a concurrent creator won the race (callers hold the state lock, but be lenient).
    if (err < 0 && err != -NLE_EXIST) return NlError(err, "create bridge", name);
  }
  CTV_CHECK(AddAddress(sk, name, cidr));
  CTV_CHECK(LinkUp(sk, name));
  return RequireIndex(sk, name);
}

Status CreateVeth(NlSocket& sk, const std::string& host_name, int bridge_ifindex, int netns_fd) {
  if (host_name.size() >= IFNAMSIZ)
    return Error{ENAMETOOLONG, "create veth", host_name, "interface names have at most 15 chars"};
  LinkPtr veth{rtnl_link_veth_alloc()};
  if (!veth.p) return Error{ENOMEM, "create veth", host_name, ""};
  LinkPtr peer{rtnl_link_veth_get_peer(veth.p)};  // takes a reference
  rtnl_link_set_name(veth.p, host_name.c_str());
  rtnl_link_set_master(veth.p, bridge_ifindex);
  rtnl_link_set_flags(veth.p, IFF_UP);
  rtnl_link_set_name(peer.p, "eth0");
  rtnl_link_set_ns_fd(peer.p, netns_fd);
  int err = rtnl_link_add(sk.Get(), veth.p, NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0) return NlError(err, "create veth pair", host_name + " <-> eth0");
  // Hairpin: a container reaching its OWN mapped port through the host (10.88.0.1:8080). With
  // br_netfilter loaded the DNAT'd packet is bridged, not routed, back out of the port it came
  // in on, which a bridge refuses unless the port is in hairpin mode (Docker sets it too).
  // Through sysfs: libnl 3.7 has no simple setter for IFLA_BRPORT_MODE.
  Status hp = WriteFile("/sys/class/net/" + host_name + "/brport/hairpin_mode", "1");
  if (!hp) {
    (void)DeleteLink(sk, host_name);
    return hp;
  }
  return Ok();
}

Status DeleteLink(NlSocket& sk, const std::string& name) {
  LinkPtr l{rtnl_link_alloc()};
  rtnl_link_set_name(l.p, name.c_str());
  int err = rtnl_link_delete(sk.Get(), l.p);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return Ok();
  if (err < 0) return NlError(err, "delete link", name);
  return Ok();
}

Result<std::vector<RouteDst>> ListRoutes(NlSocket& sk, int skip_ifindex) {
  CachePtr cache;
  int err = rtnl_route_alloc_cache(sk.Get(), AF_INET, 0, &cache.p);
  if (err < 0) return NlError(err, "list routes", "");
  std::vector<LinkInfo> links = CTV_TRY(ListLinks(sk));
  std::vector<RouteDst> out;
  for (nl_object* o = nl_cache_get_first(cache.p); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    if (!dst || nl_addr_get_family(dst) != AF_INET) continue;
    int prefix = static_cast<int>(nl_addr_get_prefixlen(dst));
    if (prefix == 0) continue;
    int oif = 0;
    if (rtnl_route_get_nnexthops(r) > 0)
      oif = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
    if (skip_ifindex != 0 && oif == skip_ifindex) continue;
    uint32_t a = 0;
    std::memcpy(&a, nl_addr_get_binary_addr(dst), 4);
    std::string dev;
    for (const auto& l : links)
      if (l.ifindex == oif) dev = l.name;
    out.push_back({ntohl(a), prefix, dev});
  }
  return out;
}

Result<NetnsReturn> NetnsReturn::Here() {
  return NetnsReturn(CTV_TRY(OpenFile("/proc/thread-self/ns/net", O_RDONLY)));
}

NetnsReturn::~NetnsReturn() {
  if (!home_.Valid() || ::setns(home_.Get(), CLONE_NEWNET) == 0) return;
  std::fprintf(stderr, "fatal: cannot return to the host's network namespace: %s\n",
               std::strerror(errno));
  std::abort();
}

Status InNetns(int netns_fd, const std::function<Status()>& fn) {
  NetnsReturn back = CTV_TRY(NetnsReturn::Here());
  if (::setns(netns_fd, CLONE_NEWNET) != 0)
    return ErrnoError("join network namespace", fmt::format("fd {}", netns_fd));
  return fn();
}

}  // namespace ctv::net
