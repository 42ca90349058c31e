// Outbound NAT and port mappings as one nftables table (`table ip ctvbench` by default), rendered
// from the persisted state (nat_rules.h) and refilled atomically (one nfnetlink batch, see
// nft_netlink.h: declare the table and its chains, flush their rules, add the rules), or not
// touched when the rules do not change. Rendering the whole table from the state keeps the rules
// and the state in step: no rule outlives its endpoint, and garbage collection is "drop stale
// entries, re-render".
// Established connections keep their NAT bindings (conntrack), so a re-render does not cut them.
//
// The table, for a bridge ctv0 on 10.88.0.0/16 and `-p 18080:80` to 10.88.0.2:
//   chain prerouting  (nat, dstnat)   fib daddr type local tcp dport 18080 dnat to 10.88.0.2:80
//   chain output      (nat, dstnat)   the same, for connections the host itself opens
//   chain postrouting (nat, srcnat)   ip saddr 10.88.0.0/16 oifname != "ctv0" masquerade
//                                     ip saddr 127.0.0.0/8 ip daddr 10.88.0.2 tcp dport 80
//                                     masquerade oifname "ctv0" ip saddr 10.88.0.0/16 ct status
//                                     dnat masquerade
#pragma once

#include <string>

#include "core/error.h"
#include "runtime/net/state.h"

namespace ctv::net {

// The nft script that sets `table`'s rules to those for `state` (NftText(NatTableFor(...))): the
// masquerade of every bridge it serves (state.bridge_subnets and the endpoints' bridges) and each
// endpoint's port mappings; or only deletes the table when it serves no bridge. What
// ApplyRuleset applies, spelled as nft text (for comparisons, messages and tests).
std::string RenderRuleset(const std::string& table, const NetState& state);
// Applies the same table through nfnetlink, as one batch (ApplyNatTable).
Status ApplyRuleset(const std::string& table, const NetState& state);
// The transaction from `before` to `after`: none when both render the same rules and `before`
// was rendered already (before.nft_table set), e.g. an endpoint without port mappings joining
// or leaving a bridge that keeps other endpoints; else ApplyRuleset(after). The state is trusted
// to match the kernel's table (only this state root's writers change it, under its lock; gc
// re-renders it unconditionally).
Status ApplyRulesetChange(const std::string& table, const NetState& before, const NetState& after);

// Host settings the bridge needs:
//  - net.ipv4.ip_forward=1: containers' outbound traffic is forwarded then masqueraded (left on
//    afterwards, like Docker and libvirt do: other users may rely on it);
//  - net.ipv4.conf.<bridge>.route_localnet=1: see nat_rules.cc (DNAT of 127.0.0.1); scoped to our
//    bridge, and gone with it.
Status EnableBridgeSysctls(const std::string& bridge);

}  // namespace ctv::net
