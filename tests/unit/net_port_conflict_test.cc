// Port-conflict checks without root: holders are sockets this test binds on loopback.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fd.h"
#include "runtime/net/port_conflict.h"

namespace ctv::net {
namespace {

// A socket bound (and, for TCP, listening) on an ephemeral port of `family`'s any/loopback.
struct Held {
  Fd fd;
  uint16_t port = 0;
};

Held Hold(int family, int type, bool loopback) {
  Held h;
  h.fd = Fd(::socket(family, type | SOCK_CLOEXEC, 0));
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
    len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_addr = loopback ? in6addr_loopback : in6addr_any;
    len = sizeof *sa;
  }
  if (::bind(h.fd.Get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return h;
  if (type == SOCK_STREAM) ::listen(h.fd.Get(), 1);
  if (::getsockname(h.fd.Get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return h;
  h.port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return h;
}

void ExpectRefusedNamingUs(const PortMapping& m) {
  Status s = CheckPortFree(NetState{}, m);
  ASSERT_FALSE(s) << m.ToString();
  std::string msg = s.error().ToString();
  EXPECT_EQ(s.error().code, EADDRINUSE) << msg;
  EXPECT_NE(msg.find(std::to_string(m.host_port)), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("pid {}", ::getpid())), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(PortConflict, MappingOfAnotherEndpointIsNamed) {
  NetState st;
  st.endpoints.push_back(
      {"web1", "ctv0", "10.88.0.0/16", "10.88.0.2", "ctvweb1", {{"", 18080, 80, Protocol::kTcp}}});
  Status s = CheckPortFree(st, {"127.0.0.1", 18080, 81, Protocol::kTcp});
  ASSERT_FALSE(s);
  std::string msg = s.error().ToString();
  EXPECT_NE(msg.find("18080/tcp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("container web1 (10.88.0.2:80)"), std::string::npos) << msg;
  // Another protocol is another port.
  Status udp = CheckPortFree(st, {"", 18080, 80, Protocol::kUdp});
  EXPECT_TRUE(udp || udp.error().code == EADDRINUSE);  // a host process may hold it, not web1
  if (!udp) {
    EXPECT_EQ(udp.error().ToString().find("web1"), std::string::npos);
  }
}

TEST(PortConflict, TcpListenerOnLoopbackIsNamed) {
  Held h = Hold(AF_INET, SOCK_STREAM, true);
  ASSERT_NE(h.port, 0);
  ExpectRefusedNamingUs({"", h.port, 80, Protocol::kTcp});
  ExpectRefusedNamingUs({"127.0.0.1", h.port, 80, Protocol::kTcp});
}

TEST(PortConflict, Ipv6ListenerIsNamed) {
  Held h = Hold(AF_INET6, SOCK_STREAM, false);  // [::]:port, dual stack by default
  if (h.port == 0) GTEST_SKIP() << "no IPv6 on this host";
  ExpectRefusedNamingUs({"", h.port, 80, Protocol::kTcp});
}

TEST(PortConflict, UdpSocketIsNamed) {
  Held h = Hold(AF_INET, SOCK_DGRAM, false);
  ASSERT_NE(h.port, 0);
  ExpectRefusedNamingUs({"", h.port, 53, Protocol::kUdp});
}

TEST(PortConflict, FreePortPassesAndForeignAddressIsRefused) {
  Held h = Hold(AF_INET, SOCK_STREAM, true);
  ASSERT_NE(h.port, 0);
  uint16_t port = h.port;
  h.fd.Reset();  // free again
  EXPECT_TRUE(CheckPortFree(NetState{}, {"", port, 80, Protocol::kTcp}));
  // 192.0.2.123 (TEST-NET-1) is no address of this host: bind only, nothing is sent.
  Status s = CheckPortFree(NetState{}, {"192.0.2.123", port, 80, Protocol::kTcp});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().ToString().find("not an address of this host"), std::string::npos)
      << s.error().ToString();
}

}  // namespace
}  // namespace ctv::net
