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
           "add table ip ctvbench\ndelete table ip ctvbench\ntable ip ctvbench {",
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
}

}  // namespace
}  // namespace ctv::net
