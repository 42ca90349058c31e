#include "vm/guest/distro_root.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/text.h"

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
  auto names = ctv::fs::ListDir(root);
  if (!names) {
    errno = ENOENT;
    return ErrnoError("find the distro guest root in", root, how);
  }
  DistroRoot best;
  int64_t best_ns = -1;
  for (const std::string& n : *names) {
    if (n.empty() || n[0] == '.') continue;  // .lock, .build-* (in progress)
    std::string dir = root + "/" + n;
    struct stat st;
    if (::stat((dir + "/complete").c_str(), &st) != 0) continue;
    auto sha = ReadFile(dir + "/recipe.sha256");
    if (!sha || Trim(*sha) != want) continue;
    auto rel = ReadFile(dir + "/release");
    if (!rel || Trim(*rel) != release) continue;
    int64_t ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (ns <= best_ns) continue;
    best = {dir, dir + "/root.ext4", release};
    best_ns = ns;
  }
  if (best_ns < 0) {
    errno = ENOENT;
    return ErrnoError("find the distro guest root in", root,
                      "no complete build of vm/guest/distro/ (sha256 " + want.substr(0, 16) +
                          "...) for kernel " + release + "; " + how);
  }
  if (::access(best.image.c_str(), R_OK) != 0)
    return ErrnoError("read the distro guest root", best.image, how);
  return best;
}

}  // namespace ctv::vm
