// What every mode shares: see probe.h.
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "bench/workload/probe.h"
#include "core/markers.h"

namespace ctv::probe {

void UsageError(const char* mode, const std::string& msg) {
  std::fprintf(stderr, "ctv-probe: %s: %s\n(run 'ctv-probe --help' for the modes and options)\n",
               mode, msg.c_str());
  std::exit(kExitUsage);
}

int64_t Now(clockid_t clock) {
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

void SleepMs(int ms) {
  // tv_nsec must stay below one second: nanosleep refuses (EINVAL, no sleep at all) otherwise.
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

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

sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void PrintReady() {
  char line[96];
  int n = std::snprintf(line, sizeof line, "%s %d %lld\n", ctv::markers::kReady.data(), getpid(),
                        static_cast<long long>(Now()));
  if (write(1, line, static_cast<size_t>(n)) != n) std::exit(1);
}

}  // namespace ctv::probe
