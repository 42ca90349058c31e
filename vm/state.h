// Where VM drivers keep per-instance state, and how `ctvbench gc` tells a live run's state from
// a dead one's.
//
// Layout under the VM state root (default /run/ctvbench/vm):
//   cache/            guest kernels (vmlinux) and initramfs, by content (kept by gc)
//   inst/<dir>/       one directory per instance: owner, chan.sock, console.log, qemu.pid, qemu.log
//   libvirt/          root of the embedded libvirt driver (qemu:///embed?root=...)
// `owner` holds "<pid> <starttime>" of the ctvbench process that created the directory; when that
// process is gone, everything in the directory is garbage.
#pragma once

#include <string>

#include "core/error.h"

namespace ctv::vm {

inline constexpr const char* kDefaultStateRoot = "/run/ctvbench/vm";

// `<state_dir>/vm` for a DriverContext::state_dir ("/run/ctvbench" -> "/run/ctvbench/vm").
std::string VmStateRoot(const std::string& state_dir);

// Creates `<root>/inst/<name>-<pid>-<n>` with its owner file.
Result<std::string> MakeInstanceDir(const std::string& root, const std::string& name);

// ctv::OwnerToken / ctv::OwnerAlive (core/process.h), under the names vm/ has always used.
std::string OwnerToken();
bool OwnerAlive(const std::string& token);

}  // namespace ctv::vm
