// ctv-probe: the one workload every driver runs (host process, container, VM guest), unchanged.
// Static, no dependencies beyond libc, so it runs in a busybox image and a bare initramfs alike.
//
// Output contract (core/markers.h): measuring modes print one JSON object on stdout;
// `ready`, `http` and `tcp-rr-server` print the marker line "CTV-READY <pid> <monotonic_ns>"
// once ready (the servers print a JSON summary when stopped). Bad arguments: a message on
// stderr naming the mode, the option and the accepted form; exit status 2.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/sysmacros.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/markers.h"
#include <vector>

namespace {

constexpr int kExitUsage = 2;

const char* kUsage =
    "usage: ctv-probe MODE [OPTIONS]\n"
    "The workload ctvbench runs unchanged as a host process, in a container and in a VM.\n"
    "modes:\n"
    "  noop                      exit 0 at once (start-to-exit measurements)\n"
    "  ready [--timeout S]       print 'CTV-READY <pid> <monotonic_ns>', then wait for\n"
    "                            SIGTERM/SIGINT/SIGHUP (or S seconds) and exit 0\n"
    "  syscall --op OP --iters N ns per system call, OP: getppid|read|write|openclose|stat|clock\n"
    "  memtouch --mib N          allocate and touch N MiB, report time and resident size\n"
    "  cpuspin --seconds S       spin S wall seconds, report the CPU time obtained\n"
    "  forkbomb --max N          fork up to N sleeping children, report how many succeeded\n"
    "  hostinfo                  pid, ppid, hostname, ids, kernel, interfaces, mounts, pids\n"
    "  ptrace                    trace a child that asked for it (PTRACE_TRACEME), then try to\n"
    "                            attach to our parent (PTRACE_ATTACH, PTRACE_SEIZE): a non-child;\n"
    "                            reports the errno of each (0 = allowed)\n"
    "  http --port N [--timeout S]\n"
    "                            HTTP/1.1 server on 0.0.0.0:N answering GET with 200 and a body\n"
    "                            naming hostname and pid; prints 'CTV-READY <pid> <monotonic_ns>'\n"
    "                            once listening; stops on SIGTERM/SIGINT/SIGHUP (or after S s)\n"
    "  tcp-rr-server --port N [--timeout S] [--cpu C]\n"
    "                            TCP echo server on 0.0.0.0:N (one connection at a time), same\n"
    "                            ready marker and stop signals as http\n"
    "  tcp-rr --connect A.B.C.D:PORT --iters N [--timeout S] [--cpu C]\n"
    "                            N request/response round trips of 1 byte on one connection,\n"
    "                            reports ns per round trip (median, p95, min, mean)\n"
    "                            --cpu C: run on CPU C only (client and server on one CPU take\n"
    "                            cross-CPU wake-ups out of the figure)\n"
    "  blkread --mib N [--timeout S]\n"
    "                            wait up to S s (default 10) for the first disk (/sys/block/vd*,\n"
    "                            sd*), read its first N MiB with O_DIRECT in 1 MiB blocks; reports\n"
    "                            the device, its kernel drivers and MiB/s (this machine's clock)\n"
    "  emit --kib N              write N KiB of text lines to stdout (in a guest: the marker\n"
    "                            channel, UART or virtio console) and drain it; reports KiB/s\n"
    "  procinfo                  what the runtime set up for this process: capability sets\n"
    "                            (hex, /proc/self/status), no_new_privs, oom_score_adj, rlimits\n"
    "                            (nofile, nproc, core; -1 = unlimited), uid/gid/groups/umask,\n"
    "                            /dev nodes (type, major, minor, mode, owner), the propagation\n"
    "                            of / and of every mount, /proc/self/cgroup, memory limit\n"
    "Measuring modes print one JSON object on stdout.\n";

[[noreturn]] void UsageError(const char* mode, const std::string& msg) {
  std::fprintf(stderr, "ctv-probe: %s: %s\n(run 'ctv-probe --help' for the modes and options)\n",
               mode, msg.c_str());
  std::exit(kExitUsage);
}

int64_t Now(clockid_t clock = CLOCK_MONOTONIC) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Options are "--name value" pairs after the mode.
struct Options {
  const char* mode;
  std::vector<std::pair<std::string, std::string>> kv;

  Options(const char* m, int argc, char** argv, std::initializer_list<const char*> allowed)
      : mode(m) {
    for (int i = 0; i < argc; ++i) {
      std::string key = argv[i];
      bool known = false;
      for (const char* a : allowed) known |= key == a;
      if (!known) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        UsageError(mode, "unknown option '" + key + "'" +
                             (list.empty() ? " (this mode takes none)" : " (accepted: " + list + ")"));
      }
      if (i + 1 >= argc) UsageError(mode, key + " needs a value");
      kv.emplace_back(key, argv[++i]);
    }
  }
  const char* Get(const char* key) const {
    for (const auto& [k, v] : kv)
      if (k == key) return v.c_str();
    return nullptr;
  }
  // A required (or defaulted when dflt >= 0) integer in [min, max].
  int64_t Int(const char* key, int64_t dflt, int64_t min, int64_t max) const {
    const char* v = Get(key);
    if (!v) {
      if (dflt < 0) UsageError(mode, std::string(key) + " is required");
      return dflt;
    }
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || x < min || x > max)
      UsageError(mode, std::string(key) + ": expected an integer from " + std::to_string(min) +
                           " to " + std::to_string(max) + ", got '" + v + "'");
    return x;
  }
};

int Noop() { return 0; }

int Ready(const Options& o) {
  int64_t timeout_s = o.Int("--timeout", 3600, 1, 86400 * 7);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  // Blocked before the marker is written: a stop request sent right after the harness sees the
  // marker is never lost.
  sigprocmask(SIG_BLOCK, &set, nullptr);
  char line[96];
  int n = std::snprintf(line, sizeof line, "%s %d %lld\n", ctv::markers::kReady.data(), getpid(),
                        static_cast<long long>(Now()));
  if (write(1, line, static_cast<size_t>(n)) != n) return 1;
  timespec ts{static_cast<time_t>(timeout_s), 0};
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? 0 : 3;  // 3: nobody told us to stop within the timeout
}

int Syscall(const Options& o) {
  const char* op = o.Get("--op");
  if (!op) UsageError(o.mode, "--op is required (getppid|read|write|openclose|stat|clock)");
  int64_t iters = o.Int("--iters", -1, 1, 1000000000);
  std::string sop = op;
  int devnull = -1, devzero = -1;
  if (sop == "read") devzero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  if (sop == "write") devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if ((sop == "read" && devzero < 0) || (sop == "write" && devnull < 0)) {
    std::fprintf(stderr, "ctv-probe: syscall: cannot open /dev/%s: %s\n",
                 sop == "read" ? "zero" : "null", std::strerror(errno));
    return 1;
  }
  char buf[1] = {0};
  struct stat st;
  int64_t start = Now();
  if (sop == "getppid") {
    for (int64_t i = 0; i < iters; ++i) syscall(SYS_getppid);  // no libc caching
  } else if (sop == "read") {
    for (int64_t i = 0; i < iters; ++i)
      if (read(devzero, buf, 1) != 1) return 1;
  } else if (sop == "write") {
    for (int64_t i = 0; i < iters; ++i)
      if (write(devnull, buf, 1) != 1) return 1;
  } else if (sop == "openclose") {
    for (int64_t i = 0; i < iters; ++i) {
      int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return 1;
      close(fd);
    }
  } else if (sop == "stat") {
    for (int64_t i = 0; i < iters; ++i)
      if (stat("/", &st) != 0) return 1;
  } else if (sop == "clock") {
    // Through the vDSO normally: shows when a platform (some VMs) falls back to a real syscall.
    for (int64_t i = 0; i < iters; ++i) Now();
  } else {
    UsageError(o.mode, "--op: expected getppid|read|write|openclose|stat|clock, got '" + sop + "'");
  }
  int64_t total = Now() - start;
  std::printf("{\"mode\":\"syscall\",\"op\":%s,\"iters\":%lld,\"total_ns\":%lld,\"ns_per_op\":%.3f}\n",
              JsonString(sop).c_str(), static_cast<long long>(iters),
              static_cast<long long>(total), static_cast<double>(total) / iters);
  return 0;
}

long RssKib() {
  FILE* f = std::fopen("/proc/self/status", "re");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  std::fclose(f);
  return kib;
}

int MemTouch(const Options& o) {
  int64_t mib = o.Int("--mib", -1, 1, 1 << 20);
  size_t bytes = static_cast<size_t>(mib) << 20;
  int64_t start = Now();
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "ctv-probe: memtouch: mmap %lld MiB: %s\n", static_cast<long long>(mib),
                 std::strerror(errno));
    return 1;
  }
  long page = sysconf(_SC_PAGESIZE);
  volatile char* c = static_cast<char*>(p);
  for (size_t off = 0; off < bytes; off += static_cast<size_t>(page)) c[off] = 1;
  int64_t ns = Now() - start;
  std::printf("{\"mode\":\"memtouch\",\"mib\":%lld,\"touch_ns\":%lld,\"rss_kib\":%ld}\n",
              static_cast<long long>(mib), static_cast<long long>(ns), RssKib());
  return 0;
}

int CpuSpin(const Options& o) {
  int64_t seconds = o.Int("--seconds", -1, 1, 3600);
  int64_t wall0 = Now(), cpu0 = Now(CLOCK_PROCESS_CPUTIME_ID);
  int64_t end = wall0 + seconds * 1000000000LL;
  volatile uint64_t x = 0;
  while (Now() < end)
    for (int i = 0; i < 10000; ++i) x = x + 1;
  double wall = (Now() - wall0) / 1e9, cpu = (Now(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e9;
  std::printf("{\"mode\":\"cpuspin\",\"wall_s\":%.6f,\"cpu_s\":%.6f,\"cpu_share\":%.4f}\n", wall,
              cpu, cpu / wall);
  return 0;
}

int ForkBomb(const Options& o) {
  int64_t max = o.Int("--max", -1, 1, 100000);
  std::vector<pid_t> kids;
  int first_errno = 0;
  for (int64_t i = 0; i < max; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      pause();  // alive until killed: each child holds one pid
      _exit(0);
    }
    if (pid < 0) {
      first_errno = errno;
      break;
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) kill(k, SIGKILL);
  for (pid_t k : kids) waitpid(k, nullptr, 0);
  std::printf("{\"mode\":\"forkbomb\",\"max\":%lld,\"forked\":%zu,\"stopped_by\":%s}\n",
              static_cast<long long>(max), kids.size(),
              first_errno ? JsonString(strerrorname_np(first_errno)).c_str() : "null");
  return 0;
}

std::string ReadSmall(const char* path) {
  FILE* f = std::fopen(path, "re");
  if (!f) return "";
  char buf[4096];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::string s(buf, n);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

int HostInfo() {
  utsname u;
  uname(&u);
  std::string ifs;
  ifaddrs* list = nullptr;
  std::vector<std::string> seen;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      std::string name = a->ifa_name;
      bool dup = false;
      for (const auto& s : seen) dup |= s == name;
      if (dup) continue;
      seen.push_back(name);
      ifs += (ifs.empty() ? "" : ",") + JsonString(name);
    }
    freeifaddrs(list);
  }
  int mounts = 0;
  if (FILE* f = std::fopen("/proc/self/mountinfo", "re")) {
    for (int c; (c = std::fgetc(f)) != EOF;) mounts += c == '\n';
    std::fclose(f);
  }
  int pids = 0;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) pids += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    closedir(d);
  }
  std::printf(
      "{\"mode\":\"hostinfo\",\"pid\":%d,\"ppid\":%d,\"hostname\":%s,\"uid\":%d,\"gid\":%d,"
      "\"kernel_release\":%s,\"kernel_version\":%s,\"interfaces\":[%s],\"mount_count\":%d,"
      "\"visible_pids\":%d,\"pid1_comm\":%s,\"uid_map\":%s,\"cgroup\":%s}\n",
      getpid(), getppid(), JsonString(u.nodename).c_str(), getuid(), getgid(),
      JsonString(u.release).c_str(), JsonString(u.version).c_str(), ifs.c_str(), mounts, pids,
      JsonString(ReadSmall("/proc/1/comm")).c_str(),
      JsonString(ReadSmall("/proc/self/uid_map")).c_str(),
      JsonString(ReadSmall("/proc/self/cgroup")).c_str());
  return 0;
}

// ---- network modes ----------------------------------------------------------------------------

// SIGTERM/SIGINT/SIGHUP as a descriptor: the servers poll it next to their sockets, so a stop
// request is seen even while waiting in accept/read. Blocked before the ready marker is printed.
int StopSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, nullptr);
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

void PrintReady() {
  char line[96];
  int n = std::snprintf(line, sizeof line, "%s %d %lld\n", ctv::markers::kReady.data(), getpid(),
                        static_cast<long long>(Now()));
  if (write(1, line, static_cast<size_t>(n)) != n) std::exit(1);
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

// --cpu C: pin this process to CPU C.
void PinCpu(const Options& o) {
  if (!o.Get("--cpu")) return;
  int64_t cpu = o.Int("--cpu", -1, 0, CPU_SETSIZE - 1);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<int>(cpu), &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    std::fprintf(stderr, "ctv-probe: %s: pin to CPU %lld: %s\n", o.mode,
                 static_cast<long long>(cpu), std::strerror(errno));
    std::exit(1);
  }
}

void SetIoTimeout(int fd, int64_t seconds) {
  timeval tv{static_cast<time_t>(seconds), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool WriteFull(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

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

// ---- device modes ------------------------------------------------------------------------------

// The driver bound to sysfs device directory `dir` ("" when none).
std::string DriverOf(const std::string& dir) {
  char buf[512];
  ssize_t n = readlink((dir + "/driver").c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  const char* base = std::strrchr(buf, '/');
  return base ? base + 1 : buf;
}

// The first disk, "vda" or "sda" style, in name order; "" when none.
std::string FirstDisk() {
  std::string best;
  if (DIR* d = opendir("/sys/block")) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if ((n.rfind("vd", 0) == 0 || n.rfind("sd", 0) == 0) && (best.empty() || n < best)) best = n;
    }
    closedir(d);
  }
  return best;
}

void SleepMs(int ms) {
  timespec ts{0, ms * 1000000L};
  nanosleep(&ts, nullptr);
}

int BlkRead(const Options& o) {
  int64_t mib = o.Int("--mib", -1, 1, 1 << 20);
  int64_t timeout_s = o.Int("--timeout", 10, 1, 3600);
  int64_t t0 = Now(), deadline = t0 + timeout_s * 1000000000LL;
  // Disks appear asynchronously after the driver loads (SCSI scans in the background): wait for
  // the sysfs entry, then for devtmpfs's node.
  std::string name;
  while ((name = FirstDisk()).empty() && Now() < deadline) SleepMs(5);
  if (name.empty()) {
    std::fprintf(stderr, "ctv-probe: blkread: no disk (/sys/block/vd*, sd*) within %lld s\n",
                 static_cast<long long>(timeout_s));
    return 1;
  }
  std::string dev = "/dev/" + name;
  int fd;
  while ((fd = open(dev.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC)) < 0 && errno == ENOENT &&
         Now() < deadline)
    SleepMs(5);
  if (fd < 0) {
    std::fprintf(stderr, "ctv-probe: blkread: open %s with O_DIRECT: %s\n", dev.c_str(),
                 std::strerror(errno));
    return 1;
  }
  int64_t waited = Now() - t0;
  long long sectors = std::atoll(ReadSmall(("/sys/block/" + name + "/size").c_str()).c_str());
  int64_t disk_mib = sectors * 512 >> 20;
  if (mib > disk_mib) {
    std::fprintf(stderr, "ctv-probe: blkread: --mib %lld exceeds %s's %lld MiB\n",
                 static_cast<long long>(mib), dev.c_str(), static_cast<long long>(disk_mib));
    return 2;
  }
  // The drivers from the disk up to its controller: vda -> virtio_blk, virtio-pci (or
  // virtio-mmio); sda -> sd, ata_piix (or ahci).
  std::string driver, controller;
  char real[PATH_MAX];
  if (realpath(("/sys/block/" + name + "/device").c_str(), real)) {
    for (std::string dir = real; dir.size() > std::strlen("/sys/devices");
         dir = dir.substr(0, dir.rfind('/'))) {
      std::string d = DriverOf(dir);
      if (d.empty()) continue;
      if (driver.empty()) {
        driver = d;
      } else if (d != driver) {
        controller = d;
        break;
      }
    }
  }
  constexpr size_t kBlock = 1 << 20;
  void* buf = nullptr;
  if (posix_memalign(&buf, 4096, kBlock) != 0) return 1;
  int64_t start = Now();
  for (int64_t i = 0; i < mib; ++i) {
    ssize_t r = pread(fd, buf, kBlock, static_cast<off_t>(i) * static_cast<off_t>(kBlock));
    if (r != static_cast<ssize_t>(kBlock)) {
      std::fprintf(stderr, "ctv-probe: blkread: read MiB %lld of %s: %s\n",
                   static_cast<long long>(i), dev.c_str(),
                   r < 0 ? std::strerror(errno) : "short read");
      return 1;
    }
  }
  double seconds = static_cast<double>(Now() - start) / 1e9;
  close(fd);
  std::free(buf);
  std::printf(
      "{\"mode\":\"blkread\",\"device\":%s,\"driver\":%s,\"controller_driver\":%s,"
      "\"disk_mib\":%lld,\"bytes\":%lld,\"block_bytes\":%zu,\"o_direct\":true,"
      "\"wait_ms\":%.1f,\"seconds\":%.6f,\"mib_per_s\":%.3f,\"clock\":\"CLOCK_MONOTONIC of the "
      "machine the probe ran on (a guest's own clock in a VM)\"}\n",
      JsonString(dev).c_str(), JsonString(driver).c_str(), JsonString(controller).c_str(),
      static_cast<long long>(disk_mib), static_cast<long long>(mib) << 20, kBlock,
      static_cast<double>(waited) / 1e6, seconds, static_cast<double>(mib) / seconds);
  return 0;
}

int Emit(const Options& o) {
  int64_t kib = o.Int("--kib", -1, 1, 1 << 20);
  // 64-byte lines the harness takes as output, never as a marker (no "CTV-" prefix, no JSON).
  char line[64];
  std::memset(line, 'x', sizeof line - 1);
  line[sizeof line - 1] = '\n';
  char chunk[1024];
  for (size_t i = 0; i < sizeof chunk; i += sizeof line) std::memcpy(chunk + i, line, sizeof line);
  int64_t start = Now();
  for (int64_t i = 0; i < kib; ++i)
    if (!WriteFull(1, chunk, sizeof chunk)) {
      std::fprintf(stderr, "ctv-probe: emit: write: %s\n", std::strerror(errno));
      return 1;
    }
  // A tty's write returns once the data is in its buffer: wait until it was sent.
  bool drained = isatty(1) && tcdrain(1) == 0;
  double seconds = static_cast<double>(Now() - start) / 1e9;
  char buf[320];
  int n = std::snprintf(
      buf, sizeof buf,
      "{\"mode\":\"emit\",\"bytes\":%lld,\"tty_drained\":%s,\"seconds\":%.6f,\"kib_per_s\":%.3f,"
      "\"clock\":\"CLOCK_MONOTONIC of the machine the probe ran on (a guest's own clock in a "
      "VM)\"}\n",
      static_cast<long long>(kib) << 10, drained ? "true" : "false", seconds,
      static_cast<double>(kib) / seconds);
  return WriteFull(1, buf, static_cast<size_t>(n)) ? 0 : 1;
}

}  // namespace

// What a container's seccomp profile lets a debugger do: tracing its own child (which volunteers
// with PTRACE_TRACEME, as gdb's and strace's children do) versus attaching to a process that is
// not its child (the parent here). The attach attempts detach again at once when they succeed.
int Ptrace() {
  int traceme = 0;
  pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) ::_exit(100 + errno % 100);
    ::raise(SIGSTOP);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (WIFSTOPPED(status)) {
    // Stopped under our trace: PTRACE_CONT works only for a real tracer.
    if (::ptrace(PTRACE_CONT, child, nullptr, nullptr) != 0) traceme = errno;
    ::waitpid(child, &status, 0);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) >= 100) {
    traceme = WEXITSTATUS(status) - 100;
  }
  auto try_attach = [](long request) {
    pid_t parent = ::getppid();
    if (::ptrace(static_cast<__ptrace_request>(request), parent, nullptr, nullptr) != 0)
      return errno;
    int st = 0;
    if (request == PTRACE_ATTACH) ::waitpid(parent, &st, __WALL);
    ::ptrace(PTRACE_DETACH, parent, nullptr, nullptr);
    return 0;
  };
  int attach = try_attach(PTRACE_ATTACH);
  int seize = try_attach(PTRACE_SEIZE);
  std::printf("{\"mode\":\"ptrace\",\"traceme_errno\":%d,\"attach_errno\":%d,\"seize_errno\":%d}\n",
              traceme, attach, seize);
  return 0;
}

// ---- runtime set-up ---------------------------------------------------------------------------

// The value of "Key:\t..." in /proc/self/status.
std::string StatusField(const std::string& status, const char* key) {
  std::string k = std::string("\n") + key + ":";
  size_t at = ("\n" + status).find(k);
  if (at == std::string::npos) return "";
  size_t b = at + k.size() - 1, e = status.find('\n', b);
  std::string v = status.substr(b, e == std::string::npos ? std::string::npos : e - b);
  while (!v.empty() && (v[0] == '\t' || v[0] == ' ')) v.erase(0, 1);
  return v;
}

std::string Rlim(int resource) {
  rlimit r{};
  getrlimit(resource, &r);
  auto v = [](rlim_t x) { return x == RLIM_INFINITY ? -1LL : static_cast<long long>(x); };
  return "[" + std::to_string(v(r.rlim_cur)) + "," + std::to_string(v(r.rlim_max)) + "]";
}

// "shared:N master:M unbindable" optional fields of a mountinfo line -> "shared", "slave",
// "unbindable" or "private".
std::string Propagation(const std::string& optional) {
  if (optional.find("shared:") != std::string::npos) return "shared";
  if (optional.find("master:") != std::string::npos) return "slave";
  if (optional.find("unbindable") != std::string::npos) return "unbindable";
  return "private";
}

int ProcInfo() {
  std::string status;
  if (FILE* f = std::fopen("/proc/self/status", "re")) {
    char buf[8192];
    status.assign(buf, std::fread(buf, 1, sizeof buf, f));
    std::fclose(f);
  }
  std::string caps;
  for (const char* k : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    caps += (caps.empty() ? "" : ",") + JsonString(k) + ":" + JsonString(StatusField(status, k));
  gid_t groups[256];
  int ng = getgroups(256, groups);
  std::string gl;
  for (int i = 0; i < ng; ++i) gl += (i ? "," : "") + std::to_string(groups[i]);
  std::string devs;
  if (DIR* d = opendir("/dev")) {
    while (dirent* e = readdir(d)) {
      struct stat st;
      std::string path = std::string("/dev/") + e->d_name;
      if (lstat(path.c_str(), &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) continue;
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "%s{\"path\":%s,\"type\":\"%c\",\"major\":%u,\"minor\":%u,\"mode\":%u,"
                    "\"uid\":%u,\"gid\":%u}",
                    devs.empty() ? "" : ",", JsonString(path).c_str(),
                    S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev),
                    st.st_mode & 07777, st.st_uid, st.st_gid);
      devs += buf;
    }
    closedir(d);
  }
  // mountinfo: "id parent maj:min root mountpoint options optional... - fstype source super".
  std::string root_prop, mounts;
  if (FILE* f = std::fopen("/proc/self/mountinfo", "re")) {
    char line[4096];
    while (std::fgets(line, sizeof line, f)) {
      char mp[1024], opts[512];
      int n = 0;
      if (std::sscanf(line, "%*s %*s %*s %*s %1023s %511s %n", mp, opts, &n) < 2) continue;
      std::string rest = line + n;
      std::string prop = Propagation(rest.substr(0, rest.find(" - ")));
      if (std::string(mp) == "/") root_prop = prop;
      mounts += (mounts.empty() ? "" : ",") + JsonString(mp) + ":" + JsonString(prop);
    }
    std::fclose(f);
  }
  std::string mem = ReadSmall("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  if (mem.empty()) mem = ReadSmall("/sys/fs/cgroup/memory.max");
  std::printf(
      "{\"mode\":\"procinfo\",\"caps\":{%s},\"no_new_privs\":%d,\"oom_score_adj\":%s,"
      "\"rlimits\":{\"nofile\":%s,\"nproc\":%s,\"core\":%s},\"uid\":%d,\"gid\":%d,\"euid\":%d,"
      "\"egid\":%d,\"groups\":[%s],\"umask\":%s,\"devices\":[%s],\"root_propagation\":%s,"
      "\"mounts\":{%s},\"cgroup\":%s,\"memory_limit\":%s}\n",
      caps.c_str(), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
      JsonString(ReadSmall("/proc/self/oom_score_adj")).c_str(), Rlim(RLIMIT_NOFILE).c_str(),
      Rlim(RLIMIT_NPROC).c_str(), Rlim(RLIMIT_CORE).c_str(), getuid(), getgid(), geteuid(),
      getegid(), gl.c_str(), JsonString(StatusField(status, "Umask")).c_str(), devs.c_str(),
      JsonString(root_prop).c_str(), mounts.c_str(),
      JsonString(ReadSmall("/proc/self/cgroup")).c_str(), JsonString(mem).c_str());
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::string mode = argv[1];
  int rest = argc - 2;
  char** args = argv + 2;
  if (mode == "--help" || mode == "-h" || mode == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (mode == "noop") return (Options("noop", rest, args, {}), Noop());
  if (mode == "ready") return Ready(Options("ready", rest, args, {"--timeout"}));
  if (mode == "syscall") return Syscall(Options("syscall", rest, args, {"--op", "--iters"}));
  if (mode == "memtouch") return MemTouch(Options("memtouch", rest, args, {"--mib"}));
  if (mode == "cpuspin") return CpuSpin(Options("cpuspin", rest, args, {"--seconds"}));
  if (mode == "forkbomb") return ForkBomb(Options("forkbomb", rest, args, {"--max"}));
  if (mode == "hostinfo") return (Options("hostinfo", rest, args, {}), HostInfo());
  if (mode == "ptrace") return (Options("ptrace", rest, args, {}), Ptrace());
  if (mode == "http") return Http(Options("http", rest, args, {"--port", "--timeout"}));
  if (mode == "tcp-rr-server")
    return TcpRrServer(Options("tcp-rr-server", rest, args, {"--port", "--timeout", "--cpu"}));
  if (mode == "tcp-rr")
    return TcpRr(Options("tcp-rr", rest, args, {"--connect", "--iters", "--timeout", "--cpu"}));
  if (mode == "blkread") return BlkRead(Options("blkread", rest, args, {"--mib", "--timeout"}));
  if (mode == "emit") return Emit(Options("emit", rest, args, {"--kib"}));
  if (mode == "procinfo") return (Options("procinfo", rest, args, {}), ProcInfo());
  std::fprintf(stderr,
               "ctv-probe: unknown mode '%s' (modes: noop, ready, syscall, memtouch, cpuspin, "
               "forkbomb, hostinfo, ptrace, http, tcp-rr-server, tcp-rr, blkread, emit, procinfo)\n",
               mode.c_str());
  return kExitUsage;
}
