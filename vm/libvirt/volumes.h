// Guest files (kernel, initramfs) put where a libvirt daemon's QEMU can open them, on whatever
// machine that daemon runs: volumes of a storage pool of the connection, uploaded through the
// connection itself (virStorageVolUpload), so a `qemu+ssh://` host needs nothing but libvirt.
//
// Contract:
// - The pool is kPoolName, a `dir` pool at kPoolPath on the daemon's host. When the daemon has no
//   pool of that name, a transient one is created (and its directory made); one that exists is
//   used as it is, started when inactive.
// - Volumes are named by the caller, by content (the guest cache's names are content keys): a
//   volume that exists is complete and is reused, never compared or rewritten. An upload goes to
//   "<name>.part", which the daemon then copies to "<name>" and deletes, so a killed upload leaves
//   at most a .part, replaced by the next upload.
// - The volumes are a cache like the local guest cache: after an upload, only the 3 newest
//   volumes of its kind (name prefix up to the first '-': "initrd-", "vmlinux-", "bzimage-")
//   are kept.
#pragma once

#include <libvirt/libvirt.h>

#include <string>

#include "core/error.h"

namespace ctv::vm::lv {

inline constexpr char kPoolName[] = "ctvbench";
inline constexpr char kPoolPath[] = "/var/lib/libvirt/ctvbench";

struct VolumePath {
  std::string path;   // the file's path on the daemon's host, for the domain XML
  bool uploaded;      // false when the volume was already there
};

// Ensures volume `name` holds the local file `local_path`; returns its path on the daemon's host.
Result<VolumePath> EnsureVolume(virConnectPtr conn, const std::string& local_path,
                                const std::string& name);

}  // namespace ctv::vm::lv
