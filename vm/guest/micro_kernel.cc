#include "vm/guest/micro_kernel.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/text.h"
#include "vm/guest/cache_entry.h"

#ifndef CTV_MICRO_KERNEL_FRAGMENT_SHA256
#error "CMake defines CTV_MICRO_KERNEL_FRAGMENT_SHA256 (vm/CMakeLists.txt)"
#endif

namespace ctv::vm {

std::string MicroKernelCacheRoot() {
  const char* env = std::getenv("CTV_KERNEL_CACHE");
  return env && *env ? env : "/var/cache/ctvbench/kernels";
}

std::string MicroKernelFragmentSha256() { return CTV_MICRO_KERNEL_FRAGMENT_SHA256; }

Result<MicroKernel> FindMicroKernel(const std::string& root) {
  const std::string want = MicroKernelFragmentSha256();
  const std::string how =
      "build it with scripts/build-guest-kernel (scripts/setup runs it, once per machine)";
  if (!ctv::fs::Exists(root)) {
    errno = ENOENT;
    return ErrnoError("find the micro guest kernel in", root, how);
  }
  std::string dir = NewestCompleteEntry(root, {{"fragment.sha256", want}});
  auto release = dir.empty() ? Result<std::string>(std::string()) : ReadFile(dir + "/release");
  if (dir.empty() || !release) {
    errno = ENOENT;
    return ErrnoError("find the micro guest kernel in", root,
                      "no complete build of vm/guest/micro-kernel.config (sha256 " +
                          want.substr(0, 16) + "...); " + how);
  }
  MicroKernel best{dir, dir + "/vmlinux", dir + "/bzImage", Trim(*release)};
  for (const std::string* f : {&best.vmlinux, &best.bzimage})
    if (::access(f->c_str(), R_OK) != 0) return ErrnoError("read the micro guest kernel", *f);
  return best;
}

}  // namespace ctv::vm
