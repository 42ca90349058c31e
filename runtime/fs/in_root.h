// Opening a path INSIDE a container root: symlinks (absolute or "..") resolve as if `root_fd`
// were "/", so an image's `etc -> /host/etc` cannot lead out. Allocation-free, usable between
// clone and exec. Shared by the rootfs builder (mount targets) and the user lookup (/etc/passwd).
#pragma once

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace ctv::fs {

// openat2(root_fd, rel, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): an fd or -1
// with errno set.
inline int OpenInRoot(int root_fd, const char* rel, int flags) {
  open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root_fd, rel, &how, sizeof how));
}

}  // namespace ctv::fs
