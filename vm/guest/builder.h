// Guest builder: turns the OCI image containers use into a bootable guest (kernel + initramfs),
// cached by content.
//
// Contract: BuildGuest returns quickly when a guest with the same key exists. The key covers the
// image manifest digest, the kernel's digest, ctv-init's digest, the module list (kGuestModules,
// extra_modules and their dependencies) and the builder's format version, so changing any of them
// rebuilds; nothing else is compared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::vm {

struct GuestBuildOptions {
  std::string image_dir;    // OCI layout
  std::string image_ref;    // ref.name, "" when the layout holds one manifest
  std::string kernel_path;  // bzImage; "" = newest /boot/vmlinuz-* with modules installed
  // The kernel's vmlinux ELF when it exists already (the micro kernel's build output); "" =
  // unpack it from the bzImage (Debian's kernels: XZ payload).
  std::string vmlinux_path;
  // The kernel has no modules (everything the guests use is built in: the micro kernel): the
  // guest carries none, and extra_modules is an error.
  bool no_modules = false;
  std::string modules_root = "/lib/modules";
  std::string init_binary;  // the static ctv-init
  // Modules to carry besides kGuestModules (vm/guest/modules.h), e.g. "overlay" for a container
  // runtime inside the guest. Carried only: ctv-init loads what `ctv.mods=` names.
  std::vector<std::string> extra_modules;
  std::string cache_dir;    // e.g. /run/ctvbench/vm/cache
};

struct Guest {
  std::string key;      // hex content key of this guest
  std::string bzimage;  // the compressed kernel (works with any firmware/boot path)
  std::string vmlinux;  // uncompressed ELF for PVH boots; "" when it could not be unpacked
  std::string initrd;   // newc cpio
  std::string release;  // guest `uname -r`
  std::string probe_path = "/usr/local/bin/ctv-probe";  // where the image puts the workload
  bool cached = false;                                  // true when nothing had to be built
  // The kernel QEMU should load: the vmlinux (PVH, no in-guest decompression) when available.
  const std::string& BootKernel() const { return vmlinux.empty() ? bzimage : vmlinux; }
};

Result<Guest> BuildGuest(const GuestBuildOptions& options);

// Default location of ctv-init: next to the probe binary / the running executable.
std::string DefaultInitBinary(const std::string& probe_path);

// Files made or used within this many seconds are never pruned: a prepared driver reopens its
// cache file at each launch, and a run with several boot modes uses more than `keep` at once.
inline constexpr int64_t kPruneSpareSeconds = 3600;

// Keeps the `keep` newest (by mtime) files of `cache_dir` named PREFIX*SUFFIX, and any younger
// than kPruneSpareSeconds, and deletes the rest: the guest caches (initramfs, boot disks) get a
// new file per content change.
void PruneCache(const std::string& cache_dir, const std::string& prefix,
                const std::string& suffix, size_t keep);

}  // namespace ctv::vm
