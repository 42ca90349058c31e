#include "runtime/net/gc.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "core/fs_tree.h"
#include "runtime/net/nat.h"
#include "runtime/net/netlink.h"
#include "runtime/net/nft_netlink.h"
#include "runtime/net/state.h"

namespace ctv::net {

Status CollectGarbage(const std::string& state_root, std::vector<std::string>* removed) {
  std::string dir = state_root + "/net";
  if (::access(dir.c_str(), F_OK) != 0) return Ok();
  std::vector<std::string> sink;
  if (!removed) removed = &sink;
  StateLock lock = CTV_TRY(StateLock::Acquire(dir));
  // Every writer of state.json holds this lock: a temp file of it now is a killed writer's.
  if (auto names = ctv::fs::ListDir(dir))
    for (const std::string& n : *names)
      if (n.rfind("state.json.tmp.", 0) == 0 && ::unlink((dir + "/" + n).c_str()) == 0)
        removed->push_back(dir + "/" + n);
  NetState state = CTV_TRY(LoadState(lock));
  NlSocket sk = CTV_TRY(NlSocket::Open());
  std::vector<LinkInfo> links = CTV_TRY(ListLinks(sk));
  auto link = [&](const std::string& name) -> const LinkInfo* {
    for (const auto& l : links)
      if (l.name == name) return &l;
    return nullptr;
  };
  Status first = Ok();
  auto keep = [&first](Status s) {
    if (!s && first) first = std::move(s);
  };

  // Endpoints of dead containers.
  std::erase_if(state.endpoints, [&](const Endpoint& e) {
    if (link(e.veth)) return false;
    removed->push_back(fmt::format("network endpoint {} ({} on {})", e.id, e.ip, e.bridge));
    return true;
  });
  // Our bridges: stray veths on them, then the bridges nobody uses (idle ones kept by
  // NetworkConfig::keep_idle included: gc is what removes them).
  std::vector<std::string> bridges = state.bridges;
  for (const auto& e : state.endpoints)
    if (std::find(bridges.begin(), bridges.end(), e.bridge) == bridges.end())
      bridges.push_back(e.bridge);
  for (const auto& [b, subnet] : state.bridge_subnets)
    if (std::find(bridges.begin(), bridges.end(), b) == bridges.end()) bridges.push_back(b);
  std::erase_if(state.bridge_subnets, [&](const auto& kv) { return state.CountOnBridge(kv.first) == 0; });
  for (const auto& b : bridges) {
    const LinkInfo* br = link(b);
    if (!br) {
      std::erase(state.bridges, b);
      continue;
    }
    for (const auto& l : links) {
      if (l.master != br->ifindex || l.kind != "veth" || l.name.rfind("ctv", 0) != 0) continue;
      bool claimed = std::any_of(state.endpoints.begin(), state.endpoints.end(),
                                 [&](const Endpoint& e) { return e.veth == l.name; });
      if (claimed) continue;
      keep(DeleteLink(sk, l.name));
      removed->push_back("link " + l.name);
    }
    bool ours = std::find(state.bridges.begin(), state.bridges.end(), b) != state.bridges.end();
    if (ours && state.CountOnBridge(b) == 0) {
      keep(DeleteLink(sk, b));
      std::erase(state.bridges, b);
      removed->push_back("bridge " + b);
    }
  }
  if (!state.nft_table.empty()) {
    bool had = CTV_TRY(NftTableExists(state.nft_table));
    keep(ApplyRuleset(state.nft_table, state));
    if (had && state.endpoints.empty() && state.bridge_subnets.empty())
      removed->push_back("nft table ip " + state.nft_table);
  }
  keep(SaveState(lock, state));
  return first;
}

}  // namespace ctv::net
