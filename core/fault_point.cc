#include "core/fault_point.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// Bounds of the section, provided by the linker for any section whose name is a C identifier.
// Weak: a binary without a single point has no such section.
extern "C" {
extern const char* const __start_ctv_fault_points[] __attribute__((weak));
extern const char* const __stop_ctv_fault_points[] __attribute__((weak));
}

namespace ctv::fault {

bool Enabled() {
#ifndef CTV_NO_FAULT_POINTS
  return true;
#else
  return false;
#endif
}

void Hit(const char* name) {
#ifdef CTV_NO_FAULT_POINTS
  (void)name;
  return;
#endif
  // Read on every hit (not cached): a forked shim or a later fork sees the same environment, and
  // the common case (unset) is one getenv.
  const char* at = ::getenv("CTV_FAULT_AT");
  if (!at || std::strcmp(at, name) != 0) return;
  if (const char* log = ::getenv("CTV_FAULT_LOG")) {
    int fd = ::open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      char line[256];
      int n = std::snprintf(line, sizeof line, "%s %d\n", name, static_cast<int>(::getpid()));
      if (n > 0) (void)!::write(fd, line, std::min<size_t>(n, sizeof line - 1));
      ::close(fd);
    }
  }
  ::kill(::getpid(), SIGKILL);
  // SIGKILL to oneself is delivered before kill() returns; never continue past a fault point.
  for (;;) ::pause();
}

std::vector<std::string> Compiled() {
  std::vector<std::string> out;
  if (__start_ctv_fault_points && __stop_ctv_fault_points)
    for (const char* const* p = __start_ctv_fault_points; p < __stop_ctv_fault_points; ++p)
      if (*p) out.emplace_back(*p);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool ListIfAsked(int argc, char** argv) {
  if (argc != 2 || std::strcmp(argv[1], "--list-fault-points") != 0) return false;
  for (const std::string& p : Compiled()) std::printf("%s\n", p.c_str());
  return true;
}

}  // namespace ctv::fault
