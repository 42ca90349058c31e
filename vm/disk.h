// A guest's scratch disk on this host (VmSpec::disk_mib): a sparse raw file, and the QEMU cache
// mode it is opened with. For the qemu driver and the embedded libvirt driver, whose QEMU runs
// here; a libvirt daemon's disk is a storage volume on its host (vm/libvirt/scratch_volume.h).
//
// What a read through the disk measures is the guest's device path: the guest driver, the
// emulated or paravirtual device, QEMU's block layer. Not the host's page cache: cache=none
// (O_DIRECT on the host) keeps QEMU from serving reads out of it, as the guest's own O_DIRECT
// reads (ctv-probe blkread) keep the guest's page cache out. The file is never written, so every
// read is of a hole: the host filesystem answers with zeros and no device I/O, which keeps the
// host's disk out of the figure too.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace ctv::vm {

struct ScratchDisk {
  std::string path;
  // QEMU's cache mode: "none" (host O_DIRECT), or "writeback" where the file's filesystem has no
  // O_DIRECT (tmpfs before Linux 6.6: a common /run), which QEMU could not open with cache=none.
  std::string cache;
  std::string note;  // why `cache` is not "none"; "" when it is
};

// Creates (truncating) a sparse file of `mib` MiB at `path` and picks its cache mode by opening
// it with O_DIRECT. The caller removes the file (the instance dir holding it).
Result<ScratchDisk> CreateScratchDisk(const std::string& path, uint64_t mib);

}  // namespace ctv::vm
