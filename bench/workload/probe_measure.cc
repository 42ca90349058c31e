// Modes that measure the machine they run on: ready (the idle instance), syscall, memtouch,
// cpuspin, forkbomb.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/workload/probe.h"
#include "core/markers.h"

namespace ctv::probe {

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

namespace {

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

}  // namespace

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

}  // namespace ctv::probe
