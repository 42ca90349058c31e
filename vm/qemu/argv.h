// The qemu-system-x86_64 command line for a VmSpec: the direct QEMU driver's whole
// configuration, and the reference the libvirt domain XML mirrors.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "vm/spec.h"

namespace ctv::vm {

struct QemuLaunch {
  std::string qemu = "qemu-system-x86_64";
  std::string kernel;  // vmlinux (PVH) or bzImage
  std::string initrd;
  std::string cmdline;         // KernelCmdline()
  std::string console_log;     // guest console (ttyS0) goes to this file
  std::string channel_socket;  // MarkerChannel path; QEMU connects to it
  std::string pidfile;         // QEMU writes its pid here (what `ctvbench gc` reads)
  std::string disk;            // the scratch disk (raw) when VmSpec::disk_mib > 0
  std::string disk_cache = "none";  // its QEMU cache mode (vm/disk.h says why "none")
  // boot=firmware: the instance's boot disk (vm/guest/boot_disk.h) instead of kernel/initrd/
  // cmdline, and two sockets QEMU connects to instead of console_log: the guest console, and
  // SeaBIOS's debug port (isa-debugcon at 0x402), both read by a vm::ConsoleTap.
  std::string boot_disk;
  std::string boot_disk_format = "raw";  // "qcow2" for the distro guest's overlay
  std::string console_socket;
  std::string debugcon_socket;
};

// `accel` must be kKvm or kTcg (resolved, not kAuto). The scratch disk, when the spec has one
// and `l.disk` names it, is the guest's only disk: ide-hd on the PIIX IDE bus (pc), on the ICH9
// AHCI (q35), or virtio-blk (PCI; MMIO on microvm), as DiskModelName says. With boot=firmware the
// boot disk takes that place (same bus) and is the only boot device.
std::vector<std::string> QemuArgv(const VmSpec& s, Accel accel, const QemuLaunch& l);

// qemu-system-x86_64 in PATH, or an Error saying which package provides it.
Result<std::string> FindQemu();

}  // namespace ctv::vm
