// The guest's initramfs: a newc cpio holding the OCI image's root filesystem (its layers applied
// in order, OCI whiteouts honoured), ctv-init as /sbin/ctv-init (and /init), and the kernel modules
// the guest may load.
//
// Contract: the output is reproducible (owner 0:0, mtime 0, fixed order: every directory first,
// parents before children, then the other entries layer by layer), so its digest is a cache key.
// Hard links in layers become symlinks to the link target: the kernel's initramfs unpacker and a
// one-shot workload behave the same with either, and it keeps the writer stateless.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/image/layout.h"

namespace ctv::vm {

// Where ctv-init lives in the guest; /init is a symlink to it.
inline constexpr const char* kInitPath = "sbin/ctv-init";

struct InitramfsInputs {
  const image::Image* image = nullptr;
  std::string init_binary;                // host path of the static ctv-init, stored as /init
  std::string modules_release_dir;        // /lib/modules/<release> on the host
  std::string release;                    // stored under /lib/modules/<release> in the guest
  std::vector<std::string> module_files;  // relative to modules_release_dir
  std::string modules_dep;                // stored as the guest's modules.dep
};

// Writes the cpio to `out_path` (atomically: OUT.tmp then rename).
Status WriteInitramfs(const InitramfsInputs& in, const std::string& out_path);

// Paths stored in a newc cpio (no leading "./"), in order: for tests and `ctvbench doctor`.
Result<std::vector<std::string>> ListCpio(const std::string& path);

}  // namespace ctv::vm
