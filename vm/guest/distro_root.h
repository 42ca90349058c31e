// The distro guest profile's root filesystem (`--option guest=distro`): Debian 12 with systemd,
// built by scripts/build-distro-guest (run by scripts/setup) with mmdebstrap from the package
// registry, as an ext4 image, into a machine-wide cache, once per machine:
//
//   <root>/<key>/{root.ext4,release,recipe.sha256,packages.lock,complete}
//
// <key> covers vm/guest/distro/ (packages, ready unit, systemd drop-in), the guest kernel and the
// build recipe (the script computes it). This side knows the recipe files it was compiled with
// (their sha256, taken by CMake at configure time) and the kernel it boots: it takes the newest
// complete entry built from both. An entry from another recipe or kernel is never picked.
#pragma once

#include <string>

#include "core/error.h"

namespace ctv::vm {

struct DistroRoot {
  std::string dir;      // the cache entry
  std::string image;    // root.ext4: the root partition's content, mounted read-only in the guest
  std::string release;  // the kernel release its /lib/modules is for
};

// $CTV_DISTRO_CACHE, else /var/cache/ctvbench/distro (as scripts/build-distro-guest).
std::string DistroCacheRoot();
// sha256 (hex) of vm/guest/distro/{packages.txt,ctv-ready.service,ctv.conf}, concatenated.
std::string DistroRecipeSha256();
// The command that builds the root, for error messages, `list` and `doctor`.
inline constexpr const char* kDistroBuildCommand = "scripts/build-distro-guest";

// systemd's console status lines the distro guest's milestones are timed by (the first line
// containing the text; the rootfs sets StatusUnitFormat=name, vm/guest/distro/ctv.conf).
inline constexpr const char* kSystemdSysinit = "Reached target sysinit.target";
inline constexpr const char* kSystemdBasic = "Reached target basic.target";

// The entry for guest kernel `release`. Errors (ENOENT) name the cache root and the command that
// builds the root.
Result<DistroRoot> FindDistroRoot(const std::string& release,
                                  const std::string& cache_root = DistroCacheRoot());

}  // namespace ctv::vm
