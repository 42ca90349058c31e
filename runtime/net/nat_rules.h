// The NAT table's content, described once (NatTableFor, from the persisted state) and rendered
// two ways from that one description: as nft text (NftText: the "did the rules change" test of
// ApplyRulesetChange, diagnostics, and the reference the tests compare the kernel's table with)
// and as nf_tables netlink messages (nft_netlink.h: what is applied). A match or an action is a
// small closed vocabulary; each renderer spells every word of it, nothing else decides which
// rules exist.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/net/state.h"
#include "runtime/net/types.h"

namespace ctv::net {

// The table's three base chains, all `type nat`, `policy accept`. The chains are never deleted
// while a bridge is served: deleting a base chain unregisters its netfilter hook, which waits for
// an RCU grace period (milliseconds on every launch).
struct NatChain {
  const char* name;
  int hook;                   // NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING
  int priority;               // -100 (dstnat) or 100 (srcnat)
  const char* priority_text;  // how the nft text spells it
};
// prerouting (dstnat), output (-100: nft 1.0.6 accepts the keyword dstnat only with the
// prerouting hook), postrouting (srcnat).
extern const NatChain kNatChains[3];

struct NatMatch {
  enum Kind {
    kFibDaddrLocal,  // fib daddr type local: any address of the host (follows address changes)
    kIpSaddr,        // ip saddr <cidr>          (addr: "10.88.0.0/16")
    kIpDaddr,        // ip daddr <address>       (addr: "10.88.0.2")
    kOifname,        // oifname ["!="] "<name>"  (name, negate)
    kCtStatusDnat,   // ct status dnat
    kDport,          // tcp|udp dport <port>     (protocol, port)
  };
  Kind kind;
  std::string addr;
  std::string name;
  bool negate = false;
  Protocol protocol = Protocol::kTcp;
  uint16_t port = 0;
};

struct NatRule {
  const NatChain* chain;
  std::vector<NatMatch> matches;
  enum Action { kMasquerade, kDnat } action = kMasquerade;
  std::string dnat_addr;  // kDnat: "10.88.0.2"
  uint16_t dnat_port = 0;
  std::string comment;  // the container id, or "<bridge> outbound|hairpin"
};

struct NatTable {
  std::string name;  // the table, family ip
  // False when the state serves no bridge: the table is deleted (whether or not it exists).
  bool present = false;
  std::vector<NatRule> rules;  // in order, all of them: the table's rules are flushed and refilled
};

// The table for `state`: the masquerade of every bridge it serves (state.bridge_subnets and the
// endpoints' bridges) and each endpoint's port mappings.
NatTable NatTableFor(const std::string& table, const NetState& state);

// One rule as an nft command: `add rule ip <table> <chain> <matches> <action> comment "<c>"`.
std::string NftRuleText(const std::string& table, const NatRule& r);

// The nft script that makes the kernel's table equal to `t` in one transaction: declare the
// table and its chains, flush the table's rules, add `t.rules`; or "add table, delete table".
std::string NftText(const NatTable& t);

}  // namespace ctv::net
