#include "bench/suites/held_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace ctv::bench {

Result<HeldPort> HeldPort::Reserve() {
  HeldPort h;
  h.fd_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!h.fd_.Valid()) return ErrnoError("create socket to reserve a host port");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  // Bound without SO_REUSEADDR: the kernel's choice then avoids every port another socket holds,
  // SO_REUSEADDR ones included.
  if (::bind(h.fd_.Get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return ErrnoError("reserve a host port", "0.0.0.0:0");
  socklen_t len = sizeof sa;
  if (::getsockname(h.fd_.Get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return ErrnoError("read the reserved host port");
  int one = 1;
  if (::setsockopt(h.fd_.Get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    return ErrnoError("share the reserved host port", std::to_string(ntohs(sa.sin_port)));
  h.port_ = ntohs(sa.sin_port);
  return h;
}

}  // namespace ctv::bench
