#include "vm/guest/micro_kernel.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/text.h"

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
  auto names = ctv::fs::ListDir(root);
  if (!names) {
    errno = ENOENT;
    return ErrnoError("find the micro guest kernel in", root, how);
  }
  MicroKernel best;
  int64_t best_ns = -1;
  for (const std::string& n : *names) {
    if (n.empty() || n[0] == '.') continue;  // .lock, .build-* (in progress)
    std::string dir = root + "/" + n;
    struct stat st;
    if (::stat((dir + "/complete").c_str(), &st) != 0) continue;
    auto sha = ReadFile(dir + "/fragment.sha256");
    if (!sha || Trim(*sha) != want) continue;
    int64_t ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (ns <= best_ns) continue;
    auto release = ReadFile(dir + "/release");
    if (!release) continue;
    best = {dir, dir + "/vmlinux", dir + "/bzImage", Trim(*release)};
    best_ns = ns;
  }
  if (best_ns < 0) {
    errno = ENOENT;
    return ErrnoError("find the micro guest kernel in", root,
                      "no complete build of vm/guest/micro-kernel.config (sha256 " +
                          want.substr(0, 16) + "...); " + how);
  }
  for (const std::string* f : {&best.vmlinux, &best.bzimage})
    if (::access(f->c_str(), R_OK) != 0) return ErrnoError("read the micro guest kernel", *f);
  return best;
}

}  // namespace ctv::vm
