// VmSpec: one guest's configuration, shared by the libvirt and the direct QEMU drivers, parsed
// from the driver options of an InstanceSpec ("machine" -> "microvm"...), and the kernel command
// line both drivers give the guest.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "vm/accel.h"

namespace ctv::vm {

enum class Machine { kPc, kQ35, kMicrovm };
std::string MachineName(Machine m);

// How the guest talks to the host: paravirtual (virtio console over virtio-pci, or virtio-mmio on
// microvm; the guest loads virtio modules) or emulated hardware (a second 16550 UART on the ISA
// bus, driver built into the kernel). The model covers the marker channel and, with `disk`, the
// scratch disk (see DiskModelName).
enum class DeviceModel { kVirtio, kEmulated };
std::string DeviceModelName(DeviceModel d);

// How the kernel gets going: QEMU loads the uncompressed vmlinux (PVH entry) or the bzImage
// itself (direct kernel boot, no disk), or the firmware boots a disk (kFirmware: SeaBIOS -> MBR
// -> SYSLINUX -> bzImage, the chain of a classic PC; machine pc or q35 only, see
// vm/guest/boot_disk.h).
enum class BootMode { kPvh, kBzImage, kFirmware };
std::string BootModeName(BootMode b);  // "pvh", "bzimage", "firmware"

// Which guest kernel boots: Debian's generic one (/boot, its modules in the initramfs) or the
// project's microVM kernel (vm/guest/micro_kernel.h: built from linux-source with
// vm/guest/micro-kernel.config, everything the guests use built in, no modules).
enum class GuestKernel { kGeneric, kMicro };
std::string GuestKernelName(GuestKernel k);

// What runs in the guest: the project's minimal guest (ctv-init as PID 1, the OCI image's files
// in the initramfs) or a distribution (kDistro: Debian 12 with systemd on an ext4 root partition,
// booted through the firmware chain; vm/guest/distro_root.h, scripts/build-distro-guest).
enum class GuestProfile { kMinimal, kDistro };
std::string GuestProfileName(GuestProfile g);  // "minimal", "distro"

struct VmSpec {
  std::string name;  // domain / process name, starts with "ctv"
  Machine machine = Machine::kMicrovm;
  Accel accel = Accel::kAuto;
  DeviceModel devices = DeviceModel::kEmulated;
  BootMode boot = BootMode::kPvh;
  bool acpi = true;  // microvm only: acpi=off skips ACPI table parsing in the guest (faster boot)
  int vcpus = 1;
  uint64_t memory_mib = 256;
  std::optional<double> cpu_quota;             // 0.5 = half a host core (libvirt <cputune>)
  std::optional<uint64_t> memory_limit_bytes;  // host-side hard limit (libvirt <memtune>)
  std::string extra_cmdline;                   // appended to the kernel command line
  // A scratch disk of this many MiB (0 = none): sparse, raw, empty, the guest's only disk, on the
  // bus of `devices` and `machine` (DiskModelName). For I/O through the device model.
  uint64_t disk_mib = 0;
  GuestKernel kernel = GuestKernel::kGeneric;
  GuestProfile guest = GuestProfile::kMinimal;
  // Modules ctv-init loads after the marker channel's (not an option: set by the driver from
  // bench::VmDriverConfig::guest_modules, which also puts them into the guest).
  std::vector<std::string> boot_modules;
};

// Option keys: machine (pc|q35|microvm), accel (auto|kvm|tcg), devices (virtio|emulated),
// boot (pvh|bzimage|firmware), acpi (on|off, microvm only), vcpus, memory (MiB), cmdline, disk (MiB),
// kernel (generic|micro), guest (minimal|distro). Unknown keys are errors naming the key; so is a disk microvm cannot
// attach (devices=emulated: microvm has no IDE/SATA controller), boot=firmware on an explicit
// machine=microvm (without a machine option it means machine=pc) (no firmware that boots disks:
// qboot), boot=firmware with a scratch disk (the boot disk takes the disk's place) or with
// kernel=micro, and an emulated disk with the micro kernel (it has no IDE/AHCI drivers).
Result<VmSpec> ParseVmOptions(const std::map<std::string, std::string>& options);
// The keys ParseVmOptions accepts (for --help and errors).
const std::vector<std::string>& VmOptionKeys();

// Guest-side device and marker-channel details for a spec.
std::string ChannelDevice(const VmSpec& s);                // "/dev/ttyS1" or "/dev/hvc0"
// What ctv-init must load first; nothing with the micro kernel (its drivers are built in).
std::vector<std::string> ChannelModules(const VmSpec& s);

// The scratch disk's device: "ide" (emulated on pc: PIIX IDE), "sata" (emulated on q35: ICH9
// AHCI), "virtio-blk" (virtio-pci, or virtio-mmio on microvm); "" without a disk.
std::string DiskModelName(const VmSpec& s);
// The guest modules that driver needs (ctv-init loads them after the channel's); empty without a
// disk, or with the micro kernel (built in). The guest must carry them: kDiskModules
// (vm/guest/modules.h).
std::vector<std::string> DiskModules(const VmSpec& s);

// guest=distro: the root partition's device ("/dev/sda2": IDE or AHCI; "/dev/vda2": virtio-blk)
// and the modules the initramfs loads to mount it (the disk's driver, ext4, overlay); the guest
// must carry them (kDiskModules, kDistroModules in vm/guest/modules.h).
std::string DistroRootDevice(const VmSpec& s);
std::vector<std::string> DistroModules(const VmSpec& s);

// The kernel command line: console on ttyS0 (quiet), ctv-init's parameters (ctv.mods: the
// channel's modules, the disk's, then boot_modules), and for TCG microvm guests tsc_early_khz (see
// HostTscKhz). `accel` is the accelerator actually used.
std::string KernelCmdline(const VmSpec& s, Accel accel, const std::string& probe_path,
                          const std::vector<std::string>& probe_args, uint64_t tsc_khz);

}  // namespace ctv::vm
