// A bootable raw disk for the firmware boot chain (SeaBIOS -> MBR -> bootloader -> kernel ->
// init): what a classic PC or VM boots from, built from Debian's tools without loop devices,
// mounts or root-only steps:
//
//   sector 0        MBR: syslinux's boot code (mbr.bin, 440 bytes), a fixed disk id, one
//                   active partition (written here: 16 bytes), the 0x55AA signature
//   sector 2048..   FAT16 partition (mkfs.fat --offset) holding SYSLINUX (`syslinux --offset
//                   --install`: ldlinux.sys + its volume boot record), /vmlinuz (the bzImage),
//                   /initrd (the guest's initramfs, ctv-init as PID 1) and /syslinux.cfg, all
//                   written with mtools (`mcopy -i disk@@offset`)
//
// Contract: BuildBootDisk returns quickly when a disk with the same key exists in the cache. The
// key is the hash of every input (kernel, initramfs, mbr.bin, the syslinux installer, the layout
// version), and the same inputs give the same bytes (SOURCE_DATE_EPOCH fixes mtools' dates;
// disk id and volume serial are constants). The kernel command line is not in the cached disk:
// it differs per instance (the probe's arguments), so each instance boots a copy with its own
// /syslinux.cfg (InstanceBootDisk), which costs one file copy before the launch.
//
// With a root image (the distro guest profile, vm/guest/distro_root.h) the disk has a second
// partition, Linux (0x83), after the FAT: the ext4 image copied in (holes kept). Such a disk is
// hundreds of MiB, so an instance does not copy it: it boots a qcow2 overlay backed by the cached
// disk (InstanceOverlayDisk; QEMU opens the cached disk read-only), into which only the bytes of
// /syslinux.cfg are rewritten. For that the configuration is a fixed-size slot
// (kConfigSlotBytes, padded with newlines), whose place in the disk is found at build time.
#pragma once

#include <cstdint>

#include <string>

#include "core/error.h"

namespace ctv::vm {

struct BootDiskInputs {
  std::string bzimage;    // the kernel: the bootloader loads the bzImage (it decompresses itself)
  std::string initrd;     // newc cpio
  std::string cache_dir;  // where disks are kept (e.g. <state>/vm/cache)
  std::string mbr_bin = "/usr/lib/syslinux/mbr/mbr.bin";  // Debian's syslinux-common
  // A root filesystem image for a second partition ("" = none), and a key naming its content
  // (the distro cache entry's key: hashing hundreds of MiB per run would cost seconds).
  std::string root_image;
  std::string root_key;
};

struct BootDisk {
  std::string path;  // <cache_dir>/bootdisk-<key>.raw, or distrodisk-<key>.raw with a root
  std::string key;
  bool cached = false;
  // With a root image: where /syslinux.cfg's bytes are in the disk (a kConfigSlotBytes slot), and
  // the root partition's first byte.
  uint64_t config_offset = 0;
  uint64_t root_offset = 0;
};

inline constexpr uint64_t kConfigSlotBytes = 4096;

// The disk for these inputs, built unless cached. Errors name the tool and the Debian package
// that provides it (syslinux, syslinux-common, mtools, dosfstools).
Result<BootDisk> BuildBootDisk(const BootDiskInputs& in);

// Copies `base` to `dest` and writes the bootloader configuration for `kernel_cmdline` into the
// copy. `dest` is the instance's own disk (removed with the instance dir).
Status InstanceBootDisk(const BootDisk& base, const std::string& dest,
                        const std::string& kernel_cmdline);

// The instance's disk for a disk with a root image: `dest` becomes a qcow2 overlay backed by
// `base` (qemu-img create), and the configuration slot in the overlay holds `kernel_cmdline`'s
// configuration (qemu-io write). Errors name the tool and its package (qemu-utils), or say that
// the configuration does not fit its slot.
Status InstanceOverlayDisk(const BootDisk& base, const std::string& dest,
                           const std::string& kernel_cmdline);

// SyslinuxConfig(kernel_cmdline) padded with newlines to kConfigSlotBytes; an error when longer.
Result<std::string> SlotConfig(const std::string& kernel_cmdline);

// The SYSLINUX configuration: serial console on COM1, no prompt, no timeout, one entry loading
// /vmlinuz and /initrd with `kernel_cmdline`. SYSLINUX prints its banner on the serial port, then
// "Loading /vmlinuz... ok" and "Loading /initrd...ok" unless the command line holds "quiet":
// the last line is its hand-over to the kernel (kBootloaderDone), which the phases time.
std::string SyslinuxConfig(const std::string& kernel_cmdline);

// What the boot chain prints, as the phases look for it (first line containing the text):
inline constexpr const char* kSeabiosStart = "SeaBIOS (version";    // debug console: POST begins
inline constexpr const char* kSeabiosHandover = "Booting from 0000:7c00";  // jump to the MBR
inline constexpr const char* kBootloaderBanner = "SYSLINUX";        // console: bootloader's first line
inline constexpr const char* kBootloaderDone = "Loading /initrd";   // ...its last, completed "ok"

}  // namespace ctv::vm
