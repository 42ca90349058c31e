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
// bus, driver built into the kernel). The marker channel is the device under test.
enum class DeviceModel { kVirtio, kEmulated };
std::string DeviceModelName(DeviceModel d);

enum class BootMode { kPvh, kBzImage };  // uncompressed vmlinux via PVH, or the bzImage

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
  // Modules ctv-init loads after the marker channel's (not an option: set by the driver from
  // VmDriverConfig::guest_modules, which also puts them into the guest).
  std::vector<std::string> boot_modules;
};

// Option keys: machine (pc|q35|microvm), accel (auto|kvm|tcg), devices (virtio|emulated),
// boot (pvh|bzimage), acpi (on|off, microvm only), vcpus, memory (MiB), cmdline. Unknown keys are
// errors naming the key.
Result<VmSpec> ParseVmOptions(const std::map<std::string, std::string>& options);
// The keys ParseVmOptions accepts (for --help and errors).
const std::vector<std::string>& VmOptionKeys();

// Guest-side device and marker-channel details for a spec.
std::string ChannelDevice(const VmSpec& s);                // "/dev/ttyS1" or "/dev/hvc0"
std::vector<std::string> ChannelModules(const VmSpec& s);  // what ctv-init must load first

// The kernel command line: console on ttyS0 (quiet), ctv-init's parameters (ctv.mods: the
// channel's modules, then boot_modules), and for TCG microvm guests tsc_early_khz (see
// HostTscKhz). `accel` is the accelerator actually used.
std::string KernelCmdline(const VmSpec& s, Accel accel, const std::string& probe_path,
                          const std::vector<std::string>& probe_args, uint64_t tsc_khz);

}  // namespace ctv::vm
