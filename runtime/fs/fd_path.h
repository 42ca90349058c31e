// "/proc/self/fd/<fd>" without allocating: usable between clone and exec, where the child must
// not allocate (DESIGN.md). Shared by the rootfs builder (mount targets opened with openat2) and
// the child's exec-fifo handshake.
#pragma once

#include <cstring>

namespace ctv::fs {

inline constexpr int kFdPathSize = 32;  // enough for the prefix and any int

// Writes the path into `buf` (kFdPathSize bytes at least) and returns it.
inline const char* FdPath(int fd, char* buf) {
  const char prefix[] = "/proc/self/fd/";
  std::memcpy(buf, prefix, sizeof prefix - 1);
  char digits[16];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  char* o = buf + sizeof prefix - 1;
  while (n > 0) *o++ = digits[--n];
  *o = 0;
  return buf;
}

}  // namespace ctv::fs
