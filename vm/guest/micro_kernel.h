// The project's microVM guest kernel (`--option kernel=micro`): built from Debian's linux-source
// with the Kconfig fragment vm/guest/micro-kernel.config by scripts/build-guest-kernel (run by
// scripts/setup), into a machine-wide cache, once per machine:
//
//   <root>/<key>/{vmlinux,bzImage,config,release,fragment.sha256,source-version,complete}
//
// <key> covers the fragment, the linux-source version, the compiler and the build recipe (the
// script computes it). This side only knows the fragment it was compiled with (its sha256, taken
// by CMake at configure time): it takes the newest complete entry built from that fragment.
// A kernel built from another fragment (another checkout) is never picked.
#pragma once

#include <string>

#include "core/error.h"

namespace ctv::vm {

struct MicroKernel {
  std::string dir;      // the cache entry
  std::string vmlinux;  // ELF with the PVH entry note
  std::string bzimage;
  std::string release;  // `uname -r` in the guest, e.g. "6.1.192-ctv-micro"
};

// $CTV_KERNEL_CACHE, else /var/cache/ctvbench/kernels (as scripts/build-guest-kernel).
std::string MicroKernelCacheRoot();
// sha256 (hex) of the vm/guest/micro-kernel.config this binary was built with.
std::string MicroKernelFragmentSha256();

// Errors name the cache root and say how to build the kernel.
Result<MicroKernel> FindMicroKernel(const std::string& cache_root = MicroKernelCacheRoot());

}  // namespace ctv::vm
