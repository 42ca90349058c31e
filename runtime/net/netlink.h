// rtnetlink through libnl-route: the bridge, veth pairs, addresses, routes, link state.
//
// Every libnl object is held by an RAII owner inside netlink.cc; callers see plain values.
// Functions act on the network namespace of the NlSocket they are given; InNetns runs a function
// on a thread that has joined another namespace (setns(CLONE_NEWNET) is per thread, so the rest
// of the process, and the calling thread, stay where they are).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fd.h"

struct nl_sock;

namespace ctv::net {

class NlSocket {
 public:
  // A NETLINK_ROUTE socket in the calling thread's network namespace.
  static Result<NlSocket> Open();
  NlSocket(NlSocket&& o) noexcept : sk_(o.sk_) { o.sk_ = nullptr; }
  NlSocket& operator=(NlSocket&&) = delete;
  NlSocket(const NlSocket&) = delete;
  ~NlSocket();
  nl_sock* Get() const { return sk_; }

 private:
  explicit NlSocket(nl_sock* sk) : sk_(sk) {}
  nl_sock* sk_ = nullptr;
};

struct LinkInfo {
  std::string name;
  std::string kind;  // "bridge", "veth", "" (physical, loopback...)
  int ifindex = 0;
  int master = 0;  // ifindex of the bridge it is enslaved to, 0 when none
};

Result<std::vector<LinkInfo>> ListLinks(NlSocket& sk);
// ifindex of `name`, 0 when no such link. The lookups and the up/down below are interface ioctls
// on the socket (they act in its namespace): no link message to build and parse, ~1.9 KB each
// with libnl (issue 17).
Result<int> LinkIndex(NlSocket& sk, const std::string& name);

// Creates bridge `name` (when missing) with address `cidr` ("10.88.0.1/16") and brings it up.
// Returns its ifindex. An existing link of that name that is not a bridge is an error.
Result<int> EnsureBridge(NlSocket& sk, const std::string& name, const std::string& cidr);

// Creates the veth pair `host_name` <-> `eth0`: the host side enslaved to `bridge_ifindex` and up,
// the peer created directly inside the namespace `netns_fd` (so it never collides with the host's
// own eth0).
Status CreateVeth(NlSocket& sk, const std::string& host_name, int bridge_ifindex, int netns_fd);

// Deletes link `name`; a missing link is not an error (deleting either end of a veth removes both).
Status DeleteLink(NlSocket& sk, const std::string& name);

// Sets IFF_UP on `name`.
Status LinkUp(NlSocket& sk, const std::string& name);
// Clears IFF_UP on `name`; a missing link is not an error. Unlike a delete, this does not wait
// for the kernel's unregister (RCU grace periods, ~20 ms here): see VethTeardown.
Status LinkDown(NlSocket& sk, const std::string& name);
// Adds `cidr` ("10.88.0.2/16") to `name`; an address already present is fine.
Status AddAddress(NlSocket& sk, const std::string& name, const std::string& cidr);
// Adds "default via `gateway` dev `name`".
Status AddDefaultRoute(NlSocket& sk, const std::string& name, const std::string& gateway);

// IPv4 routes of every table in the socket's namespace that are not on `skip_ifindex`, as
// {dst, prefix} (default routes left out): used to refuse a subnet that would shadow them.
struct RouteDst {
  uint32_t dst;  // host order
  int prefix;
  std::string dev;
};
Result<std::vector<RouteDst>> ListRoutes(NlSocket& sk, int skip_ifindex);

// The calling thread's network namespace, remembered so the thread can leave it (setns,
// unshare) and come back: the destructor returns the thread there. If it cannot, the process
// aborts: it must not go on acting on the host from inside another network namespace.
class NetnsReturn {
 public:
  static Result<NetnsReturn> Here();
  NetnsReturn(NetnsReturn&&) = default;
  NetnsReturn& operator=(NetnsReturn&&) = delete;
  ~NetnsReturn();

 private:
  explicit NetnsReturn(Fd home) : home_(std::move(home)) {}
  Fd home_;
};

// Runs `fn` on the calling thread while it is in the network namespace `netns_fd`, then returns
// the thread to its own namespace. (A helper thread did this before: creating it, and its malloc
// arena, cost 0.3-0.7 ms of every bridged launch here, issue 17.) A netlink socket opened by `fn`
// stays in that namespace after the return (NetnsReturn).
Status InNetns(int netns_fd, const std::function<Status()>& fn);

}  // namespace ctv::net
