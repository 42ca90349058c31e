#include <gtest/gtest.h>

#include "runtime/net/nat.h"

namespace ctv::net {
namespace {

TEST(Ruleset, EmptyStateOnlyDeletesTheTable) {
  EXPECT_EQ(RenderRuleset("ctvbench", NetState{}),
            "add table ip ctvbench\ndelete table ip ctvbench\n");
}

TEST(Ruleset, RendersMasqueradeDnatAndLoopbackSnat) {
  NetState s;
  s.endpoints.push_back({"web1",
                         "ctv0",
                         "10.88.0.0/16",
                         "10.88.0.2",
                         "ctvweb1",
                         {PortMapping{"", 18080, 80, Protocol::kTcp},
                          PortMapping{"127.0.0.1", 5353, 53, Protocol::kUdp}}});
  std::string r = RenderRuleset("ctvbench", s);
  for (const char* want : {
           "table ip ctvbench {",
           "}\nflush table ip ctvbench\n",
           "type nat hook prerouting priority dstnat;",
           "type nat hook output priority -100;",
           "type nat hook postrouting priority srcnat;",
           "fib daddr type local tcp dport 18080 dnat to 10.88.0.2:80 comment \"web1\"",
           "ip daddr 127.0.0.1 udp dport 5353 dnat to 10.88.0.2:53 comment \"web1\"",
           "ip saddr 10.88.0.0/16 oifname != \"ctv0\" masquerade",
           "oifname \"ctv0\" ip saddr 10.88.0.0/16 ct status dnat masquerade",
           "ip saddr 127.0.0.0/8 ip daddr 10.88.0.2 tcp dport 80 masquerade",
       })
    EXPECT_NE(r.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << r;
  // DNAT appears in prerouting and output: twice per mapping.
  size_t n = 0;
  for (size_t p = 0; (p = r.find("dnat to", p)) != std::string::npos; ++p) ++n;
  EXPECT_EQ(n, 4u);
  // The table is refilled, never deleted and re-created while endpoints exist: deleting its base
  // chains would unregister their hooks on every launch.
  EXPECT_EQ(r.find("delete"), std::string::npos) << r;
}

// What lets an endpoint without port mappings join or leave a bridge without an nftables
// transaction (ApplyRulesetChange): the rules depend on the bridges and the mappings only.
TEST(Ruleset, EndpointsWithoutPortsDoNotChangeTheRules) {
  NetState one;
  one.nft_table = "ctvbench";
  one.endpoints.push_back({"a", "ctv0", "10.88.0.0/16", "10.88.0.2", "ctva", {}});
  NetState two = one;
  two.endpoints.push_back({"b", "ctv0", "10.88.0.0/16", "10.88.0.3", "ctvb", {}});
  EXPECT_EQ(RenderRuleset("ctvbench", one), RenderRuleset("ctvbench", two));
  NetState mapped = two;
  mapped.endpoints[1].ports.push_back(PortMapping{"", 18080, 80, Protocol::kTcp});
  EXPECT_NE(RenderRuleset("ctvbench", two), RenderRuleset("ctvbench", mapped));
  NetState other_bridge = one;
  other_bridge.endpoints.push_back({"c", "ctv1", "10.89.0.0/16", "10.89.0.2", "ctvc", {}});
  EXPECT_NE(RenderRuleset("ctvbench", one), RenderRuleset("ctvbench", other_bridge));
  EXPECT_NE(RenderRuleset("ctvbench", one), RenderRuleset("ctvbench", NetState{}));
}

}  // namespace
}  // namespace ctv::net
