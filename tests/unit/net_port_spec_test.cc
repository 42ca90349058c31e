#include <gtest/gtest.h>

#include "runtime/net/ipv4.h"
#include "runtime/net/port_spec.h"
#include "runtime/net/types.h"

namespace ctv::net {
namespace {

TEST(PortSpec, ParsesAcceptedForms) {
  auto a = ParsePortSpec("8080:80");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->host_ip, "");
  EXPECT_EQ(a->host_port, 8080);
  EXPECT_EQ(a->container_port, 80);
  EXPECT_EQ(a->protocol, Protocol::kTcp);

  auto b = ParsePortSpec("127.0.0.1:18080:80/udp");
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_EQ(b->host_ip, "127.0.0.1");
  EXPECT_EQ(b->host_port, 18080);
  EXPECT_EQ(b->protocol, Protocol::kUdp);
  EXPECT_EQ(b->ToString(), "127.0.0.1:18080:80/udp");

  auto c = ParsePortSpec("0.0.0.0:1:65535/tcp");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host_ip, "");  // 0.0.0.0 = every address
  EXPECT_EQ(c->container_port, 65535);
}

TEST(PortSpec, RejectsBadFormsNamingFlagAndForm) {
  for (const char* bad :
       {"80", "", ":80", "8080:", "a:80", "8080:b", "0:80", "8080:65536", "8080:80/sctp",
        "8080:80/", "1.2.3:8080:80", "x:8080:80", "1.2.3.4:5:8080:80", "-1:80", "8080:80 "}) {
    auto r = ParsePortSpec(bad);
    ASSERT_FALSE(r) << bad;
    std::string msg = r.error().ToString();
    EXPECT_NE(msg.find("-p"), std::string::npos) << msg;
    EXPECT_NE(msg.find(kPortSpecForm), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(PortSpec, RejectsDuplicateHostPortsInOneRequest) {
  auto r = ParsePortSpecs({"8080:80", "127.0.0.1:8080:81"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("8080"), std::string::npos);
  EXPECT_TRUE(ParsePortSpecs({"8080:80", "8080:80/udp", "8081:80"}));
}

TEST(NetworkMode, ParsesNames) {
  EXPECT_EQ(*ParseNetworkMode("none"), NetworkMode::kNone);
  EXPECT_EQ(*ParseNetworkMode("host"), NetworkMode::kHost);
  EXPECT_EQ(*ParseNetworkMode("bridge"), NetworkMode::kBridge);
  auto r = ParseNetworkMode("nat");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("none|host|bridge"), std::string::npos);
}

TEST(Ipv4, SubnetsAndOverlap) {
  auto s = ParseIpv4Subnet("10.88.0.0/16");
  ASSERT_TRUE(s);
  EXPECT_EQ(FormatIpv4(s->Gateway()), "10.88.0.1");
  EXPECT_EQ(FormatIpv4(s->Broadcast()), "10.88.255.255");
  EXPECT_TRUE(s->Overlaps(*ParseIpv4Subnet("10.88.5.0/24")));
  EXPECT_TRUE(s->Overlaps(*ParseIpv4Subnet("10.0.0.0/8")));
  EXPECT_FALSE(s->Overlaps(*ParseIpv4Subnet("10.89.0.0/16")));
  EXPECT_FALSE(ParseIpv4Subnet("10.88.0.1/16"));  // host bits
  EXPECT_FALSE(ParseIpv4Subnet("10.88.0.0/31"));
}

}  // namespace
}  // namespace ctv::net
