// Network modes: an HTTP server, a TCP echo server and its request/response client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "bench/workload/probe.h"
#include "core/markers.h"

namespace ctv::probe {

namespace {

// SIGTERM/SIGINT/SIGHUP as a descriptor: the servers poll it next to their sockets, so a stop
// request is seen even while waiting in accept/read. Blocked before the ready marker is printed.
int StopSignalFd() {
  sigset_t set = BlockStopSignals();
  return signalfd(-1, &set, SFD_CLOEXEC);
}

int Listen(const char* mode, int64_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 64) != 0) {
    std::fprintf(stderr, "ctv-probe: %s: listen on 0.0.0.0:%lld: %s\n", mode,
                 static_cast<long long>(port), std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

// Waits for a connection, a stop signal or the deadline. Returns the accepted fd, or -1 to stop.
int AcceptOrStop(int lfd, int sfd, int64_t deadline_ns, bool* timed_out) {
  for (;;) {
    int64_t left_ms = (deadline_ns - Now()) / 1000000;
    if (left_ms <= 0) {
      *timed_out = true;
      return -1;
    }
    pollfd p[2] = {{lfd, POLLIN, 0}, {sfd, POLLIN, 0}};
    int r = poll(p, 2, static_cast<int>(std::min<int64_t>(left_ms, 1000)));
    if (r < 0 && errno != EINTR) return -1;
    if (p[1].revents) return -1;
    if (p[0].revents & POLLIN) {
      int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) return c;
    }
  }
}

void SetIoTimeout(int fd, int64_t seconds) {
  timeval tv{static_cast<time_t>(seconds), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

int Http(const Options& o) {
  int64_t port = o.Int("--port", -1, 1, 65535);
  int64_t timeout_s = o.Int("--timeout", 3600, 1, 86400 * 7);
  int sfd = StopSignalFd();
  int lfd = Listen(o.mode, port);
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  PrintReady();
  int64_t deadline = Now() + timeout_s * 1000000000LL;
  long long served = 0;
  bool timed_out = false;
  for (int c; (c = AcceptOrStop(lfd, sfd, deadline, &timed_out)) >= 0; close(c)) {
    SetIoTimeout(c, 5);  // a client that sends half a request cannot wedge the server
    std::string req;
    char buf[2048];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    if (req.find("\r\n\r\n") == std::string::npos) continue;
    bool get = req.compare(0, 4, "GET ") == 0 || req.compare(0, 5, "HEAD ") == 0;
    char body[384];
    int blen =
        std::snprintf(body, sizeof body, "ctv-probe http hostname=%s pid=%d\n", host, getpid());
    char head[256];
    int hlen = std::snprintf(head, sizeof head,
                             "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                             "Connection: close\r\n\r\n",
                             get ? "200 OK" : "405 Method Not Allowed", get ? blen : 0);
    WriteFull(c, head, static_cast<size_t>(hlen));
    if (get && req.compare(0, 4, "GET ") == 0) WriteFull(c, body, static_cast<size_t>(blen));
    served += get;
  }
  std::printf("{\"mode\":\"http\",\"port\":%lld,\"requests\":%lld,\"stopped_by\":%s}\n",
              static_cast<long long>(port), served, timed_out ? "\"timeout\"" : "\"signal\"");
  return timed_out ? 3 : 0;
}

int TcpRrServer(const Options& o) {
  int64_t port = o.Int("--port", -1, 1, 65535);
  int64_t timeout_s = o.Int("--timeout", 3600, 1, 86400 * 7);
  PinCpu(o);
  int sfd = StopSignalFd();
  int lfd = Listen(o.mode, port);
  PrintReady();
  int64_t deadline = Now() + timeout_s * 1000000000LL;
  long long conns = 0, echoed = 0;
  bool timed_out = false;
  for (int c; (c = AcceptOrStop(lfd, sfd, deadline, &timed_out)) >= 0; close(c)) {
    ++conns;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buf[4096];
    bool stop = false;
    // Echo until the client closes; keep watching the stop signal between reads.
    while (!stop) {
      pollfd p[2] = {{c, POLLIN, 0}, {sfd, POLLIN, 0}};
      if (poll(p, 2, 1000) < 0 && errno != EINTR) break;
      if (p[1].revents) stop = true;
      if (Now() > deadline) stop = timed_out = true;
      if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0 || !WriteFull(c, buf, static_cast<size_t>(n))) break;
      echoed += n;
    }
    if (stop) {
      close(c);
      break;
    }
  }
  std::printf(
      "{\"mode\":\"tcp-rr-server\",\"port\":%lld,\"connections\":%lld,\"bytes\":%lld,"
      "\"stopped_by\":%s}\n",
      static_cast<long long>(port), conns, echoed, timed_out ? "\"timeout\"" : "\"signal\"");
  return timed_out ? 3 : 0;
}

int TcpRr(const Options& o) {
  const char* target = o.Get("--connect");
  if (!target) UsageError(o.mode, "--connect is required (A.B.C.D:PORT)");
  int64_t iters = o.Int("--iters", -1, 1, 10000000);
  int64_t timeout_s = o.Int("--timeout", 10, 1, 3600);
  PinCpu(o);
  std::string t = target;
  size_t colon = t.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  char* end = nullptr;
  long port = colon == std::string::npos ? 0 : std::strtol(t.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || !end || *end != '\0' || port < 1 || port > 65535 ||
      inet_pton(AF_INET, t.substr(0, colon).c_str(), &sa.sin_addr) != 1)
    UsageError(o.mode, "--connect: expected A.B.C.D:PORT, got '" + t + "'");
  sa.sin_port = htons(static_cast<uint16_t>(port));
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  SetIoTimeout(fd, timeout_s);  // SO_SNDTIMEO bounds connect() too
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    std::fprintf(stderr, "ctv-probe: tcp-rr: connect %s: %s\n", target, std::strerror(errno));
    return 1;
  }
  std::vector<int64_t> rtt(static_cast<size_t>(iters));
  char b = 'x';
  int64_t start = Now();
  for (int64_t i = 0; i < iters; ++i) {
    int64_t t0 = Now();
    if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) {
      std::fprintf(stderr, "ctv-probe: tcp-rr: round trip %lld with %s: %s\n",
                   static_cast<long long>(i + 1), target,
                   errno ? std::strerror(errno) : "connection closed by the server");
      return 1;
    }
    rtt[static_cast<size_t>(i)] = Now() - t0;
  }
  int64_t total = Now() - start;
  close(fd);
  std::sort(rtt.begin(), rtt.end());
  auto pct = [&](double p) { return rtt[static_cast<size_t>(p * static_cast<double>(iters - 1))]; };
  std::printf(
      "{\"mode\":\"tcp-rr\",\"connect\":%s,\"iters\":%lld,\"total_ns\":%lld,\"median_ns\":%lld,"
      "\"p95_ns\":%lld,\"min_ns\":%lld,\"mean_ns\":%.1f}\n",
      JsonString(t).c_str(), static_cast<long long>(iters), static_cast<long long>(total),
      static_cast<long long>(pct(0.5)), static_cast<long long>(pct(0.95)),
      static_cast<long long>(rtt.front()), static_cast<double>(total) / static_cast<double>(iters));
  return 0;
}

}  // namespace ctv::probe
