#include "runtime/net/nat_rules.h"

#include <fmt/format.h>
#include <linux/netfilter.h>

#include <utility>

namespace ctv::net {

const NatChain kNatChains[3] = {
    {"prerouting", NF_INET_PRE_ROUTING, -100, "dstnat"},
    // Connections the host opens itself (curl 127.0.0.1:18080) never pass prerouting: they need
    // the same DNAT in the output hook.
    {"output", NF_INET_LOCAL_OUT, -100, "-100"},
    {"postrouting", NF_INET_POST_ROUTING, 100, "srcnat"},
};

namespace {

const NatChain& kPrerouting = kNatChains[0];
const NatChain& kOutput = kNatChains[1];
const NatChain& kPostrouting = kNatChains[2];

NatMatch Match(NatMatch::Kind kind) { return NatMatch{kind, "", "", false, Protocol::kTcp, 0}; }
NatMatch Addr(NatMatch::Kind kind, std::string addr) {
  NatMatch m = Match(kind);
  m.addr = std::move(addr);
  return m;
}
NatMatch Oifname(std::string name, bool negate) {
  NatMatch m = Match(NatMatch::kOifname);
  m.name = std::move(name);
  m.negate = negate;
  return m;
}
NatMatch Dport(Protocol protocol, uint16_t port) {
  NatMatch m = Match(NatMatch::kDport);
  m.protocol = protocol;
  m.port = port;
  return m;
}

NatRule Masquerade(std::vector<NatMatch> matches, std::string comment) {
  return {&kPostrouting, std::move(matches), NatRule::kMasquerade, "", 0, std::move(comment)};
}

std::string MatchText(const NatMatch& m) {
  switch (m.kind) {
    case NatMatch::kFibDaddrLocal:
      return "fib daddr type local";
    case NatMatch::kIpSaddr:
      return "ip saddr " + m.addr;
    case NatMatch::kIpDaddr:
      return "ip daddr " + m.addr;
    case NatMatch::kOifname:
      return fmt::format("oifname {}\"{}\"", m.negate ? "!= " : "", m.name);
    case NatMatch::kCtStatusDnat:
      return "ct status dnat";
    case NatMatch::kDport:
      return fmt::format("{} dport {}", ProtocolName(m.protocol), m.port);
  }
  return "";
}

}  // namespace

NatTable NatTableFor(const std::string& table, const NetState& state) {
  NatTable t;
  t.name = table;
  // The bridges served, with their subnets: the kept ones (in name order), then any only an
  // endpoint names (a state file written before bridge_subnets existed).
  std::vector<std::pair<std::string, std::string>> bridges(state.bridge_subnets.begin(),
                                                           state.bridge_subnets.end());
  for (const auto& e : state.endpoints) {
    bool seen = false;
    for (const auto& b : bridges) seen |= b.first == e.bridge;
    if (!seen) bridges.emplace_back(e.bridge, e.subnet);
  }
  t.present = !bridges.empty();
  if (!t.present) return t;
  for (const NatChain* chain : {&kPrerouting, &kOutput})
    for (const auto& e : state.endpoints)
      for (const auto& p : e.ports) {
        NatRule r{chain, {}, NatRule::kDnat, e.ip, p.container_port, e.id};
        // No HOSTIP: every address of the host (its own, the bridge's, 127.0.0.1), like
        // `-p 8080:80` elsewhere.
        r.matches.push_back(p.host_ip.empty() ? Match(NatMatch::kFibDaddrLocal)
                                              : Addr(NatMatch::kIpDaddr, p.host_ip));
        r.matches.push_back(Dport(p.protocol, p.host_port));
        t.rules.push_back(std::move(r));
      }
  for (const auto& [br, subnet] : bridges) {
    // Outbound: containers leave through the host's address.
    t.rules.push_back(
        Masquerade({Addr(NatMatch::kIpSaddr, subnet), Oifname(br, true)}, br + " outbound"));
    // Hairpin: a container reaching another (or itself) through a mapped host port. Without it
    // the reply would go straight back over the bridge, bypassing the un-DNAT.
    t.rules.push_back(Masquerade(
        {Oifname(br, false), Addr(NatMatch::kIpSaddr, subnet), Match(NatMatch::kCtStatusDnat)},
        br + " hairpin"));
  }
  // DNAT of connections to 127.0.0.1: after the output-hook DNAT the packet is re-routed to the
  // bridge with source 127.0.0.1. The kernel drops loopback-sourced packets on a non-loopback
  // device ("martian") unless route_localnet is set on it (EnableBridgeSysctls sets it on the
  // bridge only), and the container could not answer 127.0.0.1 anyway (its own loopback): so the
  // source is masqueraded to the bridge address, and conntrack maps the replies back.
  for (const auto& e : state.endpoints)
    for (const auto& p : e.ports)
      t.rules.push_back(
          Masquerade({Addr(NatMatch::kIpSaddr, "127.0.0.0/8"), Addr(NatMatch::kIpDaddr, e.ip),
                      Dport(p.protocol, p.container_port)},
                     e.id));
  return t;
}

std::string NftText(const NatTable& t) {
  // "add" then "delete" makes the delete succeed whether or not the table exists.
  if (!t.present) return fmt::format("add table ip {0}\ndelete table ip {0}\n", t.name);
  // Declared (a no-op when they exist), then flushed and refilled, in one transaction: readers
  // see the old rules or the new ones, never a half.
  std::string s = fmt::format("table ip {} {{\n", t.name);
  for (const NatChain& c : kNatChains)
    s += fmt::format("  chain {} {{\n    type nat hook {} priority {}; policy accept;\n  }}\n",
                     c.name, c.name, c.priority_text);
  s += "}\n";
  s += fmt::format("flush table ip {}\n", t.name);
  for (const NatRule& r : t.rules) s += NftRuleText(t.name, r) + "\n";
  return s;
}

std::string NftRuleText(const std::string& table, const NatRule& r) {
  std::string s = fmt::format("add rule ip {} {}", table, r.chain->name);
  for (const NatMatch& m : r.matches) s += " " + MatchText(m);
  if (r.action == NatRule::kDnat)
    s += fmt::format(" dnat to {}:{}", r.dnat_addr, r.dnat_port);
  else
    s += " masquerade";
  return s + fmt::format(" comment \"{}\"", r.comment);
}

}  // namespace ctv::net
