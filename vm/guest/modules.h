// Which kernel module files a guest needs: the named modules plus everything modules.dep says
// they depend on, and a modules.dep restricted to that set (what ctv-init reads in the guest).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::vm {

// Modules every guest carries, so one cached guest serves every device model: the virtio
// transports (PCI for pc/q35, MMIO for microvm), the virtio console used as the paravirtual
// marker channel, and the paravirtual and emulated NICs.
inline const std::vector<std::string> kGuestModules = {
    "virtio_pci", "virtio_mmio", "virtio_console", "virtio_net", "virtio_blk", "e1000"};

// What the emulated scratch disks need besides (VmSpec::disk_mib; DiskModules in vm/spec.h): the
// PIIX IDE (pc) and AHCI (q35) drivers and the SCSI disk driver libata presents disks through,
// with libata, scsi_mod and sd_mod's CRC helpers as dependencies (all modules in Debian's 6.1
// kernel). ~2 MB, a third of the benchmark guests' initramfs: only guests with a disk carry them
// (the VM drivers build a second cached guest for those), so every other boot stays as it was.
inline const std::vector<std::string> kDiskModules = {"ata_piix", "ahci", "sd_mod"};

// What the distro guest's initramfs needs besides kDiskModules to mount its root (guest=distro,
// vm/spec.h DistroModules): ext4 (crc16, mbcache and jbd2 come as its dependencies; crc32c, which
// ext4's and jbd2's metadata checksums ask the crypto API for, is no dependency in modules.dep and
// there is no modprobe in the initramfs: named here) and overlay (the root's writable layer).
inline const std::vector<std::string> kDistroModules = {"crc32c_generic", "ext4", "overlay"};

struct ModuleSet {
  std::vector<std::string> files;  // relative to the release directory ("kernel/drivers/...ko")
  std::string modules_dep;         // modules.dep lines for exactly those files
};

// `release_dir` is /lib/modules/<release>. Errors name a module that is not there.
Result<ModuleSet> ResolveModules(const std::string& release_dir,
                                 const std::vector<std::string>& names);

}  // namespace ctv::vm
