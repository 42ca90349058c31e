#include "vm/guest/distro_root.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/text.h"
#include "vm/guest/cache_entry.h"

#ifndef CTV_DISTRO_RECIPE_SHA256
#error "CMake defines CTV_DISTRO_RECIPE_SHA256 (vm/CMakeLists.txt)"
#endif

namespace ctv::vm {

std::string DistroCacheRoot() {
  const char* env = std::getenv("CTV_DISTRO_CACHE");
  return env && *env ? env : "/var/cache/ctvbench/distro";
}

std::string DistroRecipeSha256() { return CTV_DISTRO_RECIPE_SHA256; }

Result<DistroRoot> FindDistroRoot(const std::string& release, const std::string& root) {
  const std::string want = DistroRecipeSha256();
  const std::string how = std::string("the distro guest is not built here: run ") +
                          kDistroBuildCommand +
                          " (scripts/setup runs it, once per machine; it takes minutes)";
  if (!ctv::fs::Exists(root)) {
    errno = ENOENT;
    return ErrnoError("find the distro guest root in", root, how);
  }
  std::string dir = NewestCompleteEntry(root, {{"recipe.sha256", want}, {"release", release}});
  if (dir.empty()) {
    errno = ENOENT;
    return ErrnoError("find the distro guest root in", root,
                      "no complete build of vm/guest/distro/ (sha256 " + want.substr(0, 16) +
                          "...) for kernel " + release + "; " + how);
  }
  DistroRoot best{dir, dir + "/root.ext4", release};
  if (::access(best.image.c_str(), R_OK) != 0)
    return ErrnoError("read the distro guest root", best.image, how);
  return best;
}

}  // namespace ctv::vm
