// Modes that measure the machine they run on: ready (the idle instance), syscall (ns per op of
// each op family), memtouch, cpuspin (multi-threaded), forkbomb.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>

#include "bench/workload/probe.h"
#include "core/markers.h"

namespace ctv::probe {

int Noop() { return 0; }

int Ready(const Options& o) {
  int64_t timeout_s = o.Int("--timeout", 3600, 1, 86400 * 7);
  // Blocked before the marker is written: a stop request sent right after the harness sees the
  // marker is never lost.
  sigset_t set = BlockStopSignals();
  PrintReady();  // exits 1 when stdout is gone
  timespec ts{static_cast<time_t>(timeout_s), 0};
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? 0 : 3;  // 3: nobody told us to stop within the timeout
}

namespace {

// The system call ops, each one "op" of the loop. Every op owns its setup (fds, pages) so the
// timed loop holds the op only.
struct OpState {
  int devzero = -1, devnull = -1;
  int pipe_fds[2] = {-1, -1};
  char* pages = nullptr;  // fault: a mapping of kFaultChunk bytes, refreshed when used up
  size_t page = 4096, next_page = 0;
  int64_t excluded_ns = 0;  // time spent outside the op (remapping fresh pages)
};

constexpr size_t kFaultChunk = size_t{16} << 20;  // 16 MiB: fits a small guest's RAM
// devwrite lines go to the harness as output: bounded so a fast pipe does not fill its memory.
constexpr int64_t kDevWriteMax = 16384;
constexpr char kDevLine[] = "...............................................................\n";

const char* const kOps[] = {"getppid",   "clock", "read",  "write", "pipe",
                            "openclose", "stat",  "fault", "fork",  "devwrite"};

bool KnownOp(const std::string& op) {
  for (const char* k : kOps)
    if (op == k) return true;
  return false;
}

std::string OpList() {
  std::string s;
  for (const char* k : kOps) s += (s.empty() ? "" : "|") + std::string(k);
  return s;
}

// Sets up what `op` needs; false (with a message on stderr) when the platform refuses.
bool SetUp(const std::string& op, OpState& st) {
  st.page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto fail = [&](const char* what) {
    std::fprintf(stderr, "ctv-probe: syscall: %s: %s: %s\n", op.c_str(), what,
                 std::strerror(errno));
    return false;
  };
  if (op == "read" && (st.devzero = open("/dev/zero", O_RDONLY | O_CLOEXEC)) < 0)
    return fail("open /dev/zero");
  if (op == "write" && (st.devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
    return fail("open /dev/null");
  if (op == "pipe" && pipe2(st.pipe_fds, O_CLOEXEC) != 0) return fail("pipe2");
  return true;
}

void TearDown(OpState& st) {
  for (int fd : {st.devzero, st.devnull, st.pipe_fds[0], st.pipe_fds[1]})
    if (fd >= 0) close(fd);
  if (st.pages) munmap(st.pages, kFaultChunk);
  st = OpState();
}

// Runs `op` `n` times; false on a failed call.
bool RunOp(const std::string& op, int64_t n, OpState& st) {
  char buf[1] = {0};
  struct stat sb;
  if (op == "getppid") {
    for (int64_t i = 0; i < n; ++i) syscall(SYS_getppid);  // no libc caching
  } else if (op == "clock") {
    // Through the vDSO normally: shows when a platform (some VMs) falls back to a real syscall.
    for (int64_t i = 0; i < n; ++i) Now();
  } else if (op == "read") {
    for (int64_t i = 0; i < n; ++i)
      if (read(st.devzero, buf, 1) != 1) return false;
  } else if (op == "write") {
    for (int64_t i = 0; i < n; ++i)
      if (write(st.devnull, buf, 1) != 1) return false;
  } else if (op == "pipe") {  // 1 byte written and read back: two syscalls, no context switch
    for (int64_t i = 0; i < n; ++i)
      if (write(st.pipe_fds[1], buf, 1) != 1 || read(st.pipe_fds[0], buf, 1) != 1) return false;
  } else if (op == "openclose") {
    for (int64_t i = 0; i < n; ++i) {
      int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return false;
      close(fd);
    }
  } else if (op == "stat") {
    for (int64_t i = 0; i < n; ++i)
      if (stat("/", &sb) != 0) return false;
  } else if (op == "fault") {  // first touch of a fresh anonymous page: a fault + zeroed page
    for (int64_t i = 0; i < n; ++i) {
      if (!st.pages || st.next_page + st.page > kFaultChunk) {
        int64_t t0 = Now();  // remapping is not the op: its time is taken out
        if (st.pages) munmap(st.pages, kFaultChunk);
        void* p =
            mmap(nullptr, kFaultChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return false;
        st.pages = static_cast<char*>(p);
        st.next_page = 0;
        st.excluded_ns += Now() - t0;
      }
      static_cast<volatile char*>(st.pages)[st.next_page] = 1;
      st.next_page += st.page;
    }
  } else if (op == "fork") {  // fork + the child's _exit + waitpid
    for (int64_t i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) _exit(0);
      if (pid < 0 || waitpid(pid, nullptr, 0) != pid) return false;
    }
  } else if (op == "devwrite") {
    // A 64-byte line to stdout: in a guest the console device (UART / virtio console, a VM exit
    // per access with KVM), on the host and in containers a pipe to the harness.
    for (int64_t i = 0; i < n; ++i)
      if (!WriteFull(1, kDevLine, sizeof kDevLine - 1)) return false;
    if (isatty(1)) tcdrain(1);  // a tty's write returns once buffered: wait until it was sent
  }
  return true;
}

}  // namespace

int Syscall(const Options& o) {
  const char* ops = o.Get("--op");
  if (!ops) UsageError(o.mode, "--op is required (" + OpList() + ", or a comma-separated list)");
  std::vector<std::string> list;
  for (std::string s = ops; !s.empty();) {
    size_t comma = s.find(',');
    list.push_back(s.substr(0, comma));
    s = comma == std::string::npos ? "" : s.substr(comma + 1);
  }
  for (const auto& op : list)
    if (!KnownOp(op)) UsageError(o.mode, "--op: expected " + OpList() + ", got '" + op + "'");
  // --iters N: exactly N ops; otherwise --ms M: as many ops as fit in about M ms, in doubling
  // batches (the loop count adapts to the platform: a TCG guest is 10-100x slower).
  int64_t iters = o.Get("--iters") ? o.Int("--iters", -1, 1, 1000000000) : 0;
  int64_t ms = o.Int("--ms", 100, 1, 60000);
  for (const auto& op : list) {
    OpState st;
    if (!SetUp(op, st)) return 1;
    int64_t done = 0, total = 0;
    bool ok = true;
    if (iters > 0) {
      int64_t start = Now();
      ok = RunOp(op, iters, st);
      total = Now() - start;
      done = iters;
    } else {
      int64_t batch = 1, budget = ms * 1000000;
      while (ok && total - st.excluded_ns < budget) {
        if (op == "devwrite") batch = std::min(batch, kDevWriteMax - done);
        if (batch <= 0) break;
        int64_t start = Now();
        ok = RunOp(op, batch, st);
        total += Now() - start;
        done += batch;
        // Doubling, but never past what the time left holds at the pace so far (no 2x overshoot).
        double per_op = static_cast<double>(total - st.excluded_ns) / done;
        int64_t fits = static_cast<int64_t>((budget - (total - st.excluded_ns)) / per_op) + 1;
        batch = std::max<int64_t>(1, std::min(batch * 2, fits));
      }
    }
    total -= st.excluded_ns;
    TearDown(st);
    if (!ok) {
      std::fprintf(stderr, "ctv-probe: syscall: %s failed after %lld ops: %s\n", op.c_str(),
                   static_cast<long long>(done), std::strerror(errno));
      return 1;
    }
    std::printf(
        "{\"mode\":\"syscall\",\"op\":%s,\"iters\":%lld,\"total_ns\":%lld,\"ns_per_op\":%.3f}\n",
        JsonString(op).c_str(), static_cast<long long>(done), static_cast<long long>(total),
        static_cast<double>(total) / done);
    std::fflush(stdout);
  }
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

// MemTotal of /proc/meminfo in MiB (in a VM: the guest's RAM; in a container: the host's).
int64_t MemTotalMib() {
  FILE* f = std::fopen("/proc/meminfo", "re");
  if (!f) return -1;
  char line[256];
  long long kib = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "MemTotal: %lld kB", &kib) == 1) break;
  std::fclose(f);
  return kib < 0 ? -1 : kib >> 10;
}

}  // namespace

int MemTouch(const Options& o) {
  // --mib N, or --ram-times K: K times the RAM this kernel has (a VM's memory "limit" is its RAM).
  int64_t mib = o.Get("--ram-times") ? o.Int("--ram-times", -1, 1, 16) * MemTotalMib()
                                     : o.Int("--mib", -1, 1, 1 << 20);
  if (mib <= 0) {
    std::fprintf(stderr, "ctv-probe: memtouch: cannot read MemTotal from /proc/meminfo\n");
    return 1;
  }
  // --seconds S: stop touching after S seconds even if not done (a throttled group, memory.high,
  // is slowed down, never killed: the figure is then how far it got). 0: no time limit.
  const int64_t limit_ns = o.Int("--seconds", 0, 0, 3600) * 1000000000LL;
  size_t bytes = static_cast<size_t>(mib) << 20;
  // --ready 1: the marker just before the first touch (the harness times an OOM kill from it).
  if (o.Int("--ready", 0, 0, 1) == 1) PrintReady();
  int64_t start = Now();
  // MAP_NORESERVE: more than the machine's RAM must not fail at mmap under the default
  // (heuristic) overcommit; the pages are taken as they are touched, where limits act.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "ctv-probe: memtouch: mmap %lld MiB: %s\n", static_cast<long long>(mib),
                 std::strerror(errno));
    return 1;
  }
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  volatile char* c = static_cast<char*>(p);
  size_t off = 0;
  for (; off < bytes; off += page) {
    c[off] = 1;
    // The clock every 64 pages (256 KiB: the kernel's charge batch): cheap next to the faults.
    if (limit_ns > 0 && (off / page) % 64 == 63 && Now() - start >= limit_ns) {
      off += page;
      break;
    }
  }
  int64_t ns = Now() - start;
  std::printf(
      "{\"mode\":\"memtouch\",\"mib\":%lld,\"touched_mib\":%.2f,\"touch_ns\":%lld,"
      "\"rss_kib\":%ld}\n",
      static_cast<long long>(mib), static_cast<double>(off) / (1 << 20),
      static_cast<long long>(ns), RssKib());
  return 0;
}

namespace {

void* Spin(void* arg) {
  int64_t end = *static_cast<int64_t*>(arg);
  volatile uint64_t x = 0;
  while (Now() < end)
    for (int i = 0; i < 10000; ++i) x = x + 1;
  return nullptr;
}

// The CPUs this process may run on (sched_getaffinity), as "0-1,3".
std::string Affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "";
  std::string out;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    int e = c;
    while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, &set)) ++e;
    out += (out.empty() ? "" : ",") + std::to_string(c) + (e > c ? "-" + std::to_string(e) : "");
    c = e;
  }
  return out;
}

}  // namespace

int CpuSpin(const Options& o) {
  // --seconds S, or --ms M for a spin shorter than a second or between two whole seconds.
  int64_t ms =
      o.Get("--ms") ? o.Int("--ms", -1, 1, 3600000) : o.Int("--seconds", -1, 1, 3600) * 1000;
  int64_t threads = o.Int("--threads", 1, 1, 256);
  // --ready 1: print the ready marker once spinning, so the harness can read the instance's CPU
  // accounting over an interval that holds the spin only (no start, no exit).
  bool ready = o.Int("--ready", 0, 0, 1) == 1;
  int64_t wall0 = Now(), cpu0 = Now(CLOCK_PROCESS_CPUTIME_ID);
  int64_t end = wall0 + ms * 1000000LL;
  std::vector<pthread_t> tids;
  for (int64_t i = 1; i < threads; ++i) {
    pthread_t t;
    if (pthread_create(&t, nullptr, Spin, &end) != 0) {
      std::fprintf(stderr, "ctv-probe: cpuspin: pthread_create: thread %lld of %lld failed\n",
                   static_cast<long long>(i + 1), static_cast<long long>(threads));
      return 1;
    }
    tids.push_back(t);
  }
  if (ready) {
    PrintReady();
    std::fflush(stdout);
  }
  Spin(&end);
  for (pthread_t t : tids) pthread_join(t, nullptr);
  double wall = (Now() - wall0) / 1e9, cpu = (Now(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e9;
  std::printf(
      "{\"mode\":\"cpuspin\",\"threads\":%lld,\"wall_s\":%.6f,\"cpu_s\":%.6f,"
      "\"cpu_share\":%.4f,\"affinity\":%s}\n",
      static_cast<long long>(threads), wall, cpu, cpu / wall, JsonString(Affinity()).c_str());
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
