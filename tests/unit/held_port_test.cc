// bench/suites/held_port.h: the kernel's free port, held: a server that sets SO_REUSEADDR (as
// ctv-probe's do) listens on it, runtime/net's bind test accepts it for a mapping, and a plain
// bind of the same port (another program) is refused while the hold lasts.
#include "bench/suites/held_port.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "runtime/net/port_conflict.h"

namespace ctv::bench {
namespace {

int BindTcp(uint16_t port, bool reuse, bool listen_too) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (reuse) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  int r = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  if (r == 0 && listen_too) r = ::listen(fd, 4);
  if (r != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(HeldPort, ServersMayUseItOthersMayNot) {
  auto held = HeldPort::Reserve();
  ASSERT_TRUE(held) << held.error().ToString();
  ASSERT_GT(held->Port(), 0);
  int plain = BindTcp(held->Port(), /*reuse=*/false, false);
  EXPECT_LT(plain, 0) << "another program could bind the held port " << held->Port();
  if (plain >= 0) ::close(plain);
  EXPECT_TRUE(net::CheckPortFree(net::NetState{}, {"", held->Port(), 7000, net::Protocol::kTcp}));
  int server = BindTcp(held->Port(), /*reuse=*/true, /*listen_too=*/true);
  EXPECT_GE(server, 0) << "a SO_REUSEADDR server cannot listen on " << held->Port();
  if (server >= 0) ::close(server);
}

TEST(HeldPort, ReservationsAreDistinct) {
  std::vector<HeldPort> held;
  std::set<uint16_t> ports;
  for (int i = 0; i < 20; ++i) {
    auto h = HeldPort::Reserve();
    ASSERT_TRUE(h) << h.error().ToString();
    ports.insert(h->Port());
    held.push_back(std::move(*h));
  }
  EXPECT_EQ(ports.size(), held.size());
}

}  // namespace
}  // namespace ctv::bench
