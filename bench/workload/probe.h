// The pieces every ctv-probe mode shares (option parsing, the clock, JSON strings, usage errors)
// and the modes themselves, one file per family: probe_measure.cc (syscall, memtouch, cpuspin,
// forkbomb, ready), probe_info.cc (hostinfo, ptrace, procinfo, orphan, persist), probe_net.cc (http, tcp-rr*),
// probe_devices.cc (blkread, emit), probe_breakout.cc (breakout). ctv_probe.cc holds the usage text and the dispatch.
//
// The probe is static and depends on libc only (it runs in a busybox image and a bare initramfs):
// nothing here may pull in the project's libraries.
#pragma once

#include <signal.h>
#include <time.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace ctv::probe {

inline constexpr int kExitUsage = 2;

// Prints "ctv-probe: MODE: MSG" and a pointer to --help on stderr, exits kExitUsage.
[[noreturn]] void UsageError(const char* mode, const std::string& msg);

int64_t Now(clockid_t clock = CLOCK_MONOTONIC);

// `s` as a JSON string literal, quotes included.
std::string JsonString(const std::string& s);

// A small file's content without its trailing newlines/NULs; "" when unreadable.
std::string ReadSmall(const char* path);

// write(2) until all of [p, p+n) is written; false on an error.
bool WriteFull(int fd, const char* p, size_t n);

void SleepMs(int ms);

// Options are "--name value" pairs after the mode.
struct Options {
  const char* mode;
  std::vector<std::pair<std::string, std::string>> kv;

  // Exits with a usage error on an option not in `allowed` or without a value.
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

// --cpu C: pin this process to CPU C (exits on a failure).
void PinCpu(const Options& o);

// Blocks SIGTERM, SIGINT and SIGHUP (the harness's stop requests) and returns that set, for
// sigtimedwait or signalfd: blocked before the ready marker, a stop sent right after it is kept.
sigset_t BlockStopSignals();

// Prints the marker line "CTV-READY <pid> <monotonic_ns>" (core/markers.h) on stdout.
void PrintReady();

// The modes: each returns the process's exit status.
int Noop();
int Ready(const Options& o);
int Syscall(const Options& o);
int MemTouch(const Options& o);
int CpuSpin(const Options& o);
int ForkBomb(const Options& o);
int HostInfo(const Options& o);
int Orphan(const Options& o);
int Persist(const Options& o);
int Ptrace();
int ProcInfo();
int Http(const Options& o);
int TcpRrServer(const Options& o);
int TcpRr(const Options& o);
int BlkRead(const Options& o);
int Emit(const Options& o);
int Breakout(const Options& o);

}  // namespace ctv::probe
