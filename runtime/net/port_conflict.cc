#include "runtime/net/port_conflict.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <set>

#include "core/fd.h"
#include "runtime/net/ipv4.h"

namespace ctv::net {
namespace {

// Socket inodes bound to `port` in one /proc/net table. TCP: LISTEN (0A) only — established
// connections using the port as their local end do not stop a new listener.
void InodesFromTable(const std::string& path, bool tcp, uint16_t port,
                     std::set<unsigned long>* out) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return;
  char line[512];
  std::fgets(line, sizeof line, f);  // header
  while (std::fgets(line, sizeof line, f)) {
    char local[64];
    unsigned lport = 0, state = 0;
    unsigned long inode = 0;
    if (std::sscanf(line,
                    " %*d: %63[0-9A-Fa-f]:%X %*[0-9A-Fa-f]:%*X %X %*X:%*X %*X:%*X %*X %*u %*u %lu",
                    local, &lport, &state, &inode) != 4)
      continue;
    if (lport != port || inode == 0) continue;
    if (tcp && state != 0x0A) continue;
    out->insert(inode);
  }
  std::fclose(f);
}

}  // namespace

std::vector<PortHolder> FindPortHolders(Protocol protocol, uint16_t port, const std::string& proc) {
  std::set<unsigned long> inodes;
  bool tcp = protocol == Protocol::kTcp;
  InodesFromTable(proc + (tcp ? "/net/tcp" : "/net/udp"), tcp, port, &inodes);
  InodesFromTable(proc + (tcp ? "/net/tcp6" : "/net/udp6"), tcp, port, &inodes);
  std::vector<PortHolder> out;
  if (inodes.empty()) return out;
  DIR* d = ::opendir(proc.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::string fd_dir = proc + "/" + e->d_name + "/fd";
    DIR* fds = ::opendir(fd_dir.c_str());
    if (!fds) continue;  // the process exited meanwhile, or is not ours to look at
    bool found = false;
    while (dirent* fe = ::readdir(fds)) {
      if (fe->d_name[0] == '.') continue;
      char target[64];
      ssize_t n = ::readlink((fd_dir + "/" + fe->d_name).c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = '\0';
      unsigned long ino = 0;
      if (std::sscanf(target, "socket:[%lu]", &ino) == 1 && inodes.count(ino)) {
        found = true;
        break;
      }
    }
    ::closedir(fds);
    if (!found) continue;
    PortHolder h;
    h.pid = static_cast<pid_t>(std::atoi(e->d_name));
    auto comm = ReadFile(proc + "/" + e->d_name + "/comm");
    h.comm = comm ? *comm : "?";
    while (!h.comm.empty() && h.comm.back() == '\n') h.comm.pop_back();
    out.push_back(std::move(h));
  }
  ::closedir(d);
  return out;
}

Status CheckPortFree(const NetState& state, const PortMapping& m) {
  std::string spec = m.ToString();
  for (const auto& e : state.endpoints) {
    for (const auto& p : e.ports) {
      bool same_ip = p.host_ip.empty() || m.host_ip.empty() || p.host_ip == m.host_ip;
      if (same_ip && p.host_port == m.host_port && p.protocol == m.protocol)
        return Error{
            EADDRINUSE, "map port", spec,
            fmt::format("host port {}/{} is already mapped to container {} ({}:{})", m.host_port,
                        ProtocolName(m.protocol), e.id, e.ip, p.container_port)};
    }
  }
  // Ask the kernel: bind the port the way a server would.
  bool tcp = m.protocol == Protocol::kTcp;
  Fd s(::socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!s.Valid()) return ErrnoError("create socket to check port", spec);
  if (tcp) {
    // Connections in TIME_WAIT on that port must not count as a holder.
    int one = 1;
    ::setsockopt(s.Get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(m.host_port);
  sa.sin_addr.s_addr =
      htonl(m.host_ip.empty() ? INADDR_ANY : CTV_TRY(ParseIpv4(m.host_ip, "-p host ip")));
  if (::bind(s.Get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return Ok();
  int err = errno;
  if (err == EADDRNOTAVAIL)
    return Error{err, "map port", spec,
                 fmt::format("{} is not an address of this host", m.host_ip)};
  if (err != EADDRINUSE) return Error{err, "check host port", spec, ""};
  std::vector<PortHolder> holders = FindPortHolders(m.protocol, m.host_port);
  std::string who;
  for (const auto& h : holders)
    who += fmt::format("{}pid {} ({})", who.empty() ? "" : ", ", h.pid, h.comm);
  if (who.empty()) who = "a socket whose owner could not be found";
  return Error{EADDRINUSE, "map port", spec,
               fmt::format("host port {}/{} is already in use by {}", m.host_port,
                           ProtocolName(m.protocol), who)};
}

}  // namespace ctv::net
